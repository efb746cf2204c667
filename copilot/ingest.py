"""Ingest: validate whole files first, then write them to the store; a refused file writes nothing."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from copilot.errors import InputError
from copilot.persona import load_persona
from copilot.readers import read_document, read_posts
from copilot.records import IngestReport, Persona
from copilot.store import KnowledgeStore

log = logging.getLogger(__name__)

# (file label, done, total) -> None
FileProgress = Callable[[str, int, int], None]


def install_persona(source: Path, target: Path) -> Persona:
    """Validate a persona file and make it the workspace persona; the old one is kept on failure."""
    persona = load_persona(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    shutil.copyfile(source, tmp)
    tmp.replace(target)
    return persona


def ingest_files(
    store: KnowledgeStore,
    files: Sequence[Path],
    docs: Sequence[Path] = (),
    *,
    max_bytes: int = 20 * 1024 * 1024,
    progress: FileProgress | None = None,
    names: dict[Path, str] | None = None,
) -> IngestReport:
    """Read, validate and store every file; each file is all-or-nothing."""
    added = skipped = 0
    refused: list[str] = []
    ok: list[str] = []
    names = names or {}
    jobs = [(f, False) for f in files] + [(d, True) for d in docs]
    for path, is_doc in jobs:
        label = names.get(path, str(path))
        try:
            if not path.exists():
                raise InputError("文件不存在", file=label)
            posts = (
                read_document(path, max_bytes=max_bytes)
                if is_doc
                else read_posts(path, max_bytes=max_bytes, display_name=label)
            )
        except InputError as exc:
            log.warning("refused %s: %s", label, exc)
            refused.append(str(exc))
            continue

        def file_progress(done: int, total: int, _label: str = label) -> None:
            if progress:
                progress(_label, done, total)

        a, s = store.add(posts, progress=file_progress)
        added += a
        skipped += s
        ok.append(label)
    return IngestReport(added=added, skipped=skipped, refused=tuple(refused), files=tuple(ok))


def summary(report: IngestReport) -> str:
    """One Chinese paragraph: added, skipped as duplicates, refused and why."""
    lines = [f"新增 {report.added} 条，重复跳过 {report.skipped} 条，拒收 {len(report.refused)} 个文件。"]
    lines += [f"  拒收：{r}" for r in report.refused]
    return "\n".join(lines)
