"""AI flavour: a small logistic model over character 1-3-grams plus register features, fitted on HC3-Chinese.

The weights ship in `copilot/data/aiflavor.json` (fitted by `bench/fit_aiflavor.py` on human vs ChatGPT answers from
HC3-Chinese, Guo et al. 2023, CC BY-SA 4.0) and are read once, offline. The model explains itself: each n-gram and
register feature contributes weight × value to the logit, so the phrases that pushed a text towards "AI" can be named.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from copilot.profile import PARTICLES, cjk_len, emojis, normalize_width, sentences
from copilot.rewrite import AI_CLICHE_WORDS

WEIGHTS = Path(__file__).resolve().parent / "data" / "aiflavor.json"
CLICHES = AI_CLICHE_WORDS  # one list: the rewrite removes what the AI-flavour model counts
FORMAL = (
    "进行",
    "实现",
    "提升",
    "有效",
    "相关",
    "方面",
    "能够",
    "以及",
    "通过",
    "对于",
    "具有",
    "重要",
    "因此",
    "此外",
    "然而",
    "同时",
    "确保",
    "有助于",
    "显著",
    "充分",
    "积极",
    "一定的",
    "各种",
    "不同的",
    "更加",
    "非常重要",
)
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")
HAND = ("cliches", "formal", "flat", "sentence_len", "polite_you")
HAND_NAMES = {
    "cliches": "套话",
    "formal": "书面腔词汇",
    "flat": "没有语气词和表情的平板语气",
    "sentence_len": "长句",
    "polite_you": "「您」",
}


def canonical(text: str) -> str:
    """The string n-grams are cut from: width-normalised, digits as 0, whitespace runs as one space."""
    return _SPACE.sub(" ", _DIGITS.sub("0", normalize_width(text))).strip()


def char_ngrams(text: str) -> Counter[str]:
    """Character 1-, 2- and 3-grams of the canonical text (n-grams across a space are skipped)."""
    t = canonical(text)
    grams: Counter[str] = Counter()
    for n in (1, 2, 3):
        for i in range(len(t) - n + 1):
            g = t[i : i + n]
            if " " not in g:
                grams[g] += 1
    return grams


def hand_features(text: str) -> dict[str, float]:
    """Register features: clichés, formal words, flatness (no particles, emoji, ！ or ～), sentence length, 您."""
    t = normalize_width(text)
    n = max(cjk_len(t), 1)
    per100 = 100.0 / n
    casual = sum(t.count(p) for p in PARTICLES) + len(emojis(t)) + t.count("！") + t.count("～") + t.count("哈")
    sents = sentences(t) or [t]
    mean_len = sum(cjk_len(s) for s in sents) / len(sents)
    return {
        "cliches": float(sum(1 for c in CLICHES if c in t)),
        "formal": sum(t.count(w) for w in FORMAL) * per100,
        # no particles, emoji, ！ or ～ at all is the flat register
        "flat": max(0.0, 1.0 - casual * per100 / 2.0),
        "sentence_len": min(max(mean_len - 18, 0.0) / 10, 3.0),
        "polite_you": 1.0 if "您" in t else 0.0,
    }


def ngram_values(grams: Counter[str], vocab: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """(indices, values): sublinear tf of in-vocabulary n-grams, L2-normalised over the text."""
    idx = [vocab[g] for g in grams if g in vocab]
    if not idx:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    vals = np.array([1.0 + math.log(grams[g]) for g in grams if g in vocab])
    return np.asarray(idx, dtype=np.int64), vals / np.linalg.norm(vals)


def standardise(h: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """z-scores clipped to ±3: a group post far outside the fitting data must not swing the logit without bound."""
    return np.clip((h - mean) / std, -3.0, 3.0)


@dataclass(frozen=True)
class Flavor:
    """How AI-flavoured a text reads, and why."""

    score: float
    """0-1: the model's probability, shifted by `display_offset` (see the weights file) to the scale of group posts."""
    cliches: tuple[str, ...]
    """AI clichés from the fixed list found in the text."""
    phrases: tuple[str, ...]
    """The n-grams and register features that pushed the text towards AI the most, strongest first."""


class AiFlavorModel:
    """The fitted model: n-gram weights, standardised register-feature weights, bias."""

    def __init__(self, data: dict) -> None:
        self.ngrams: list[str] = list(data["ngrams"])
        self.vocab = {g: i for i, g in enumerate(self.ngrams)}
        self.w = np.asarray(data["ngram_weights"], dtype=np.float64)
        self.hand_mean = np.asarray([data["hand_mean"][k] for k in HAND])
        self.hand_std = np.asarray([data["hand_std"][k] for k in HAND])
        self.hand_w = np.asarray([data["hand_weights"][k] for k in HAND])
        self.bias = float(data["bias"])
        self.offset = float(data.get("display_offset", 0.0))
        self.meta: dict = dict(data.get("meta", {}))

    def contributions(self, text: str) -> tuple[float, list[tuple[str, float]]]:
        """(logit, [(n-gram or register feature, contribution to the logit)])."""
        idx, vals = ngram_values(char_ngrams(text), self.vocab)
        parts = [(self.ngrams[i], float(self.w[i] * v)) for i, v in zip(idx, vals, strict=True)]
        h = hand_features(text)
        z = standardise(np.asarray([h[k] for k in HAND]), self.hand_mean, self.hand_std)
        parts += [(f"〔{HAND_NAMES[k]}〕", float(w * x)) for k, w, x in zip(HAND, self.hand_w, z, strict=True)]
        return self.bias + sum(c for _, c in parts), parts

    def flavor(self, text: str, top: int = 5) -> Flavor:
        """Score one text and name what made it AI-flavoured."""
        logit, parts = self.contributions(text)
        t = normalize_width(text)
        cliches = tuple(c for c in CLICHES if c in t)
        return Flavor(round(1 / (1 + math.exp(-(logit + self.offset))), 3), cliches, _top_phrases(parts, top))

    def logit(self, text: str) -> float:
        """The raw logit (for AUC and calibration)."""
        return self.contributions(text)[0]


def _top_phrases(parts: list[tuple[str, float]], top: int) -> tuple[str, ...]:
    """The strongest positive contributors; an n-gram inside a stronger longer one is not repeated."""
    chosen: list[str] = []
    for g, c in sorted(parts, key=lambda x: -x[1]):
        if c <= 0.02 or len(chosen) >= top:
            break
        if not g.startswith("〔") and (len(g) < 2 or not re.search(r"[\u4e00-\u9fff]", g)):
            continue  # single characters and punctuation runs name nothing an operator can change
        if any(g in o or o in g for o in chosen):
            continue
        chosen.append(g)
    return tuple(chosen)


@lru_cache(maxsize=1)
def model() -> AiFlavorModel:
    """The shipped model, loaded once."""
    return AiFlavorModel(json.loads(WEIGHTS.read_text("utf-8")))
