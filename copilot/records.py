"""Domain records (frozen dataclasses) and the vocabularies they use."""

from __future__ import annotations

from dataclasses import dataclass, field

CONTENT_TYPES: tuple[str, ...] = (
    "早安",
    "干货",
    "话题",
    "活动预告",
    "活动提醒",
    "晚安",
    "自我介绍",
    "群规",
    "欢迎",
    "公告",
    "其他",
)
TOPIC_TYPES: tuple[str, ...] = ("热点事件", "社会民生", "八卦", "行业大厂", "情怀共鸣", "成长经历", "社群自带")
GROUP_TYPES: tuple[str, ...] = ("引流群", "活动群", "转化群", "学习群")
METRICS: tuple[str, ...] = ("replies", "reactions", "signups", "clicks", "repliers", "quotes")


@dataclass(frozen=True)
class Slot:
    """One posting slot in a group's daily rhythm."""

    time: str
    """Clock time, "HH:MM"."""
    content_type: str
    """One of CONTENT_TYPES."""


@dataclass(frozen=True)
class Group:
    """A WeChat/WeCom group the persona runs."""

    name: str
    """Display name, also the `group` value of its posts."""
    type: str = "引流群"
    """One of GROUP_TYPES."""
    positioning: str = ""
    """Why the group exists and for whom."""
    slots: tuple[Slot, ...] = ()
    """The daily rhythm, sorted by time."""


@dataclass(frozen=True)
class Intro:
    """The four parts of an IP self-introduction."""

    who: str = ""
    """Who I am."""
    brand: str = ""
    """What my brand is."""
    value: str = ""
    """What value or service I give you."""
    trust: str = ""
    """Why you should trust me."""


@dataclass(frozen=True)
class Persona:
    """The IP persona whose voice every draft must carry."""

    name: str
    """The persona's name, e.g. 阿禾."""
    brand: str = ""
    """Brand the persona speaks for."""
    industry: str = ""
    """Industry, free text."""
    archetype: str = ""
    """亲民 or 专业 (or empty when unknown)."""
    address_form: tuple[str, ...] = ()
    """How members are addressed, e.g. 家人们."""
    catchphrases: tuple[str, ...] = ()
    """Signature phrases."""
    emoji: tuple[str, ...] = ()
    """Emoji the persona habitually uses."""
    signoff: str = ""
    """How posts are signed."""
    tone: tuple[str, ...] = ()
    """Tone traits, free text."""
    taboo: tuple[str, ...] = ()
    """Words the persona never uses."""
    intro: Intro = field(default_factory=Intro)
    """Facts for the self-introduction."""
    groups: tuple[Group, ...] = ()
    """Groups the persona runs."""

    def group(self, name: str | None) -> Group:
        """The named group, or the first one when name is empty; raises KeyError if unknown."""
        if not self.groups:
            raise KeyError("人设文件里没有任何群")
        if not name:
            return self.groups[0]
        for g in self.groups:
            if g.name == name:
                return g
        raise KeyError(name)


@dataclass(frozen=True)
class Post:
    """A past post (or a knowledge chunk) with its performance."""

    id: str
    """Stable id: the file's `id` column, else a hash of the text."""
    text: str
    """The post as it was sent."""
    content_type: str = "其他"
    """One of CONTENT_TYPES (or 文档 for SOP/product documents)."""
    topic_type: str = ""
    """One of TOPIC_TYPES, or empty."""
    group: str = ""
    """Group name, or empty for brand-wide material."""
    date: str = ""
    """ISO date, or empty."""
    replies: int = 0
    """Replies the post got."""
    reactions: int = 0
    """Likes / reactions."""
    signups: int = 0
    """接龙 sign-ups."""
    clicks: int = 0
    """Link clicks."""
    repliers: int = 0
    """Distinct members who replied (derived from chat exports)."""
    quotes: int = 0
    """Quote replies to the post (derived from chat exports)."""
    source: str = ""
    """File the post came from."""

    @property
    def metrics(self) -> dict[str, int]:
        """The metrics as a dict."""
        return {m: getattr(self, m) for m in METRICS}

    @property
    def engagement(self) -> float:
        """One engagement number: replies and sign-ups weigh most, reactions and clicks less."""
        base = 3.0 * self.replies + 1.0 * self.reactions + 4.0 * self.signups + 0.5 * self.clicks
        # a quote reply is a member answering this post by name; more distinct voices beat one chatty member
        return base + 2.0 * self.quotes + 1.0 * self.repliers


@dataclass(frozen=True)
class Hit:
    """A retrieved post with its fused score."""

    post: Post
    """The post."""
    score: float
    """Fused relevance score, higher is better."""
    percentile: float = 0.0
    """Engagement percentile of the post within its group (0-1)."""


@dataclass(frozen=True)
class IngestReport:
    """What one ingest run did."""

    added: int = 0
    """Posts written to the store."""
    skipped: int = 0
    """Posts already in the store (same id)."""
    refused: tuple[str, ...] = ()
    """One message per refused file: what and where."""
    files: tuple[str, ...] = ()
    """Files that were read successfully."""
