"""UI handlers for 群数据 (chat imports, the group's rhythm) and 人设编辑: plain values in and out, no Gradio."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from copilot.errors import CopilotError
from copilot.handlers import friendly
from copilot.readers import DOC_TYPE
from copilot.services import Services

# ---------------------------------------------------------------- 群数据

CHAT_UPLOADS = (".json", ".jsonl", ".csv")


def import_chat(
    svc: Services,
    path: str | None,
    ip: str,
    group: str = "",
    window: float = 60,
    since: str = "",
    progress=None,  # noqa: ANN001 - any (label, done, total) callable
) -> tuple[str, list[list[object]]]:
    """Import a chat export; returns (summary, rows of the IP's posts: time, type, replies, repliers, quotes, signups, text)."""
    if not path:
        return "请先选择聊天记录导出文件。", []
    p = Path(path)
    if p.suffix.lower() not in CHAT_UPLOADS:
        return f"文件 {p.name}：不支持的类型，支持 {' '.join(CHAT_UPLOADS)}", []
    try:
        since_day = dt.date.fromisoformat(since.strip()) if since and since.strip() else None
    except ValueError:
        return f"日期「{since}」格式不对，请写成 2026-11-01", []
    try:
        result = svc.import_chat(
            p,
            ip or "",
            group=(group or "").strip(),
            window=int(window or 60),
            since=since_day,
            progress=progress,
            display_name=p.name,
        )
    except Exception as exc:  # noqa: BLE001 - shown to the operator
        return friendly(exc), []
    rows = [
        [c.id, f"{c.time:%Y-%m-%d %H:%M}", c.group, c.content_type, c.topic_type]
        + [c.replies, c.repliers, c.quotes, c.signups, c.text]
        for c in result.posts
    ]
    return result.summary(), rows


def chat_post_rows(svc: Services, group: str) -> list[list[object]]:
    """The group's posts that came from chat imports, in time order, as rows of the editable table."""
    posts = [p for p in svc.retriever.all_posts() if p.group == group and p.id.startswith("chat-")]
    posts.sort(key=lambda p: (p.date, p.id))
    return [
        [p.id, p.date, p.group, p.content_type, p.topic_type, p.replies, p.repliers, p.quotes, p.signups, p.text]
        for p in posts
    ]


def retype_posts(svc: Services, rows: list[list[object]]) -> str:
    """Save the content / topic types an operator corrected in the table (all rows valid, or nothing saved)."""
    from dataclasses import replace

    from copilot.records import CONTENT_TYPES, TOPIC_TYPES

    wanted: dict[str, tuple[str, str]] = {}
    for n, row in enumerate(rows or [], start=1):
        pid = str(row[0] or "").strip()
        if not pid:
            continue
        ctype, topic = str(row[3] or "").strip(), str(row[4] or "").strip()
        if ctype not in CONTENT_TYPES:
            return f"第 {n} 行：内容类型「{ctype}」不认识，可选：{'、'.join(CONTENT_TYPES)}。没有保存任何修改"
        if topic and topic not in TOPIC_TYPES:
            return f"第 {n} 行：话题类型「{topic}」不认识，可选：{'、'.join(TOPIC_TYPES)}，或留空。没有保存任何修改"
        wanted[pid] = (ctype, topic)
    stored = svc.store.get_many(wanted)
    changed = [
        replace(p, content_type=wanted[pid][0], topic_type=wanted[pid][1])
        for pid, p in stored.items()
        if (p.content_type, p.topic_type) != wanted[pid]
    ]
    try:
        svc.store.update_metadata(changed)
    except Exception as exc:  # noqa: BLE001
        return friendly(exc)
    return f"已修改 {len(changed)} 条帖子的类型" if changed else "类型没有变化"


def group_data(svc: Services, group: str) -> dict:
    """Everything the 群数据 view shows for a group: hours, slots, engagement by type, top posts, suggestions."""
    from copilot.rhythm import active_hours

    if not group:
        return {
            "summary": "请选择一个群",
            "posts": [],
            "hours": [],
            "by_type": [],
            "by_topic": [],
            "top": [],
            "advice": "",
        }
    data = svc.rhythm(group)
    slot_hours = {int(s["time"][:2]): s for s in data["slots"]}
    active = set(active_hours(data["active_hours"]))
    hours = [
        [
            f"{h:02d}",
            data["active_hours"][str(h)],
            "有时段" if h in slot_hours else ("活跃时段" if h in active else "其他"),
        ]
        for h in range(24)
    ]
    posts = [p for p in svc.retriever.all_posts() if p.group == group and p.content_type != DOC_TYPE]

    def table(key: str) -> list[list[object]]:
        buckets: dict[str, list] = {}
        for p in posts:
            name = getattr(p, key)
            if name:
                buckets.setdefault(name, []).append(p)
        rows = [
            [
                name,
                len(ps),
                round(sum(p.replies for p in ps) / len(ps), 1),
                round(sum(p.repliers for p in ps) / len(ps), 1),
                round(sum(p.signups for p in ps) / len(ps), 1),
                round(sum(p.engagement for p in ps) / len(ps), 1),
            ]
            for name, ps in buckets.items()
        ]
        return sorted(rows, key=lambda r: -float(r[5]))

    top = sorted(posts, key=lambda p: -p.engagement)[:10]
    advice = [f"- {s['reason']}" for s in data["slots"] if s.get("reason")]
    if not data["days"]:
        summary = f"「{group}」还没有导入聊天记录：上传一份导出文件，就能看到群里的活跃时段。"
    else:
        summary = (
            f"**{group}**：{data['first_day']} ~ {data['last_day']}（{data['days']} 天），每天 **{data['messages_per_day']}** "
            f"条成员消息，**{data['active_members']}** 位成员说过话；活跃时段："
            + ("、".join(f"{h} 点" for h in sorted(active)) or "—")
        )
    return {
        "summary": summary,
        "posts": chat_post_rows(svc, group),
        "hours": hours,
        "by_type": table("content_type"),
        "by_topic": table("topic_type"),
        "top": [
            [p.date, p.content_type, p.replies, p.repliers, p.quotes, p.signups, round(p.engagement), p.text[:60]]
            for p in top
        ],
        "advice": "\n".join(advice) if advice else ("现在的时段都落在群里有人说话的时间。" if data["days"] else ""),
    }


# ---------------------------------------------------------------- 人设编辑

PERSONA_FIELDS = (
    "internal",
    "name",
    "brand",
    "industry",
    "archetype",
    "address_form",
    "catchphrases",
    "emoji",
    "signoff",
    "tone",
    "taboo",
    "who",
    "intro_brand",
    "value",
    "trust",
    "groups",
)


def persona_form(svc: Services) -> dict:
    """The workspace persona as form values (empty values when there is none yet)."""
    from copilot.persona_edit import form_values

    try:
        return form_values(svc.persona())
    except CopilotError:
        return {f: ([] if f == "groups" else "") for f in PERSONA_FIELDS}


def save_persona(svc: Services, values: dict, author: str) -> tuple[str, list[str]]:
    """Validate the form and save it as the new persona version; returns (message, versions newest first)."""
    from copilot.persona_edit import list_versions, mapping_from_form, save_version

    path = svc.settings.persona_path
    try:
        mapping = mapping_from_form(values)
        kept = save_version(path, mapping, author)
    except Exception as exc:  # noqa: BLE001 - shown to the operator
        return f"❌ 没有保存：{friendly(exc)}", list_versions(path)
    persona = svc.persona()
    note = f"，上一版留作 {kept.name}（可恢复）" if kept.exists() else ""
    return f"✅ 已保存人设「{persona.name}」（{len(persona.groups)} 个群）{note}", list_versions(path)


def restore_persona(svc: Services, version: str) -> tuple[str, dict]:
    """Make a kept version current again; returns (message, form values)."""
    from copilot.persona_edit import restore_version

    if not version:
        return "请先选择要恢复的版本", persona_form(svc)
    try:
        persona = restore_version(svc.settings.persona_path, version)
    except Exception as exc:  # noqa: BLE001
        return f"❌ {friendly(exc)}", persona_form(svc)
    return f"✅ 已恢复 {version}（人设「{persona.name}」）；恢复前的版本也留着", persona_form(svc)


def draft_persona(path: str | None, ip: str, group: str = "") -> str:
    """A persona YAML drafted from the IP's messages in an uploaded export (or the reason it could not be)."""
    from copilot.persona_draft import draft_from_file

    if not path:
        return "# 请先选择聊天记录导出文件"
    try:
        return draft_from_file(Path(path), ip or "", group=(group or "").strip())
    except Exception as exc:  # noqa: BLE001 - shown to the operator
        return f"# {friendly(exc)}"
