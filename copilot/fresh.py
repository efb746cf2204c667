"""The freshness check: stale dates, wrong weekdays, out-of-season words, facts from nowhere, contradictions
between one day's drafts, and internal text, found before a draft can be approved.

Facts may come only from current sources: the calendar entries running that day, the operator's notes for the
day, and the persona's own facts. Everything else that looks like a price, clock time or quota is `unknown_fact`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from copilot import timefacts as tf
from copilot.calendar import Active
from copilot.records import Warning

KINDS = ("stale_date", "weekday", "season", "unknown_fact", "conflict", "internal")
WEEKDAY_NAMES = "一二三四五六日"
# Notes written to the operator: the writers move these out of the text into the draft's note, the check flags them.
EDITOR_NOTE = re.compile(
    r"[（(【\[]?[^。！？\n（(]{0,12}(?:沿用往期|发之前请|发前请|请改成本次|运营备注|编辑备注|内部备注)"
    r"[^）)】\]\n]{0,80}[）)】\]]?"
    r"|[（(【\[]\s*(?:备注|编辑注|编者注|运营注|内部|给运营|配图|待定)[^）)】\]\n]{0,80}[）)】\]]"
    r"|[（(【\[][^）)】\]\n]{0,30}?(?:发之前|发前|发出前|发送前|发布前)[^）)】\]\n]{0,80}[）)】\]]"
)
# Words that may be a note to the operator or may be meant for members: flagged for a look, never removed.
_POSSIBLE_NOTE = re.compile(r"[（(【\[]?[^。！？\n（(]{0,12}(?:请核对|待确认|TODO)[^）)】\]\n]{0,80}[）)】\]]?")
_CLAUSE = re.compile(r"[，。！？；：、,.!?;:\n（）()「」【】“”\"'…～~\s]+")
_MEMORY = re.compile(r"小时候|以前|那时候?|那年|每年|记得|从前|老家")
_ACTIVITY_WORDS = ("直播", "接龙", "抽奖", "团购", "开营", "结营", "尾款", "早鸟", "预定", "分享会", "返场", "报名")


@dataclass(frozen=True)
class Sources:
    """What a draft may state as fact, and what members must never read."""

    day: dt.date
    """The day the draft is for."""
    facts: str = ""
    """Current facts: running calendar entries' facts, the operator's notes, the persona's facts."""
    active_names: tuple[str, ...] = ()
    """Names of the calendar entries running that day (a festival word is fine when one of them is about it)."""
    internal: tuple[str, ...] = ()
    """Operator-only text: group positioning, calendar notes, persona fields marked internal."""
    public: str = ""
    """Member-facing text the draft may repeat (calendar facts and names, notes, intro, the group's about line)."""


def sources_for(
    day: dt.date,
    active: Iterable[Active] = (),
    notes: str = "",
    persona_facts: str = "",
    internal: Iterable[str] = (),
    public_extra: str = "",
) -> Sources:
    """Build the sources of one draft."""
    active = list(active)
    facts = "\n".join([*(a.entry.facts for a in active), *(a.entry.name for a in active), notes, persona_facts])
    inner = [*internal, *(a.entry.notes for a in active if a.entry.notes)]
    public = "\n".join([*(a.entry.facts for a in active), *(a.entry.name for a in active), notes, public_extra])
    return Sources(day, facts, tuple(a.entry.name for a in active), tuple(x for x in inner if x and x.strip()), public)


def _numbers(text: str) -> set[str]:
    """Numbers stated in text other than inside its dates and clock times (an 8 of 晚上 8 点 is no quota)."""
    for pattern in (tf.DATE_CN, tf.DATE_NUM, tf.CLOCK):
        text = pattern.sub(" ", text)
    return set(re.findall(r"\d+(?:\.\d+)?", text))


def _cohorts(text: str) -> set[str]:
    out = set()
    for m in tf.QUOTA.finditer(text):
        value = m.group("cohort") or m.group("cohort2")
        if value:
            out.add(str(tf.cn_int(value)))
    return out


def _clock_set(text: str) -> set[int]:
    out: set[int] = set()
    for m in tf.CLOCK.finditer(text):
        out.update(tf.clock_minutes(m))
    return out


def _stale_and_weekday(text: str, src: Sources) -> list[Warning]:
    out: list[Warning] = []
    source_dates = {d for d, _, _ in tf.dates_in(src.facts, src.day) if d}
    for d, a, b in tf.dates_in(text, src.day):
        span = text[a:b]
        if d is None:
            out.append(Warning("stale_date", span, f"「{span}」这一天不存在，请核对日期"))
            continue
        if d < src.day and d not in source_dates:
            out.append(
                Warning(
                    "stale_date",
                    span,
                    f"「{span}」已经过去了（草稿是 {src.day.month} 月 {src.day.day} 日的），请换成现在的日期或删掉",
                )
            )
        head = tf.WEEKDAY_BEFORE.search(text[max(0, a - 6) : a])
        if head:
            said = "日" if head.group("w") == "天" else head.group("w")
            real = WEEKDAY_NAMES[d.weekday()]
            if said != real:
                out.append(
                    Warning(
                        "weekday",
                        text[a - 6 + head.start() if a >= 6 else head.start() : b],
                        f"{d.month} 月 {d.day} 日是周{real}，不是周{said}",
                    )
                )
        tail = text[b : b + 8]
        wm = re.match(r"\s*[（(]?\s*(?:是)?\s*(?:周|星期|礼拜)([一二三四五六日天])[）)]?", tail)
        if wm:
            said = "日" if wm.group(1) == "天" else wm.group(1)
            real = WEEKDAY_NAMES[d.weekday()]
            if said != real:
                out.append(
                    Warning("weekday", text[a : b + wm.end()], f"{d.month} 月 {d.day} 日是周{real}，不是周{said}")
                )
    for m in tf.RELATIVE_WEEKDAY.finditer(text):
        offset = {"今天": 0, "明天": 1, "后天": 2, "昨天": -1}[m.group("rel")]
        real_day = src.day + dt.timedelta(days=offset)
        said = "日" if m.group("w") == "天" else m.group("w")
        real = WEEKDAY_NAMES[real_day.weekday()]
        if said != real:
            out.append(
                Warning(
                    "weekday",
                    m.group(0),
                    f"{m.group('rel')}（{real_day.month} 月 {real_day.day} 日）是周{real}，不是周{said}",
                )
            )
    return out


def _season(text: str, src: Sources) -> list[Warning]:
    out: list[Warning] = []
    active = " ".join(src.active_names) + " " + src.facts
    for m in tf.FESTIVAL_WORDS.finditer(text):
        word = m.group(0)
        if word in active or _MEMORY.search(text[max(0, m.start() - 6) : m.start()]):
            continue
        when = tf.festival_date(word, src.day)
        if when is None:
            continue
        delta = (src.day - when).days  # >0: already passed
        if word in tf.SOLAR_TERMS:  # a solar term is talked about for about two weeks after it
            before, after = 30, 15
        else:
            before, after = tf.FESTIVAL_WINDOWS.get(word, (30, 2))
        if delta > after or -delta > before:
            state = "已经过去" if delta > 0 else "还早"
            out.append(
                Warning(
                    "season",
                    word,
                    f"「{word}」{state}（{when.month} 月 {when.day} 日前后），和 {src.day.month} 月 {src.day.day} 日对不上",
                )
            )
    for m in tf.SEASON_WORDS.finditer(text):
        word = m.group(0)
        if src.day.month not in tf.SEASON_MONTHS[word] and word not in active:
            out.append(Warning("season", word, f"「{word}」不是 {src.day.month} 月该说的话"))
    for m in tf.MONTH_WORD.finditer(text):
        month = tf.cn_int(m.group("m"))
        ok = {src.day.month, src.day.month % 12 + 1}
        if month not in ok and m.group(0) not in active:
            out.append(Warning("season", m.group(0), f"「{m.group(0)}」和现在（{src.day.month} 月）对不上"))
    return out


def _unknown_facts(text: str, src: Sources) -> list[Warning]:
    out: list[Warning] = []
    numbers = _numbers(src.facts)
    cohorts = _cohorts(src.facts)
    clocks = _clock_set(src.facts)
    for m in tf.PLACEHOLDER.finditer(text):
        out.append(
            Warning(
                "unknown_fact", m.group(0), f"「{m.group(0)}」是往期帖子里被遮住的旧信息，请换成这次的真实内容或删掉"
            )
        )
    for m in tf.PRICE.finditer(text):
        v = m.group("v") or m.group("v2") or m.group("v3")
        if v not in numbers:
            out.append(
                Warning(
                    "unknown_fact",
                    m.group(0).strip(),
                    f"价格「{m.group(0).strip()}」不在活动日历、今天的备注或人设里，请核对",
                )
            )
    for m in tf.CLOCK.finditer(text):
        if not tf.is_clock(m, text):
            continue  # "一点点", "两点建议" are not clock times
        if not set(tf.clock_minutes(m)) & clocks:
            out.append(
                Warning(
                    "unknown_fact",
                    m.group(0).strip(),
                    f"时间「{m.group(0).strip()}」不在活动日历、今天的备注或人设里，请核对",
                )
            )
    for m in tf.QUOTA.finditer(text):
        span = m.group(0).strip()
        if span == "名额":
            if not any(w in src.facts for w in ("名额", "限", "人")):
                out.append(Warning("unknown_fact", span, "提到了名额，但活动日历和备注里没有名额信息，请核对"))
            continue
        value = next((m.group(k) for k in ("cohort", "cohort2", "dayn", "q", "q2", "q3", "q4") if m.group(k)), "")
        if not value:
            continue
        num = str(tf.cn_int(value))
        allowed = cohorts if (m.group("cohort") or m.group("cohort2")) else numbers
        if num not in allowed:
            out.append(
                Warning("unknown_fact", span, f"「{span}」里的数字不在活动日历、今天的备注或人设里，可能是往期的旧数据")
            )
    return out


def _internal(text: str, src: Sources) -> list[Warning]:
    out: list[Warning] = []
    for m in [*EDITOR_NOTE.finditer(text), *_POSSIBLE_NOTE.finditer(text)]:
        out.append(Warning("internal", m.group(0).strip(), "这是给运营看的备注，不能发到群里：请放进「备注」栏或删掉"))
    flat = re.sub(r"\s+", "", text)
    seen: set[str] = set()
    for inner in src.internal:
        for clause in _CLAUSE.split(inner):
            clause = clause.strip()
            if len(clause) < 6 or clause in seen:
                continue
            hit = (
                clause
                if clause in flat
                else next(
                    (clause[i : i + 10] for i in range(0, max(len(clause) - 9, 0)) if clause[i : i + 10] in flat), ""
                )
            )
            if hit and hit in re.sub(r"\s+", "", src.public):
                continue  # member-facing sources say it too (an activity named like the positioning's words)
            if hit:
                seen.add(clause)
                out.append(Warning("internal", hit, f"「{hit}」来自群定位或运营备注，是内部信息，不能给群成员看"))
    return out


def check_text(text: str, src: Sources) -> list[Warning]:
    """Every freshness and internal warning of one draft, in reading order, one per span."""
    found = _stale_and_weekday(text, src) + _season(text, src) + _unknown_facts(text, src) + _internal(text, src)
    seen: set[tuple[str, str]] = set()
    out = []
    for w in found:
        if (w.kind, w.text) not in seen:
            seen.add((w.kind, w.text))
            out.append(w)
    order = {w.text: text.find(w.text) for w in out}
    return sorted(out, key=lambda w: order.get(w.text, 0))


def _claims(text: str, names: Sequence[str]) -> dict[str, tuple[set[int], set[str]]]:
    """Per activity mentioned in a sentence: (clock minutes, prices) stated with it."""
    out: dict[str, tuple[set[int], set[str]]] = {}
    for sent in re.split(r"[。！？\n]", text):
        keys = [n for n in names if n and n in sent] or [w for w in _ACTIVITY_WORDS if w in sent]
        if not keys:
            continue
        clocks = _clock_set(sent)
        prices = {m.group("v") or m.group("v2") or m.group("v3") for m in tf.PRICE.finditer(sent)}
        for k in keys[:1]:
            c, p = out.setdefault(k, (set(), set()))
            c.update(clocks)
            p.update(prices)
    return out


def conflicts(texts: Sequence[str], names: Sequence[str] = ()) -> list[list[Warning]]:
    """`conflict` warnings per draft: one group's drafts of one day giving different times or prices for one activity."""
    claims = [_claims(t, names) for t in texts]
    out: list[list[Warning]] = [[] for _ in texts]
    for i, ci in enumerate(claims):
        for j in range(i):
            for key, (clocks, prices) in ci.items():
                if key not in claims[j]:
                    continue
                oc, op = claims[j][key]
                if clocks and oc and not clocks & oc:
                    out[i].append(Warning("conflict", key, f"「{key}」的时间和同一天另一条草稿说的不一样，请统一"))
                if prices and op and not prices & op:
                    out[i].append(Warning("conflict", key, f"「{key}」的价格和同一天另一条草稿说的不一样，请统一"))
    return out


def score_labelled(items: Iterable[dict]) -> dict:
    """Recall, false-alarm rate and kind agreement of the check on labelled texts (evals/freshness.jsonl)."""
    stale = fresh = caught = false_alarms = kind_hits = 0
    misses: list[str] = []
    alarms: list[str] = []
    for item in items:
        src = Sources(
            dt.date.fromisoformat(item["date"]),
            item.get("facts", ""),
            (),
            tuple(x for x in [item.get("internal", "")] if x),
        )
        found = check_text(item["text"], src)
        if item["label"] == "stale":
            stale += 1
            caught += bool(found)
            kind_hits += any(w.kind == item.get("kind") for w in found)
            if not found:
                misses.append(item.get("id", item["text"][:20]))
        else:
            fresh += 1
            false_alarms += bool(found)
            if found:
                alarms.append(f"{item.get('id', '')}:{found[0].kind}:{found[0].text}")
    return {
        "stale": stale,
        "fresh": fresh,
        "recall": round(caught / max(stale, 1), 3),
        "false_alarm_rate": round(false_alarms / max(fresh, 1), 3),
        "kind_agreement": round(kind_hits / max(stale, 1), 3),
        "missed": misses,
        "false_alarms": alarms,
    }
