"""Rule-based, explainable rewrite of any text into the persona's voice; facts are never touched."""

from __future__ import annotations

import difflib
import hashlib
import re
from collections import Counter
from dataclasses import dataclass

from copilot.profile import EMOJI, PARTICLES, VoiceProfile, cjk_len, emojis, normalize_width
from copilot.records import Draft

# Spans that must survive a rewrite byte for byte: links, times, dates, prices, numbers, quoted names.
FACT = re.compile(
    r"https?://[^\s，。！？）」]+"
    r"|[\w.+-]+@[\w-]+\.[\w.]+"
    r"|\d{4}[-/年]\d{1,2}[-/月]\d{1,2}[日号]?"
    r"|\d{1,2}月\d{1,2}[日号]"
    r"|(?:周|星期|礼拜)[一二三四五六日天]"
    r"|(?:早上|上午|中午|下午|傍晚|晚上|今晚|明晚|明早|凌晨)?\d{1,2}[:：]\d{2}"
    r"|(?:早上|上午|中午|下午|傍晚|晚上|今晚|明晚|明早|凌晨)?\d{1,2}点(?:半|\d{1,2}分)?"
    r"|[¥￥]\s?\d+(?:\.\d+)?"
    r"|\d+(?:[.,]\d+)*\s?(?:元|块|万|千|百|折|%|％|[个条泡克斤两天人位次份盒罐袋年岁度℃小时分钟秒周期])?"
    r"|《[^》]{1,40}》|「[^」]{1,40}」|【[^】]{1,40}】|@\S+"
)
_PLACE = "\ue000{}\ue001"
_PLACE_RE = re.compile("\ue000(\\d+)\ue001")

# (pattern, replacement, explanation) — AI scaffolding that real people do not type into a group chat.
CLICHES: tuple[tuple[str, str, str], ...] = (
    (r"在当今(?:这个)?[^，。！]{0,8}(?:社会|时代|生活|世界)(?:中|里)?[，,]", "", "删去「在当今……」式开场"),
    (r"随着([^，。！]{2,12})的(?:到来|来临)[，,]", r"\1到了，", "「随着……的到来」换成「……到了」"),
    (r"随着[^，。！]{2,20}的(?:不断)?(?:发展|普及|提高|进步)[，,]", "", "删去「随着……的发展」"),
    (r"(?:首先|其次|再次)[，,、]", "", "删去「首先/其次」式提纲腔"),
    (r"(?:^|(?<=[。！？\n；;：:]))最后[，,]", "", "删去「最后，」"),
    (r"(?:^|(?<=\n))(?:总之|综上所述|总而言之|总的来说|总结一下)[，,：:]\s*", "", "删去段首的总结腔"),
    (r"(?:总之|综上所述|总而言之|总的来说|总结一下)[，,：:]", "一句话，", "把总结腔换成口语"),
    (r"我们很高兴地(?:宣布|告诉大家|通知大家)[，,：:]?", "跟大家说个好消息：", "「我们很高兴地宣布」换成口语"),
    (
        r"(?:非常|衷心|真诚地?)?感谢(?:大家|各位|您|你们)(?:一直以来|长期以来|一直)(?:的|对我们的)?(?:支持|信任|陪伴|厚爱)(?:与|和)?(?:支持|信任|陪伴|厚爱)?",
        "谢谢大家一直捧场",
        "「感谢大家一直以来的支持」换成口语",
    ),
    (r"充实而(?:又)?有意义", "挺充实", "「充实而有意义」换成口语"),
    (r"这是一个不容错过的(?:绝佳|难得的?)?机会", "机会难得，别错过", "「不容错过的绝佳机会」换成口语"),
    (r"不容错过", "别错过", "「不容错过」换成「别错过」"),
    (r"(?:绝佳|难得的)机会", "好机会", "「绝佳机会」换成「好机会」"),
    (r"开启(?:一段|一场|全新的)?(?:[^，。！]{0,6}的)?([^，。！的]{1,4})之旅", r"一起\1", "「开启……之旅」换成口语"),
    (r"届时[，,]?", "到时候", "「届时」换成「到时候」"),
    (r"莅临", "来", "「莅临」换成「来」"),
    (r"广大", "", "删去「广大」"),
    (r"保驾护航", "帮你把关", "「保驾护航」换成口语"),
    (r"敬请期待", "等我消息", "「敬请期待」换成口语"),
    (r"敬请", "请", "「敬请」换成「请」"),
    (r"别开生面的", "特别的", "「别开生面」换成「特别」"),
    (r"精彩的分享", "干货", "「精彩的分享」换成口语"),
    (r"诚挚(?:地)?邀请", "欢迎", "「诚挚邀请」换成「欢迎」"),
    (r"(?:非常|衷心|十分)感谢", "谢谢", "「非常感谢」换成「谢谢」"),
    (r"需要注意以下几点[：:]", "记住这几条：", "「需要注意以下几点」换成口语"),
    (r"(?:值得注意的是|需要注意的是|值得一提的是)[，,：:]?", "", "删去「值得注意的是」"),
    (
        r"([^，。！\s]{1,8})已经成为(?:很多人|越来越多人|大家)([^，。！]{1,8})的(?:重要|主要)?(?:方式|选择)",
        r"很多人靠\1\2",
        "「……已经成为很多人……的重要方式」换成口语",
    ),
    (
        r"为了回馈(?:广大)?([^，。！]{1,6})[，,]\s*我们(?:特别|特意)?推出(?:了)?",
        r"给\1准备了",
        "「为了回馈……特别推出」换成口语",
    ),
    (r"则需要", "就要", "「则需要」换成「就要」"),
    (r"(?:众所周知|毋庸置疑|不言而喻)[，,]", "", "删去「众所周知」类套话"),
    (r"与此同时[，,]", "同时，", "「与此同时」换成「同时」"),
    (r"此外[，,]", "还有，", "「此外」换成「还有」"),
    (r"因此我们需要", "所以得", "「因此我们需要」换成「所以得」"),
    (r"因此[，,]?", "所以", "「因此」换成「所以」"),
    (r"(?<!比)例如[，,]?", "比如", "「例如」换成「比如」"),
    (r"[，,]如(?=[^，。！；]{1,12}[和、与及][^，。！；]{1,8}[；;，,。])", "，比如", "「如……」换成「比如……」"),
    (
        r"祝(?:你|您|大家)度过一个[^，。！]{0,10}的(周末|假期|夜晚|一天)[。！!]?",
        r"\1愉快！",
        "「祝你度过一个……的周末」换成口语",
    ),
    (r"让我们一起", "咱们一起", "「让我们一起」换成「咱们一起」"),
    (
        r"希望(?:以上|这些|本文|这篇)?[^，。！]{0,6}(?:能)?(?:对大家|对你|对您)?(?:有所帮助|有帮助)[。！!]?",
        "",
        "删去「希望对大家有所帮助」",
    ),
    (r"赋能|助力", "帮", "「赋能/助力」换成「帮」"),
    (
        r"[，,]?(?:以下|下面)(?:是|为)[^，。：]{0,12}(?:几点|建议|方法)[：:]",
        "，说几个要点：",
        "「以下是几点建议」换成口语",
    ),
)
# Formal written-register words and what a person would type instead.
PLAIN_WORDS: tuple[tuple[str, str], ...] = (
    ("我们将为大家", "我们给大家"),
    ("将为大家带来", "给大家带来"),
    ("我们将", "我们要"),
    ("举办", "办"),
    ("能够有效", "能"),
    ("有效地", ""),
    ("能够", "能"),
    ("尤为重要", "特别要紧"),
    ("非常重要", "很要紧"),
    ("以及", "还有"),
    ("对于", "对"),
    ("然而", "不过"),
    ("确保", "保证"),
    ("有助于", "能帮"),
    ("显著", "明显"),
    ("进行", "做"),
    ("提升", "提高"),
    ("具有", "有"),
    ("相关的", ""),
    ("充分", "好好"),
    ("选择合适的", "挑合适的"),
    ("根据茶叶的种类", "按茶的种类"),
    ("放松身心", "放松"),
)
AI_CLICHE_WORDS = (
    "首先",
    "其次",
    "总之",
    "综上所述",
    "总而言之",
    "值得注意的是",
    "需要注意的是",
    "在当今",
    "让我们一起",
    "众所周知",
    "毋庸置疑",
    "随着",
    "赋能",
    "助力",
    "有所帮助",
    "此外",
    "与此同时",
    "不仅",
    "值得一提的是",
)
_GENERIC_ADDRESS = re.compile(r"^(?:亲爱的)?(?:大家好|各位朋友|各位用户|亲爱的朋友们|朋友们|大家)[，,！!]?")
# Greetings and address forms at the very start ("亲爱的各位茶友，大家好！"): all go, the persona's one comes back.
_LEADING_HELLO = re.compile(
    r"^\s*(?:(?:亲爱的|尊敬的)[^，,！!。]{0,8}[，,！!]?\s*|各位[^，,！!。]{0,6}[，,！!]?\s*|(?:大家|你们|各位|[^，,！!。\n]{1,5}们)好[呀啊]?[！!，,。～~]?\s*"
    r"|(?:大家|朋友们|家人们|宝子们|姐妹们|同学们)[，,！!]\s*)+"
)
_MARKDOWN = ((re.compile(r"\*\*(.+?)\*\*"), r"\1"), (re.compile(r"^#{1,6}\s*", re.M), ""))


@dataclass(frozen=True)
class Rewrite:
    """A rewrite with its explanation."""

    original: str
    """The input text."""
    text: str
    """The persona-voiced text."""
    changes: tuple[str, ...]
    """What was changed and why, one line each."""
    facts_kept: bool
    """True when every fact span of the original appears unchanged in the output."""


def _is_enumerator(text: str, m: re.Match[str]) -> bool:
    """A list number like the "2" of "；2. 每次投茶" is layout, not a fact."""
    if not re.fullmatch(r"\d{1,2}", m.group(0)):
        return False
    after = text[m.end() : m.end() + 1]
    before = text[: m.start()].rstrip(" ")[-1:]
    return after in (".", "、", ")", "）") and before in ("", "\n", "；", ";", "：", ":", "。")


def facts(text: str) -> list[str]:
    """Fact spans (times, dates, prices, numbers, links, quoted names) in order."""
    t = normalize_width(text)
    return [m.group(0) for m in FACT.finditer(t) if m.group(0).strip() and not _is_enumerator(t, m)]


def facts_preserved(original: str, new: str) -> bool:
    """Every fact of the original is present in the new text (as many times)."""
    need, have = Counter(facts(original)), Counter(facts(new))
    return all(have[f] >= n for f, n in need.items()) or all(f in new for f in need)


def _protect(text: str, extra: tuple[str, ...]) -> tuple[str, list[str]]:
    spans: list[str] = []

    def keep(m: re.Match[str]) -> str:
        if _is_enumerator(text, m):
            return m.group(0)
        spans.append(m.group(0))
        return _PLACE.format(len(spans) - 1)

    names = [re.escape(x) for x in extra if x]
    pattern = re.compile("|".join([*names, FACT.pattern])) if names else FACT
    return pattern.sub(keep, text), spans


def _restore(text: str, spans: list[str]) -> str:
    return _PLACE_RE.sub(lambda m: spans[int(m.group(1))], text)


def _pick(options: tuple[str, ...], key: str) -> str:
    return options[int(hashlib.md5(key.encode()).hexdigest(), 16) % len(options)] if options else ""


def rewrite(
    text: str, profile: VoiceProfile, *, protect: tuple[str, ...] = (), sign: bool = True, light: bool = False
) -> Rewrite:
    """Rewrite text into the profile's voice; returns the text and a list of explained changes.

    `light` is for text already in the persona's voice (template drafts built from its own posts): only the
    persona's markers are added (address, emoji, catchphrase, sign-off); sentences are not re-cut.
    """
    original = text
    changes: list[str] = []
    body = normalize_width(text).strip()
    for pattern, repl in _MARKDOWN:
        body, n = pattern.subn(repl, body)
        if n:
            changes.append("去掉群聊里不显示的 Markdown 符号")
    body, spans = _protect(body, protect)

    for cliche, repl, why in CLICHES:
        body, n = re.subn(cliche, repl, body, flags=re.M)
        if n:
            changes.append(why)
    swapped = []
    for formal, plain in PLAIN_WORDS:
        if formal in body:
            body = body.replace(formal, plain)
            swapped.append(f"{formal}→{plain or '删'}")
    if swapped:
        changes.append("书面词换成口语：" + "、".join(swapped))
    # inline enumerations "：1. a；2. b；3. c" become short bullet lines
    body, n = re.subn(r"(?:(?<=[：:；;。])|^)\s*\d{1,2}[.、)）]\s*", "\n· ", body, flags=re.M)
    if n >= 2:
        changes.append("把 1. 2. 3. 编号改成轻量的列点")
        # a sentence after the last item ("3. 远离异味。还有，普洱需要通风") is no part of that item
        body = re.sub(r"(\n· [^\n]*?[。；;])\s*(?=[^\n])", r"\1\n", body)
    if profile.mark_rates.get("；", 0.0) < 0.1 and "；" in body:
        body = re.sub(r"；\s*(?=\n)", "", body).replace("；", "。")
        changes.append("人设不用分号，分号改成句号")
    for taboo in profile.taboo:
        if taboo and taboo in body:
            changes.append(f"提示：含人设禁用词「{taboo}」，请人工改写")

    # a spoken lead-in left with nothing after it (its sentence was a cliché that got removed)
    body = re.sub(r"(?:说白了|特别提醒一句)，\s*(?=$|\n)", "", body, flags=re.M)
    address = profile.address_forms[0] if profile.address_forms else ""
    if address:
        forms = "|".join(map(re.escape, profile.address_forms))
        hello = re.compile(rf"{_LEADING_HELLO.pattern}|^\s*(?:(?:{forms})[，,！!]?\s*(?:好[呀啊]?[！!，,]?\s*)?)+")
        body, n = hello.subn("", body, count=1)
        body, n2 = hello.subn("", body, count=1)  # "茶友们，亲爱的各位茶友，大家好！" needs two passes
        if n or n2:
            body = f"{address}，{body.lstrip('，,！! ')}"
            changes.append(f"开头的多个问候和称呼合成一个「{address}」")
        elif not any(a in body[:24] for a in profile.address_forms) and not _restore(body[:8], spans).startswith("【"):
            body = f"{address}，{body}"
            changes.append(f"开头加上称呼「{address}」")
        body = re.sub(r"(?<![\u4e00-\u9fff])大家(?=[，,好])", address, body)
    if "您" in body and not any("您" in a for a in profile.address_forms):
        body = body.replace("您们", "你们").replace("您", "你")
        changes.append("「您」换成人设平时说的「你」")

    if not light:
        body = _rhythm(body, profile, changes)
        body = _particles_and_marks(body, profile, changes)
    body = _emoji(body, profile, changes)

    # no catchphrase is bolted on: it goes in only where it fits a sentence, which rules cannot tell
    out = _restore(body, spans)
    if sign and profile.signoff and profile.signoff not in out:
        out = f"{out}\n{profile.signoff}"
        changes.append("补上落款")
    out = re.sub(r"[，,]{2,}", "，", out)
    out = re.sub(r"(一起|一下|一定)\1", r"\1", out)
    out = re.sub(rf"({EMOJI.pattern})\1+", r"\1", out)  # the same emoji twice in a row reads as a glitch
    out = re.sub(r"^[，,\s]+", "", out, flags=re.M)
    return Rewrite(original, out, tuple(dict.fromkeys(changes)), facts_preserved(original, out))


def _rhythm(body: str, profile: VoiceProfile, changes: list[str]) -> str:
    """Split sentences much longer than the persona writes at a comma near the middle."""
    limit = max(profile.sentence_p75 * 1.4, 22)
    out: list[str] = []
    split = 0
    for piece in re.split(r"(?<=[。！？～\n])", body):
        if cjk_len(piece) > limit and "，" in piece:
            commas = (
                [
                    i
                    for i, ch in enumerate(piece)
                    if ch == "，"
                    and not re.match(r"(?:如|比如|例如|像|包括|等|尤其)", piece[i + 1 :])
                    and cjk_len(piece[:i]) > 6  # never right after the address (茶友们，)
                    and "：" not in piece[i : i + 1]
                ]
                or [len(piece)]
            )
            if commas == [len(piece)]:
                out.append(piece)
                continue
            mid = min(commas, key=lambda i: abs(i - len(piece) / 2))
            piece = piece[:mid] + "。" + piece[mid + 1 :]
            split += 1
        out.append(piece)
    if split:
        changes.append(f"把 {split} 个长句拆短（人设平均句长约 {profile.sentence_mean:.0f} 字）")
    return "".join(out)


def _particles_and_marks(body: str, profile: VoiceProfile, changes: list[str]) -> str:
    """Bring sentence endings toward the persona's particle and exclamation habits."""
    parts = re.split(r"(。)", body)
    ends = [i for i, p in enumerate(parts) if p == "。" and i > 0 and re.search(r"[\u4e00-\u9fff]$", parts[i - 1])]
    if not ends:
        return body
    fav = profile.favourite_particles
    want_particles = round(len(ends) * min(profile.particle_rate / 6.0, 0.6)) if fav else 0
    bang = profile.mark_rates.get("！", 0.0)
    tilde = profile.mark_rates.get("～", 0.0)
    want_bang = round(len(ends) * min(bang / 4.0, 0.5))
    added_p = added_b = 0
    for n, i in enumerate(ends):
        prev = parts[i - 1]
        if added_p < want_particles and prev[-1] not in PARTICLES and n % 2 == 0:
            parts[i - 1] = prev + fav[(n // 2) % len(fav)]
            added_p += 1
        if added_b < want_bang and n % 2 == 1:
            parts[i] = "～" if tilde > bang else "！"
            added_b += 1
    if added_p:
        changes.append(f"句尾加了 {added_p} 个语气词（{'/'.join(fav[:3])}）")
    if added_b:
        changes.append("部分句号换成人设常用的感叹语气")
    return "".join(parts)


def _emoji(body: str, profile: VoiceProfile, changes: list[str]) -> str:
    """Add the persona's own emoji up to its usual rate, at paragraph ends."""
    if not profile.emoji_set or profile.emoji_rate < 0.2:
        return body
    have = len(emojis(body))
    want = max(1, min(3, round(profile.emoji_rate * cjk_len(body) / 100)))
    if have >= want:
        return body
    lines = body.split("\n")
    ends_in_emoji = re.compile(rf"(?:{EMOJI.pattern})\s*$")
    targets = [i for i, line in enumerate(lines) if line.strip() and not ends_in_emoji.search(line)][: want - have]
    if not targets:
        return body
    for k, i in enumerate(targets):
        lines[i] = lines[i].rstrip() + profile.emoji_set[k % len(profile.emoji_set)]
    changes.append(f"加了 {len(targets)} 个人设常用表情")
    return "\n".join(lines)


def _diff_tokens(text: str) -> list[str]:
    """Words for a readable diff: jieba words for Chinese, whole runs for Latin and digits."""
    from copilot.retrieve import tokenize_words

    return tokenize_words(text)


def diff_ops(original: str, new: str) -> list[tuple[str, str | None]]:
    """Word-level diff as (segment, tag) with tag '-' removed, '+' added, None unchanged."""
    a, b = _diff_tokens(original), _diff_tokens(new)
    # lone punctuation must not anchor a match, or the diff shreds into tiny pieces around every comma
    sm = difflib.SequenceMatcher(isjunk=lambda t: len(t) == 1 and not t.isalnum(), a=a, b=b, autojunk=False)
    ops: list[tuple[str, str | None]] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            ops.append(("".join(a[i1:i2]), None))
        if tag in ("delete", "replace"):
            ops.append(("".join(a[i1:i2]), "-"))
        if tag in ("insert", "replace"):
            ops.append(("".join(b[j1:j2]), "+"))
    return ops


def diff_text(original: str, new: str) -> str:
    """The diff as one string: [-removed-]{+added+}."""
    return "".join(s if t is None else (f"[-{s}-]" if t == "-" else f"{{+{s}+}}") for s, t in diff_ops(original, new))


def rewrite_result(draft: Draft, original: str) -> dict:
    """The `{original, text, diff}` record the CLI and UI show."""
    return {
        "original": original,
        "text": draft.text,
        "diff": diff_text(original, draft.text),
        "model": draft.model,
        "notes": list(draft.notes),
        "error": draft.error,
        "warnings": [w.as_dict() for w in draft.warnings],
    }
