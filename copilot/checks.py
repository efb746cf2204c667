"""Compliance checks for drafts: 广告法 absolute terms, sensitive words and the persona's taboo words.

Checks warn, they never block: `check` returns flags with offsets and a softer alternative, and never raises
on flagged text. Matching is literal (no segmentation model), so the exemptions below are what keeps ordinary
words from being flagged:

- 最近 / 最后 / 最终 / 最初 / 最早 / 最晚 / 最少 / 最多 / 最先 / 最起码 are ordinary words (time, order and
  quantity limits such as "每人最多 2 份"), not superlative claims.
- 最佳食用 / 最佳赏味 / 最佳饮用 / 最佳品饮 are product-label wording (最佳赏味期), not claims.
- 最好别 / 最好不要 / 最好先 are advice ("had better"), not "the best". Bare 最好 is still flagged.
- 第一 followed by a classifier (第一次 / 第一天 / 第一步 / 第一泡 / 第一期 …) or in 第一时间 / 第一手 is an
  ordinal, not a ranking. 第一名 / 全国第一 / bare 第一 are flagged.
- 唯一 is always flagged, even in "唯一的要求是": it cannot be told apart from "唯一正品" without reading the
  sentence, and a warning costs the operator a glance while a missed claim can cost a fine.
- Any other 最 followed by something (最香 / 最甜 / 最划算) is flagged on the character 最.

The same exemptions apply to taboo and sensitive words, so a persona that bans 第一 is not warned about 第一次.
A one-character taboo word (e.g. 亲) only matches when it stands alone or as 亲们, not inside 亲自 or 母亲.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from copilot.errors import InputError

log = logging.getLogger(__name__)

KINDS = ("广告法", "敏感词", "人设禁用词")
SENSITIVE_FILENAME = "sensitive_words.txt"

# Term → softer alternatives (empty when the honest fix is to delete the claim or prove it).
ALTERNATIVES: dict[str, tuple[str, ...]] = {
    "最": ("很", "特别"),
    "最好": ("很好", "更适合"),
    "最佳": ("很好", "更合适"),
    "最优": ("更优", "优选"),
    "最强": ("很强", "更强"),
    "最大": ("很大", "更大"),
    "最高": ("很高", "较高"),
    "最低": ("很低", "较低"),
    "最新": ("新款", "新近"),
    "最先进": ("先进", "较先进"),
    "第一": ("领先", "头一批"),
    "唯一": ("少有", "难得"),
    "首个": ("较早的", "早期"),
    "首选": ("优选", "推荐"),
    "独家": ("特色", "自家"),
    "国家级": (),
    "世界级": ("高水准",),
    "顶级": ("高端", "上等"),
    "顶尖": ("出色", "优秀"),
    "极品": ("上品", "精品"),
    "极致": ("用心", "讲究"),
    "万能": ("多用途", "百搭"),
    "100%": (),
    "100％": (),
    "百分百": (),
    "百分之百": (),
    "绝对": ("真的", "确实"),
    "永久": ("长期", "持久"),
    "王牌": ("招牌", "主打"),
    "史无前例": ("少见", "难得一见"),
    "全网最低": ("优惠价", "实惠"),
    "销量冠军": ("卖得好", "热销"),
}
ABSOLUTE_TERMS: tuple[str, ...] = tuple(ALTERNATIVES)

_ORDINAL_AFTER_第一 = "次天步泡期周节课讲章段轮场晚站口杯遍条点年季集篇页关号单"
EXEMPTIONS: tuple[str, ...] = (
    *("最近", "最后", "最终", "最初", "最早", "最晚", "最少", "最多", "最先", "最起码"),
    *("最佳食用", "最佳赏味", "最佳饮用", "最佳品饮"),
    *("最好别", "最好不要", "最好先"),
    *(f"第一{c}" for c in _ORDINAL_AFTER_第一),
    *("第一时间", "第一手", "第一百", "第一千", "第一万"),
)

# Why a claim without an alternative is still a problem, and what to do instead.
_NO_ALTERNATIVE = {
    "国家级": "除非有官方认定文件，否则请删掉",
    "100%": "请删掉，或换成有出处的具体数据",
}


@dataclass(frozen=True)
class Flag:
    """One compliance warning in a draft."""

    kind: str
    """广告法 | 敏感词 | 人设禁用词."""
    term: str
    """The flagged term as it appears in the text."""
    start: int
    """Character offset of the term's first character."""
    end: int
    """Character offset just past the term (text[start:end] == term)."""
    message: str
    """What is wrong and what to write instead, in Chinese."""
    suggestion: str = ""
    """The first softer alternative, or empty when none fits."""


def load_sensitive_words(path: Path | str) -> tuple[str, ...]:
    """Words from a UTF-8 file, one a line; blank lines and '#' comments are skipped, duplicates dropped."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(f"读不了敏感词文件：{exc.strerror or exc}", file=str(p)) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("敏感词文件不是 UTF-8 编码，请另存为 UTF-8", file=str(p), line=line) from exc
    words = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return tuple(dict.fromkeys(w for w in words if w))


def workspace_sensitive_words(home: Path) -> tuple[str, ...]:
    """The workspace's own list (`<COPILOT_HOME>/sensitive_words.txt`), or () when there is none."""
    path = Path(home) / SENSITIVE_FILENAME
    return load_sensitive_words(path) if path.is_file() else ()


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _exempt_len(text: str, i: int) -> int:
    """Length of the longest exemption starting at i (0 when none)."""
    return max((len(e) for e in EXEMPTIONS if text.startswith(e, i)), default=0)


def _snippet(text: str, i: int) -> str:
    """最 plus up to three following CJK characters, for the message."""
    j = i + 1
    while j < len(text) and j < i + 4 and _is_cjk(text[j]) and text[j] != "最":
        j += 1
    return text[i:j]


def _ad_message(term: str, text: str, start: int) -> tuple[str, str]:
    alts = ALTERNATIVES.get(term, ())
    if term == "最":
        snippet = _snippet(text, start)
        rest = snippet[1:]
        if rest:
            better = "或".join(f"「{a}{rest}」" for a in alts)
            return f"「{snippet}」里的「最」是绝对化用语，建议改为{better}，或去掉「最」", alts[0]
        return "「最」是绝对化用语，建议去掉或改为「很」", alts[0]
    head = f"「{term}」是广告法禁止的绝对化用语"
    if alts:
        return f"{head}，建议改为{'或'.join(f'「{a}」' for a in alts)}", alts[0]
    key = "100%" if term in ("100％", "百分百", "百分之百") else term
    return f"{head}，{_NO_ALTERNATIVE.get(key, '请删掉或改用具体事实')}", ""


def _absolute_flags(text: str) -> list[Flag]:
    terms = sorted(ABSOLUTE_TERMS, key=len, reverse=True)
    flags: list[Flag] = []
    i = 0
    while i < len(text):
        term = next((t for t in terms if text.startswith(t, i)), "")
        exempt = _exempt_len(text, i)
        if exempt and exempt >= len(term):
            i += exempt
            continue
        if term:
            end = i + len(term)
            message, suggestion = _ad_message(term, text, i)
            flags.append(Flag("广告法", text[i:end], i, end, message, suggestion))
            i = end
        else:
            i += 1
    return flags


def _standalone(text: str, start: int, end: int) -> bool:
    """One-character words match only when not glued to other Chinese characters (亲，/ 亲们, not 亲自)."""
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return not (before and _is_cjk(before)) and (not after or not _is_cjk(after) or after == "们")


def _word_flags(text: str, words: Iterable[str], kind: str) -> list[Flag]:
    words = sorted({w.strip() for w in words if w and w.strip()}, key=len, reverse=True)
    if not words:
        return []
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    flags: list[Flag] = []
    for m in pattern.finditer(text):
        term, start, end = m.group(), m.start(), m.end()
        if _exempt_len(text, start) > len(term):
            continue
        if len(term) == 1 and _is_cjk(term) and not _standalone(text, start, end):
            continue
        if kind == "敏感词":
            message = f"「{term}」在敏感词表里，请删掉或换个说法"
        else:
            message = f"「{term}」是人设禁用词，请换成人设自己的说法"
        alts = ALTERNATIVES.get(term, ())
        if alts:
            message += f"，比如{'或'.join(f'「{a}」' for a in alts)}"
        flags.append(Flag(kind, term, start, end, message, alts[0] if alts else ""))
    return flags


def check(text: str, taboo: Iterable[str] = (), sensitive: Iterable[str] = ()) -> tuple[Flag, ...]:
    """All flags in text, in reading order; one flag per span (广告法 before 敏感词 before 人设禁用词)."""
    found = _absolute_flags(text) + _word_flags(text, sensitive, "敏感词") + _word_flags(text, taboo, "人设禁用词")
    by_span: dict[tuple[int, int], Flag] = {}
    for flag in found:  # already in priority order, so the first flag for a span wins
        by_span.setdefault((flag.start, flag.end), flag)
    flags = tuple(sorted(by_span.values(), key=lambda f: (f.start, f.end)))
    if flags:
        log.debug("合规检查：%d 处提示", len(flags))
    return flags


def flag_labels(flags: Iterable[Flag]) -> tuple[str, ...]:
    """Short Chinese labels for display, e.g. 广告法：最好（建议改为「很好」）; repeated labels shown once."""
    labels = (f"{f.kind}：{f.term}" + (f"（建议改为「{f.suggestion}」）" if f.suggestion else "") for f in flags)
    return tuple(dict.fromkeys(labels))
