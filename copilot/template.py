"""The offline template drafter: prompts/templates + persona + group context + retrieved top posts."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from copilot.mask import evergreen_sentences
from copilot.prompts import PROMPT_DIR, render_template
from copilot.records import Group, Persona
from copilot.timefacts import PLACEHOLDER

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
def _lines(directory: Path = TEMPLATE_DIR) -> dict:
    path = directory / "lines.yaml"
    return (yaml.safe_load(path.read_text("utf-8")) or {}) if path.exists() else {}


def closing_lines(content_type: str) -> list[str]:
    """prompts/templates/lines.yaml: the closing lines a morning or night post rotates through ({{ line }})."""
    return [str(x) for x in _lines().get(content_type, [])]


@lru_cache(maxsize=4)
def calendar(directory: Path = TEMPLATE_DIR) -> dict:
    """Season lines by month."""
    return yaml.safe_load((directory / "calendar.yaml").read_text("utf-8"))


def core_of(text: str, persona: Persona) -> str:
    """A past post without its greeting line, sign-off and catchphrase-only lines."""
    if not text:
        return ""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    drop = {persona.signoff, *persona.catchphrases}
    lines = [ln for ln in lines if ln not in drop and not (persona.signoff and ln.startswith(persona.signoff[:4]))]
    if lines and _GREETING.search(lines[0]) and len(lines[0]) <= 30 and len(lines) > 1:
        lines = lines[1:]
    text = "\n".join(lines)
    first = re.match(r"^[^。！？\n]{0,24}(早上好|早安|晚安|大家好)[^。！？\n]*[。！？～]\s*", text)
    if first and len(text) - first.end() > 20:
        text = text[first.end() :]
    return text.strip()


# A sentence opening with a pronoun or connective leans on the one before it and cannot stand alone.
_DANGLING = re.compile(r"^(他|她|它|这|那|但|可是|所以|而且|然后|因为|于是|后来|不过|其实|结果)")


def schedule_text(group: Group, skip: str = "") -> str:
    """The group's rhythm as prose, e.g. 10:30 干货、12:30 话题."""
    return (
        "、".join(f"{s.time} {s.content_type}" for s in group.slots if s.content_type not in (skip, "早安", "晚安"))
        or "老样子"
    )


RITUALS = ("作业", "打卡", "点评", "接龙")
"""Group rituals a post may mention only in a group that has them (a line about homework in a group without any)."""


def evergreen_core(core: str, rituals: frozenset[str] | None = None) -> str:
    """A masked core without the sentences that carried time-bound facts (whole lines kept where possible), and,
    when `rituals` is given, without lines about a ritual (作业, 打卡 …) the group does not have."""
    lines: list[str] = []
    for n, line in enumerate(core.splitlines()):
        if rituals is not None and any(r in line and r not in rituals for r in RITUALS):
            continue
        if n == 0 and PLACEHOLDER.search(line):
            line = opening_without_time(line)
        if not PLACEHOLDER.search(line):
            if line:
                lines.append(line)
            continue
        kept = "".join(evergreen_sentences(line))
        if kept and len(kept) >= 8 and not _DANGLING.match(kept):
            lines.append(kept)
    # a post whose opening line went must not start mid-thought ("当然不是啦，那叫金毫", "阿禾的建议：")
    while lines and (_DANGLING.match(lines[0]) or _ANSWER.match(lines[0]) or lines[0].rstrip().endswith(("：", ":"))):
        lines.pop(0)
    return "\n".join(lines).strip()


def opening_without_time(line: str) -> str:
    """A post's topic line without its dated parts: 〔某天〕讲水，泡茶的水…被忽略 → 讲讲水，泡茶的水…被忽略."""
    out = []
    for sent in re.split(r"(?<=[。！？～])", line.strip()):
        if PLACEHOLDER.search(sent):
            sent = _undated(sent)
        if sent.strip():
            out.append(sent)
    kept = "".join(out).strip()
    return "" if len(kept) < 4 or _DANGLING.match(kept) else kept


def _undated(sentence: str) -> str:
    """One sentence's clauses without placeholders; a leading 〔某天〕讲 becomes 讲讲, a leading 〔某天〕 goes."""
    clauses = []
    for c in re.split(r"(?<=[，：])", sentence):
        c = re.sub(r"^\s*〔某天〕\s*(讲|聊|说|学)(?!\1)", r"\1\1", c)
        bare = re.sub(r"^\s*〔(?:某天|活动)〕\s*(?!的)", "", c)
        if not PLACEHOLDER.search(bare) and len(bare.strip("，： ")) >= 2:
            c = bare
        if not PLACEHOLDER.search(c):
            clauses.append(c)
    kept = "".join(clauses).strip().rstrip("，：")
    if not kept or _DANGLING.match(kept) or re.match(r"^(?:问|是)", kept):  # 是一款… lost its subject
        return ""
    return kept if kept.endswith(("。", "！", "？", "～")) or not sentence.rstrip().endswith("。") else kept + "。"


_ANSWER = re.compile(r"^(?:当然|是的|对[，,！]|没错|不是的|对啊|嗯)")


def wholeness(text: str, persona: Persona, rituals: frozenset[str] | None = None) -> float:
    """How much of a masked past post survives as an evergreen whole (1.0: nothing was cut)."""
    core = core_of(text, persona)
    return len(evergreen_core(core, rituals)) / max(len(core), 1)


SEASONAL = re.compile(
    r"天凉|天冷|降温|入秋|入冬|秋冬|冬天|冬日|夏天|夏日|酷暑|暑热|暖气|供暖|春天|开春|梅雨|回南天|秋燥|秋天|贴秋膘"
)


def out_of_season(text: str, month: int, day: dt.date) -> bool:
    """A post that talks about its season (天凉了, 暖气一来) and was written more than a month away from `day`'s."""
    if not month or not SEASONAL.search(text):
        return False
    gap = abs(month - day.month) % 12
    return min(gap, 12 - gap) > 1


def grams(text: str, n: int = 6) -> set[str]:
    """Character n-grams of a text's lines (blank lines and the sign-off do not matter)."""
    flat = re.sub(r"\s+", "", text)
    return {flat[i : i + n] for i in range(max(len(flat) - n + 1, 0))}


def echo(text: str, said: set[str], signoff: str = "") -> float:
    """The share of a text's wording already said (its n-grams found in `said`); 0: all new, 1: all repeated."""
    own = grams(text.replace(signoff, "") if signoff else text)
    return len(own & said) / len(own) if own else 0.0


def season_line(lines: list[str], day: dt.date, salt: int) -> str:
    """A season line of the month that fits the very day (立冬过了 is right on 11-10, wrong on 11-30)."""
    from copilot.fresh import Sources, check_text

    dated = calendar().get("days", {}).get(f"{day.month:02d}-{day.day:02d}")
    if dated:  # a holiday or a day members mark (元旦, 跨年夜) is greeted as such
        return str(dated)
    rotated = lines[salt % len(lines) :] + lines[: salt % len(lines)] if lines else []
    return next((ln for ln in rotated if not check_text(ln, Sources(day))), "")


def greeting_emoji(persona: Persona) -> list[str]:
    """The persona's emoji fit to open a post: a folded-hands 🙏 thanks or begs, and reads oddly at a post's head."""
    return [e for e in persona.emoji if e not in ("🙏", "🙇", "🙇‍♀️", "🙇‍♂️")] or list(persona.emoji)


def context(
    persona: Persona,
    group: Group,
    day: dt.date,
    time: str,
    example_text: str,
    salt: int,
    rituals: frozenset[str] | None = None,
) -> dict:
    """Variables every template can use (example_text is a masked past post)."""
    address = persona.address_form[0] if persona.address_form else "大家"
    core = core_of(example_text, persona)
    greeting = greeting_emoji(persona)
    months = calendar()
    season = months.get(day.month, [""])
    return {
        "persona": persona,
        "group": group,
        "address": address,
        "time": time,
        "e1": greeting[salt % len(greeting)] if greeting else "",
        "date": day.isoformat(),
        "month": day.month,
        "day": day.day,
        "weekday": WEEKDAYS[day.weekday()],
        "season_line": season_line(season, day, salt),
        "ex_core": evergreen_core(core, rituals),
        "has_homework": bool(
            rituals and "作业" in rituals and re.search(r"^作业[：:]", evergreen_core(core, rituals), flags=re.M)
        ),
        "progress": "",
        "core_asks": "？" in (evergreen_core(core, rituals).splitlines() or [""])[-1],
        "topic_type": "",
        "topic_opening": "",
    }


def render(content_type: str, variables: dict, salt: int) -> tuple[str, str]:
    """(text, template label) for a content type, the variant chosen by salt."""
    tpl = load_template(content_type)
    text = render_template(tpl.variants[salt % len(tpl.variants)], **variables)
    return re.sub(r"\n{2,}", "\n", text), tpl.label


def topic_parts(
    topic_type: str, index: int, persona: Persona, event: str = "", story: str = "", group: str = ""
) -> dict[str, object]:
    """Opening, follow-ups and summary of the index-th whole template topic of a type (they belong together)."""
    bank = topic_bank()[topic_type]
    variables = {
        "brand": persona.brand or persona.name,
        "name": persona.name,
        "address": persona.address_form[0] if persona.address_form else "大家",
        "e1": greeting_emoji(persona)[index % len(greeting_emoji(persona))] if persona.emoji else "",
        "event": event.strip().rstrip("。！!") or "最近的新闻",
        "story": story or persona_story(persona),
        "group": group or (persona.groups[0].name if persona.groups else "咱们群"),
        "industry": persona.industry.strip() or persona.brand or "这一行",  # for the LLM guide
        "field": field_word(persona),
    }
    topics = bank["topics"]
    topic = topics[index % len(topics)]
    return {
        "opening": render_template(topic["opening"], **variables),
        "follow_ups": [render_template(f, **variables) for f in topic["follow_ups"]],
        "summary": render_template(topic["summary"], **variables),
        "guide": render_template(bank["guide"], **variables),
        "count": len(topics),
        "tells_story": "{{ story }}" in topic["opening"],
    }


def field_word(persona: Persona) -> str:
    """The persona's industry as one word members say (茶 of 「茶」, 母婴 of 「母婴（0-3岁）、早教…」)."""
    head = re.split(r"[（(「《、，,/\s]", persona.industry.strip())[0]
    return head or persona.brand or "这一行"


def persona_story(persona: Persona) -> str:
    """A first-person paragraph from the persona's own intro, for when no past story fits."""
    who = persona.intro.who.strip()
    if not who:
        return f"我是{persona.name}，做{persona.industry or persona.brand or '这一行'}好些年了。"
    if who.startswith(persona.name):
        who = "我是" + who
    return who if who.endswith(("。", "！", "～")) else who + "。"


def own_family(text: str, persona: Persona) -> str:
    """Retold in the first person: 阿禾爸 → 我爸 (the persona naming their own family reads oddly in a story)."""
    kin = "爸|妈|爷爷|奶奶|外公|外婆|哥哥|哥|姐姐|姐|弟弟|妹妹|家"
    return re.sub(rf"{re.escape(persona.name)}(?=(?:{kin}))", "我", text) if persona.name else text


def story_of(text: str, persona: Persona) -> str:
    """The longest whole, evergreen, question-free run of paragraphs of a masked past post (a story to retell, with
    its ending: 后来… / 结果… paragraphs go with the one they follow), or ''."""
    best = ""
    paras = [p.strip() for p in core_of(text, persona).splitlines() if p.strip()]
    for i, para in enumerate(paras):
        if not (
            20 <= len(para) <= 160
            and _tellable(para)
            and not _DANGLING.match(para)
            and not re.match(r"^(?:我的是|我先说|我先来|我的话|我也是|哈哈)", para)
            and not _GREETING.search(para)
        ):
            continue
        run = para
        for nxt in paras[i + 1 :]:  # the story's next beats (their dated sentences left out), as long as they tell
            if PLACEHOLDER.search(nxt):
                nxt = "".join(evergreen_sentences(nxt)).strip()
            if not nxt or not _tellable(nxt) or len(run) + len(nxt) > 320:
                break
            run = f"{run}\n{nxt}"
        if len(run) > len(best):
            best = run
    return best


def _tellable(para: str) -> bool:
    return (
        not PLACEHOLDER.search(para)
        and "？" not in para
        and "?" not in para
        and "@" not in para
        and not re.match(r"^\s*(?:[·•\-—*]|\d{1,2}[.、)）])", para)
    )


STAGE_TIMING = {"预热造势": "活动前 2-3 天", "进人拉升": "活动前 1 天到开始前", "集中爆破": "活动当天、开始那一刻起"}
NINE_STEPS = (
    "提前准备",
    "反复通知",
    "强调规则",
    "提前暖场",
    "嘉宾介绍",
    "互动诱导",
    "随时控场",
    "收尾总结",
    "提供福利",
)


@lru_cache(maxsize=4)
def scripts(directory: Path = TEMPLATE_DIR) -> dict:
    """Group rules, announcement, welcome and activity script templates."""
    return yaml.safe_load((directory / "scripts.yaml").read_text("utf-8"))


def nickname_format(group: Group) -> str:
    """The nickname ritual for a group (学习群 add the cohort so teachers can find people)."""
    if group.nickname:
        return group.nickname
    return "期数-城市-昵称（例：3期-杭州-小周）" if group.type == "学习群" else "城市-昵称（例：杭州-小周）"


# What members may read about a group when the persona file gives no `about` line (never the positioning).
GROUP_PURPOSE = {
    "引流群": "咱们交流、提问、分享的地方",
    "学习群": "咱们一起学习、打卡、互相答疑的地方",
    "活动群": "活动期间发通知、答疑的地方，重要消息都在这里",
    "转化群": "活动期间发通知、答疑的地方，重要消息都在这里",
}


def group_about(group: Group) -> str:
    """The member-facing line about a group."""
    return group.about.strip().rstrip("。") or GROUP_PURPOSE.get(group.type, "咱们交流的地方")


def render_script(kind: str, persona: Persona, group: Group, details: str = "") -> tuple[str, str]:
    """(text, label) of a script from scripts.yaml: plain text, three stages, or the nine-step run sheet."""
    spec = scripts()[kind]
    variables = {
        "persona": persona,
        "group": group,
        "address": persona.address_form[0] if persona.address_form else "大家",
        "e1": persona.emoji[0] if persona.emoji else "",
        "details": details.strip(),
        "nickname": nickname_format(group),
        "schedule": schedule_text(group),
        "brand": persona.brand or persona.name,
        "about": group_about(group),
    }
    if "text" in spec:
        text = render_template(spec["text"], **variables)
    elif "stages" in spec:
        lines = [f"【{kind}三段式脚本】{group.name}" + (f"｜{details.strip()}" if details.strip() else "")]
        for stage, messages in spec["stages"].items():
            lines.append(f"\n▍{stage}（建议：{STAGE_TIMING.get(stage, '')}）")
            lines += [f"{j}. {render_template(m, **variables)}" for j, m in enumerate(messages, 1)]
        text = "\n".join(lines)
    else:
        lines = [f"【直播 / 群分享控场流程】{group.name}" + (f"｜{details.strip()}" if details.strip() else "")]
        for j, step in enumerate(NINE_STEPS, 1):
            lines.append(f"{j}. {step}：{render_template(spec['steps'][step], **variables)}")
        text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip(), f"tpl_script_{kind}@1"
