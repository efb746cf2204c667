"""Dates typed by operators: YYYY-MM-DD, told apart as 'not a date' and 'a day that does not exist'."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from copilot.errors import InputError

_ISO = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")


def parse_day(value: str | None, default: dt.date | None = None) -> dt.date:
    """The date written as 2026-11-30 (or 2026/11/30, 2026年11月30日); empty gives default (today)."""
    text = (value or "").strip()
    if not text:
        return default or dt.date.today()
    m = _ISO.fullmatch(text)
    if not m:
        raise InputError(f"日期「{text}」格式不对，请写成 YYYY-MM-DD，例如 2026-11-30")
    year, month, day = (int(g) for g in m.groups())
    if not 1 <= month <= 12:
        raise InputError(f"{text} 这一天不存在：月份只有 1 到 12")
    last = calendar.monthrange(year, month)[1] if 1 <= year <= 9999 else 31
    if not 1 <= day <= last or not 1 <= year <= 9999:
        raise InputError(f"{text} 这一天不存在：{year} 年 {month} 月只有 {last} 天")
    return dt.date(year, month, day)
