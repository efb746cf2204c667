"""The offline template drafter: prompts/templates + persona + group context + retrieved top posts."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from copilot.prompts import PROMPT_DIR, render_template
from copilot.records import Group, Persona, Post
from copilot.rewrite import facts

TEMPLATE_DIR = PROMPT_DIR / "templates"
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_GREETING = re.compile(r"(早上好|早安|早呀|晚安|午安|大家好|晚上好|新的一天)")


@dataclass(frozen=True)
class TemplateFile:
    """One template file: its name, version and text variants."""

    name: str
    """Template name (recorded as the draft's prompt)."""
    version: str
    """Template version."""
    variants: tuple[str, ...]
    """Jinja sources; the drafter rotates through them day by day."""

    @property
    def label(self) -> str:
        """name@version."""
        return f"{self.name}@{self.version}"


@lru_cache(maxsize=32)
def load_template(content_type: str, directory: Path = TEMPLATE_DIR) -> TemplateFile:
    """prompts/templates/<content_type>.md (falls back to 其他)."""
    path = directory / f"{content_type}.md"
    if not path.exists():
        path = directory / "其他.md"
    _, header, body = path.read_text("utf-8").split("---", 2)
    meta = yaml.safe_load(header) or {}
    variants = tuple(v.strip() for v in re.split(r"^=== variant ===\s*$", body, flags=re.M) if v.strip())
    return TemplateFile(str(meta.get("name", path.stem)), str(meta.get("version", "1")), variants)


@lru_cache(maxsize=4)
def topic_bank(directory: Path = TEMPLATE_DIR) -> dict:
    """The seven topic types' guides, openings, follow-ups and summaries."""
    return yaml.safe_load((directory / "topics.yaml").read_text("utf-8"))


@lru_cache(maxsize=4)
def calendar(directory: Path = TEMPLATE_DIR) -> dict:
    """Season lines by month."""
    return yaml.safe_load((directory / "calendar.yaml").read_text("utf-8"))


def core_of(post: Post | None, persona: Persona) -> str:
    """A past post without its greeting line, sign-off and catchphrase-only lines."""
    if post is None:
        return ""
    lines = [ln.strip() for ln in post.text.strip().splitlines() if ln.strip()]
    drop = {persona.signoff, *persona.catchphrases}
    lines = [ln for ln in lines if ln not in drop and not (persona.signoff and ln.startswith(persona.signoff[:4]))]
    if lines and _GREETING.search(lines[0]) and len(lines[0]) <= 30 and len(lines) > 1:
        lines = lines[1:]
    text = "\n".join(lines)
    first = re.match(r"^[^。！？\n]{0,24}(早上好|早安|晚安|大家好)[^。！？\n]*[。！？～]\s*", text)
    if first and len(text) - first.end() > 20:
        text = text[first.end() :]
    return text.strip()


def lead_of(core: str, salt: int = 0) -> str:
    """One telling sentence of a core text (medium length, not a question to members)."""
    sents = [s.strip() for s in re.split(r"(?<=[。！？～])", core) if 8 <= len(s.strip()) <= 70]
    if not sents:
        return core[:70]
    sents.sort(key=lambda s: (-("？" not in s), -len(s)))
    return sents[salt % min(len(sents), 3)]


def schedule_text(group: Group, skip: str = "") -> str:
    """The group's rhythm as prose, e.g. 10:30 干货、12:30 话题."""
    return (
        "、".join(f"{s.time} {s.content_type}" for s in group.slots if s.content_type not in (skip, "早安", "晚安"))
        or "老样子"
    )


def context(persona: Persona, group: Group, day: dt.date, time: str, example: Post | None, salt: int) -> dict:
    """Variables every template can use."""
    address = persona.address_form[0] if persona.address_form else "大家"
    core = core_of(example, persona)
    check = [f for f in facts(core) if any(ch in f for ch in "点:：元¥￥月周号日")]
    months = calendar()
    season = months.get(day.month, [""])
    return {
        "persona": persona,
        "group": group,
        "address": address,
        "time": time,
        "e1": persona.emoji[salt % len(persona.emoji)] if persona.emoji else "",
        "date": day.isoformat(),
        "month": day.month,
        "day": day.day,
        "weekday": WEEKDAYS[day.weekday()],
        "season_line": season[salt % len(season)],
        "schedule": schedule_text(group),
        "recap": schedule_text(group).replace(" ", "的") or "聊了不少",
        "tomorrow": f"{schedule_text(group).split('、')[0]}见" if group.slots else "老时间见",
        "ex_core": core,
        "ex_lead": lead_of(core, salt),
        "check_line": f"（发之前请核对：{'、'.join(dict.fromkeys(check))}）\n" if check else "",
        "topic_type": "",
        "topic_opening": "",
    }


def render(content_type: str, variables: dict, salt: int) -> tuple[str, str]:
    """(text, template label) for a content type, the variant chosen by salt."""
    tpl = load_template(content_type)
    text = render_template(tpl.variants[salt % len(tpl.variants)], **variables)
    return re.sub(r"\n{2,}", "\n", text), tpl.label


def topic_parts(topic_type: str, index: int, persona: Persona, event: str = "") -> dict[str, object]:
    """Opening, follow-ups and summary for the index-th template topic of a type."""
    bank = topic_bank()[topic_type]
    variables = {
        "industry": persona.industry or persona.brand or "这件事",
        "brand": persona.brand or persona.name,
        "name": persona.name,
        "address": persona.address_form[0] if persona.address_form else "大家",
        "event": event or "最近的新闻",
    }
    openings, follows, sums = bank["openings"], bank["follow_ups"], bank["summaries"]
    return {
        "opening": render_template(openings[index % len(openings)], **variables),
        "follow_ups": [render_template(follows[(index + k) % len(follows)], **variables) for k in range(2)],
        "summary": render_template(sums[index % len(sums)], **variables),
        "guide": render_template(bank["guide"], **variables),
    }
