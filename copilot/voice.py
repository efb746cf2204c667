"""Voice score: how close a text is to the persona's voice (0-100, explained) and how AI-flavoured it reads (0-1)."""

from __future__ import annotations

import copy
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from copilot import aiflavor
from copilot.profile import (
    ADDRESS_CANDIDATES,
    EMOJI,
    PARTICLES,
    VoiceProfile,
    cjk_len,
    emojis,
    learn_profile,
    normalize_width,
    sentences,
)
from copilot.records import Persona

Embed = Callable[[list[str]], np.ndarray]
NEUTRAL = Path(__file__).resolve().parent / "data" / "neutral_zh.txt"
STYLE_WEIGHT = 2.0
"""Weight of the writing habit (punctuation, particles, sentence length) inside the content part."""
GATE_AT = 0.3
"""Where the marker gate opens, as a share of the way from neutral text to the persona's typical post."""
GATE_STEEPNESS = 8.0
"""How sharply the gate opens (the neutral-to-own distance divided by this is one logit unit)."""
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
    """The sub-scores the score is made of (`gate`: 0-1, how much the markers were allowed to count)."""
    content: float = 0.0
    """0-100: 内容像不像, the text with markers taken out against the persona's own posts."""
    marker_score: float = 0.0
    """0-100: 标记像不像, address form, catchphrases, emoji and sign-off against the persona's own posts."""
    ai_phrases: tuple[str, ...] = ()
    """What made the text AI-flavoured, strongest first (n-grams and register features)."""

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
            "content": self.content,
            "marker_score": self.marker_score,
            "ai_phrases": list(self.ai_phrases),
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
    """(0-1, clichés found): the AI-flavour model fitted on HC3-Chinese (see `copilot.aiflavor`)."""
    f = aiflavor.model().flavor(text)
    return f.score, f.cliches


class VoiceScorer:
    """Scores texts against one persona's voice; calibrated so its own posts land high and neutral text low.

    Two parts, kept apart: **content** (内容像不像): bigram likelihood ratio and embedding similarity to the persona's
    own posts, both measured on the text with every marker (address forms, catchphrases, sign-off, emoji) taken out;
    and **markers** (标记像不像): those markers plus the punctuation, particle and sentence-length habit. Markers only
    count in proportion to a gate on the content, so foreign text dressed in the persona's markers gains nothing.
    """

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
        p = self.profile
        own_addresses = set(p.address_forms)
        self._foreign = tuple(
            a
            for a in ADDRESS_CANDIDATES
            if a not in own_addresses and a not in ("大家", "各位") and not any(a in o or o in a for o in own_addresses)
        )
        marks = {*p.address_forms, *p.catchphrases, *self._foreign, p.signoff, p.signoff.strip("—- ")}
        self._marks = tuple(sorted((m for m in marks if len(m) >= 2), key=len, reverse=True))
        own_hits = sorted(self._markers(t)[0] for t in self.posts)
        self._hits_cap = 1.0 + (own_hits[len(own_hits) // 2] if own_hits else 1.0)
        self._bare = [self.strip(t) for t in self.posts]
        self._counts: Counter[str] = Counter(g for t in self._bare for g in bigrams(t))
        self._total = sum(self._counts.values())
        self._vocab = max(len(self._counts), 1)
        self._own_embed = own_embed or embed  # a cache keyed by text serves the stripped texts too
        self._vectors = self._own_embed(self._bare) if self._own_embed and self.posts else None
        self._centroid = self._vectors.sum(axis=0) if self._vectors is not None else None
        self._calibrate()

    def using(self, embed: Embed | None, own_embed: Embed | None = None) -> VoiceScorer:
        """The same calibrated scorer embedding new texts with another workspace's functions (nothing recomputed)."""
        other = copy.copy(self)
        other.embed = embed
        other._own_embed = own_embed or embed
        return other

    def strip(self, text: str) -> str:
        """The text without markers (address forms, catchphrases, sign-off, emoji): what is left is the content."""
        t = EMOJI.sub("", normalize_width(text))
        for m in self._marks:
            t = t.replace(m, "")
        return t.strip() or " "

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
            # a bigram the persona never wrote is no evidence for it, however rare it is in general Chinese
            llr += max(min(p - self._bg.get(g, self._floor), 4.0 if c > 0 else 0.0), -4.0)
        return llr / len(grams)

    def _emb(self, vec: np.ndarray | None, own_index: int | None = None) -> float:
        if vec is None or self._centroid is None or self._vectors is None:
            return 0.0
        c = self._centroid - (self._vectors[own_index] if own_index is not None else 0)
        norm = float(np.linalg.norm(c)) or 1.0
        return float(vec @ c / norm)

    def _emoji_habit(self, text: str) -> float:
        """0-1: emoji rate and the share of the persona's own emoji (a marker: easy to paste on)."""
        p = self.profile
        em = emojis(text)
        sims = [_sim(100 * len(em) / max(cjk_len(text), 1), p.emoji_rate, max(p.emoji_rate, 0.6))]
        if em:
            sims.append(sum(1 for e in em if e.rstrip("\ufe0f") in p.emoji_set) / len(em))
        return sum(sims) / len(sims)

    def _style(self, text: str) -> float:
        """0-1: the writing habit (punctuation, particles, sentence length) of the text without its markers."""
        p = self.profile
        n = max(cjk_len(text), 1)
        sims: list[float] = []
        sim = _sim
        for mark in ("！", "～", "…", "？", "；"):
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

    def _parts(
        self, text: str, vec: np.ndarray | None, own_index: int | None = None, flavor: float | None = None
    ) -> dict[str, float]:
        """Content raw score (on the stripped text), marker raw score, penalties and the components behind them."""
        t = normalize_width(text)
        bare = self.strip(t)
        exclude = self._bare[own_index] if own_index is not None else None
        lex = self._lex(bare, exclude)
        emb = self._emb(vec, own_index)
        style = self._style(bare)
        habit = self._emoji_habit(t)
        hits, _, foreign = self._markers(t)
        if flavor is None:
            flavor, _ = ai_flavor(t)
        taboo = sum(1 for w in self.profile.taboo if w and w in t)
        return {
            "lexical": lex,
            "embedding": emb,
            "style": style,
            "emoji": habit,
            "markers": hits,
            "foreign": float(len(foreign)),
            "ai_flavor": flavor,
            "content_raw": 1.0 * lex + 3.0 * emb + STYLE_WEIGHT * style,
            # more markers than the persona's own posts carry is no more like the persona
            "marker_raw": 0.5 * habit + 0.35 * min(hits, self._hits_cap),
            "penalty": 1.5 * flavor + 0.8 * taboo + 0.5 * len(foreign),
        }

    def _gate(self, content_raw: float) -> float:
        """0-1: how far the content is the persona's own kind; markers count only this much."""
        x = (content_raw - self._c_mid) / self._c_width
        return 1 / (1 + math.exp(-max(min(x, 30.0), -30.0)))

    def _total_raw(self, parts: dict[str, float]) -> float:
        return parts["content_raw"] + self._gate(parts["content_raw"]) * parts["marker_raw"] - parts["penalty"]

    def _calibrate(self) -> None:
        """Anchors from neutral texts (→ 30) and the persona's own posts, each left out (→ 85), for content and total."""
        neutral = [x.strip() for x in NEUTRAL.read_text("utf-8").splitlines() if x.strip() and not x.startswith("#")]
        nvec = self._own_embed([self.strip(t) for t in neutral]) if self._own_embed else [None] * len(neutral)
        npart = [self._parts(t, v) for t, v in zip(neutral, nvec, strict=True)]
        c_lo = float(np.median([x["content_raw"] for x in npart]))
        if len(self.posts) >= 3:
            vecs = self._vectors if self._vectors is not None else [None] * len(self.posts)
            own = [self._parts(t, vecs[i], i) for i, t in enumerate(self.posts)]
            c_hi = float(np.median([x["content_raw"] for x in own]))
            m_hi = float(np.median([x["marker_raw"] for x in own]))
        else:
            own, c_hi, m_hi = [], c_lo + 2.0, 2.0
        c_hi = max(c_hi, c_lo + 0.5)
        self._c_lo, self._c_hi, self._m_hi = c_lo, c_hi, max(m_hi, 0.5)
        # the gate opens a little below the middle between neutral text and the persona's typical post
        self._c_mid = c_lo + GATE_AT * (c_hi - c_lo)
        self._c_width = (c_hi - c_lo) / GATE_STEEPNESS
        self._lo = float(np.median([self._total_raw(x) for x in npart]))
        hi = float(np.median([self._total_raw(x) for x in own])) if own else self._lo + 2.0
        self._hi = max(hi, self._lo + 0.5)

    # ---------------------------------------------------------------- public

    def score_many(self, texts: Sequence[str]) -> list[VoiceScore]:
        """Score texts (their stripped content embedded in one batch)."""
        vecs = self.embed([self.strip(t) for t in texts]) if self.embed and texts else [None] * len(texts)
        return [self._score(t, v) for t, v in zip(texts, vecs, strict=True)]

    def score(self, text: str) -> VoiceScore:
        """Score one text."""
        return self.score_many([text])[0]

    def _score(self, text: str, vec: np.ndarray | None) -> VoiceScore:
        t = normalize_width(text)
        flavor = aiflavor.model().flavor(t)
        parts = self._parts(t, vec, flavor=flavor.score)
        value = _soft(30.0 + 55.0 * (self._total_raw(parts) - self._lo) / (self._hi - self._lo))
        content = _soft(30.0 + 55.0 * (parts["content_raw"] - self._c_lo) / (self._c_hi - self._c_lo))
        marker = _soft(85.0 * parts["marker_raw"] / self._m_hi)
        gate = self._gate(parts["content_raw"])
        _, markers, _ = self._markers(t)
        taboo = tuple(w for w in self.profile.taboo if w and w in t)
        sents = [s for s in sentences(t) if cjk_len(self.strip(s)) >= 6]
        off = sorted(sents, key=lambda s: self._lex(self.strip(s)))[:2] if len(sents) >= 3 else []
        off = [s for s in off if self._lex(self.strip(s)) < 0.5 or any(c in s for c in flavor.cliches)]
        comp = {
            k: v for k, v in parts.items() if k in ("lexical", "embedding", "style", "emoji", "markers", "ai_flavor")
        }
        return VoiceScore(
            value,
            flavor.score,
            markers,
            flavor.cliches,
            taboo,
            tuple(off),
            {**{k: round(float(v), 3) for k, v in comp.items()}, "gate": round(gate, 3)},
            content=content,
            marker_score=marker,
            ai_phrases=flavor.phrases,
        )


def _sim(x: float, mu: float, scale: float) -> float:
    return math.exp(-abs(x - mu) / scale)


def _soft(value: float) -> float:
    """Soft clamp into 0-100 (steepest, and nearly linear, around 50)."""
    return round(100 / (1 + math.exp(-(value - 50) / 22)), 1)


def explain(s: VoiceScore) -> str:
    """A short Chinese explanation for the UI: content and markers apart, then AI flavour, taboo, off-voice lines."""
    parts = [f"人设贴合度 {s.score:.0f}/100，AI 味 {s.ai_flavor:.2f}"]
    parts.append(
        f"内容像不像：{s.content:.0f}/100（去掉称呼、口头禅、表情和落款后，用词、话题和标点语气词句长像不像人设自己的帖子）"
    )
    line = f"标记像不像：{s.marker_score:.0f}/100（称呼、口头禅、表情、落款）"
    if s.components.get("gate", 1.0) < 0.5:
        line += "；内容不像人设，这些标记不加分"
    parts.append(line)
    if s.markers["present"]:
        parts.append("有：" + "、".join(s.markers["present"]))
    if s.markers["missing"]:
        parts.append("缺：" + "、".join(s.markers["missing"]))
    if s.cliches:
        parts.append("AI 腔：" + "、".join(s.cliches))
    if s.ai_flavor >= 0.3 and s.ai_phrases:
        parts.append("AI 味主要来自：" + "、".join(s.ai_phrases))
    if s.taboo:
        parts.append("禁用词：" + "、".join(s.taboo))
    if s.off_voice:
        parts.append("最不像人设的句子：" + " / ".join(s.off_voice))
    return "\n".join(parts)
