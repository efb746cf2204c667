"""Drafts under human review, in SQLite: draft → approved | rejected → published, every edit a new version."""

from __future__ import annotations

import builtins
import datetime as dt
import json
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from copilot.draft import Draft
from copilot.errors import ConflictError, InputError
from copilot.records import KIND_LABELS, Warning

STATES = ("draft", "approved", "rejected", "published")
STATE_LABELS = {"draft": "待审核", "approved": "已通过", "rejected": "已驳回", "published": "已发布"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS drafts (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, group_name TEXT NOT NULL DEFAULT '', date TEXT NOT NULL DEFAULT '',
    slot_time TEXT NOT NULL DEFAULT '', content_type TEXT NOT NULL DEFAULT '', title TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'draft', version INTEGER NOT NULL DEFAULT 1, text TEXT NOT NULL,
    model TEXT NOT NULL DEFAULT '', prompt TEXT NOT NULL DEFAULT '', sources TEXT NOT NULL DEFAULT '[]',
    notes TEXT NOT NULL DEFAULT '[]', prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0, voice_score REAL, flags TEXT NOT NULL DEFAULT '[]',
    reject_reason TEXT NOT NULL DEFAULT '', push_result TEXT NOT NULL DEFAULT '', metrics TEXT NOT NULL DEFAULT '{}',
    author TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS drafts_day ON drafts(date, group_name);
CREATE TABLE IF NOT EXISTS versions (
    draft_id TEXT NOT NULL, version INTEGER NOT NULL, text TEXT NOT NULL, author TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, PRIMARY KEY (draft_id, version)
);
CREATE TABLE IF NOT EXISTS events (
    draft_id TEXT NOT NULL, at TEXT NOT NULL, author TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Record:
    """A stored draft with its review state."""

    id: str
    """Draft id."""
    kind: str
    """day | intro | topic | script | rewrite."""
    group: str
    """Group name."""
    date: str
    """ISO date the post is for."""
    slot_time: str
    """HH:MM, or empty."""
    content_type: str
    """Content type or variant."""
    title: str
    """Short label."""
    state: str
    """draft | approved | rejected | published."""
    version: int
    """Increments on every edit; used for the optimistic version check."""
    text: str
    """Current text."""
    model: str
    """Model that wrote the first version (`template` offline)."""
    prompt: str
    """Prompt name@version."""
    sources: tuple[str, ...]
    """Retrieved post ids."""
    notes: tuple[str, ...]
    """Voice-rewrite explanations and warnings."""
    prompt_tokens: int
    """Prompt tokens."""
    completion_tokens: int
    """Completion tokens."""
    voice_score: float | None
    """Voice score 0-100 at the last save, if scored."""
    flags: tuple[str, ...]
    """Compliance flags at the last save."""
    reject_reason: str
    """Why it was rejected."""
    push_result: str
    """Result of the last push to the group robot."""
    metrics: dict
    """Recorded performance after publishing."""
    author: str
    """Who made the last change."""
    created_at: str
    """ISO timestamp."""
    updated_at: str
    """ISO timestamp."""
    warnings: tuple[Warning, ...] = ()
    """Freshness and internal-text warnings of the current version."""
    note: str = ""
    """For the operator only: never exported, never pushed."""

    @property
    def needs_ack(self) -> bool:
        """True when the current version carries warnings the operator must acknowledge before approving."""
        return bool(self.warnings)

    def warning_summary(self) -> str:
        """e.g. 过期日期 1 条、内部信息 2 条."""
        counts: dict[str, int] = {}
        for w in self.warnings:
            counts[w.kind] = counts.get(w.kind, 0) + 1
        return "、".join(f"{KIND_LABELS.get(k, k)} {n} 条" for k, n in counts.items())

    @property
    def state_label(self) -> str:
        """Chinese label of the state."""
        return STATE_LABELS.get(self.state, self.state)


@dataclass(frozen=True)
class Version:
    """One saved version of a draft's text."""

    version: int
    """Version number."""
    text: str
    """Text of that version."""
    author: str
    """Who saved it."""
    note: str
    """What happened (生成 / 编辑 / 重新生成 / 人设改写)."""
    created_at: str
    """ISO timestamp."""


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


def _record(row: sqlite3.Row) -> Record:
    return Record(
        id=row["id"],
        kind=row["kind"],
        group=row["group_name"],
        date=row["date"],
        slot_time=row["slot_time"],
        content_type=row["content_type"],
        title=row["title"],
        state=row["state"],
        version=row["version"],
        text=row["text"],
        model=row["model"],
        prompt=row["prompt"],
        sources=tuple(json.loads(row["sources"])),
        notes=tuple(json.loads(row["notes"])),
        prompt_tokens=row["prompt_tokens"],
        completion_tokens=row["completion_tokens"],
        voice_score=row["voice_score"],
        flags=tuple(json.loads(row["flags"])),
        reject_reason=row["reject_reason"],
        push_result=row["push_result"],
        metrics=json.loads(row["metrics"]),
        author=row["author"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        warnings=tuple(Warning(**w) for w in json.loads(row["warnings"] or "[]")),
        note=row["note"] or "",
    )


def _warnings_json(warnings: object) -> str:
    return json.dumps([w.as_dict() for w in warnings or ()], ensure_ascii=False)  # type: ignore[attr-defined]


class NeedsAckError(InputError):
    """The draft carries warnings the operator has not acknowledged."""


class ReviewStore:
    """SQLite-backed review queue; one short transaction per operation, safe across threads and tabs."""

    after_ack_check: Callable[[Record], None] | None = None
    """Test seam: called by approve right after it judged the warnings, before it writes."""

    def __init__(self, path: Path, *, timeout: float = 10.0) -> None:
        self.path = path
        self.timeout = timeout
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=timeout)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)
            have = {r[1] for r in conn.execute("PRAGMA table_info(drafts)")}
            for column in ("warnings", "note"):  # workspaces created before the freshness check
                if column not in have:
                    default = "'[]'" if column == "warnings" else "''"
                    conn.execute(f"ALTER TABLE drafts ADD COLUMN {column} TEXT NOT NULL DEFAULT {default}")
            conn.commit()
        finally:
            conn.close()

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("BEGIN IMMEDIATE")  # the write lock first: checks and writes below see one state
        except sqlite3.OperationalError as exc:
            conn.close()
            if "locked" in str(exc) or "busy" in str(exc):
                raise ConflictError(
                    f"草稿库正被另一个操作占用（等了 {self.timeout:g} 秒），这次没有保存任何改动，请稍后再试"
                ) from None
            raise
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    def add(
        self, draft: Draft, *, author: str = "副驾", voice_score: float | None = None, flags: tuple[str, ...] = ()
    ) -> Record:
        """Store a finished draft as state `draft`; failed drafts are refused (partial text is never saved)."""
        if draft.status != "ok" or not draft.text.strip():
            raise InputError(f"未完成的草稿不能保存：{draft.error or '内容为空'}")
        rid = uuid.uuid4().hex[:12]
        now = _now()
        with self._db() as db:
            existing = self._same_slot(db, draft)
            if existing is not None:  # one draft per (group, date, slot): a new draft is its next version
                if existing.state in ("approved", "published"):
                    return existing  # an approved post is never replaced behind the operator's back
                version = existing.version + 1
                db.execute(
                    "UPDATE drafts SET text=?, version=?, author=?, updated_at=?, voice_score=?, flags=?, state='draft',"
                    " model=?, prompt=?, sources=?, notes=?, warnings=?, note=?, reject_reason='' WHERE id=?",
                    (
                        draft.text,
                        version,
                        author,
                        now,
                        voice_score,
                        json.dumps(list(flags), ensure_ascii=False),
                        draft.model,
                        draft.prompt,
                        json.dumps(list(draft.sources)),
                        json.dumps(list(draft.notes), ensure_ascii=False),
                        _warnings_json(draft.warnings),
                        draft.note,
                        existing.id,
                    ),
                )
                db.execute(
                    "INSERT INTO versions VALUES (?,?,?,?,?,?)",
                    (existing.id, version, draft.text, author, "再次生成", now),
                )
                self._event(db, existing.id, author, "regenerate", draft.model)
                rid = existing.id
                return self._get(db, rid)
            db.execute(
                "INSERT INTO drafts (id, kind, group_name, date, slot_time, content_type, title, text, model, prompt,"
                " sources, notes, prompt_tokens, completion_tokens, voice_score, flags, author, created_at, updated_at,"
                " warnings, note) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    rid,
                    draft.kind,
                    draft.group,
                    draft.date,
                    draft.slot_time,
                    draft.content_type,
                    draft.title,
                    draft.text,
                    draft.model,
                    draft.prompt,
                    json.dumps(list(draft.sources)),
                    json.dumps(list(draft.notes), ensure_ascii=False),
                    draft.prompt_tokens,
                    draft.completion_tokens,
                    voice_score,
                    json.dumps(list(flags), ensure_ascii=False),
                    author,
                    now,
                    now,
                    _warnings_json(draft.warnings),
                    draft.note,
                ),
            )
            db.execute("INSERT INTO versions VALUES (?,?,?,?,?,?)", (rid, 1, draft.text, author, "生成", now))
            self._event(db, rid, author, "create", draft.model)
        return self.get(rid)

    @staticmethod
    def _same_slot(db: sqlite3.Connection, draft: Draft) -> Record | None:
        """The stored draft a new one replaces: same group, date and slot (day), or same kind, date and title."""
        if draft.kind == "day":
            row = db.execute(
                "SELECT * FROM drafts WHERE kind='day' AND group_name=? AND date=? AND slot_time=? ORDER BY created_at",
                (draft.group, draft.date, draft.slot_time),
            ).fetchone()
        elif draft.kind in ("intro", "topic", "script") and draft.date:
            row = db.execute(
                "SELECT * FROM drafts WHERE kind=? AND group_name=? AND date=? AND title=? ORDER BY created_at",
                (draft.kind, draft.group, draft.date, draft.title),
            ).fetchone()
        else:
            return None
        return _record(row) if row else None

    @staticmethod
    def _get(db: sqlite3.Connection, rid: str) -> Record:
        return _record(db.execute("SELECT * FROM drafts WHERE id = ?", (rid,)).fetchone())

    @staticmethod
    def _event(db: sqlite3.Connection, rid: str, author: str, action: str, detail: str = "") -> None:
        db.execute("INSERT INTO events VALUES (?,?,?,?,?)", (rid, _now(), author, action, detail))

    def get(self, rid: str) -> Record:
        """One draft; InputError when unknown."""
        with self._db() as db:
            row = db.execute("SELECT * FROM drafts WHERE id = ?", (rid,)).fetchone()
        if row is None:
            raise InputError(f"找不到草稿 {rid}")
        return _record(row)

    def list(
        self, date: str = "", group: str = "", state: str = "", kind: str = "", since: str = "", until: str = ""
    ) -> list[Record]:
        """Drafts matching the filters, in date and slot order."""
        sql, args = "SELECT * FROM drafts WHERE 1=1", []
        for column, value in (("date", date), ("group_name", group), ("state", state), ("kind", kind)):
            if value:
                sql += f" AND {column} = ?"
                args.append(value)
        if since:
            sql += " AND date >= ?"
            args.append(since)
        if until:
            sql += " AND date <= ?"
            args.append(until)
        sql += " ORDER BY date, group_name, slot_time, created_at"
        with self._db() as db:
            return [_record(r) for r in db.execute(sql, args).fetchall()]

    def _check(self, current: Record, expected_version: int | None) -> None:
        if expected_version is not None and current.version != expected_version:
            raise ConflictError(
                f"这条草稿已被 {current.author} 在 {current.updated_at} 改过（现在是第 {current.version} 版，"
                f"你打开的是第 {expected_version} 版）。请刷新后再改，你的修改没有被覆盖也没有保存。"
            )

    def edit(
        self,
        rid: str,
        text: str,
        *,
        author: str,
        expected_version: int | None,
        note: str = "编辑",
        voice_score: float | None = None,
        flags: tuple[str, ...] = (),
        model: str = "",
        prompt: str = "",
        sources: tuple[str, ...] | None = None,
        warnings: tuple[Warning, ...] = (),
        operator_note: str | None = None,
    ) -> Record:
        """Save a new version with its own warnings; approved/published drafts must be reopened first."""
        if not text.strip():
            raise InputError("草稿内容不能为空")
        with self._db() as db:
            row = db.execute("SELECT * FROM drafts WHERE id = ?", (rid,)).fetchone()
            if row is None:
                raise InputError(f"找不到草稿 {rid}")
            cur = _record(row)
            self._check(cur, expected_version)
            if cur.state in ("approved", "published"):
                raise ConflictError(
                    f"这条草稿已被 {cur.author} 在 {cur.updated_at} 标为「{cur.state_label}」，不能直接改："
                    "先点「重新打开」再保存。你的修改还在框里，没有保存也没有丢。"
                )
            version = cur.version + 1
            now = _now()
            db.execute(
                "UPDATE drafts SET text=?, version=?, author=?, updated_at=?, voice_score=?, flags=?, state='draft',"
                " model=COALESCE(NULLIF(?, ''), model), prompt=COALESCE(NULLIF(?, ''), prompt),"
                " sources=COALESCE(?, sources), warnings=?, note=COALESCE(?, note) WHERE id=?",
                (
                    text,
                    version,
                    author,
                    now,
                    voice_score,
                    json.dumps(list(flags), ensure_ascii=False),
                    model,
                    prompt,
                    json.dumps(list(sources)) if sources is not None else None,
                    _warnings_json(warnings),
                    operator_note,
                    rid,
                ),
            )
            db.execute("INSERT INTO versions VALUES (?,?,?,?,?,?)", (rid, version, text, author, note, now))
            self._event(db, rid, author, "edit", note)
        return self.get(rid)

    def _transition(
        self,
        rid: str,
        to: str,
        allowed: tuple[str, ...],
        author: str,
        expected_version: int | None,
        guard: Callable[[Record], dict[str, str]] | None = None,
        **columns: str,
    ) -> Record:
        """Change a draft's state; every check (version, state, `guard`) and the write share one transaction.

        BEGIN IMMEDIATE takes SQLite's write lock before the row is read, so no other writer (an edit that adds a
        warning, say) can land between the checks and the update.
        """
        with self._db() as db:
            row = db.execute("SELECT * FROM drafts WHERE id = ?", (rid,)).fetchone()
            if row is None:
                raise InputError(f"找不到草稿 {rid}")
            cur = _record(row)
            self._check(cur, expected_version)
            if cur.state not in allowed:
                raise InputError(f"草稿现在是「{cur.state_label}」，不能改成「{STATE_LABELS[to]}」")
            detail = guard(cur) if guard else {}
            sets = ", ".join(f"{k}=?" for k in columns)
            db.execute(
                f"UPDATE drafts SET state=?, author=?, updated_at=?{', ' + sets if sets else ''} WHERE id=?",
                (to, author, _now(), *columns.values(), rid),
            )
            self._event(db, rid, author, to, json.dumps({**columns, **detail}, ensure_ascii=False))
        return self.get(rid)

    def approve(
        self, rid: str, *, author: str, expected_version: int | None = None, ack_warnings: bool = False
    ) -> Record:
        """draft → approved; a draft with warnings needs the operator's explicit acknowledgement.

        The warnings looked at are those of the row as it is inside the approving transaction, so an edit that adds
        a warning is either seen here or refused afterwards (the draft is approved by then), never slipped past.
        """

        def acknowledged(cur: Record) -> dict[str, str]:
            if cur.needs_ack and not ack_warnings:
                raise NeedsAckError(
                    f"这条草稿有提示没处理（{cur.warning_summary()}）：改掉它们，或勾选「已核对提示」后再通过"
                )
            if self.after_ack_check is not None:
                self.after_ack_check(cur)
            return {"ack_warnings": cur.warning_summary()} if cur.needs_ack else {}

        return self._transition(rid, "approved", ("draft",), author, expected_version, guard=acknowledged)

    def reject(self, rid: str, *, author: str, reason: str, expected_version: int | None = None) -> Record:
        """draft → rejected, with a reason."""
        if not reason.strip():
            raise InputError("驳回请写明原因，方便下次改进")
        return self._transition(rid, "rejected", ("draft",), author, expected_version, reject_reason=reason.strip())

    def reopen(self, rid: str, *, author: str) -> Record:
        """approved | rejected → draft, so it can be edited again."""
        return self._transition(rid, "draft", ("approved", "rejected"), author, None)

    def publish(self, rid: str, *, author: str, result: str) -> Record:
        """approved → published, recording the push result."""
        return self._transition(rid, "published", ("approved", "published"), author, None, push_result=result)

    def note_push_failure(self, rid: str, *, author: str, result: str) -> Record:
        """Record a failed push without changing the state."""
        with self._db() as db:
            db.execute("UPDATE drafts SET push_result=?, updated_at=? WHERE id=?", (result, _now(), rid))
            self._event(db, rid, author, "push_failed", result)
        return self.get(rid)

    def record_metrics(self, rid: str, metrics: dict[str, int], *, author: str) -> Record:
        """Store a published post's performance."""
        with self._db() as db:
            db.execute("UPDATE drafts SET metrics=?, updated_at=? WHERE id=?", (json.dumps(metrics), _now(), rid))
            self._event(db, rid, author, "metrics", json.dumps(metrics))
        return self.get(rid)

    def versions(self, rid: str) -> builtins.list[Version]:  # `list` here would be the method above
        """Every saved version, oldest first."""
        with self._db() as db:
            rows = db.execute("SELECT * FROM versions WHERE draft_id=? ORDER BY version", (rid,)).fetchall()
        return [Version(r["version"], r["text"], r["author"], r["note"], r["created_at"]) for r in rows]

    def recent(self, group: str, before: str, days: int = 7) -> tuple[frozenset[str], tuple[str, ...]]:
        """Source ids and subject lines of this group's non-rejected drafts in the `days` before a date."""
        start = (dt.date.fromisoformat(before) - dt.timedelta(days=days)).isoformat()
        with self._db() as db:
            rows = db.execute(
                "SELECT sources, text FROM drafts WHERE group_name=? AND date>=? AND date<? AND state!='rejected'"
                " ORDER BY date DESC",
                (group, start, before),
            ).fetchall()
        sources = frozenset(s for r in rows for s in json.loads(r["sources"]))
        subjects = tuple(dict.fromkeys(_subject(r["text"]) for r in rows if r["text"].strip()))
        return sources, subjects

    def history(self, group: str, day: str, days: int = 90) -> tuple[dict[str, int], tuple[tuple[int, str], ...]]:
        """What was already said before `day`: each source post's days since this group last used it (another
        group's use in the last 3 days counts too, members sit in several groups) and those drafts' (age, text)."""
        ref = dt.date.fromisoformat(day)
        start = (ref - dt.timedelta(days=days)).isoformat()
        near = (ref - dt.timedelta(days=3)).isoformat()
        with self._db() as db:
            rows = db.execute(
                "SELECT date, sources, text FROM drafts WHERE state!='rejected' AND"
                " ((group_name=? AND date>=? AND date<?) OR (group_name!=? AND date>=? AND date<=?))",
                (group, start, day, group, near, day),
            ).fetchall()
        ages: dict[str, int] = {}
        for r in rows:
            age = (ref - dt.date.fromisoformat(r["date"])).days
            for s in json.loads(r["sources"]):
                ages[s] = min(age, ages.get(s, age))
        said = [((ref - dt.date.fromisoformat(r["date"])).days, r["text"]) for r in rows if r["text"].strip()]
        return ages, tuple(sorted(said))


def _subject(text: str) -> str:
    """The gist of a post for the avoid-list: its longest early sentence, trimmed."""
    sents = [s for s in re.split(r"[。！？\n]", text) if len(s.strip()) >= 6][:3]
    return max(sents, key=len).strip()[:40] if sents else text.strip()[:40]
