"""Time-bound facts in Chinese group posts: the patterns shared by masking (old posts) and the freshness check.

Everything here is plain regular expressions over the text as written in chats: 11月25日, 11 月 25 日, 11月25号,
11.25, 12/5, 周五 / 星期五 / 礼拜五, 晚上 8 点, 20:00, 99 元, ¥99, 名额, 第 9 期, Day 7, 订出去 43 个 …
"""

from __future__ import annotations

import datetime as dt
import re

CN_NUM = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
WEEKDAY_CHARS = "一二三四五六日天"
_N = r"[0-9０-９]{1,2}"
_CN = r"[一二三四五六七八九十两]{1,3}"

# 2026年11月25日 / 11 月 25 日 / 11月25号 / 十一月二十五日
DATE_CN = re.compile(rf"(?:(?P<y>\d{{4}})\s*年\s*)?(?P<m>{_N}|{_CN})\s*月\s*(?P<d>{_N}|{_CN})\s*(?:日|号)")
# 11.25 / 12/5 (not a price such as 9.9 元, not a version or a decimal)
DATE_NUM = re.compile(
    r"(?<![\d.¥￥/])(?P<m>1[0-2]|0?[1-9])\s*[./]\s*(?P<d>3[01]|[12]\d|0?[1-9])(?![\d.%％/])"
    r"(?!\s*(?:元|块|万|千|克|斤|两|折|倍|度|升|米|公里|分|秒|小时|个|g|kg|ml|L|寸|码|号样))"
)
# a deadline given as a bare day of this month: 到 25 号 / 25 号截止
DAY_ONLY = re.compile(
    rf"(?:(?:到|至|截至|截止到?|等到|就是|在|于)\s*(?P<d>{_N})\s*号(?!样|线|楼|桌|茶|杯|罐))"
    rf"|(?:(?<![月\d])(?P<d2>{_N})\s*号\s*(?=截止|结束|开始|之前|以前|前|当天|晚上|中午|上午|早上))"
)
WEEKDAY = re.compile(rf"(?:周|星期|礼拜)(?P<w>[{WEEKDAY_CHARS}])")
RELATIVE_WEEKDAY = re.compile(
    rf"(?P<rel>今天|明天|后天|昨天)\s*(?:是|就是)?\s*(?:[^\s，。！？、\d]{{1,4}}?\s*)?(?:周|星期|礼拜)(?P<w>[{WEEKDAY_CHARS}])"
)
# a weekday said before its date: 这周三 7月23日 / 下周一 2月23日 / 本周日（11/16）
WEEKDAY_BEFORE = re.compile(rf"(?:周|星期|礼拜)(?P<w>[{WEEKDAY_CHARS}])\s*[（(]?\s*$")
RELATIVE_DAY = re.compile(
    r"(?:今天|明天|后天|昨天|前天|今晚|明晚|昨晚|明早|今早|明儿|这周|本周|下周|上周|这个?周末|下个?周末|上个?周末|"
    r"这两天|前两天|前几天|这几天|今年|去年|明年|上个月|下个月|本月|这个月|周末)"
    rf"(?:[上中下]午|晚上|早上|傍晚|凌晨|夜里)?(?:(?:周|星期|礼拜)[{WEEKDAY_CHARS}])?"
)
CLOCK = re.compile(
    rf"(?P<pre>早上|上午|中午|下午|傍晚|晚上|今晚|明晚|昨晚|明早|今早|凌晨|夜里|晚)?\s*"
    rf"(?:(?P<h>{_N})\s*[:：]\s*(?P<mm>[0-5]\d)|(?P<h2>{_N}|[一二三四五六七八九十两]{{1,3}})\s*点\s*(?P<half>半|(?P<m2>[0-5]?\d)\s*分?)?)"
)
PRICE = re.compile(
    r"[¥￥]\s?(?P<v>\d+(?:\.\d+)?)|(?P<v2>\d+(?:\.\d+)?)\s*(?:元|块钱|块(?![茶饼砖]))"
    r"|(?:日常价|原价|现价|售价|团购价|到手价?|活动价|直播价|早鸟价|只要|仅需?)\s*[:：]?\s*(?P<v3>\d+(?:\.\d+)?)"
)
DISCOUNT = re.compile(
    r"(?:\d+(?:\.\d+)?\s*折)|(?:满\s*\d+\s*(?:元)?\s*(?:减|送|返))|(?:(?:减|立减|抵|返)\s*\d+(?:\.\d+)?\s*(?:元|块)?)|定金"
)
QUOTA = re.compile(
    r"名额"
    r"|第\s*(?P<cohort>\d+|[一二三四五六七八九十]{1,3})\s*期|(?<![\d.])(?P<cohort2>\d+)\s*期(?=的|学员|同学|营|打卡)"
    r"|[Dd]ay\s*(?P<dayn>\d+)|[Ww]eek\s*\d+"
    r"|(?:限购?|前|剩下?|还剩|只剩|仅剩|满|抽|订出去|卖出去?|接到|接了)\s*(?P<q>\d+)"
    r"(?!\s*(?:个月|个小时|分钟|小时|天|秒|周|岁|周岁|年|度|克|公斤|斤|次|组|[.\d]))\s*(?:个|位|份|单|人|名|件|套|只)?"
    r"|(?P<q2>\d+)\s*(?:位|个|人|单|份|名)\s*(?:茶友|同学|朋友|家人们?|宝妈|会员)?\s*(?:已经?)?"
    r"(?:中奖|报名|下单|接龙|预约|下了?定金?|付了?款|成团|打卡|参加|获奖|下定|抢到)"
    r"|(?:已经|已)\s*有?\s*(?P<q3>\d+)\s*(?:位|个|人|单)"
    r"|(?P<q4>\d+)\s*多?\s*(?:位|单|名)(?!师傅|老师)"
)
FESTIVALS_FIXED: dict[str, tuple[int, int]] = {
    "元旦": (1, 1),
    "情人节": (2, 14),
    "妇女节": (3, 8),
    "女神节": (3, 8),
    "清明": (4, 5),
    "劳动节": (5, 1),
    "五一": (5, 1),
    "儿童节": (6, 1),
    "六一": (6, 1),
    "618": (6, 18),
    "教师节": (9, 10),
    "国庆": (10, 1),
    "十一黄金周": (10, 1),
    "双十一": (11, 11),
    "双11": (11, 11),
    "双十二": (12, 12),
    "双12": (12, 12),
    "平安夜": (12, 24),
    "圣诞": (12, 25),
    "冬至": (12, 21),
    "立春": (2, 4),
    "惊蛰": (3, 5),
    "春分": (3, 20),
    "谷雨": (4, 20),
    "立夏": (5, 5),
    "芒种": (6, 6),
    "夏至": (6, 21),
    "小暑": (7, 7),
    "大暑": (7, 22),
    "立秋": (8, 7),
    "处暑": (8, 23),
    "白露": (9, 7),
    "秋分": (9, 23),
    "寒露": (10, 8),
    "霜降": (10, 23),
    "立冬": (11, 7),
    "小寒": (1, 5),
    "大寒": (1, 20),
}
SOLAR_TERMS = ("立春", "惊蛰", "春分", "谷雨", "立夏", "芒种", "夏至", "小暑", "大暑", "立秋", "处暑", "白露", "秋分",
               "寒露", "霜降", "立冬", "冬至", "小寒", "大寒")  # fmt: skip
# (days before, days after) a festival during which talking about it fits; the default is (30, 2)
FESTIVAL_WINDOWS = {"春节": (45, 15), "过年": (45, 15), "年货": (45, 10), "拜年": (20, 15), "春联": (30, 3),
                    "国庆": (30, 9), "十一黄金周": (30, 9), "五一": (30, 6), "劳动节": (30, 6), "元宵": (20, 2)}  # fmt: skip
# Lunar festivals by Gregorian date (2024-2030).
_SPRING = {2024: (2, 10), 2025: (1, 29), 2026: (2, 17), 2027: (2, 6), 2028: (1, 26), 2029: (2, 13), 2030: (2, 3)}
_MID_AUTUMN = {2024: (9, 17), 2025: (10, 6), 2026: (9, 25), 2027: (9, 15), 2028: (10, 3), 2029: (9, 22), 2030: (9, 12)}
_DRAGON = {2024: (6, 10), 2025: (5, 31), 2026: (6, 19), 2027: (6, 9), 2028: (5, 28), 2029: (6, 16), 2030: (6, 5)}
_QIXI = {2024: (8, 10), 2025: (8, 29), 2026: (8, 19), 2027: (8, 8), 2028: (8, 26), 2029: (8, 16), 2030: (8, 5)}
FESTIVALS_LUNAR: dict[str, tuple[dict[int, tuple[int, int]], int]] = {
    "春节": (_SPRING, 0),
    "过年": (_SPRING, 0),
    "除夕": (_SPRING, -1),
    "年夜饭": (_SPRING, -1),
    "拜年": (_SPRING, 0),
    "春联": (_SPRING, -1),
    "年货": (_SPRING, -10),
    "元宵": (_SPRING, 14),
    "汤圆": (_SPRING, 14),
    "腊八": (_SPRING, -22),
    "中秋": (_MID_AUTUMN, 0),
    "月饼": (_MID_AUTUMN, 0),
    "端午": (_DRAGON, 0),
    "粽子": (_DRAGON, 0),
    "七夕": (_QIXI, 0),
}
# Season words and the months they fit.
SEASON_MONTHS: dict[str, tuple[int, ...]] = {
    "开学季": (8, 9, 2, 3),
    "开学": (8, 9, 2, 3),
    "暑假": (6, 7, 8),
    "寒假": (1, 2),
    "秋老虎": (8, 9),
    "三伏": (7, 8),
    "伏天": (7, 8),
    "入伏": (7,),
    "解暑": (6, 7, 8, 9),
    "酷暑": (6, 7, 8),
    "盛夏": (6, 7, 8),
    "梅雨": (6, 7),
    "入秋": (8, 9, 10),
    "秋天到了": (8, 9, 10),
    "秋高气爽": (9, 10, 11),
    "入冬": (11, 12),
    "冬天到了": (11, 12, 1),
    "开春": (2, 3, 4),
    "春天到了": (2, 3, 4),
    "春暖花开": (3, 4, 5),
    "入夏": (5, 6),
    "夏天到了": (5, 6, 7),
    "年底": (11, 12),
    "年关": (12, 1, 2),
    "年前": (12, 1, 2),
    "年末": (11, 12),
    "跨年": (12, 1),
}
MONTH_WORD = re.compile(
    r"(?<![\d年])(?P<m>十[一二]|[一二三四五六七八九十])月(?!\s*(?:\d|[一二三四五六七八九十两]+\s*[日号]))(?!份)"
)
PLACEHOLDER = re.compile(r"〔[^〔〕]{1,8}〕")


def cn_int(text: str) -> int:
    """Arabic or Chinese numerals up to 99 (full-width digits included)."""
    text = text.strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if "十" in text:
        a, _, b = text.partition("十")
        return (CN_NUM.get(a, 1) if a else 1) * 10 + (CN_NUM.get(b, 0) if b else 0)
    return CN_NUM.get(text, 0)


def resolve(month: int, day: int, ref: dt.date, year: int | None = None) -> dt.date | None:
    """The date meant by month/day near a reference day (the year closest to it), or None when invalid."""
    if year:
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    best = None
    for y in (ref.year - 1, ref.year, ref.year + 1):
        try:
            cand = dt.date(y, month, day)
        except ValueError:
            continue
        if best is None or abs((cand - ref).days) < abs((best - ref).days):
            best = cand
    return best


def dates_in(text: str, ref: dt.date) -> list[tuple[dt.date | None, int, int]]:
    """(date or None when impossible, start, end) of every explicit date in text."""
    out: list[tuple[dt.date | None, int, int]] = []
    taken: list[tuple[int, int]] = []
    for m in DATE_CN.finditer(text):
        y = int(m.group("y")) if m.group("y") else None
        out.append((resolve(cn_int(m.group("m")), cn_int(m.group("d")), ref, y), m.start(), m.end()))
        taken.append((m.start(), m.end()))
    for m in DATE_NUM.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        out.append((resolve(int(m.group("m")), int(m.group("d")), ref), m.start(), m.end()))
    for m in DAY_ONLY.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        d = int(m.group("d") or m.group("d2"))
        try:
            out.append((dt.date(ref.year, ref.month, d), m.start(), m.end()))
        except ValueError:
            out.append((None, m.start(), m.end()))
    return sorted(out, key=lambda x: x[1])


def is_clock(m: re.Match[str], text: str) -> bool:
    """A CLOCK match that is a time of day: 一点点 and 两点建议 are not, 八点半 and 晚上两点 are."""
    return bool(
        m.group("h") is not None
        or m.group("pre")
        or re.search(r"点\s*(?:半|\d|钟|开始|开播|截止|见|准时|整)", m.group(0) + text[m.end() : m.end() + 2])
    )


def deadline_minutes(text: str) -> int | None:
    """The minute of day of the first deadline in a text (截止 …晚上 10 点, 晚上 9 点前), or None."""
    return _first_clock(text, deadline=True)


def start_minutes(text: str) -> int | None:
    """The minute of day the first unambiguous clock time in a text names (晚上 8 点 → 1200), or None; deadlines
    (晚上 9 点前下单, 截止 12 月 6 日晚上 10 点) are not when something starts."""
    return _first_clock(text, deadline=False)


def _first_clock(text: str, deadline: bool) -> int | None:
    for m in CLOCK.finditer(text):
        before = re.split(r"[；;。，,\n]", text[max(m.start() - 14, 0) : m.start()])[-1]
        due = bool(
            re.match(r"\s*(?:前|之前|以前|截止|为止)", text[m.end() : m.end() + 3]) or re.search(r"截止|截至", before)
        )
        if due == deadline and is_clock(m, text):
            options = clock_minutes(m)
            if len(options) == 1:
                return options[0]
    return None


def minute_of_day(hhmm: str) -> int:
    """HH:MM as the minute of the day: 20:30 → 1230."""
    h, m = (int(x) for x in hhmm.split(":"))
    return h * 60 + m


def clock_minutes(m: re.Match[str]) -> tuple[int, ...]:
    """The minutes-of-day a clock match may mean (8 点 without 晚上 may be 8:00 or 20:00)."""
    if m.group("h") is not None:
        h, mm = cn_int(m.group("h")), int(m.group("mm"))
    else:
        h = cn_int(m.group("h2"))
        mm = 30 if m.group("half") == "半" else (int(m.group("m2")) if m.group("m2") else 0)
    pre = m.group("pre") or ""
    if pre in ("下午", "傍晚", "晚上", "今晚", "明晚", "昨晚", "晚", "夜里") and h < 12:
        return ((h + 12) * 60 + mm,)
    if h <= 12 and not pre:
        return (h * 60 + mm, ((h + 12) % 24) * 60 + mm)
    return (h * 60 + mm,)


def festival_date(word: str, ref: dt.date) -> dt.date | None:
    """The occurrence of a festival nearest to ref."""
    cands = []
    if word in FESTIVALS_FIXED:
        m, d = FESTIVALS_FIXED[word]
        cands = [dt.date(y, m, d) for y in (ref.year - 1, ref.year, ref.year + 1)]
    elif word in FESTIVALS_LUNAR:
        table, offset = FESTIVALS_LUNAR[word]
        cands = [
            dt.date(y, *table[y]) + dt.timedelta(days=offset)
            for y in (ref.year - 1, ref.year, ref.year + 1)
            if y in table
        ]
    if not cands:
        return None
    return min(cands, key=lambda c: abs((c - ref).days))


FESTIVAL_WORDS = re.compile(
    "|".join(sorted(map(re.escape, [*FESTIVALS_FIXED, *FESTIVALS_LUNAR]), key=len, reverse=True))
)
SEASON_WORDS = re.compile("|".join(sorted(map(re.escape, SEASON_MONTHS), key=len, reverse=True)))
