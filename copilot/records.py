"""Domain records (frozen dataclasses) and the vocabularies they use."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

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
METRICS: tuple[str, ...] = ("replies", "reactions", "signups", "clicks")


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
    about: str = ""
    """One line for members about what the group is (positioning is for the operator only)."""


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
    internal: tuple[str, ...] = ()
    """Operator-only notes about the persona (strategy, targets): context for writing, never in a post."""

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
    source: str = ""
    """File the post came from."""

    @property
    def metrics(self) -> dict[str, int]:
        """The four metrics as a dict."""
        return {m: getattr(self, m) for m in METRICS}

    @property
    def engagement(self) -> float:
        """One engagement number: replies and sign-ups weigh most, reactions and clicks less."""
        return 3.0 * self.replies + 1.0 * self.reactions + 4.0 * self.signups + 0.5 * self.clicks


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


KIND_LABELS = {
    "stale_date": "过期日期",
    "weekday": "星期不对",
    "season": "不合时令",
    "unknown_fact": "来源不明的事实",
    "conflict": "前后矛盾",
    "internal": "内部信息",
}


@dataclass(frozen=True)
class Warning:
    """One problem an operator must look at before approving."""

    kind: str
    """stale_date | weekday | season | unknown_fact | conflict | internal."""
    text: str
    """The span found in the draft."""
    message: str
    """What is wrong and what to do, in Chinese."""

    def as_dict(self) -> dict:
        """JSON form."""
        return asdict(self)

    @property
    def label(self) -> str:
        """One line for a card: 过期日期：「11 月 25 日」已经过去……"""
        return f"{KIND_LABELS.get(self.kind, self.kind)}：{self.message}"


@dataclass(frozen=True)
class Draft:
    """One generated piece of content, with everything needed to trust and review it."""

    kind: str
    """day | intro | topic | script | rewrite."""
    content_type: str
    """Content type (早安, 干货 …) or the script / intro variant."""
    text: str
    """Member-facing text; empty when the draft failed or was skipped."""
    model: str
    """Model name, or `template` for the offline drafter."""
    prompt: str
    """Prompt (or template) name@version that produced it."""
    sources: tuple[str, ...] = ()
    """Ids of the retrieved posts it was based on."""
    status: str = "ok"
    """ok | failed | skipped."""
    error: str = ""
    """Why it failed or was skipped, in Chinese."""
    slot_time: str = ""
    """HH:MM for day-plan slots."""
    group: str = ""
    """Group name."""
    date: str = ""
    """ISO date the draft is for."""
    title: str = ""
    """Short label (topic title, intro length, activity name …)."""
    prompt_tokens: int = 0
    """Prompt tokens (tiktoken count for templates, the API's usage for models)."""
    completion_tokens: int = 0
    """Completion tokens."""
    notes: tuple[str, ...] = ()
    """Explanations: voice changes applied."""
    warnings: tuple[Warning, ...] = ()
    """Freshness and internal-text warnings found after writing."""
    note: str = ""
    """For the operator only (editor notes, fallbacks): never in `text`, never exported or pushed."""

    def as_dict(self) -> dict:
        """JSON-friendly dict."""
        d = asdict(self)
        d["sources"] = list(self.sources)
        d["notes"] = list(self.notes)
        d["warnings"] = [w.as_dict() for w in self.warnings]
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
    """Provenance (model, prompt, sources, status, warnings)."""

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
