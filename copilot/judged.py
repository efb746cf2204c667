"""The operator-judged drafts (`evals/drafts_judged.jsonl`): how well a score ranks drafts the way an operator does."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

JUDGED = Path(__file__).resolve().parent.parent / "evals" / "drafts_judged.jsonl"


def load_judged(path: Path = JUDGED) -> list[dict]:
    """The drafts with their operator judgement: {id, text, content_type, score (1-5), why}."""
    return [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]


def ranks(values: Sequence[float]) -> np.ndarray:
    """Ranks from 1, ties sharing their mean rank."""
    x = np.asarray(values, dtype=float)
    order = np.argsort(x, kind="mergesort")
    r = np.empty(len(x))
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and x[order[j + 1]] == x[order[i]]:
            j += 1
        r[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return r


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman rank correlation (Pearson on tie-averaged ranks); nan when either side is constant."""
    ra, rb = ranks(a), ranks(b)
    if len(ra) < 2 or ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def agreement(score: Callable[[list[str]], Sequence[float]], items: list[dict] | None = None) -> float:
    """Rank correlation between `score` (a batch scorer) and the operator's 1-5 judgements."""
    items = items if items is not None else load_judged()
    return round(spearman(list(score([i["text"] for i in items])), [i["score"] for i in items]), 3)


def judge_agreement(judge: Callable[[str], dict], items: list[dict] | None = None) -> tuple[float, int]:
    """(rank correlation of the LLM judge's rubric with the operator, drafts it answered); failed answers are left out."""
    items = items if items is not None else load_judged()
    answered = [(v["rubric"], i["score"]) for i in items if "rubric" in (v := judge(i["text"]))]
    if not answered:
        return float("nan"), 0
    return round(spearman([r for r, _ in answered], [s for _, s in answered]), 3), len(answered)
