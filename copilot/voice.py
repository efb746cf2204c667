"""Voice score: how close a text is to the persona's voice (0-100, explained) and how AI-flavoured it reads (0-1)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from copilot.profile import (
    ADDRESS_CANDIDATES,
    PARTICLES,
    VoiceProfile,
    cjk_len,
    emojis,
    learn_profile,
    normalize_width,
    sentences,
)
from copilot.records import Persona
from copilot.rewrite import AI_CLICHE_WORDS

Embed = Callable[[list[str]], np.ndarray]
NEUTRAL = Path(__file__).resolve().parent / "data" / "neutral_zh.txt"
_FORMAL = (
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
_ENUM = re.compile(r"(?m)^\s*(?:\d+[.、)）]|[一二三四五六]、|第[一二三四五][，,、：:]|[一二三]是)")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


@dataclass(frozen=True)
class VoiceScore:
    """A text's voice score against one persona, with its explanation."""

    score: float
    """0-100: how much it sounds like the persona."""
    ai_flavor: float
    """0-1: how much it reads like generic LLM Chinese."""
    markers: dict[str, list[str]]
    """`present` and `missing` persona markers (address form, catchphrase, sign-off, emoji, particles)."""
    cliches: tuple[str, ...]
    """AI clichés found."""
    taboo: tuple[str, ...]
    """The persona's taboo words used."""
    off_voice: tuple[str, ...]
    """Sentences that sound least like the persona."""
    components: dict[str, float]
    """The sub-scores (0-1) the score is made of."""

    def as_dict(self, text: str = "") -> dict:
        """The JSON record `copilot score --json` prints."""
        return {
            "text": text,
            "score": self.score,
            "ai_flavor": self.ai_flavor,
            "markers": self.markers,
            "cliches": list(self.cliches),
            "taboo": list(self.taboo),
            "off_voice": list(self.off_voice),
            "components": self.components,
        }


@lru_cache(maxsize=1)
def background_bigrams() -> tuple[dict[str, float], float]:
    """General-Chinese character-bigram log-probabilities, from jieba's bundled word-frequency dictionary."""
    import jieba

    counts: Counter[str] = Counter()
    path = Path(jieba.__file__).parent / "dict.txt"
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split(" ")
            word = parts[0]
            if len(word) < 2 or not _CJK_RUN.fullmatch(word):
                continue
            freq = int(parts[1])
            for i in range(len(word) - 1):
                counts[word[i : i + 2]] += freq
    total = sum(counts.values())
    floor = math.log(0.5 / total)
    return {g: math.log(n / total) for g, n in counts.items()}, floor


def bigrams(text: str) -> list[str]:
    """Character bigrams inside CJK runs."""
    return [run[i : i + 2] for run in _CJK_RUN.findall(text) for i in range(len(run) - 1)]


def ai_flavor(text: str) -> tuple[float, tuple[str, ...]]:
    """(0-1, clichés found): clichés, connective scaffolding, symmetric enumerations, flat formal register."""
    t = normalize_width(text)
    n = max(cjk_len(t), 1)
    cliches = tuple(c for c in AI_CLICHE_WORDS if c in t)
    formal = sum(t.count(w) for w in _FORMAL)
    enum = len(_ENUM.findall(t))
    particles = sum(t.count(p) for p in PARTICLES)
    casual = particles + len(emojis(t)) + t.count("！") + t.count("～") + t.count("哈")
    sents = sentences(t) or [t]
    mean_len = sum(cjk_len(s) for s in sents) / len(sents)
    per100 = 100.0 / n
    # no particles, emoji, ！ or ～ at all is the flat register; a one-line card carries too little to tell
    flat = max(0.0, 1.0 - casual * per100 / 2.0) * min(1.0, n / 60)
    x = (
        -2.5
        + 1.2 * len(cliches)
        + 0.4 * min(enum, 4)
        + 0.9 * formal * per100
        + 1.8 * flat
        + 0.05 * max(mean_len - 18, 0)
        + (0.6 if "您" in t else 0.0)
    )
    return round(1 / (1 + math.exp(-x)), 3), cliches


class VoiceScorer:
    """Scores texts against one persona's voice; calibrated so its own posts land high and neutral text low."""

    def __init__(
        self,
        persona: Persona,
        own_posts: Sequence[str],
        embed: Embed | None = None,
        profile: VoiceProfile | None = None,
        own_embed: Embed | None = None,
    ) -> None:
        """`own_embed` (default `embed`) embeds the persona's posts and the neutral anchors, e.g. from a cache."""
        self.persona = persona
        self.posts = [normalize_width(t) for t in own_posts if t.strip()]
        self.profile = profile or learn_profile(persona, self.posts)
        self.embed = embed
        self._bg, self._floor = background_bigrams()
        self._counts: Counter[str] = Counter(g for t in self.posts for g in bigrams(t))
        self._total = sum(self._counts.values())
        self._vocab = max(len(self._counts), 1)
        own_addresses = set(self.profile.address_forms)
        self._foreign = tuple(
            a
            for a in ADDRESS_CANDIDATES
            if a not in own_addresses and a not in ("大家", "各位") and not any(a in o or o in a for o in own_addresses)
        )
        self._own_embed = own_embed or embed
        self._vectors = self._own_embed(self.posts) if self._own_embed and self.posts else None
        self._centroid = self._vectors.sum(axis=0) if self._vectors is not None else None
        self._lo, self._hi = self._calibrate()

    # ---------------------------------------------------------------- components

    def _lex(self, text: str, exclude: str | None = None) -> float:
        """Mean log-likelihood ratio persona vs general Chinese of the text's bigrams (leave-one-out for own posts)."""
        grams = bigrams(text)
        if not grams:
            return 0.0
        minus = Counter(bigrams(exclude)) if exclude else Counter()
        total = self._total - sum(minus.values())
        alpha = 0.5
        llr = 0.0
        for g in grams:
            c = self._counts.get(g, 0) - minus.get(g, 0)
            p = math.log((c + alpha) / (total + alpha * self._vocab * 4))
            llr += max(min(p - self._bg.get(g, self._floor), 4.0), -4.0)
        return llr / len(grams)

    def _emb(self, vec: np.ndarray | None, own_index: int | None = None) -> float:
        if vec is None or self._centroid is None or self._vectors is None:
            return 0.0
        c = self._centroid - (self._vectors[own_index] if own_index is not None else 0)
        norm = float(np.linalg.norm(c)) or 1.0
        return float(vec @ c / norm)

    def _style(self, text: str) -> float:
        p = self.profile
        n = max(cjk_len(text), 1)
        sims: list[float] = []

        def sim(x: float, mu: float, scale: float) -> float:
            return math.exp(-abs(x - mu) / scale)

        em = emojis(text)
        sims.append(sim(100 * len(em) / n, p.emoji_rate, max(p.emoji_rate, 0.6)))
        if em:
            own = sum(1 for e in em if e.rstrip("\ufe0f") in p.emoji_set)
            sims.append(own / len(em))
        for mark in ("！", "～", "…", "？"):
            mu = p.mark_rates.get(mark, 0.0)
            sims.append(sim(100 * text.count(mark) / n, mu, max(mu, 0.8)))
        rate = 100 * sum(text.count(x) for x in PARTICLES) / n
        sims.append(sim(rate, p.particle_rate, max(p.particle_rate, 1.0)))
        lens = [cjk_len(s) for s in sentences(text)] or [n]
        sims.append(sim(sum(lens) / len(lens), p.sentence_mean, max(p.sentence_mean * 0.5, 6)))
        return sum(sims) / len(sims)

    def _markers(self, text: str) -> tuple[float, dict[str, list[str]], tuple[str, ...]]:
        p = self.profile
        present: list[str] = []
        missing: list[str] = []
        value = 0.0
        for label, items in (("称呼", p.address_forms), ("口头禅", p.catchphrases)):
            if not items:
                continue
            hit = [x for x in items if x in text]
            if hit:
                present += [f"{label}：{x}" for x in hit]
                value += 1.0
            else:
                missing.append(f"{label}：{items[0]}")
        if p.signoff:
            if p.signoff in text or p.signoff.strip("—- ")[:4] in text:
                present.append(f"落款：{p.signoff}")
                value += 1.0
            else:
                missing.append(f"落款：{p.signoff}")
        own_emoji = [e for e in emojis(text) if e.rstrip("\ufe0f") in p.emoji_set]
        if p.emoji_set and p.emoji_rate >= 0.2:
            (present if own_emoji else missing).append(f"表情：{''.join(own_emoji[:3]) or p.emoji_set[0]}")
        fav = p.favourite_particles[:3]
        if fav:
            used = [x for x in fav if x in text]
            (present if used else missing).append(f"语气词：{'/'.join(used or fav)}")
        foreign = tuple(a for a in self._foreign if a in text)
        if foreign:
            value -= 1.5 * len(foreign)
            present += [f"不属于人设的称呼：{a}" for a in foreign]
        return value, {"present": present, "missing": missing}, foreign

    def _raw(self, text: str, vec: np.ndarray | None, own_index: int | None = None) -> tuple[float, dict]:
        t = normalize_width(text)
        exclude = self.posts[own_index] if own_index is not None else None
        lex = self._lex(t, exclude)
        emb = self._emb(vec, own_index)
        style = self._style(t)
        markers, _, _ = self._markers(t)
        flavor, cliches = ai_flavor(t)
        taboo = sum(1 for w in self.profile.taboo if w and w in t)
        raw = 1.0 * lex + 3.0 * emb + 2.0 * style + 0.35 * markers - 1.5 * flavor - 0.8 * taboo
        return raw, {"lexical": lex, "embedding": emb, "style": style, "markers": markers, "ai_flavor": flavor}

    def _calibrate(self) -> tuple[float, float]:
        """Raw-score anchors: the median of neutral texts (→ 30) and of the persona's own posts, left out (→ 85)."""
        neutral = [x.strip() for x in NEUTRAL.read_text("utf-8").splitlines() if x.strip() and not x.startswith("#")]
        nvec = self._own_embed(neutral) if self._own_embed else [None] * len(neutral)
        lo = float(np.median([self._raw(t, v)[0] for t, v in zip(neutral, nvec, strict=True)]))
        if len(self.posts) >= 3:
            own = [
                self._raw(t, self._vectors[i] if self._vectors is not None else None, i)[0]
                for i, t in enumerate(self.posts)
            ]
            hi = float(np.median(own))
        else:
            hi = lo + 2.0
        return lo, max(hi, lo + 0.5)

    # ---------------------------------------------------------------- public

    def score_many(self, texts: Sequence[str]) -> list[VoiceScore]:
        """Score texts (embedded in one batch)."""
        vecs = self.embed(list(texts)) if self.embed and texts else [None] * len(texts)
        return [self._score(t, v) for t, v in zip(texts, vecs, strict=True)]

    def score(self, text: str) -> VoiceScore:
        """Score one text."""
        return self.score_many([text])[0]

    def _score(self, text: str, vec: np.ndarray | None) -> VoiceScore:
        t = normalize_width(text)
        raw, comp = self._raw(t, vec)
        value = 30.0 + 55.0 * (raw - self._lo) / (self._hi - self._lo)
        value = round(100 / (1 + math.exp(-(value - 50) / 22)), 1)  # soft clamp into 0-100
        _, markers, _ = self._markers(t)
        flavor, cliches = ai_flavor(t)
        taboo = tuple(w for w in self.profile.taboo if w and w in t)
        sents = [s for s in sentences(t) if cjk_len(s) >= 6]
        off = sorted(sents, key=lambda s: self._lex(s))[:2] if len(sents) >= 3 else []
        off = [s for s in off if self._lex(s) < 0.5 or any(c in s for c in cliches)]
        return VoiceScore(
            value, flavor, markers, cliches, taboo, tuple(off), {k: round(float(v), 3) for k, v in comp.items()}
        )


def explain(s: VoiceScore) -> str:
    """A short Chinese explanation for the UI."""
    parts = [f"人设贴合度 {s.score:.0f}/100，AI 味 {s.ai_flavor:.2f}"]
    if s.markers["present"]:
        parts.append("有：" + "、".join(s.markers["present"]))
    if s.markers["missing"]:
        parts.append("缺：" + "、".join(s.markers["missing"]))
    if s.cliches:
        parts.append("AI 腔：" + "、".join(s.cliches))
    if s.taboo:
        parts.append("禁用词：" + "、".join(s.taboo))
    if s.off_voice:
        parts.append("最不像人设的句子：" + " / ".join(s.off_voice))
    return "\n".join(parts)
