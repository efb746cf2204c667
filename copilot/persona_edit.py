"""Edit the workspace persona without YAML: form values in, a validated new version out, old versions kept."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import yaml

from copilot.errors import InputError
from copilot.persona import load_persona, persona_from_mapping
from copilot.readers import decode_bytes
from copilot.records import CONTENT_TYPES, Persona

VERSIONS_DIR = "persona_versions"
_SPLIT = re.compile(r"[，,、；;\n]+")
_SLOT = re.compile(r"^\s*(\d{1,2})[:：](\d{2})\s*(\S+)\s*$")


GROUP_COLUMNS = 9  # 群名, 类型, 定位, 时段, 给成员看的介绍, 昵称格式, 开群日, 解散日, 解散后去的群


def split_list(text: str) -> list[str]:
    """「茶友们、家人们」 / 「a, b」 / one per line → items, blanks dropped."""
    return [x.strip() for x in _SPLIT.split(text or "") if x.strip()]


def slots_text(persona: Persona, group: str) -> str:
    """A group's slots as 「08:00 早安；12:30 话题」."""
    return "；".join(f"{s.time} {s.content_type}" for s in persona.group(group).slots)


def parse_slots(text: str, group: str) -> list[dict[str, str]]:
    """「08:00 早安；12:30 话题」 → slot mappings; errors say which group and which item, in Chinese."""
    out = []
    for item in re.split(r"[；;\n]+", text or ""):
        if not item.strip():
            continue
        m = _SLOT.match(item.replace("，", " ").replace(",", " "))
        if not m:
            raise InputError(f"群「{group}」的时段「{item.strip()}」应写成「08:00 早安」，多个用；分隔")
        if m.group(3) not in CONTENT_TYPES:
            raise InputError(f"群「{group}」的时段「{item.strip()}」：内容类型只能是 {'、'.join(CONTENT_TYPES)}")
        out.append({"time": f"{int(m.group(1)):02d}:{m.group(2)}", "content_type": m.group(3)})
    return out


def form_values(persona: Persona) -> dict:
    """The persona as plain form values (lists joined with 、, groups as table rows)."""
    return {
        "name": persona.name,
        "brand": persona.brand,
        "industry": persona.industry,
        "archetype": persona.archetype,
        "address_form": "、".join(persona.address_form),
        "catchphrases": "\n".join(persona.catchphrases),
        "emoji": " ".join(persona.emoji),
        "signoff": persona.signoff,
        "tone": "、".join(persona.tone),
        "taboo": "、".join(persona.taboo),
        "who": persona.intro.who,
        "intro_brand": persona.intro.brand,
        "value": persona.intro.value,
        "trust": persona.intro.trust,
        "internal": "\n".join(persona.internal),
        "groups": [
            [
                g.name,
                g.type,
                g.positioning,
                slots_text(persona, g.name),
                g.about,
                g.nickname,
                g.active_from,
                g.active_until,
                g.moves_to,
            ]
            for g in persona.groups
        ],
    }


def mapping_from_form(values: dict) -> dict:
    """Form values → the persona YAML mapping; raises InputError (Chinese) on what the form cannot hold."""
    name = str(values.get("name") or "").strip()
    if not name:
        raise InputError("名字不能为空：IP 叫什么？")
    groups = []
    seen: set[str] = set()
    for n, row in enumerate(values.get("groups") or [], start=1):
        cells = [str(c or "").strip() for c in list(row) + [""] * GROUP_COLUMNS][:GROUP_COLUMNS]
        if not any(cells):
            continue
        gname, gtype, positioning, slots, about, nickname, active_from, active_until, moves_to = cells
        if not gname:
            raise InputError(f"第 {n} 个群没有群名")
        if gname in seen:
            raise InputError(f"群「{gname}」出现了两次")
        seen.add(gname)
        group: dict = {"name": gname, "type": gtype or "引流群", "positioning": positioning}
        optional = {"about": about, "nickname": nickname, "active_from": active_from}
        optional.update(active_until=active_until, moves_to=moves_to)
        group.update({k: v for k, v in optional.items() if v})
        parsed = parse_slots(slots, gname)
        if parsed:
            group["slots"] = parsed
        groups.append(group)
    emoji = [e for e in re.split(r"[\s、，,]+", str(values.get("emoji") or "")) if e]
    return {
        "name": name,
        "brand": str(values.get("brand") or "").strip(),
        "industry": str(values.get("industry") or "").strip(),
        "archetype": str(values.get("archetype") or "").strip(),
        "address_form": split_list(values.get("address_form", "")),
        "catchphrases": [x.strip() for x in re.split(r"[\n；;]+", values.get("catchphrases") or "") if x.strip()],
        "emoji": emoji,
        "signoff": str(values.get("signoff") or "").strip(),
        "tone": split_list(values.get("tone", "")),
        "taboo": split_list(values.get("taboo", "")),
        "intro": {
            "who": str(values.get("who") or "").strip(),
            "brand": str(values.get("intro_brand") or "").strip(),
            "value": str(values.get("value") or "").strip(),
            "trust": str(values.get("trust") or "").strip(),
        },
        "groups": groups,
        **({"internal": internal} if (internal := split_lines(values.get("internal", ""))) else {}),
    }


def split_lines(text: object) -> list[str]:
    """One item per line."""
    return [x.strip() for x in str(text or "").splitlines() if x.strip()]


def _stamp() -> str:
    return dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")


def save_version(path: Path, mapping: dict, author: str = "") -> Path:
    """Validate, keep the current file under persona_versions/, then write the new persona; returns the kept copy."""
    persona_from_mapping(mapping, "人设表单")
    versions = path.parent / VERSIONS_DIR
    versions.mkdir(parents=True, exist_ok=True)
    kept = versions / f"persona-{_stamp()}.yaml"
    extra: dict = {}
    if path.exists():
        shutil.copyfile(path, kept)
        old = yaml.safe_load(decode_bytes(path.read_bytes(), str(path))) or {}
        if isinstance(old, dict) and old.get("posts"):
            extra["posts"] = old["posts"]  # sample posts are not in the form; keep them
    header = f"# 人设（{dt.datetime.now():%Y-%m-%d %H:%M} 由 {author or '运营'} 在应用里保存）\n"
    body = yaml.safe_dump({**mapping, **extra}, allow_unicode=True, sort_keys=False, width=120)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(header + body, "utf-8")
    tmp.replace(path)
    return kept


def list_versions(path: Path) -> list[str]:
    """Kept versions, newest first (file names)."""
    versions = path.parent / VERSIONS_DIR
    return sorted((p.name for p in versions.glob("persona-*.yaml")), reverse=True) if versions.exists() else []


def restore_version(path: Path, name: str) -> Persona:
    """Make a kept version current again (the current one is kept as a version too)."""
    source = path.parent / VERSIONS_DIR / Path(name).name
    if not source.exists():
        raise InputError(f"没有这个版本：{name}")
    persona = load_persona(source)
    versions = path.parent / VERSIONS_DIR
    if path.exists():
        shutil.copyfile(path, versions / f"persona-{_stamp()}.yaml")
    tmp = path.with_suffix(".tmp")
    shutil.copyfile(source, tmp)
    tmp.replace(path)
    return persona
