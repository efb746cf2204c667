"""The offline writer: authored templates filled from the persona, the calendar, the notes and masked examples."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import yaml

from copilot import template as tpl
from copilot.calendar import Active
from copilot.profile import VoiceProfile
from copilot.prompts import render_template
from copilot.rewrite import rewrite
from copilot.tokens import count_tokens
from copilot.writers import DraftContext, Example, TopicText, Written

TEMPLATE_MODEL = "template"


@lru_cache(maxsize=2)
def activity_templates() -> dict:
    """prompts/templates/活动.yaml: activity posts by stage."""
    return yaml.safe_load((tpl.TEMPLATE_DIR / "活动.yaml").read_text("utf-8"))


def _key_fact(facts: str) -> str:
    """The first clause of an entry's facts (verbatim), for short reminders."""
    first = re.split(r"(?<=[；;。])", facts.strip(), maxsplit=1)[0].strip()
    return first.rstrip("；;") + ("。" if first and first[-1] not in "。！？" else "") if first else ""


def activity_variables(ctx: DraftContext, act: Active) -> dict:
    """Variables of an activity post: the entry's name and facts, and where we are in it."""
    e, day = act.entry, ctx.date
    assert day is not None
    to_start = (e.start - day).days
    peak = next((first for s, first, _ in e.stages if s == "爆破"), None)
    if peak and peak > day:
        days = (peak - day).days
        when = f"{peak.month} 月 {peak.day} 日开始" if days > 1 else "明天就开始"
        countdown = f"还有 {days} 天" if days > 1 else "就在明天"
    elif to_start > 0:
        when, countdown = f"还有 {to_start} 天开始", f"还有 {to_start} 天"
    else:
        when, countdown = "快到了", "就在眼前了"
    if act.days_left == 0:
        end_line = "今天是最后一天。"
    elif act.days_left < 7:
        end_line = f"{e.end.month} 月 {e.end.day} 日结束。"
    else:
        end_line = ""
    p = ctx.persona
    return {
        "persona": p,
        "address": p.address_form[0] if p.address_form else "大家",
        "e1": p.emoji[ctx.index % len(p.emoji)] if p.emoji else "",
        "name": e.name,
        "facts": e.facts,
        "key_fact": _key_fact(e.facts),
        "when": when,
        "countdown": countdown,
        "end_line": end_line,
    }


class TemplateWriter:
    """Writes from prompts/templates; facts only from the calendar, the notes and the persona."""

    model = TEMPLATE_MODEL

    def __init__(self, profile: VoiceProfile, protect: tuple[str, ...] = ()) -> None:
        self.profile = profile
        self.protect = protect

    def _voice(self, text: str, sign: bool = True) -> tuple[str, tuple[str, ...]]:
        r = rewrite(text, self.profile, protect=self.protect, light=True, sign=sign)
        return r.text, r.changes

    # ---------------------------------------------------------------- day

    def slot(self, ctx: DraftContext) -> Written:
        """A day slot: an activity post from the calendar, or a post built on a masked evergreen example."""
        if ctx.activity is not None:
            return self._activity(ctx, ctx.activity)
        assert ctx.group is not None and ctx.date is not None
        salt = ctx.index
        fresh = [e for e in ctx.examples if e.id not in ctx.avoid_sources] or list(ctx.examples)
        whole = [
            e for e in fresh if tpl.evergreen_core(tpl.core_of(e.text, ctx.persona)) == tpl.core_of(e.text, ctx.persona)
        ]
        fresh = whole or fresh  # a whole evergreen post reads better than one with its dated sentences cut out
        primary: Example | None = fresh[salt % len(fresh)] if fresh else None
        variables = tpl.context(ctx.persona, ctx.group, ctx.date, ctx.slot_time, primary.text if primary else "", salt)
        if ctx.content_type in ("活动预告", "活动提醒", "公告"):
            variables.update(ex_core="")  # an old notice is stale by definition
            primary = None
        if ctx.notes.strip() and ctx.content_type in ("活动预告", "活动提醒", "公告"):
            variables.update(ex_core=ctx.notes.strip())
        if ctx.content_type == "话题":
            topic_type = ctx.topic_type or "社群自带"
            parts = tpl.topic_parts(topic_type, salt, ctx.persona)
            variables.update(topic_type=topic_type, topic_opening=parts["opening"], topic_follow=parts["follow_ups"][0])  # type: ignore[index]
        text, label = tpl.render(ctx.content_type, variables, salt)
        text, changes = self._voice(text)
        return Written(text, label, (primary.id,) if primary else (), count_tokens(text), 0, changes)

    def _activity(self, ctx: DraftContext, act: Active) -> Written:
        bank = activity_templates()
        stage = act.stage if act.stage in bank else "进行中"
        options = bank["公告"] if ctx.content_type == "公告" else bank[stage]
        variables = activity_variables(ctx, act)
        text = render_template(options[ctx.extra.get("nth", ctx.index) % len(options)], **variables)
        if ctx.notes.strip():  # the operator's facts for today win over the calendar's
            text = f"{text}\n{ctx.notes.strip()}"
        text = re.sub(r"\n{2,}", "\n", text)
        text, changes = self._voice(text, sign=ctx.content_type != "公告")
        label = f"{bank.get('name', 'tpl_活动')}@{bank.get('version', 1)}"
        return Written(text, label, (), count_tokens(text), 0, changes)

    def stream(self, ctx: DraftContext) -> Iterator[str | Written]:
        """Templates are instant: the finished text only."""
        yield self.slot(ctx)

    # ---------------------------------------------------------------- intro

    def intro(self, ctx: DraftContext) -> Written:
        """完整版 / 欢迎版 / 名片版 from the persona's four intro facts."""
        p = ctx.persona

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
        text = render_template(tfile.variants[ctx.variant], **variables)
        text = re.sub(r"\n{2,}", "\n", text)
        changes: tuple[str, ...] = ()
        if ctx.variant == 0:
            text, changes = self._voice(text)
        return Written(text, tfile.label, (), count_tokens(text), 0, changes)

    # ---------------------------------------------------------------- topics

    def topics(self, ctx: DraftContext) -> tuple[list[TopicText], Written]:
        """ctx.n topics from the topic bank; the host goes first with a timeless line of a past topic."""
        out: list[TopicText] = []
        sources: list[str] = []
        examples = list(ctx.examples)
        for i in range(ctx.n):
            parts = tpl.topic_parts(ctx.topic_type, i, ctx.persona, ctx.event)
            opening = str(parts["opening"])
            for k in range(len(examples)):
                candidate = examples[(i + k) % len(examples)]
                lead = tpl.lead_of(tpl.core_of(candidate.text, ctx.persona), i)
                if lead and "？" not in lead:
                    opening = f"{opening}\n我先说说我的：{lead}"
                    sources.append(candidate.id)
                    break
            voiced = rewrite(opening, self.profile, protect=self.protect, sign=False).text
            summary = rewrite(str(parts["summary"]), self.profile, protect=self.protect, sign=False).text
            title = re.split(r"[？?。！]", str(parts["opening"]))[0][:24]
            out.append(TopicText(title, voiced, tuple(parts["follow_ups"]), summary))  # type: ignore[arg-type]
        text = "\n".join(t.opening for t in out)
        return out, Written(text, "tpl_topics@1", tuple(dict.fromkeys(sources)), count_tokens(text))

    # ---------------------------------------------------------------- scripts and rewrite

    def script(self, ctx: DraftContext) -> Written:
        """A script from scripts.yaml."""
        assert ctx.group is not None
        text, label = tpl.render_script(ctx.script_kind, ctx.persona, ctx.group, ctx.details)
        return Written(text, label, tuple(e.id for e in ctx.examples[:1]), count_tokens(text))

    def rewrite(self, ctx: DraftContext) -> Written:
        """The rule-based, explainable rewrite."""
        r = rewrite(ctx.text, self.profile, protect=self.protect)
        return Written(r.text, "rule_rewrite@1", (), count_tokens(ctx.text), 0, r.changes)
