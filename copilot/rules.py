"""Rules every member-facing output keeps, whichever writer wrote it, enforced once after writing.

One greeting; the sign-off once, at the end; a catchphrase at most once and inside a sentence; no line of only
emoji; brackets and quotes balanced; no sentence ending in 「：」; no 「。，」「，，」; no operator vocabulary (content-type
labels, posting schedules, template names). `violations` reports what a text breaks (the `whole` and `member_words`
eval assertions), `enforce` mends what can be mended without changing meaning.
"""

from __future__ import annotations

import re

from copilot.profile import EMOJI
from copilot.records import CONTENT_TYPES, Persona

GREETING = re.compile(
    r"(早上好|早安|早呀|早啊|晚安|午安|大家好|晚上好|下午好|中午好|新的一天开始啦|新的一天开始了|你们好|好呀|好啊|[^，。！\s]{1,3}们好)"
)
_EMOJI_ONLY = re.compile(rf"^(?:\s|{EMOJI.pattern}|[～~!！。.，,])+$")
PAIRS = (("「", "」"), ("（", "）"), ("(", ")"), ("【", "】"), ("《", "》"), ("“", "”"))
# Operator vocabulary members must not read: content-type labels used as labels, slot schedules, template names.
_SCHEDULE = re.compile(r"\d{1,2}[:：]\d{2}\s*(?:的)?\s*(?:" + "|".join(CONTENT_TYPES) + r")")
_LABEL = re.compile(
    r"(?:今天的|今日|今天)?(?:干货时间|干货分享时间|话题时间|活动提醒时间|公告时间)"
    r"|(?:tpl_|day_slot|prompt@|template)\w*"
    r"|(?:的|是|发|看|有)(?:干货|活动提醒|活动预告|公告)(?=[、，。；\s]|$)"
)


def _greeting_clauses(line: str) -> list[tuple[int, int]]:
    """(start, end) of greeting clauses in a line, by punctuation."""
    out = []
    pos = 0
    for clause in re.split(r"(?<=[，,。！!～~])", line):
        if GREETING.search(clause) and len(clause) <= 24:
            out.append((pos, pos + len(clause)))
        pos += len(clause)
    return out


def violations(text: str, persona: Persona) -> list[str]:
    """What a text breaks of the whole-post rules, one Chinese line each (empty when it keeps every rule)."""
    out: list[str] = []
    lines = [ln for ln in text.splitlines() if ln.strip()]
    head = "\n".join(lines[:2])
    greetings = sum(len(_greeting_clauses(ln)) for ln in head.splitlines())
    if greetings > 1:
        out.append("开头问候了两次")
    if persona.signoff and text.count(persona.signoff) > 1:
        out.append("落款出现了不止一次")
    for c in persona.catchphrases:
        if text.count(c) > 1:
            out.append(f"口头禅「{c}」用了不止一次")
        if any(ln.strip().strip("～~。！!") == c for ln in lines):
            out.append(f"口头禅「{c}」单独成行，没有放进句子里")
    if any(_EMOJI_ONLY.match(ln) for ln in lines):
        out.append("有一行只有表情")
    for a, b in PAIRS:
        if text.count(a) != text.count(b):
            out.append(f"括号或引号不成对：{a}{b}")
    for ln in lines:
        if ln.rstrip().endswith(("：", ":")) and not _next_is_list(lines, ln):
            out.append(f"句子停在冒号上：{ln.strip()[-12:]}")
    if re.search(r"。，|，，|，。|、，|，、", text):
        out.append("标点连用（。，或，，）")
    if re.search(r"[，。！？：]\s*的", text):
        out.append("有半截句子（标点后直接接「的」）")
    for m in re.finditer(r"(?:说白了|特别提醒一句|我先说说?我的|我的想法是)[。！～]?\s*(?:$|\n)", text):
        out.append(f"句子没说完：{m.group(0).strip()}")
    if len(re.findall(r"我先说说?我的|我的想法是", text)) > 1:
        out.append("同一个引子说了两次")
    if len(re.findall(r"明早见|明天见", text)) > 1 or text.count("晚安") > 1:
        out.append("道别说了两次")
    first = lines[0] if lines else ""
    if (
        sum(first.count(a) for a in persona.address_form)
        + len(re.findall(r"[^，。！\s]{1,4}们好|大家好|各位好", first))
        > 1
    ):
        out.append("开头的称呼叫了不止一次")
    # a body line that leans on a sentence that is not there (its head was cut): 问是不是坏了。 / 是一款…
    for ln in lines[1:3]:
        if _HEADLESS.match(ln.strip()):
            out.append(f"句子没头：{ln.strip()[:12]}")
    return out


_HEADLESS = re.compile(r"^(?:问是|问能不能|问怎么|是一[款个种]|所以|但是|而且|然后|因为|于是|并且)")


def member_word_violations(text: str, group_type: str = "") -> list[str]:
    """Operator vocabulary in member-facing text: schedules, content-type labels, template names, foreign rituals."""
    out = []
    if group_type and group_type != "学习群":  # check-ins and cohort days belong to learning groups
        out += [
            f"提到了这个群没有的环节：{m.group(0)}"
            for m in re.finditer(r"#?第?\d*期?打卡|[Dd]ay\s*\d+|^作业[：:]|同学们?|\d+\s*号样", text, flags=re.M)
        ]
    for m in _SCHEDULE.finditer(text):
        out.append(f"把发帖时间表给成员看了：{m.group(0)}")
    for m in _LABEL.finditer(text):
        out.append(f"用了运营内部的叫法：{m.group(0)}")
    return out


_LIST_ITEM = re.compile(r"^\s*(?:[·•\-—*]|\d{1,2}[.、)）]|[①-⑩])")


def _next_is_list(lines: list[str], line: str) -> bool:
    i = lines.index(line)
    return i + 1 < len(lines) and bool(_LIST_ITEM.match(lines[i + 1]))


def enforce(text: str, persona: Persona) -> str:
    """Mend what can be mended: doubled greetings, repeated sign-offs and catchphrases, emoji-only lines, marks."""
    text = re.sub(r"[^。！？\n]*" + _SCHEDULE.pattern + r"[^。！？\n]*[。！？]?", "", text)  # posting schedules
    lines = [ln.rstrip() for ln in text.strip().splitlines()]
    lines = _one_greeting(lines, persona)
    merged: list[str] = []
    for ln in lines:
        if ln.strip() and _EMOJI_ONLY.match(ln) and merged:
            merged[-1] = merged[-1].rstrip() + ln.strip()
        elif ln.strip():
            merged.append(ln)
    lines = merged
    if persona.signoff:
        body = [ln for ln in lines if ln.strip() != persona.signoff.strip()]
        body = [ln.replace(persona.signoff, "").rstrip() if persona.signoff in ln else ln for ln in body]
        if len(body) < len(lines) or any(persona.signoff in ln for ln in lines):
            lines = [*body, persona.signoff]
    for c in persona.catchphrases:
        lines = _catchphrase_once(lines, c)
    for i, ln in enumerate(lines):
        if ln.endswith(("：", ":")) and not _next_is_list(lines, ln):
            lines[i] = ln[:-1] + "。"
    text = "\n".join(lines)
    text = re.sub(r"。，|，。|。{2,}", "。", text)
    text = re.sub(r"，{2,}|、，|，、", "，", text)
    text = _balance(text)
    return re.sub(r"，{2,}|、，|，、", "，", re.sub(r"。，|，。|。{2,}", "。", text))


def _one_greeting(lines: list[str], persona: Persona) -> list[str]:
    """Keep the first greeting; strip the greeting (and its address) off the start of the next lines."""
    address = "|".join(map(re.escape, persona.address_form)) or "大家"
    lead = re.compile(
        rf"^\s*(?:(?:{address})\s*[，,]?\s*)?{GREETING.pattern}(?:\s*(?:{address}))?[呀啊啦哈哦～~!！，,。]*\s*(?:{EMOJI.pattern})*\s*"
    )
    seen = False
    out = []
    for n, ln in enumerate(lines):
        if n <= 2 and GREETING.search(ln):
            if seen:
                rest = lead.sub("", ln, count=1)
                if rest != ln:
                    if rest.strip():
                        out.append(rest)
                    continue
            seen = True
        out.append(ln)
    return out


def _catchphrase_once(lines: list[str], phrase: str) -> list[str]:
    out: list[str] = []
    used = False
    for ln in lines:
        bare = ln.strip().strip("～~。！!")
        if bare == phrase:  # a catchphrase alone on a line: join it to the sentence before, or drop it
            prev = out[-1].rstrip() if out else ""
            sentence = prev and re.search(r"[\u4e00-\u9fff][。！～]?$", prev) and not _LIST_ITEM.match(prev)
            if not used and sentence:
                out[-1] = prev.rstrip("。") + ("，" if prev[-1] not in "～！!" else "") + phrase + "。"
                used = True
            continue
        if phrase in ln:
            if used:
                ln = re.sub(rf"[，,]?\s*{re.escape(phrase)}[。！～]?", "", ln)
            used = True
        out.append(ln)
    return out


def _balance(text: str) -> str:
    """Drop an opening mark that is never closed and a closing mark that was never opened."""
    for a, b in PAIRS:
        if text.count(a) == text.count(b):
            continue
        depth, keep = 0, []
        for ch in text:
            if ch == a:
                depth += 1
            elif ch == b:
                if depth == 0:
                    continue
                depth -= 1
            keep.append(ch)
        text = "".join(keep)
        while text.count(a) > text.count(b):
            i = text.rfind(a)
            text = text[:i] + text[i + 1 :]
    return text
