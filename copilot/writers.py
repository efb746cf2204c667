"""The writer seam: one frozen context in, written text out, for both the LLM writer and the template writer.

The drafter gathers everything a draft may use (group, date, slot, the calendar entries running that day with their
stage, masked examples, the operator's notes, what to avoid) into a `DraftContext`; a `Writer` turns it into text.
Rules every output must keep are enforced once, in `finish`, whichever writer wrote it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from copilot.calendar import STAGE_HINTS, Active
from copilot.fresh import EDITOR_NOTE
from copilot.mask import mask
from copilot.records import Group, Hit, Persona

# What each slot is for, in one line (the LLM prompt's guide; the template writer has its own files).
SLOT_GUIDES: dict[str, str] = {
    "早安": "开启一天：问好、一句和季节或日常有关的话，轻松不说教，80-150 字。",
    "干货": "讲一个具体、马上用得上的专业知识点，用亲身经验或真实细节支撑，结尾邀请提问，120-250 字。",
    "话题": "抛出一个人人能接的话题，先说自己的小故事，再用一个好回答的问题收尾，80-180 字。",
    "活动预告": "按活动所处阶段预告：是什么、什么时候、给谁、有什么好处、怎么参加，制造期待但不夸大，100-200 字。",
    "活动提醒": "按活动所处阶段提醒：时间、参与方式、截止时间，简短有力，60-150 字。",
    "晚安": "收尾一天：一句走心的话，道晚安，60-140 字。",
    "自我介绍": "以第一人称介绍自己，按我是谁、我的品牌、我能给你什么、为什么信我。",
    "群规": "用群主口吻重申几条群规，清楚友好。",
    "欢迎": "欢迎新成员，引导改昵称和自我介绍。",
    "公告": "发一条群公告：活动日历里的活动，或一条规则提醒，适合置顶。",
    "其他": "写一条符合人设的群消息。",
}
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


@dataclass(frozen=True)
class Example:
    """A past post as a writer may see it: voice kept, time-bound facts masked."""

    id: str
    """Post id."""
    text: str
    """The masked text."""
    content_type: str
    """Content type."""
    topic_type: str = ""
    """Topic type, if any."""
    replies: int = 0
    """Replies it got."""
    reactions: int = 0
    """Reactions it got."""
    signups: int = 0
    """Sign-ups it got."""
    month: int = 0
    """Month it was posted in (0: unknown), so a season's post waits for its season."""
    group: str = ""
    """The group it was posted in (empty: brand-wide)."""

    @classmethod
    def of(cls, hit: Hit) -> Example:
        """Mask a retrieved post."""
        p = hit.post
        month = int(p.date[5:7]) if re.match(r"^\d{4}-\d{2}", p.date or "") else 0
        return cls(p.id, mask(p.text), p.content_type, p.topic_type, p.replies, p.reactions, p.signups, month, p.group)


@dataclass(frozen=True)
class DraftContext:
    """Everything one draft may use; facts come only from `activities`, `notes` and the persona."""

    kind: str
    """day | intro | topic | script | rewrite."""
    persona: Persona
    """The persona (its facts and voice markers)."""
    group: Group | None = None
    """The group the draft is for."""
    date: dt.date | None = None
    """The day the draft is for."""
    slot_time: str = ""
    """HH:MM of a day slot."""
    content_type: str = ""
    """What to write: 早安, 干货 … (for a day slot, after the calendar decided)."""
    activities: tuple[Active, ...] = ()
    """Calendar entries running that day for the group, with their stage."""
    activity: Active | None = None
    """The entry an activity slot is about (None for other slots)."""
    examples: tuple[Example, ...] = ()
    """Masked past posts, best first."""
    notes: str = ""
    """The operator's facts for the day."""
    avoid: tuple[str, ...] = ()
    """Gists of recent drafts not to repeat (masked)."""
    avoid_sources: frozenset[str] = frozenset()
    """Post ids recent drafts were built on."""
    index: int = 0
    """Rotation salt (day, slot, version) so templates vary."""
    topic_type: str = ""
    """One of the seven topic types."""
    event: str = ""
    """The event a 热点事件 topic is about."""
    n: int = 1
    """How many topics."""
    script_kind: str = ""
    """群规, 群公告, 欢迎语, 发售 …"""
    details: str = ""
    """Operator-supplied details for a script."""
    text: str = ""
    """The text to rewrite."""
    variant: int = 0
    """Intro variant: 0 完整版, 1 欢迎版, 2 名片版."""
    guide: str = ""
    """One line on what this kind of post is for."""
    extra: dict = field(default_factory=dict)
    """Writer-specific values (kept out of equality)."""

    @property
    def weekday(self) -> str:
        """周一 … 周日 of the date."""
        return WEEKDAYS[self.date.weekday()] if self.date else ""

    def activity_lines(self) -> list[str]:
        """The running activities as lines for a prompt: name, stage and what it means, facts verbatim."""
        out = []
        for a in self.activities:
            e = a.entry
            left = f"，离结束还有 {a.days_left} 天" if a.days_left else "，今天是最后一天"
            out.append(
                f"{e.name}（{e.start.month}月{e.start.day}日～{e.end.month}月{e.end.day}日；今天处于「{a.stage}」阶段："
                f"{STAGE_HINTS.get(a.stage, '')}{left}）事实：{e.facts or '（无）'}"
            )
        return out


@dataclass(frozen=True)
class Written:
    """What a writer produced for one draft."""

    text: str
    """Member-facing text."""
    prompt: str
    """Prompt or template name@version."""
    sources: tuple[str, ...] = ()
    """Ids of the past posts it drew on."""
    prompt_tokens: int = 0
    """Prompt tokens."""
    completion_tokens: int = 0
    """Completion tokens."""
    changes: tuple[str, ...] = ()
    """Explanations of voice changes."""
    note: str = ""
    """For the operator only: never inside `text`."""


@dataclass(frozen=True)
class TopicText:
    """One topic's parts as written."""

    title: str
    """Short name."""
    opening: str
    """The host's opening post."""
    follow_ups: tuple[str, ...]
    """Follow-up prompts."""
    summary: str
    """Closing summary."""


class Writer(Protocol):
    """Both ways of writing stand behind this protocol; the composition root picks one."""

    @property
    def model(self) -> str:
        """Model label shown on drafts (`template` for the offline writer)."""
        ...

    def slot(self, ctx: DraftContext) -> Written:
        """One day slot."""
        ...

    def stream(self, ctx: DraftContext) -> Iterator[str | Written]:
        """One day slot, yielding the growing text, then the Written."""
        ...

    def intro(self, ctx: DraftContext) -> Written:
        """One IP self-introduction variant (ctx.variant)."""
        ...

    def topics(self, ctx: DraftContext) -> tuple[list[TopicText], Written]:
        """ctx.n topics of ctx.topic_type, with shared provenance."""
        ...

    def script(self, ctx: DraftContext) -> Written:
        """A group script (群规, 群公告, 欢迎语, activity scripts, run sheet)."""
        ...

    def rewrite(self, ctx: DraftContext) -> Written:
        """ctx.text in the persona's voice."""
        ...


def clean_completion(text: str) -> str:
    """Strip code fences, a chatty preamble line and stray quotes from a model's answer."""
    text = text.strip()
    text = re.sub(r"^```\w*\n?|\n?```$", "", text).strip()
    lines = text.splitlines()
    if len(lines) > 1 and re.match(r"^(好的|当然|以下是|下面是)[^。\n]{0,30}[：:]$", lines[0].strip()):
        text = "\n".join(lines[1:]).strip()
    return text.strip('"“”')


def finish(written: Written, persona: Persona | None = None) -> Written:
    """Rules every output keeps: editor notes move out of the text into `note`; the persona rules of rules.py."""
    from copilot.rules import enforce

    text = written.text
    notes = [written.note] if written.note else []
    for m in EDITOR_NOTE.finditer(text):  # the same notes the freshness check calls internal
        notes.append(m.group(0).strip())
    text = EDITOR_NOTE.sub("", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    text = re.sub(r"。，|，。", "。", text)
    text = re.sub(r"，{2,}", "，", text)
    if persona is not None:
        text = enforce(text, persona)
    return Written(
        text.strip(),
        written.prompt,
        written.sources,
        written.prompt_tokens,
        written.completion_tokens,
        written.changes,
        "\n".join(dict.fromkeys(n for n in notes if n)),
    )
