"""UI handlers as plain functions: plain values in, plain values out, no Gradio here."""

from __future__ import annotations

import logging
from pathlib import Path

from copilot.errors import CopilotError
from copilot.ingest import summary
from copilot.retrieve import Filters
from copilot.services import Services

log = logging.getLogger(__name__)

ALLOWED_UPLOADS = (".csv", ".xlsx", ".jsonl", ".md", ".markdown", ".txt", ".yaml", ".yml")


def friendly(exc: BaseException) -> str:
    """A readable Chinese message for any error; unexpected ones are logged, never shown as a trace."""
    if isinstance(exc, CopilotError):
        return str(exc)
    log.exception("unexpected error in a handler")
    return f"出错了（{type(exc).__name__}）：操作没有完成，已写入日志。请重试，或把日志发给技术同事。"


def upload_knowledge(svc: Services, paths: list[str], doc_paths: list[str] | None = None, progress=None) -> str:  # noqa: ANN001 - progress is any (label, done, total) callable
    """Import uploaded persona / posts / document files; returns a summary for the operator."""
    if not paths and not doc_paths:
        return "请先选择要上传的文件。"
    persona: Path | None = None
    posts: list[Path] = []
    docs: list[Path] = []
    names: dict[Path, str] = {}
    refused: list[str] = []
    limit = svc.settings.max_upload_mb * 1024 * 1024
    for raw, is_doc in [(r, False) for r in paths] + [(r, True) for r in doc_paths or []]:
        p = Path(raw)
        names[p] = p.name
        if p.suffix.lower() not in ALLOWED_UPLOADS:
            refused.append(f"文件 {p.name}：不支持的类型，支持 {' '.join(ALLOWED_UPLOADS)}")
        elif p.stat().st_size > limit:
            refused.append(
                f"文件 {p.name}：太大（{p.stat().st_size / 1048576:.1f} MB），上限 {svc.settings.max_upload_mb:.0f} MB"
            )
        elif is_doc:
            docs.append(p)
        elif p.suffix.lower() in (".yaml", ".yml"):
            persona = p
        else:
            posts.append(p)
    try:
        report = svc.ingest(posts, docs, persona, progress=progress, names=names)
    except Exception as exc:  # noqa: BLE001 - shown to the operator as a message
        return friendly(exc)
    text = summary(report)
    if persona is not None and not any(persona.name in r for r in report.refused):
        text = f"已更新人设：{svc.persona().name}。\n" + text
    if refused:
        text += "\n" + "\n".join(f"  拒收：{r}" for r in refused)
    return text


def knowledge_stats(svc: Services) -> tuple[list[list[object]], list[list[object]]]:
    """(counts by content type rows, top posts by engagement rows) for the knowledge tab."""
    stats = svc.stats()
    counts = [[k, v] for k, v in stats["content_type"].items()]
    posts = [p for p in svc.retriever.all_posts() if p.content_type != "文档"]
    posts.sort(key=lambda p: -p.engagement)
    top = [
        [p.id, p.group, p.content_type, p.text[:40], p.replies, p.reactions, p.signups, round(p.engagement)]
        for p in posts[:10]
    ]
    return counts, top


def search_knowledge(
    svc: Services, query: str, k: int = 5, content_type: str = "", topic_type: str = "", group: str = ""
) -> list[list[object]]:
    """Rows of (id, type, topic, group, score, replies, text) for a query."""
    if not query.strip():
        return []
    hits = svc.retriever.search(query, k=int(k), filters=Filters(group or "", content_type or "", topic_type or ""))
    return [
        [
            h.post.id,
            h.post.content_type,
            h.post.topic_type,
            h.post.group,
            round(h.score, 4),
            h.post.replies,
            h.post.text,
        ]
        for h in hits
    ]
