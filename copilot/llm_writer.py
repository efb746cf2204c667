"""The LLM writer: versioned prompts rendered from the draft context, sent to an OpenAI-compatible chat model."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import asdict, replace

from pydantic import BaseModel, ConfigDict, ValidationError

from copilot.errors import CopilotError, LLMError
from copilot.llm import Chat
from copilot.prompts import load_prompt
from copilot.rewrite import facts, facts_preserved
from copilot.tokens import count_tokens, fit_examples
from copilot.writers import DraftContext, Example, TopicText, Written, clean_completion

INTRO_LENGTHS = ("完整版，200-350 字，分 3-5 段", "简短欢迎版，60-100 字", "一行名片，30 字以内，用｜分隔")


class _TopicOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    opening: str
    follow_ups: list[str]
    summary: str


def _example(e: Example) -> dict:
    return asdict(e)


MAX_EXAMPLES = 10
"""A day slot's prompt shows at most this many past posts (the least recently used come first)."""


class LLMWriter:
    """Writes through prompts/*.md; examples arrive masked, facts only from the calendar, notes and persona."""

    def __init__(self, chat: Chat, budget: int = 3000, fallback: object | None = None) -> None:
        self.chat = chat
        self.budget = budget
        self.fallback = fallback  # the template writer, for rewrites the model got wrong

    @property
    def model(self) -> str:
        """The chat model's name."""
        return self.chat.model

    def _variables(self, ctx: DraftContext) -> dict:
        return {
            "persona": ctx.persona,
            "group": ctx.group,
            "date": ctx.date.isoformat() if ctx.date else "",
            "weekday": ctx.weekday,
            "slot_time": ctx.slot_time,
            "content_type": ctx.content_type,
            "activities": ctx.activity_lines(),
            "activity": ctx.activity.entry.name if ctx.activity else "",
            "notes": ctx.notes.strip(),
            "avoid": list(ctx.avoid[:12]),
            "guide": ctx.guide,
        }

    def _render(
        self, name: str, variables: dict, examples: tuple[Example, ...]
    ) -> tuple[str, str, list[Example], int, str]:
        prompt = load_prompt(name)

        def build(kept: list[Example]) -> str:
            return "\n".join(prompt.render(**variables, examples=[_example(e) for e in kept]))

        kept, tokens = fit_examples(build, list(examples), self.budget)
        system, user = prompt.render(**variables, examples=[_example(e) for e in kept])
        return system, user, kept, tokens, prompt.label

    def _call(self, name: str, variables: dict, examples: tuple[Example, ...]) -> Written:
        system, user, kept, _, label = self._render(name, variables, examples)
        text, tin, tout = self.chat.complete(system, user)
        text = clean_completion(text)
        if not text:
            raise LLMError("模型返回了空内容")
        return Written(text, label, tuple(e.id for e in kept), tin, tout)

    def slot(self, ctx: DraftContext) -> Written:
        """One day slot through prompts/day_slot.md."""
        return self._call("day_slot", self._variables(ctx), ctx.examples[:MAX_EXAMPLES])

    def stream(self, ctx: DraftContext) -> Iterator[str | Written]:
        """Yield the growing text, then the Written; a failure raises LLMError (nothing partial is kept)."""
        system, user, kept, tin, label = self._render("day_slot", self._variables(ctx), ctx.examples[:MAX_EXAMPLES])
        text = ""
        yield ""
        for delta in self.chat.stream(system, user):
            text += delta
            yield text
        final = clean_completion(text)
        if not final:
            raise LLMError("模型返回了空内容")
        yield Written(final, label, tuple(e.id for e in kept), tin, count_tokens(final))

    def intro(self, ctx: DraftContext) -> Written:
        """One intro variant through prompts/intro.md."""
        return self._call("intro", {"persona": ctx.persona, "length": INTRO_LENGTHS[ctx.variant]}, ctx.examples)

    def topics(self, ctx: DraftContext) -> tuple[list[TopicText], Written]:
        """ctx.n topics as a JSON array through prompts/topics.md."""
        variables = {
            "persona": ctx.persona,
            "group": ctx.group,
            "topic_type": ctx.topic_type,
            "topic_guide": ctx.guide,
            "n": ctx.n,
            "event": ctx.event,
            "activities": ctx.activity_lines(),
        }
        written = self._call("topics", variables, ctx.examples)
        items = _parse_topics(written.text)
        topics = [TopicText(t.title, t.opening, tuple(t.follow_ups), t.summary) for t in items[: ctx.n]]
        return topics, written

    def script(self, ctx: DraftContext) -> Written:
        """A script through prompts/script.md."""
        variables = {
            "persona": ctx.persona,
            "group": ctx.group,
            "kind": ctx.script_kind,
            "guide": ctx.guide,
            "details": ctx.details,
            "activities": ctx.activity_lines(),
        }
        return self._call("script", variables, ctx.examples)

    def rewrite(self, ctx: DraftContext) -> Written:
        """A model rewrite; the rule rewrite when the model fails or changes a fact (the reason goes in `note`)."""
        variables = {"persona": ctx.persona, "text": ctx.text, "facts": list(dict.fromkeys(facts(ctx.text)))}
        try:
            written = self._call("rewrite", variables, ctx.examples)
        except CopilotError as exc:
            return self._fallback(ctx, f"模型改写失败，已改用规则改写：{exc}")
        if not facts_preserved(ctx.text, written.text):
            return self._fallback(ctx, "模型改动了原文里的事实（时间/价格/数字等），已改用规则改写")
        return written

    def _fallback(self, ctx: DraftContext, why: str) -> Written:
        if self.fallback is None:
            raise LLMError(why)
        return replace(self.fallback.rewrite(ctx), note=why)  # type: ignore[attr-defined]


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
