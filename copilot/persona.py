"""Read and validate the persona YAML into a Persona record."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from copilot.errors import InputError
from copilot.readers import decode_bytes
from copilot.records import CONTENT_TYPES, GROUP_TYPES, Group, Intro, Persona, Slot

# A group without slots gets the rhythm its type usually runs.
DEFAULT_SLOTS: dict[str, tuple[tuple[str, str], ...]] = {
    "引流群": (("08:00", "早安"), ("10:30", "干货"), ("12:30", "话题"), ("19:30", "活动提醒"), ("22:00", "晚安")),
    "学习群": (("07:30", "早安"), ("09:00", "干货"), ("12:00", "话题"), ("20:00", "干货"), ("21:30", "晚安")),
    "活动群": (("09:00", "活动预告"), ("12:00", "活动提醒"), ("18:00", "话题"), ("20:00", "活动提醒")),
    "转化群": (("09:00", "活动预告"), ("12:00", "活动提醒"), ("19:30", "活动提醒"), ("21:30", "晚安")),
}
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SlotIn(_Strict):
    time: str
    content_type: str

    @field_validator("time", mode="before")
    @classmethod
    def _time(cls, v: object) -> str:
        if isinstance(v, int):  # YAML reads 08:00 unquoted as sexagesimal minutes
            v = f"{v // 60:02d}:{v % 60:02d}"
        m = _TIME.match(str(v).strip())
        if not m:
            raise ValueError(f'时间「{v}」应写成 HH:MM，例如 "08:00"')
        return f"{int(m.group(1)):02d}:{m.group(2)}"

    @field_validator("content_type")
    @classmethod
    def _ctype(cls, v: str) -> str:
        if v not in CONTENT_TYPES:
            raise ValueError(f"内容类型「{v}」不认识，可选：{'、'.join(CONTENT_TYPES)}")
        return v


class GroupIn(_Strict):
    name: str
    type: str = "引流群"
    positioning: str = ""
    about: str = ""  # what members read about the group; positioning is internal
    nickname: str = ""  # nickname format for new members, e.g. 城市-昵称
    active_from: str = ""  # YYYY-MM-DD: the group opens
    active_until: str = ""  # YYYY-MM-DD: the group closes (快闪群)
    moves_to: str = ""  # the group members move to after it closes
    slots: list[SlotIn] = []

    @field_validator("active_from", "active_until", mode="before")
    @classmethod
    def _day(cls, v: object) -> str:
        import datetime as dt

        if v in (None, ""):
            return ""
        if isinstance(v, dt.date):
            return v.isoformat()
        try:
            return dt.date.fromisoformat(str(v).strip()).isoformat()
        except ValueError:
            raise ValueError(f"日期「{v}」不对，请写成 YYYY-MM-DD（这一天要存在）") from None

    @field_validator("type")
    @classmethod
    def _type(cls, v: str) -> str:
        if v not in GROUP_TYPES:
            raise ValueError(f"群类型「{v}」不认识，可选：{'、'.join(GROUP_TYPES)}")
        return v


class IntroIn(_Strict):
    who: str = ""
    brand: str = ""
    value: str = ""
    trust: str = ""


class PersonaIn(_Strict):
    name: str
    brand: str = ""
    industry: str = ""
    archetype: str = ""
    address_form: list[str] = []
    catchphrases: list[str] = []
    emoji: list[str] = []
    signoff: str = ""
    tone: list[str] = []
    taboo: list[str] = []
    intro: IntroIn = IntroIn()
    groups: list[GroupIn] = []
    internal: list[str] = []  # operator-only notes, never copied into posts
    posts: list[dict] = []  # sample posts in the persona's own voice (optional)

    @field_validator("archetype")
    @classmethod
    def _arch(cls, v: str) -> str:
        if v and v not in ("亲民", "专业"):
            raise ValueError(f"archetype「{v}」只能是 亲民 或 专业")
        return v


def _group(g: GroupIn) -> Group:
    slots = [Slot(s.time, s.content_type) for s in g.slots] or [Slot(t, c) for t, c in DEFAULT_SLOTS[g.type]]
    if g.active_from and g.active_until and g.active_until < g.active_from:
        raise ValueError(f"群「{g.name}」的 active_until 早于 active_from")
    return Group(
        g.name,
        g.type,
        g.positioning,
        tuple(sorted(slots, key=lambda s: s.time)),
        g.about,
        g.nickname,
        g.active_from,
        g.active_until,
        g.moves_to,
    )


def persona_from_mapping(data: object, source: str = "") -> Persona:
    """Validate a parsed YAML mapping into a Persona; errors name the offending key."""
    if not isinstance(data, dict):
        raise InputError("人设文件应是 YAML 映射（name: ... 这样的键值对）", file=source)
    try:
        p = PersonaIn.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "不认识的键，请检查拼写"
        elif err["type"] == "missing":
            msg = "缺少必填项"
        raise InputError(msg, file=source, column=where) from None
    try:
        groups = tuple(_group(g) for g in p.groups)
    except ValueError as exc:
        raise InputError(str(exc), file=source, column="groups") from None
    names = {g.name for g in groups}
    for g in groups:
        if g.moves_to and g.moves_to not in names:
            raise InputError(f"群「{g.name}」的 moves_to「{g.moves_to}」不在人设的群里", file=source, column="groups")
    return Persona(
        name=p.name,
        brand=p.brand,
        industry=p.industry,
        archetype=p.archetype,
        address_form=tuple(p.address_form),
        catchphrases=tuple(p.catchphrases),
        emoji=tuple(p.emoji),
        signoff=p.signoff,
        tone=tuple(p.tone),
        taboo=tuple(p.taboo),
        intro=Intro(**p.intro.model_dump()),
        groups=groups,
        internal=tuple(p.internal),
    )


MAX_PERSONA_BYTES = 256 * 1024


def load_persona(path: Path, max_bytes: int = MAX_PERSONA_BYTES) -> Persona:
    """Read a persona YAML file (UTF-8, UTF-8 BOM or GBK) of at most max_bytes."""
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(
            f"人设文件有 {size / 1024:.0f} KB，超过上限 {max_bytes / 1024:.0f} KB（人设只需写名字、口吻、群和时段）",
            file=str(path),
        )
    raw = path.read_bytes()
    text = decode_bytes(raw, str(path))
    try:
        # Anchors and aliases (& and *) can make a small file expand into an enormous structure; a persona
        # never needs them.
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else None
                raise InputError(
                    "人设文件里不能用 YAML 锚点和别名（& 与 *），请把内容直接写出来", file=str(path), line=line
                )
        data = yaml.safe_load(text)
    except RecursionError:
        raise InputError("YAML 嵌套太深", file=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InputError(f"YAML 格式错误：{getattr(exc, 'problem', exc)}", file=str(path), line=line) from None
    return persona_from_mapping(data, str(path))


def sample_posts(path: Path) -> list[dict]:
    """The optional `posts:` list of a persona file (used by eval personas)."""
    data = yaml.safe_load(decode_bytes(path.read_bytes(), str(path))) or {}
    return list(data.get("posts") or [])
