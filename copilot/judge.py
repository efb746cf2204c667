"""Optional LLM judge for voice: a rubric score and a pairwise comparison run in both orders to cancel position bias."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from copilot.errors import LLMError
from copilot.llm import Chat
from copilot.prompts import load_prompt
from copilot.records import Persona


@dataclass(frozen=True)
class Judgement:
    """What the LLM judge said; reported beside the offline score, never instead of it."""

    rubric: float
    """1-5 rubric score."""
    pairwise: float
    """0-1: how often the text beat the persona's exemplar, averaged over both presentation orders."""
    reason: str
    """The rubric's one-line reason."""
    model: str
    """Judge model."""
    order_agreement: bool
    """True when both orders picked the same text (False means position bias or a coin flip)."""

    def as_dict(self) -> dict:
        """JSON form."""
        return {
            "rubric": self.rubric,
            "pairwise": self.pairwise,
            "reason": self.reason,
            "model": self.model,
            "order_agreement": self.order_agreement,
        }


def _json(text: str) -> dict:
    match = re.search(r"\{.*\}", text, re.S)
    if not match:
        raise LLMError("评审模型没有返回 JSON")
    try:
        data = json.loads(match.group(0))
    except json.JSONDecodeError:
        raise LLMError("评审模型返回的 JSON 格式不对") from None
    if not isinstance(data, dict):
        raise LLMError("评审模型返回的不是 JSON 对象")
    return data


def judge(chat: Chat, persona: Persona, text: str, exemplar: str) -> Judgement:
    """Rubric score for the text, plus text-vs-exemplar compared as (A, B) and as (B, A)."""
    rubric_prompt = load_prompt("judge_rubric")
    system, user = rubric_prompt.render(persona=persona, text=text)
    data = _json(chat.complete(system, user)[0])
    try:
        rubric = float(data["score"])
    except (KeyError, TypeError, ValueError):
        raise LLMError("评审模型没有给出 score") from None
    if not 1 <= rubric <= 5:
        raise LLMError(f"评审分 {rubric} 不在 1-5 之间")
    pair = load_prompt("judge_pairwise")
    wins: list[float] = []
    for a, b, text_is in ((text, exemplar, "A"), (exemplar, text, "B")):
        system, user = pair.render(persona=persona, a=a, b=b)
        winner = str(_json(chat.complete(system, user)[0]).get("winner", "tie")).strip().upper()
        wins.append(0.5 if winner not in ("A", "B") else float(winner == text_is))
    return Judgement(rubric, sum(wins) / 2, str(data.get("reason", "")), chat.model, wins[0] == wins[1])
