"""The drafting engine: day plans, IP self-introductions, seven-type topics, scripts and persona rewrites."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace

from pydantic import BaseModel, ConfigDict, ValidationError

from copilot import template as tpl
from copilot.errors import CopilotError, InputError, LLMError
from copilot.llm import Chat
from copilot.profile import VoiceProfile
from copilot.prompts import load_prompt, render_template
from copilot.records import TOPIC_TYPES, Group, Hit, Persona, Slot
from copilot.retrieve import HybridRetriever
from copilot.rewrite import diff_text, facts, facts_preserved, rewrite
from copilot.tokens import count_tokens, fit_examples

log = logging.getLogger(__name__)
TEMPLATE_MODEL = "template"

# What each slot is for, in one line (shared by the LLM prompt; the template drafter has its own files).
SLOT_GUIDES: dict[str, str] = {
    "早安": "开启一天：问好、一句和季节或日常有关的话、今天群里的安排，轻松不说教，80-150 字。",
    "干货": "讲一个具体、马上用得上的专业知识点，用亲身经验或真实细节支撑，结尾邀请提问，120-250 字。",
    "话题": "抛出一个人人能接的话题，先说自己的小故事，再用一个好回答的问题收尾，80-180 字。",
    "活动预告": "预告近期活动：是什么、什么时候、给谁、有什么好处、怎么参加，制造期待但不夸大，100-200 字。",
    "活动提醒": "提醒已经公布的活动：时间、参与方式、截止时间，简短有力，60-150 字。",
    "晚安": "收尾一天：简单回顾今天群里聊了什么，一句走心的话，道晚安，60-140 字。",
    "自我介绍": "以第一人称介绍自己，按我是谁、我的品牌、我能给你什么、为什么信我。",
    "群规": "用群主口吻重申几条群规，清楚友好。",
    "欢迎": "欢迎新成员，引导改昵称和自我介绍。",
    "公告": "发布群公告：定位、每日节奏、近期安排，适合置顶。",
    "其他": "写一条符合人设的群消息。",
}
SCRIPT_KINDS = ("群规", "群公告", "欢迎语", "发售", "接龙", "抽奖", "直播", "直播流程")
INTRO_LENGTHS = (
    ("完整版", "完整版，200-350 字，分 3-5 段"),
    ("欢迎版", "简短欢迎版，60-100 字"),
    ("名片版", "一行名片，30 字以内，用｜分隔"),
)


@dataclass(frozen=True)
class Draft:
    """One generated piece of content, with everything needed to trust and review it."""

    kind: str
    """day | intro | topic | script | rewrite."""
    content_type: str
    """Content type (早安, 干货 …) or the script / intro variant."""
    text: str
    """The draft text; empty when the draft failed."""
    model: str
    """Model name, or `template` for the offline drafter."""
    prompt: str
    """Prompt (or template) name@version that produced it."""
    sources: tuple[str, ...] = ()
    """Ids of the retrieved posts it was based on."""
    status: str = "ok"
    """ok | failed."""
    error: str = ""
    """Why it failed, in Chinese."""
    slot_time: str = ""
    """HH:MM for day-plan slots."""
    group: str = ""
    """Group name."""
    date: str = ""
    """ISO date the draft is for."""
    title: str = ""
    """Short label (topic title, intro length …)."""
    prompt_tokens: int = 0
    """Prompt tokens (tiktoken count for templates, the API's usage for models)."""
    completion_tokens: int = 0
    """Completion tokens."""
    notes: tuple[str, ...] = ()
    """Explanations: voice changes applied, warnings."""

    def as_dict(self) -> dict:
        """JSON-friendly dict."""
        d = asdict(self)
        d["sources"] = list(self.sources)
        d["notes"] = list(self.notes)
        return d


@dataclass(frozen=True)
class Topic:
    """A discussion topic with the whole discussion loop."""

    topic_type: str
    """One of the seven topic types."""
    title: str
    """Short name."""
    opening: str
    """The host's opening post."""
    follow_ups: tuple[str, ...]
    """Prompts that keep the discussion going and extend it."""
    summary: str
    """The closing summary to post afterwards."""
    draft: Draft = field(default_factory=lambda: Draft("topic", "话题", "", "", ""))
    """Provenance (model, prompt, sources, status)."""

    def as_dict(self) -> dict:
        """JSON-friendly dict."""
        d = self.draft.as_dict()
        d.update(
            topic_type=self.topic_type,
            title=self.title,
            opening=self.opening,
            follow_ups=list(self.follow_ups),
            summary=self.summary,
        )
        return d


@dataclass(frozen=True)
class DayContext:
    """What the last week and the operator add to drafting a day."""

    recent_sources: frozenset[str] = frozenset()
    """Post ids the last 7 days' drafts were built on (the template drafter picks others)."""
    recent_subjects: tuple[str, ...] = ()
    """Gists of the last 7 days' drafts, which the model is told not to repeat."""
    notes: str = ""
    """Today's facts from the operator (activity time, price, notices): used by activity and notice slots."""


NOTE_SLOTS = ("活动预告", "活动提醒", "公告")


class _TopicOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    opening: str
    follow_ups: list[str]
    summary: str


def _example(hit: Hit) -> dict:
    p = hit.post
    return {
        "id": p.id,
        "text": p.text,
        "content_type": p.content_type,
        "topic_type": p.topic_type,
        "replies": p.replies,
        "reactions": p.reactions,
        "signups": p.signups,
    }


def clean_completion(text: str) -> str:
    """Strip code fences, a chatty preamble line and stray quotes from a model's answer."""
    text = text.strip()
    text = re.sub(r"^```\w*\n?|\n?```$", "", text).strip()
    lines = text.splitlines()
    if len(lines) > 1 and re.match(r"^(好的|当然|以下是|下面是)[^。\n]{0,30}[：:]$", lines[0].strip()):
        text = "\n".join(lines[1:]).strip()
    return text.strip('"“”')


class Drafter:
    """Drafts content for one persona; `chat=None` means the offline template drafter."""

    def __init__(
        self,
        persona: Persona,
        retriever: HybridRetriever,
        profile: VoiceProfile,
        chat: Chat | None = None,
        *,
        budget: int = 3000,
        concurrency: int = 6,
    ) -> None:
        self.persona = persona
        self.retriever = retriever
        self.profile = profile
        self.chat = chat
        self.budget = budget
        self.concurrency = max(1, concurrency)
        self._protect = tuple(x for x in (persona.brand, persona.name, *(g.name for g in persona.groups)) if x)

    @property
    def model(self) -> str:
        """Model label shown on drafts."""
        return self.chat.model if self.chat else TEMPLATE_MODEL

    # ------------------------------------------------------------------ helpers

    def group(self, name: str | None) -> Group:
        """The named group (first when empty); InputError listing the known groups otherwise."""
        try:
            return self.persona.group(name)
        except KeyError:
            known = "、".join(g.name for g in self.persona.groups) or "（人设文件里没有群）"
            raise InputError(f"找不到群「{name}」，可选：{known}") from None

    def _examples(
        self, group: str, content_type: str, k: int = 6, topic_type: str = "", exclude: frozenset[str] = frozenset()
    ) -> list[Hit]:
        hits = self.retriever.top_posts(
            group=group, content_type=content_type, topic_type=topic_type, k=k, exclude=exclude
        )
        if len(hits) < 2:  # a young group borrows the brand's best posts of the type
            more = self.retriever.top_posts(content_type=content_type, topic_type=topic_type, k=k, exclude=exclude)
            hits += [h for h in more if h.post.id not in {x.post.id for x in hits}]
        return hits[:k]

    def _voice(self, text: str) -> tuple[str, tuple[str, ...]]:
        """Persona markers on a template draft (its body already comes from the persona's own posts)."""
        r = rewrite(text, self.profile, protect=self._protect, light=True)
        return r.text, r.changes

    def _llm(self, name: str, variables: dict, examples: list[Hit]) -> tuple[str, int, int, list[Hit], str]:
        """Render the prompt within the budget and call the model: (text, in, out, kept examples, label)."""
        assert self.chat is not None
        prompt = load_prompt(name)

        def build(kept: list[Hit]) -> str:
            return "\n".join(prompt.render(**variables, examples=[_example(h) for h in kept]))

        kept, _ = fit_examples(build, examples, self.budget)
        system, user = prompt.render(**variables, examples=[_example(h) for h in kept])
        text, tin, tout = self.chat.complete(system, user)
        text = clean_completion(text)
        if not text:
            raise LLMError("模型返回了空内容")
        return text, tin, tout, kept, prompt.label

    def _llm_draft(self, base: Draft, name: str, variables: dict, examples: list[Hit]) -> Draft:
        """Call the model through prompt `name` and fill the draft with text, provenance and token counts."""
        text, tin, tout, kept, label = self._llm(name, variables, examples)
        return replace(
            base,
            text=text,
            prompt=label,
            sources=tuple(h.post.id for h in kept),
            prompt_tokens=tin,
            completion_tokens=tout,
        )

    # ------------------------------------------------------------------ day plan

    def day(
        self,
        group_name: str | None = None,
        day: dt.date | None = None,
        ctx: DayContext = DayContext(),
        progress: Callable[[int, int, Draft], None] | None = None,
    ) -> list[Draft]:
        """A draft for every slot of the group's rhythm, drafted concurrently; failures stay per slot."""
        group = self.group(group_name)
        day = day or dt.date.today()
        slots = list(group.slots)
        done = 0
        results: list[Draft | None] = [None] * len(slots)
        with ThreadPoolExecutor(max_workers=min(self.concurrency, max(1, len(slots)))) as pool:
            futures = {pool.submit(self.slot, group, s, day, i, ctx): i for i, s in enumerate(slots)}
            for fut in futures:
                i = futures[fut]
                results[i] = fut.result()
                done += 1
                if progress:
                    progress(done, len(slots), results[i])  # type: ignore[arg-type]
        return [r for r in results if r is not None]

    def _slot_variables(self, group: Group, slot: Slot, day: dt.date, ctx: DayContext) -> dict:
        return {
            "notes": ctx.notes.strip() if slot.content_type in NOTE_SLOTS else "",
            "persona": self.persona,
            "group": group,
            "slot": slot,
            "date": day.isoformat(),
            "weekday": tpl.WEEKDAYS[day.weekday()],
            "avoid": list(ctx.recent_subjects[:12]),
            "guide": SLOT_GUIDES.get(slot.content_type, SLOT_GUIDES["其他"]),
        }

    def slot(
        self,
        group: Group,
        slot: Slot,
        day: dt.date,
        index: int = 0,
        ctx: DayContext = DayContext(),
    ) -> Draft:
        """Draft one slot; never raises for model failures (the draft is marked failed instead)."""
        base = Draft(
            "day", slot.content_type, "", self.model, "", slot_time=slot.time, group=group.name, date=day.isoformat()
        )
        try:
            examples = self._examples(group.name, slot.content_type)
            if self.chat is None:
                return self._template_slot(base, group, slot, day, index, examples, ctx)
            variables = self._slot_variables(group, slot, day, ctx)
            return self._llm_draft(base, "day_slot", variables, examples)
        except CopilotError as exc:
            return replace(base, status="failed", error=str(exc))
        except Exception as exc:  # noqa: BLE001 - one slot's bug must not sink the day
            log.exception("slot %s %s failed", group.name, slot.time)
            return replace(base, status="failed", error=f"生成失败（{type(exc).__name__}）")

    def stream_slot(
        self, group_name: str | None, slot_time: str, day: dt.date, ctx: DayContext = DayContext()
    ) -> Iterator[str | Draft]:
        """Yield the growing text of one slot as the model writes it, then the finished Draft."""
        group = self.group(group_name)
        slot = next((s for s in group.slots if s.time == slot_time), None)
        if slot is None:
            raise InputError(f"群「{group.name}」没有 {slot_time} 这个时段")
        if self.chat is None:
            yield self.slot(group, slot, day, ctx=ctx)
            return
        base = Draft(
            "day", slot.content_type, "", self.model, "", slot_time=slot.time, group=group.name, date=day.isoformat()
        )
        prompt = load_prompt("day_slot")
        variables = self._slot_variables(group, slot, day, ctx)
        examples = self._examples(group.name, slot.content_type)

        def build(kept: list[Hit]) -> str:
            return "\n".join(prompt.render(**variables, examples=[_example(h) for h in kept]))

        kept, tin = fit_examples(build, examples, self.budget)
        system, user = prompt.render(**variables, examples=[_example(h) for h in kept])
        text = ""
        yield ""  # the caller can show "writing…" before the first token
        try:
            for delta in self.chat.stream(system, user):
                text += delta
                yield text
        except LLMError as exc:
            yield replace(base, status="failed", error=str(exc), prompt=prompt.label)
            return
        final = clean_completion(text)
        yield replace(
            base,
            text=final,
            prompt=prompt.label,
            sources=tuple(h.post.id for h in kept),
            prompt_tokens=tin,
            completion_tokens=count_tokens(final),
            status="ok" if final else "failed",
            error="" if final else "模型返回了空内容",
        )

    def _template_slot(
        self,
        base: Draft,
        group: Group,
        slot: Slot,
        day: dt.date,
        index: int,
        examples: list[Hit],
        ctx: DayContext,
    ) -> Draft:
        salt = day.toordinal() + index
        fresh = [h for h in examples if h.post.id not in ctx.recent_sources] or examples
        primary = fresh[salt % len(fresh)].post if fresh else None
        variables = tpl.context(self.persona, group, day, slot.time, primary, salt)
        if ctx.notes.strip() and slot.content_type in NOTE_SLOTS:
            # the operator's facts for today replace the old post's, so nothing stale needs checking
            variables.update(ex_core=ctx.notes.strip(), check_line="")
            primary = None
        elif slot.content_type == "公告":
            variables.update(ex_core="")  # an old notice is stale by definition; the rhythm and positioning are not
            primary = None
        if slot.content_type == "话题":
            topic_type = TOPIC_TYPES[day.toordinal() % len(TOPIC_TYPES)]
            parts = tpl.topic_parts(topic_type, salt, self.persona)
            variables.update(topic_type=topic_type, topic_opening=parts["opening"], topic_follow=parts["follow_ups"][0])  # type: ignore[index]
        text, label = tpl.render(slot.content_type, variables, salt)
        text, notes = self._voice(text)
        return replace(
            base,
            text=text,
            prompt=label,
            sources=(primary.id,) if primary else (),
            prompt_tokens=count_tokens(text),
            notes=notes,
        )

    # ------------------------------------------------------------------ intro

    def intro(self) -> list[Draft]:
        """The IP self-introduction in three lengths: full post, welcome version, one-line card."""
        examples = self._examples("", "自我介绍", k=3) + self._examples("", "欢迎", k=2)
        out: list[Draft] = []
        for i, (label, length) in enumerate(INTRO_LENGTHS):
            base = Draft("intro", "自我介绍", "", self.model, "", title=label)
            try:
                if self.chat is None:
                    out.append(self._template_intro(base, i))
                    continue
                out.append(self._llm_draft(base, "intro", {"persona": self.persona, "length": length}, examples))
            except CopilotError as exc:
                out.append(replace(base, status="failed", error=str(exc)))
        return out

    def _template_intro(self, base: Draft, variant: int) -> Draft:
        p = self.persona

        def first(s: str) -> str:
            head = re.split(r"[。！；]", s)[0] if s else ""
            return re.sub(rf"^(我是)?{re.escape(p.name)}[，,、\s]*", "", head)

        variables = {
            "persona": p,
            "address": p.address_form[0] if p.address_form else "大家",
            "e1": p.emoji[0] if p.emoji else "",
            "who": p.intro.who,
            "brand_line": p.intro.brand or (f"我在做「{p.brand}」。" if p.brand else ""),
            "value": p.intro.value,
            "trust": p.intro.trust,
            "who_short": first(p.intro.who) or (f"{p.brand}主理人" if p.brand else "群主"),
            "value_short": (first(p.intro.value) + "。") if p.intro.value else "",
        }
        tfile = tpl.load_template("intro")
        text = render_template(tfile.variants[variant], **variables)
        text = re.sub(r"\n{2,}", "\n", text)
        notes: tuple[str, ...] = ()
        if variant < 2:
            text, notes = self._voice(text) if variant == 0 else (text, ())
        return replace(base, text=text, prompt=tfile.label, prompt_tokens=count_tokens(text), notes=notes)

    # ------------------------------------------------------------------ topics

    def topics(self, topic_type: str, n: int = 3, event: str = "", group_name: str | None = None) -> list[Topic]:
        """n discussion topics of one of the seven types, each with the full discussion loop."""
        if topic_type not in TOPIC_TYPES:
            raise InputError(f"话题类型「{topic_type}」不认识，可选：{'、'.join(TOPIC_TYPES)}")
        if topic_type == "热点事件" and not event.strip():
            raise InputError("热点事件需要你提供事件内容（应用不联网）：请用 --event 写一句发生了什么")
        group = self.group(group_name)
        examples = self._examples(group.name, "话题", k=4, topic_type=topic_type)
        base = Draft("topic", "话题", "", self.model, "", group=group.name, title=topic_type)
        if self.chat is None:
            return [self._template_topic(base, topic_type, i, event, examples) for i in range(n)]
        guide = tpl.topic_parts(topic_type, 0, self.persona, event)["guide"]
        variables = {
            "persona": self.persona,
            "group": group,
            "topic_type": topic_type,
            "topic_guide": guide,
            "n": n,
            "event": event,
        }
        try:
            text, tin, tout, kept, label = self._llm("topics", variables, examples)
            items = _parse_topics(text)
        except CopilotError as exc:
            failed = replace(base, status="failed", error=str(exc))
            return [Topic(topic_type, "", "", (), "", failed)]
        meta = replace(
            base, prompt=label, sources=tuple(h.post.id for h in kept), prompt_tokens=tin, completion_tokens=tout
        )
        return [
            Topic(
                topic_type,
                t.title,
                t.opening,
                tuple(t.follow_ups),
                t.summary,
                replace(meta, text=t.opening, title=t.title),
            )
            for t in items[:n]
        ]

    def _template_topic(self, base: Draft, topic_type: str, i: int, event: str, examples: list[Hit]) -> Topic:
        parts = tpl.topic_parts(topic_type, i, self.persona, event)
        opening_text = str(parts["opening"])
        example, lead = None, ""
        for k in range(len(examples)):  # the first past topic (from the i-th on) with a line that stands alone
            candidate = examples[(i + k) % len(examples)].post
            lead = tpl.lead_of(tpl.core_of(candidate, self.persona), i)
            if lead and "？" not in lead:
                example = candidate
                break
        if example is not None:  # the host goes first with a line of their own from a past topic of this type
            opening_text = f"{opening_text}\n我先说说我的：{lead}"
        voiced = rewrite(opening_text, self.profile, protect=self._protect, sign=False)
        opening, notes = voiced.text, voiced.changes
        summary = rewrite(str(parts["summary"]), self.profile, protect=self._protect, sign=False).text
        title = re.split(r"[？?。！]", str(parts["opening"]))[0][:24]
        src = (example.id,) if example else ()
        meta = replace(
            base,
            text=opening,
            title=title,
            prompt="tpl_topics@1",
            sources=src,
            prompt_tokens=count_tokens(opening),
            notes=notes,
        )
        return Topic(topic_type, title, opening, tuple(parts["follow_ups"]), summary, meta)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ scripts

    def script(self, kind: str, group_name: str | None = None, details: str = "") -> Draft:
        """Group rules, announcement, welcome, or an activity script (发售/接龙/抽奖/直播) / live run sheet."""
        if kind not in SCRIPT_KINDS:
            raise InputError(f"脚本类型「{kind}」不认识，可选：{'、'.join(SCRIPT_KINDS)}")
        group = self.group(group_name)
        spec = tpl.scripts()[kind]
        ctype = {"群规": "群规", "群公告": "公告", "欢迎语": "欢迎"}.get(kind, "活动预告")
        examples = self._examples(group.name, ctype, k=3)
        base = Draft("script", kind, "", self.model, "", group=group.name, title=kind)
        try:
            if self.chat is None:
                text, label = tpl.render_script(kind, self.persona, group, details)
                return replace(
                    base,
                    text=text,
                    prompt=label,
                    sources=tuple(h.post.id for h in examples[:1]),
                    prompt_tokens=count_tokens(text),
                )
            variables = {
                "persona": self.persona,
                "group": group,
                "kind": kind,
                "guide": spec["guide"],
                "details": details,
            }
            return self._llm_draft(base, "script", variables, examples)
        except CopilotError as exc:
            return replace(base, status="failed", error=str(exc))

    # ------------------------------------------------------------------ rewrite

    def rewrite(self, text: str) -> Draft:
        """Any text in, persona-voiced text out with facts kept exactly; `notes` explain, `error` warns."""
        if not text.strip():
            raise InputError("要改写的文本是空的")
        base = Draft("rewrite", "改写", "", self.model, "")
        rule = rewrite(text, self.profile, protect=self._protect)
        if self.chat is None:
            return replace(
                base, text=rule.text, prompt="rule_rewrite@1", notes=rule.changes, prompt_tokens=count_tokens(text)
            )
        examples = self._examples("", "", k=4)
        variables = {"persona": self.persona, "text": text, "facts": list(dict.fromkeys(facts(text)))}
        fallback = replace(base, text=rule.text, model=TEMPLATE_MODEL, prompt="rule_rewrite@1", notes=rule.changes)
        try:
            drafted = self._llm_draft(base, "rewrite", variables, examples)
        except CopilotError as exc:
            return replace(fallback, error=f"模型改写失败，已改用规则改写：{exc}")
        if not facts_preserved(text, drafted.text):
            return replace(fallback, error="模型改动了原文里的事实（时间/价格/数字等），已改用规则改写")
        return drafted


def rewrite_result(draft: Draft, original: str) -> dict:
    """The `{original, text, diff}` record the CLI and UI show."""
    return {
        "original": original,
        "text": draft.text,
        "diff": diff_text(original, draft.text),
        "model": draft.model,
        "notes": list(draft.notes),
        "error": draft.error,
    }


def _parse_topics(text: str) -> list[_TopicOut]:
    """Validate the model's JSON array of topics."""
    match = re.search(r"\[.*\]", text, re.S)
    if not match:
        raise LLMError("模型没有按要求返回 JSON 数组")
    try:
        raw = json.loads(match.group(0))
        items = [_TopicOut.model_validate(x) for x in raw]
    except (json.JSONDecodeError, ValidationError, TypeError) as exc:
        raise LLMError(f"模型返回的话题 JSON 格式不对（{type(exc).__name__}）") from None
    if not items:
        raise LLMError("模型返回的话题列表是空的")
    return items
