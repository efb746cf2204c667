"""Old posts give voice, not facts: mask the time-bound facts of a past post before any writer sees it.

Masked: explicit dates and weekdays, clock times, prices and discounts, quotas and counts (名额, 第N期, Day N,
订出去 N 个 …), holiday and campaign names, relative days (昨晚, 明早, 这周六 …). Retrieval still uses the whole
post; only what reaches a writer (prompt examples, template material, the avoid list) is masked.
"""

from __future__ import annotations

import re

from copilot import timefacts as tf

PLACEHOLDERS = {
    "date": "〔日期〕",
    "day": "〔某天〕",
    "time": "〔时间〕",
    "price": "〔价格〕",
    "offer": "〔优惠〕",
    "count": "〔数量〕",
    "event": "〔活动〕",
}
_ORDER: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("date", tf.DATE_CN),
    ("date", tf.DATE_NUM),
    ("date", tf.DAY_ONLY),
    ("day", tf.RELATIVE_DAY),
    ("day", tf.WEEKDAY),
    ("time", tf.CLOCK),
    ("price", tf.PRICE),
    ("offer", tf.DISCOUNT),
    ("count", tf.QUOTA),
    ("event", tf.FESTIVAL_WORDS),
    ("event", tf.SEASON_WORDS),
    ("day", tf.MONTH_WORD),
)
_CAMPAIGN = re.compile(r"早鸟|尾款|秒杀|返场|专场|大促|开营|结营|限时")
# Numbered items of one cohort or one sale (2 号样茶, 3 号链接): they meant something only to that day's members.
_NUMBERED = re.compile(r"(?<![\d〕])\d{1,2}\s*号(?=[\u4e00-\u9fff])")


def mask(text: str) -> str:
    """The text with every time-bound fact replaced by a 〔…〕 placeholder."""
    out = text
    for kind, pattern in _ORDER:
        placeholder = PLACEHOLDERS[kind]
        out = pattern.sub(lambda m, p=placeholder, t=out: _sub(m, p, t), out)  # type: ignore[misc]
    out = _CAMPAIGN.sub(PLACEHOLDERS["event"], out)
    out = _NUMBERED.sub(PLACEHOLDERS["count"], out)
    # one placeholder for a run of them (〔某天〕〔时间〕 → 〔时间〕 reads better in an example)
    out = re.sub(r"(?:〔[^〔〕]{1,4}〕\s*){2,}", lambda m: m.group(0).split("〕")[-2] + "〕", out)
    return out


def _sub(m: re.Match[str], placeholder: str, text: str) -> str:
    if m.re is tf.CLOCK and not tf.is_clock(m, text):
        return m.group(0)  # 薄一点, 还有一点 are no clock times
    return _keep_space(m.group(0), placeholder)


def _keep_space(span: str, placeholder: str) -> str:
    if not span.strip():
        return span
    lead = span[: len(span) - len(span.lstrip())]
    return lead + placeholder


def is_evergreen(text: str) -> bool:
    """True when masking changes nothing: the text carries no time-bound fact."""
    return mask(text) == text and not tf.PLACEHOLDER.search(text)


def evergreen_sentences(text: str) -> list[str]:
    """The sentences of a text that carry no time-bound fact."""
    sents = [s.strip() for s in re.split(r"(?<=[。！？～\n])", text) if s.strip()]
    return [s for s in sents if is_evergreen(s)]
