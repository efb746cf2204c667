"""The drafter: gathers what each draft may use into a DraftContext, hands it to the writer, checks what came back.

Day plans follow the activity calendar: activity slots are written from the entry running that day and its stage;
on a day without one they become a content type that suits the group, or stay empty with the reason on the card.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from copilot.calendar import Active, Calendar
from copilot.dayplan import ACTIVITY_TYPES, FAREWELL_GUIDE, SlotPlan, plan_day
from copilot.errors import CopilotError, InputError, LLMError, NothingNew
from copilot.fresh import Warning, check_text, conflicts, sources_for
from copilot.mask import mask
from copilot.records import TOPIC_TYPES, Draft, Group, Persona, Slot, Topic
from copilot.retrieve import HybridRetriever
from copilot.rewrite import rewrite_result
from copilot.template_writer import TEMPLATE_MODEL
from copilot.writers import SLOT_GUIDES, DraftContext, Example, Writer, Written, finish

log = logging.getLogger(__name__)
__all__ = ["TEMPLATE_MODEL", "Draft", "Topic", "DayContext", "Drafter", "SCRIPT_KINDS", "rewrite_result"]

SCRIPT_KINDS = ("群规", "群公告", "欢迎语", "发售", "接龙", "抽奖", "直播", "直播流程")
INTRO_TITLES = ("完整版", "欢迎版", "名片版")
# Topic types a day slot can open without the operator supplying an event or checking facts about companies.
DAY_TOPIC_TYPES = ("情怀共鸣", "成长经历", "社群自带", "八卦")
IDLE_TOPIC_TYPES = ("八卦", "情怀共鸣", "成长经历", "社会民生")  # chit-chat a 转化群 does not open
_STAGE_RANK = {"爆破": 0, "拉升": 1, "预热": 2, "进行中": 3}


@dataclass(frozen=True)
class DayContext:
    """What the last week and the operator add to drafting a day."""

    recent_sources: frozenset[str] = frozenset()
    """Post ids the last 7 days' drafts were built on (the template writer picks others)."""
    recent_subjects: tuple[str, ...] = ()
    """Gists of the last 7 days' drafts, which the model is told not to repeat."""
    notes: str = ""
    """Today's facts from the operator (activity time, price, notices): they win over the calendar's."""
    source_age: Mapping[str, int] = field(default_factory=dict)
    """Days since each past post was last drafted on (this group, or another group in the last 3 days)."""
    said: tuple[tuple[int, str], ...] = ()
    """(days ago, text) of what this group posted in the last months and the other groups lately: not to repeat."""


class Drafter:
    """Drafts content for one persona with the writer the composition root chose."""

    def __init__(
        self,
        persona: Persona,
        retriever: HybridRetriever,
        writer: Writer,
        calendar: Calendar | None = None,
        *,
        concurrency: int = 6,
    ) -> None:
        self.persona = persona
        self.retriever = retriever
        self.writer = writer
        self.calendar = calendar
        self.concurrency = max(1, concurrency)

    @property
    def model(self) -> str:
        """Model label shown on drafts."""
        return self.writer.model

    def group(self, name: str | None) -> Group:
        """The named group (first when empty); InputError listing the known groups otherwise."""
        try:
            return self.persona.group(name)
        except KeyError:
            known = "、".join(g.name for g in self.persona.groups) or "（人设文件里没有群）"
            raise InputError(f"找不到群「{name}」，可选：{known}") from None

    def _examples(self, group: str, content_type: str, k: int = 6, topic_type: str = "") -> tuple[Example, ...]:
        hits = self.retriever.top_posts(group=group, content_type=content_type, topic_type=topic_type, k=k)
        if len(hits) < k:  # a young group (or a short pool) borrows the brand's best posts of the type
            more = self.retriever.top_posts(content_type=content_type, topic_type=topic_type, k=k)
            hits += [h for h in more if h.post.id not in {x.post.id for x in hits}]
        return tuple(Example.of(h) for h in hits[:k])

    def _unsaid(self, group: str, content_type: str, topic_type: str, age: Mapping[str, int]) -> tuple[Example, ...]:
        """The type's best posts, those this group has not been given yet first, then the longest ago used."""
        pool = self._examples(group, content_type, k=24, topic_type=topic_type)
        fresh = [e for e in pool if e.id not in age]
        used = sorted((e for e in pool if e.id in age), key=lambda e: -age[e.id])
        return tuple(fresh + used)

    def active(self, day: dt.date, group: str) -> tuple[Active, ...]:
        """Calendar entries running that day for the group, most urgent stage first."""
        if self.calendar is None:
            return ()
        return tuple(sorted(self.calendar.on(day, group), key=lambda a: (_STAGE_RANK.get(a.stage, 9), a.days_left)))

    # ------------------------------------------------------------------ checks

    def persona_facts(self, group: Group | None = None) -> str:
        """The persona's own facts a draft may state (intro, brand, the group's positioning numbers)."""
        p = self.persona
        parts = [p.name, p.brand, p.intro.who, p.intro.brand, p.intro.value, p.intro.trust]
        if group is not None:
            parts.append(group.positioning)
        return "\n".join(x for x in parts if x)

    def internal_texts(self, group: Group | None) -> tuple[str, ...]:
        """Operator-only text: the group's positioning and the persona's internal notes."""
        return (*([group.positioning] if group and group.positioning else []), *self.persona.internal)

    def check(
        self, text: str, day: dt.date, group: Group | None = None, notes: str = "", extra: str = ""
    ) -> list[Warning]:
        """Freshness and internal warnings of one text for a day and group (tomorrow's entries may be announced)."""
        active: tuple = ()
        if group:
            today = self.active(day, group.name)
            names = {a.entry.name for a in today}
            tomorrow = tuple(
                a for a in self.active(day + dt.timedelta(days=1), group.name) if a.entry.name not in names
            )
            active = today + tomorrow
        facts = "\n".join(x for x in (self.persona_facts(group), extra) if x)
        p = self.persona
        public = "\n".join(
            [p.intro.who, p.intro.brand, p.intro.value, p.intro.trust, group.about if group else "", extra]
        )
        src = sources_for(day, active, notes, facts, self.internal_texts(group), public)
        return check_text(text, src)

    # ------------------------------------------------------------------ day plan

    def plan(self, group: Group, day: dt.date) -> list[SlotPlan]:
        """Read the calendar (today's and tomorrow's entries) for each slot of the group's rhythm."""
        today = self.active(day, group.name)
        between = (
            group.type == "学习群"
            and self.calendar is not None
            and not any(a.stage == "进行中" for a in today)
            and any(not e.stages and e.group == group.name for e in self.calendar.list(group=group.name))
        )
        return plan_day(group, day, today, self.active(day + dt.timedelta(days=1), group.name), between=between)

    def day(
        self,
        group_name: str | None = None,
        day: dt.date | None = None,
        ctx: DayContext = DayContext(),
        progress: Callable[[int, int, Draft], None] | None = None,
    ) -> list[Draft]:
        """A draft for every slot of the group's rhythm, drafted concurrently; failures and skips stay per slot."""
        group = self.group(group_name)
        day = day or dt.date.today()
        plans = self.plan(group, day)
        results: list[Draft | None] = [None] * len(plans)
        with ThreadPoolExecutor(max_workers=min(self.concurrency, max(1, len(plans)))) as pool:
            futures = {pool.submit(self._slot, group, p, day, i, ctx): i for i, p in enumerate(plans)}
            for done, fut in enumerate(futures, 1):
                i = futures[fut]
                results[i] = fut.result()
                if progress:
                    progress(done, len(plans), results[i])  # type: ignore[arg-type]
        drafts = [r for r in results if r is not None]
        names = [a.entry.name for a in self.active(day, group.name)]
        extra = conflicts([d.text for d in drafts], names)
        return [replace(d, warnings=d.warnings + tuple(w)) if w else d for d, w in zip(drafts, extra, strict=True)]

    def context(self, group: Group, plan: SlotPlan, day: dt.date, index: int, ctx: DayContext) -> DraftContext:
        """Everything one slot may use."""
        nth_group = next((i for i, g in enumerate(self.persona.groups) if g.name == group.name), 0)
        # groups get different topic types on the same day, so no two groups are handed one topic
        topic_type = (
            DAY_TOPIC_TYPES[(day.toordinal() + nth_group) % len(DAY_TOPIC_TYPES)] if plan.content_type == "话题" else ""
        )
        return DraftContext(
            kind="day",
            persona=self.persona,
            group=group,
            date=day,
            slot_time=plan.slot.time,
            content_type=plan.content_type,
            activities=self.active(day, group.name),
            activity=plan.activity,
            examples=() if plan.activity else self._unsaid(group.name, plan.content_type, topic_type, ctx.source_age),
            notes=ctx.notes if plan.content_type in (*ACTIVITY_TYPES, "公告") else "",
            avoid=tuple(mask(s) for s in ctx.recent_subjects),
            avoid_sources=ctx.recent_sources,
            index=day.toordinal() + index + nth_group,  # two groups never get the same wording on one day
            topic_type=topic_type,
            guide=FAREWELL_GUIDE.format(g=group)
            if plan.farewell
            else SLOT_GUIDES.get(plan.content_type, SLOT_GUIDES["其他"])
            + (f" 这个群今天之后就解散了：末尾加一句告别，请大家去「{group.moves_to}」。" if plan.goodbye else ""),
            extra={
                "nth": plan.nth,
                "farewell": plan.farewell,
                "goodbye": group.moves_to if plan.goodbye else "",
                "goodbye_now": plan.goodbye,
                "preview": plan.preview,
                "type_nth": plan.type_nth,
                "source_age": ctx.source_age,
                "said": ctx.said,
            },
        )

    def _base(self, group: Group, plan: SlotPlan, day: dt.date) -> Draft:
        title = plan.activity.entry.name if plan.activity else ""
        return Draft(
            "day",
            plan.content_type,
            "",
            self.model,
            "",
            slot_time=plan.slot.time,
            group=group.name,
            date=day.isoformat(),
            title=title,
        )

    def _slot(self, group: Group, plan: SlotPlan, day: dt.date, index: int, ctx: DayContext) -> Draft:
        base = self._base(group, plan, day)
        if plan.skip:
            return replace(base, status="skipped", error=plan.skip)
        try:
            written = self.writer.slot(self.context(group, plan, day, index, ctx))
            return self._finish(base, written, group, day, ctx.notes)
        except NothingNew as exc:
            return replace(base, status="skipped", error=str(exc))
        except CopilotError as exc:
            return replace(base, status="failed", error=str(exc))
        except Exception as exc:  # noqa: BLE001 - one slot's bug must not sink the day
            log.exception("slot %s %s failed", group.name, plan.slot.time)
            return replace(base, status="failed", error=f"生成失败（{type(exc).__name__}）")

    def _finish(
        self, base: Draft, written: Written, group: Group | None, day: dt.date, notes: str = "", extra: str = ""
    ) -> Draft:
        w = finish(written, self.persona)
        return replace(
            base,
            text=w.text,
            prompt=w.prompt,
            sources=w.sources,
            prompt_tokens=w.prompt_tokens,
            completion_tokens=w.completion_tokens,
            notes=w.changes,
            note=w.note,
            warnings=tuple(self.check(w.text, day, group, notes, extra)),
        )

    def slot(self, group: Group, slot: Slot, day: dt.date, index: int = 0, ctx: DayContext = DayContext()) -> Draft:
        """Draft one slot of a group's day (the calendar decides what it becomes)."""
        plan = next((p for p in self.plan(group, day) if p.slot == slot), SlotPlan(slot, slot.content_type))
        return self._slot(group, plan, day, index, ctx)

    def stream_slot(
        self, group_name: str | None, slot_time: str, day: dt.date, ctx: DayContext = DayContext(), index: int = 0
    ) -> Iterator[str | Draft]:
        """Yield the growing text of one slot as it is written, then the finished Draft."""
        group = self.group(group_name)
        plan = next((p for p in self.plan(group, day) if p.slot.time == slot_time), None)
        if plan is None:
            raise InputError(f"群「{group.name}」没有 {slot_time} 这个时段")
        base = self._base(group, plan, day)
        if plan.skip:
            yield replace(base, status="skipped", error=plan.skip)
            return
        try:
            for part in self.writer.stream(self.context(group, plan, day, index, ctx)):
                yield part if isinstance(part, str) else self._finish(base, part, group, day, ctx.notes)
        except LLMError as exc:
            yield replace(base, status="failed", error=str(exc))

    # ------------------------------------------------------------------ intro, topics, scripts, rewrite

    def intro(self, day: dt.date | None = None, group_name: str | None = None) -> list[Draft]:
        """The IP self-introduction in three lengths: full post, welcome version (the group's nickname ritual), card."""
        day = day or dt.date.today()
        group = self.group(group_name) if self.persona.groups else None
        examples = self._examples("", "自我介绍", k=3) + self._examples("", "欢迎", k=2)
        out: list[Draft] = []
        for i, title in enumerate(INTRO_TITLES):
            base = Draft("intro", "自我介绍", "", self.model, "", title=title, date=day.isoformat())
            ctx = DraftContext(kind="intro", persona=self.persona, group=group, date=day, examples=examples, variant=i)
            try:
                out.append(self._finish(base, self.writer.intro(ctx), None, day))
            except CopilotError as exc:
                out.append(replace(base, status="failed", error=str(exc)))
        return out

    def topics(
        self, topic_type: str, n: int = 3, event: str = "", group_name: str | None = None, day: dt.date | None = None
    ) -> list[Topic]:
        """n discussion topics of one of the seven types, each with the full discussion loop."""
        from copilot.template import topic_parts

        if topic_type not in TOPIC_TYPES:
            raise InputError(f"话题类型「{topic_type}」不认识，可选：{'、'.join(TOPIC_TYPES)}")
        if topic_type == "热点事件" and not event.strip():
            raise InputError("热点事件需要你提供事件内容（应用不联网）：请用 --event 写一句发生了什么")
        group = self.group(group_name)
        if group.type == "转化群" and topic_type in IDLE_TOPIC_TYPES:
            raise InputError(
                f"「{group.name}」是转化群，只发和活动、产品有关的内容，不开「{topic_type}」这类闲聊话题："
                "请选「社群自带」或「行业大厂」，或换一个群"
            )
        day = day or dt.date.today()
        base = Draft("topic", "话题", "", self.model, "", group=group.name, title=topic_type, date=day.isoformat())
        ctx = DraftContext(
            kind="topic",
            persona=self.persona,
            group=group,
            date=day,
            activities=self.active(day, group.name),
            examples=self._examples(group.name, "话题", k=4, topic_type=topic_type),
            topic_type=topic_type,
            event=event,
            n=n,
            guide=str(topic_parts(topic_type, 0, self.persona, event)["guide"]),
        )
        try:
            items, written = self.writer.topics(ctx)
        except CopilotError as exc:
            return [Topic(topic_type, "", "", (), "", replace(base, status="failed", error=str(exc)))]
        out = []
        for t in items:
            whole = "\n".join([t.opening, *t.follow_ups, t.summary])
            meta = self._finish(base, replace(written, text=t.opening), group, day, extra=event)
            warnings = tuple(self.check(whole, day, group, extra=event))
            out.append(
                Topic(
                    topic_type,
                    t.title,
                    meta.text,
                    t.follow_ups,
                    t.summary,
                    replace(meta, title=t.title, warnings=warnings),
                )
            )
        return out

    def script(self, kind: str, group_name: str | None = None, details: str = "", day: dt.date | None = None) -> Draft:
        """Group rules, announcement, welcome, or an activity script (发售/接龙/抽奖/直播) / live run sheet."""
        from copilot.template import scripts

        if kind not in SCRIPT_KINDS:
            raise InputError(f"脚本类型「{kind}」不认识，可选：{'、'.join(SCRIPT_KINDS)}")
        group = self.group(group_name)
        day = day or dt.date.today()
        ctype = {"群规": "群规", "群公告": "公告", "欢迎语": "欢迎"}.get(kind, "活动预告")
        base = Draft("script", kind, "", self.model, "", group=group.name, title=kind, date=day.isoformat())
        ctx = DraftContext(
            kind="script",
            persona=self.persona,
            group=group,
            date=day,
            activities=self.active(day, group.name),
            examples=self._examples(group.name, ctype, k=3),
            script_kind=kind,
            details=details,
            guide=scripts()[kind]["guide"],
        )
        try:
            return self._finish(base, self.writer.script(ctx), group, day, details)
        except CopilotError as exc:
            return replace(base, status="failed", error=str(exc))

    def rewrite(self, text: str, day: dt.date | None = None) -> Draft:
        """Any text in, persona-voiced text out with facts kept exactly; `note` says when a fallback was used."""
        if not text.strip():
            raise InputError("要改写的文本是空的")
        day = day or dt.date.today()
        base = Draft("rewrite", "改写", "", self.model, "", date=day.isoformat())
        ctx = DraftContext(
            kind="rewrite", persona=self.persona, date=day, examples=self._examples("", "", k=4), text=text
        )
        written = self.writer.rewrite(ctx)
        draft = self._finish(base, written, None, day, extra=text)
        if written.prompt.startswith("rule_rewrite"):
            draft = replace(draft, model=TEMPLATE_MODEL)
        return replace(draft, error=written.note)
