"""A persona's voice profile, learned from the persona file and its own posts."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from copilot.records import Persona

PARTICLES = ("呀", "啦", "哈", "呢", "哦", "嘛", "吧", "哇", "噢", "咯")
MARKS = ("！", "～", "…", "？", "；", "——")
# Generic address forms people use in Chinese groups; the persona's own ones are learned on top.
ADDRESS_CANDIDATES = (
    "家人们",
    "宝子们",
    "宝宝们",
    "宝妈们",
    "姐妹们",
    "集美们",
    "兄弟们",
    "伙计们",
    "同学们",
    "朋友们",
    "小伙伴们",
    "亲们",
    "各位同学",
    "各位书友",
    "各位家长",
    "各位",
    "大家",
    "茶友们",
    "书友们",
    "铁子们",
    "老铁们",
)
EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f900-\U0001f9ff\u2b50\u2b55\u2705\u274c\u2764\u203c\u2049]\ufe0f?"
)
_SENT_END = re.compile(r"(?<=[。！？!?～…\n])")
_HALF_TO_FULL = {",": "，", "!": "！", "?": "？", ";": "；", ":": "：", "~": "～"}


def normalize_width(text: str) -> str:
    """Full-width letters/digits/space to half-width; half-width punctuation after Chinese to full-width."""
    text = re.sub(r"[\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A]", lambda m: chr(ord(m.group(0)) - 0xFEE0), text)
    text = text.replace("\u3000", " ")
    text = re.sub(
        r"(?<=[\u4e00-\u9fff\U0001F000-\U0001FAFF）」』])([,!?;:~])(?!\d)", lambda m: _HALF_TO_FULL[m.group(1)], text
    )
    return text.replace("……", "…").replace("...", "…").replace("“", "「").replace("”", "」")


def sentences(text: str) -> list[str]:
    """Split into sentences on Chinese end marks and newlines; empty pieces dropped."""
    return [s.strip() for s in _SENT_END.split(text) if s.strip()]


def cjk_len(text: str) -> int:
    """Characters that count for length (no whitespace)."""
    return len(re.sub(r"\s", "", text))


def emojis(text: str) -> list[str]:
    """Emoji in order of appearance."""
    return EMOJI.findall(text)


def ngrams(text: str, n: int) -> Iterable[str]:
    """Character n-grams of the text's CJK/alnum runs."""
    for run in re.findall(r"[\u4e00-\u9fffA-Za-z0-9]+", text):
        for i in range(len(run) - n + 1):
            yield run[i : i + n]


@dataclass(frozen=True)
class VoiceProfile:
    """What makes a persona sound like itself, as numbers and word lists."""

    name: str
    """Persona name."""
    address_forms: tuple[str, ...] = ()
    """How members are addressed, most typical first."""
    catchphrases: tuple[str, ...] = ()
    """Signature phrases."""
    emoji_set: tuple[str, ...] = ()
    """Emoji the persona uses, most frequent first."""
    emoji_rate: float = 0.0
    """Emoji per 100 characters in the persona's posts."""
    particle_rates: dict[str, float] = field(default_factory=dict)
    """Per-particle occurrences per 100 characters."""
    mark_rates: dict[str, float] = field(default_factory=dict)
    """Punctuation habit: ！～…？；—— per 100 characters."""
    sentence_mean: float = 18.0
    """Mean sentence length in characters."""
    sentence_p75: float = 26.0
    """75th percentile sentence length."""
    signoff: str = ""
    """Sign-off line."""
    taboo: tuple[str, ...] = ()
    """Words the persona never uses."""
    ngram_profile: dict[str, float] = field(default_factory=dict)
    """Relative frequency of the persona's characteristic character bigrams/trigrams."""
    post_count: int = 0
    """How many posts the profile was learned from."""

    @property
    def particle_rate(self) -> float:
        """All particles per 100 characters."""
        return sum(self.particle_rates.values())

    @property
    def favourite_particles(self) -> tuple[str, ...]:
        """Particles the persona actually uses, most frequent first."""
        return tuple(p for p, r in sorted(self.particle_rates.items(), key=lambda x: -x[1]) if r > 0.05)


def _rate(count: int, chars: int) -> float:
    return 100.0 * count / max(chars, 1)


def learn_profile(persona: Persona, texts: list[str], background: Counter | None = None) -> VoiceProfile:
    """Learn a profile from the persona file plus its own posts (works from posts alone too)."""
    texts = [normalize_width(t) for t in texts if t.strip()]
    chars = sum(cjk_len(t) for t in texts)
    joined = "\n".join(texts)

    address = list(persona.address_form)
    counts = Counter({a: joined.count(a) for a in ADDRESS_CANDIDATES if a not in ("大家", "各位")})
    for a, n in counts.most_common(4):
        if n >= max(2, len(texts) // 10) and a not in address and not any(a in x for x in address):
            address.append(a)

    emoji_counts = Counter(e.rstrip("\ufe0f") for t in texts for e in emojis(t))
    emoji_set = list(dict.fromkeys([*persona.emoji, *(e for e, n in emoji_counts.most_common(8) if n >= 2)]))

    lengths = sorted(cjk_len(s) for t in texts for s in sentences(t)) or [18]
    mean = sum(lengths) / len(lengths)
    p75 = float(lengths[int(0.75 * (len(lengths) - 1))])

    signoff = persona.signoff
    if not signoff and len(texts) >= 5:
        last_lines = Counter(t.strip().splitlines()[-1].strip() for t in texts)
        line, n = last_lines.most_common(1)[0]
        if n >= max(3, len(texts) // 4) and len(line) <= 20:
            signoff = line

    catch = list(persona.catchphrases)
    grams = Counter(g for t in texts for n in (2, 3) for g in set(ngrams(t, n)))
    ngram_profile: dict[str, float] = {}
    if grams:
        total = sum(grams.values())
        bg_total = sum(background.values()) if background else 0
        for g, n in grams.most_common(3000):
            if n < 2:
                break
            weight = n / total
            if background and bg_total:
                weight /= (background.get(g, 0) + 1) / bg_total * 50 + 1e-9
            ngram_profile[g] = weight
        top = sorted(ngram_profile.items(), key=lambda x: -x[1])[:400]
        norm = sum(v for _, v in top) or 1.0
        ngram_profile = {g: v / norm for g, v in top}

    return VoiceProfile(
        name=persona.name,
        address_forms=tuple(address),
        catchphrases=tuple(catch),
        emoji_set=tuple(emoji_set),
        emoji_rate=_rate(sum(emoji_counts.values()), chars),
        particle_rates={p: _rate(joined.count(p), chars) for p in PARTICLES},
        mark_rates={m: _rate(joined.count(m), chars) for m in MARKS},
        sentence_mean=mean,
        sentence_p75=p75,
        signoff=signoff,
        taboo=tuple(persona.taboo),
        ngram_profile=ngram_profile,
        post_count=len(texts),
    )
