"""Ingest: validate whole files first, then write them to the store; a refused file writes nothing."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from copilot.config import Limits
from copilot.errors import InputError
from copilot.persona import MAX_PERSONA_BYTES, load_persona
from copilot.readers import read_document, read_posts
from copilot.records import IngestReport, Persona
from copilot.store import KnowledgeStore
from copilot.workspace import atomic_write, begin, commit, pending

log = logging.getLogger(__name__)

# (file label, done, total) -> None
FileProgress = Callable[[str, int, int], None]


PAUSE_ENV = "COPILOT_TEST_PAUSE_INGEST"
"""Test hook: when set, an ingest stops after its first stored batch, says so on stderr and waits on stdin."""


def install_persona(source: Path, target: Path, max_bytes: int = MAX_PERSONA_BYTES) -> Persona:
    """Validate a persona file and make it the workspace persona; the old one is kept on failure."""
    persona = load_persona(source, max_bytes)
    atomic_write(target, source.read_bytes())
    return persona


def recover(store: KnowledgeStore) -> str | None:
    """Roll back a file whose ingest was interrupted (kill -9, power loss): its partial posts are removed."""
    found = pending(store.home)
    if found is None:
        return None
    label, ids = found
    with store.writing():
        store.delete(ids)
        commit(store.home)
    message = f"上次导入「{label}」中途被打断，已回滚它写入的内容（{len(ids)} 条待写），请重新导入这个文件"
    log.warning("%s", message)
    return message


def _pause_for_test() -> None:
    if os.environ.get(PAUSE_ENV):
        sys.stderr.write("PAUSED-MID-INGEST\n")
        sys.stderr.flush()
        sys.stdin.read(1)


def ingest_files(
    store: KnowledgeStore,
    files: Sequence[Path],
    docs: Sequence[Path] = (),
    *,
    max_bytes: int | None = None,
    limits: Limits | None = None,
    progress: FileProgress | None = None,
    names: dict[Path, str] | None = None,
    batch: int = 256,
    on_wait: Callable[[str], None] | None = None,
) -> IngestReport:
    """Read, validate and store every file under the workspace writer lock; each file is all-or-nothing."""
    limits = limits or Limits()
    if max_bytes is not None:
        limits = replace(limits, max_bytes=max_bytes)
    added = skipped = 0
    refused: list[str] = []
    ok: list[str] = []
    names = names or {}
    jobs = [(f, False) for f in files] + [(d, True) for d in docs]
    with store.writing_or_wait(on_wait):
        notice = recover(store)
        if notice:
            refused.append(notice)
        for path, is_doc in jobs:
            label = names.get(path, str(path))
            try:
                if not path.exists():
                    raise InputError("文件不存在", file=label)
                posts = (
                    read_document(path, limits=limits)
                    if is_doc
                    else read_posts(path, limits=limits, display_name=label)
                )
            except InputError as exc:
                log.warning("refused %s: %s", label, exc)
                refused.append(str(exc))
                continue
            except Exception as exc:  # noqa: BLE001 - one unreadable file must never stop the others
                log.exception("reading %s failed", label)
                refused.append(f"文件 {label}：读取失败（{type(exc).__name__}），整个文件未导入")
                continue

            def file_progress(done: int, total: int, _label: str = label) -> None:
                if progress:
                    progress(_label, done, total)
                if 0 < done < total:
                    _pause_for_test()

            new_ids = sorted({p.id for p in posts} - store.existing_ids(p.id for p in posts))
            begin(store.home, label, new_ids)
            a, s = store.add(posts, progress=file_progress, batch=batch)
            commit(store.home)
            added += a
            skipped += s
            ok.append(label)
    return IngestReport(added=added, skipped=skipped, refused=tuple(refused), files=tuple(ok))


def summary(report: IngestReport) -> str:
    """One Chinese paragraph: added, skipped as duplicates, refused and why."""
    lines = [f"新增 {report.added} 条，重复跳过 {report.skipped} 条，拒收 {len(report.refused)} 个文件。"]
    lines += [f"  拒收：{r}" for r in report.refused]
    return "\n".join(lines)
