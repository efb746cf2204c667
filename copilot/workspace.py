"""Workspace safety: one writer per COPILOT_HOME (a file lock), an ingest journal, and atomic no-symlink writes."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

log = logging.getLogger(__name__)

WRITE_LOCK = ".write.lock"
OPEN_LOCK = ".open.lock"
JOURNAL = "ingest.journal.json"
WAITING = "另一个导入正在写这个工作区，等它完成后继续……"


class _FileLock:
    """An exclusive fcntl lock on one file, re-entrant within a process (threads take turns)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    @contextlib.contextmanager
    def hold(self, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
        """Hold the lock; when another process has it, call on_wait once and block until it is free."""
        with self._thread_lock:
            if self._depth == 0:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    log.info("%s", WAITING)
                    if on_wait:
                        on_wait(WAITING)
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX)
                    except BaseException:
                        os.close(fd)
                        raise
                self._fd = fd
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._fd is not None:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                    os.close(self._fd)
                    self._fd = None

    def try_hold(self) -> bool:
        """True when no other process holds the lock right now (checked without waiting)."""
        with self._thread_lock:
            if self._depth:
                return True
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            finally:
                os.close(fd)  # closing drops the lock again
            return True


_LOCKS: dict[Path, _FileLock] = {}
_LOCKS_GUARD = threading.Lock()


def file_lock(path: Path) -> _FileLock:
    """The process-wide lock object for one lock file."""
    key = path.resolve()
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, _FileLock(key))


def write_lock(home: Path) -> _FileLock:
    """The workspace's writer lock: every ingest and every store write holds it."""
    return file_lock(home / WRITE_LOCK)


def open_lock(home: Path) -> _FileLock:
    """Held briefly while a process creates or opens the store, so two first opens never race."""
    return file_lock(home / OPEN_LOCK)


# ---------------------------------------------------------------- atomic writes


def atomic_write(path: Path, data: bytes | str) -> Path:
    """Write through a fresh temp file in the same folder, then rename over the target.

    The temp name is created with O_EXCL (a planted symlink is never followed) and the rename replaces a
    symlink at the target itself, never the file it points to.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return path


# ---------------------------------------------------------------- ingest journal


def journal_path(home: Path) -> Path:
    """Where the journal of the file being ingested lives."""
    return home / JOURNAL


def begin(home: Path, label: str, ids: list[str]) -> None:
    """Record, before any write, which ids this file is about to add."""
    atomic_write(journal_path(home), json.dumps({"file": label, "ids": ids}, ensure_ascii=False))


def commit(home: Path) -> None:
    """The file is fully stored: forget the journal."""
    with contextlib.suppress(FileNotFoundError):
        journal_path(home).unlink()


def pending(home: Path) -> tuple[str, list[str]] | None:
    """(file, ids) of an ingest that was interrupted, or None."""
    path = journal_path(home)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
        return str(data["file"]), [str(i) for i in data["ids"]]
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("导入日志损坏，已忽略：%s", path)
        commit(home)
        return None
