"""A day's plan: what each slot of a group's rhythm becomes once the calendar and the group's lifetime are read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from copilot import timefacts as tf
from copilot.calendar import Active
from copilot.records import Group, Slot

ACTIVITY_TYPES = ("活动预告", "活动提醒")


@dataclass(frozen=True)
class SlotPlan:
    """What one slot of a day becomes once the calendar has been read."""

    slot: Slot
    """The slot of the group's rhythm."""
    content_type: str
    """What to write (an activity slot without an activity becomes another type)."""
    activity: Active | None = None
    """The calendar entry it is about."""
    skip: str = ""
    """Why the slot stays empty (nothing to say that day)."""
    nth: int = 0
    """The how-many-th activity post of the day this slot is (morning, noon, evening wording)."""
    farewell: bool = False
    """The group closes today or tomorrow: this slot says goodbye and points to the next group."""
    preview: bool = False
    """A 公告 announcing an activity that starts tomorrow."""
    type_nth: int = 0
    """The k-th slot of its content type that day, so two 干货 slots of one day never share a post."""
    goodbye: bool = False
    """The group's last slot is the activity's last call: it also says goodbye (the farewell cannot wait)."""


def plan_day(
    group: Group, day: dt.date, active: tuple[Active, ...], tomorrow: tuple[Active, ...] = (), between: bool = False
) -> list[SlotPlan]:
    """Each slot of the group's day: activity slots follow `active` (most urgent first), others keep their type.
    `between`: a class whose cohorts come from the calendar has none running that day, so it stays quiet."""
    if not group.open_on(day.isoformat()):
        why = (
            f"「{group.name}」{group.active_from} 才开群，这一天不起草"
            if group.active_from and day.isoformat() < group.active_from
            else f"「{group.name}」已在 {group.active_until} 解散，这一天不起草"
        )
        return [SlotPlan(s, s.content_type, skip=why) for s in group.slots]
    if between:
        starting = [a for a in tomorrow if a.stage == "进行中"]
        return [
            SlotPlan(s, "公告", starting[0], preview=True)
            if starting and n == len(group.slots) - 1
            else SlotPlan(s, s.content_type, skip=_BETWEEN)
            for n, s in enumerate(group.slots)
        ]
    has_topic = any(s.content_type == "话题" for s in group.slots)
    out: list[SlotPlan] = []
    k = 0
    to_close = (dt.date.fromisoformat(group.active_until) - day).days if group.active_until else 99
    closing = to_close == 0 or (to_close == 1 and not active)  # never in the middle of the activity's big day
    starting = [a for a in tomorrow if a.stage != "进行中" and a.entry.name not in {x.entry.name for x in active}]
    ends_today = [a for a in active if a.days_left == 0]
    for n, s in enumerate(group.slots):
        last_call = closing and n == len(group.slots) - 1 and ends_today and s.content_type in (*ACTIVITY_TYPES, "公告")
        if last_call and not _started(ends_today[0], s):  # the activity's last call, with the goodbye in it
            out.append(SlotPlan(s, s.content_type, ends_today[0], nth=max(k, 2), goodbye=True))  # 抓紧 wording
        elif closing and n == len(group.slots) - 1:  # the group's last days end with a goodbye
            out.append(SlotPlan(s, "其他", farewell=True))
        elif s.content_type == "公告" and not active and starting:  # tomorrow's preview
            out.append(SlotPlan(s, "公告", starting[0], preview=True))
        elif s.content_type == "公告" and not active and group.type == "转化群":
            out.append(SlotPlan(s, s.content_type, skip=_NO_ACTIVITY))
        elif s.content_type in ACTIVITY_TYPES or (s.content_type == "公告" and active):
            if active and k and active[0].stage == "预热" and len(active) == 1:
                if s.content_type == "公告" and active[0].days_to_peak == 1:  # the night before the big day
                    out.append(SlotPlan(s, "公告", active[0], preview=True))
                else:
                    out.append(SlotPlan(s, s.content_type, skip=_WARMUP_ONCE))  # a tease a day; reminders later
            elif active and _started(active[0], s):
                out.append(SlotPlan(s, s.content_type, skip=_LIVE.format(_hhmm(_start(active[0]) or 0))))
            elif active:
                out.append(SlotPlan(s, s.content_type, active[k % len(active)], nth=k // len(active)))
                k += 1
            elif group.type == "转化群":
                out.append(SlotPlan(s, s.content_type, skip=_NO_ACTIVITY))
            elif not has_topic:
                out.append(SlotPlan(s, "话题"))
            else:  # the day already has its lesson and its topic: a second lesson would only crowd the group
                out.append(SlotPlan(s, s.content_type, skip=_QUIET))
        else:
            out.append(SlotPlan(s, s.content_type))
    seen: dict[str, int] = {}
    numbered = []
    for p in out:  # slots come sorted by time
        numbered.append(replace(p, type_nth=seen.get(p.content_type, 0)))
        seen[p.content_type] = seen.get(p.content_type, 0) + 1
    return numbered


def _start(a: Active) -> int | None:
    """The minute of day a one-day 爆破 starts, when its facts name a clock time."""
    if a.stage != "爆破" or a.days_to_peak != 0:
        return None
    peak = [(first, last) for name, first, last in a.entry.stages if name == "爆破"]
    if not peak or peak[0][0] != peak[0][1]:
        return None
    return tf.start_minutes(a.entry.facts)


def _started(a: Active, slot: Slot) -> bool:
    start = _start(a)
    return start is not None and tf.minute_of_day(slot.time) >= start


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


_LIVE = "活动 {} 已经开始：这个时段留给现场，群里的消息请按现场情况发（比如开播提醒、抽奖结果）。"
_BETWEEN = (
    "两期之间：活动日历里这个学习群今天没有在进行的一期，这一天不起草（学员结营后一般已经转去别的群）。"
    "下一期加进「活动日历」后，开营前一晚会发预告，开营当天起恢复每天的内容。"
)
_QUIET = (
    "活动日历里今天没有这个群的活动：这个活动时段空着，一天一条干货、一条话题就够，不刷屏。"
    "要发活动，请先在「活动日历」里添加。"
)
_WARMUP_ONCE = "活动还在预热阶段：一天发一条预告就够，早中晚的反复提醒留到活动临近的那几天，这个时段空着。"
FAREWELL_GUIDE = (
    "这个群快要解散了（{g.active_until}），写一条告别：谢谢大家这段时间的参与，说清楚之后去「{g.moves_to}」找你，"
    "温暖简短，不再推销，60-150 字。"
)
_NO_ACTIVITY = (
    "活动日历里今天没有这个群的活动：转化群只发和活动有关的消息，这个时段空着。要发活动，请先在「活动日历」里添加。"
)
