"""The workspace's post index in SQLite: metadata, engagement and an FTS5 (bm25) index over jieba tokens.

Chroma holds the embeddings and is the source of truth; this index is written in the same code path, batch by batch,
so no process ever rebuilds it. A write first records its ids in `pending` under an exclusive file lock; the batch
clears them when it lands. Ids left pending (a crash between the Chroma write and ours), a count that differs from
Chroma's or an index made by another schema version are repaired once, when the index is opened.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import jieba
import numpy as np

from copilot.readers import DOC_TYPE
from copilot.records import METRICS, Post

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one writer process at a time is the operator's job there
    fcntl = None  # type: ignore[assignment]

jieba.setLogLevel(logging.WARNING)
log = logging.getLogger(__name__)

# Bump when the schema, the tokenizer or the stop words change: an older index is rebuilt once from Chroma.
SCHEMA_VERSION = 2
# FTS5 computes bm25() for every row a query matches; past this many rows, only the rarest words pick candidates.
CANDIDATE_ROWS = 4000
_COLUMNS = ("id", "text", "content_type", "topic_type", "grp", "date", "source", *METRICS, "engagement")

_STOP_WORDS = (
    "的 了 是 我 你 他 她 它 们 我们 你们 大家 这 那 就 都 也 和 与 在 有 又 还 很 吗 呢 吧 啊 呀 啦 哈 哦 嘛 一个 "
    "一下 什么 怎么 怎样 如何 为什么 可以 没有 不 要 会 能 让 把 被 给 着 过 得 地 之 而 及 或 今天 一起 茶友 家人"
)
_STOP = frozenset(_STOP_WORDS.split())
_WORD = re.compile(r"[\w\u4e00-\u9fff]")


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens, lower-cased, without punctuation and stop words."""
    return [t.lower() for t in jieba.lcut_for_search(text) if _WORD.search(t) and t.lower() not in _STOP]


def _fts_query(tokens: Iterable[str]) -> str:
    """Tokens as an FTS5 OR of quoted phrases (quotes escaped, so user text is never FTS syntax)."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in dict.fromkeys(tokens))


def _row(post: Post) -> tuple:
    return (
        post.id,
        post.text,
        post.content_type,
        post.topic_type,
        post.group,
        post.date,
        post.source,
        *(getattr(post, m) for m in METRICS),
        post.engagement,
    )


def row_post(row: Sequence[Any]) -> Post:
    """A Post from a `posts` row selected in _COLUMNS order."""
    fields = dict(zip(_COLUMNS, row, strict=False))
    return Post(
        id=fields["id"],
        text=fields["text"],
        content_type=fields["content_type"] or "",
        topic_type=fields["topic_type"] or "",
        group=fields["grp"] or "",
        date=fields["date"] or "",
        source=fields["source"] or "",
        **{m: int(fields[m] or 0) for m in METRICS},
    )


def where_sql(filters: Mapping[str, str], include_docs: bool = True, alias: str = "") -> tuple[str, list[str]]:
    """An SQL condition (never empty) and its parameters for exact-match filters on group/content_type/topic_type."""
    col = {"group": "grp", "content_type": "content_type", "topic_type": "topic_type"}
    clauses, params = ["1"], []
    for key, value in filters.items():
        if value:
            clauses.append(f"{alias}{col[key]} = ?")
            params.append(value)
    if not include_docs:
        clauses.append(f"{alias}content_type != ?")
        params.append(DOC_TYPE)
    return " AND ".join(clauses), params


class PostIndex:
    """Posts' metadata, engagement and bm25 lexical index in one SQLite file (WAL, shared by processes)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lockfile = path.with_name(path.name + ".lock")
        self._local = threading.local()
        self._groups: tuple[int, dict[str, np.ndarray]] = (-1, {})
        self._pct_lock = threading.Lock()
        # Per index version (any process's write bumps it): document frequencies and filter shares already read.
        self._stats: tuple[int, dict[tuple[str, ...], float]] = (-1, {})
        self._schema()

    # ------------------------------------------------------------------ connection and schema

    def _db(self) -> sqlite3.Connection:
        """One connection per thread (Gradio handlers run in worker threads)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=True)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA busy_timeout=30000")
            self._local.db = db
        return db

    def _schema(self) -> None:
        db = self._db()
        cols = {r[1] for r in db.execute("PRAGMA table_info(posts)")}
        if cols and not {"repliers", "quotes"} <= cols:  # an index from before chat-import metrics: rebuilt from Chroma
            db.executescript("DROP TABLE IF EXISTS posts; DROP TABLE IF EXISTS posts_fts; DROP TABLE IF EXISTS corpus;")
        db.executescript(
            """
            CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS pending(id TEXT PRIMARY KEY);
            CREATE TABLE IF NOT EXISTS posts(
                rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, text TEXT NOT NULL,
                content_type TEXT NOT NULL, topic_type TEXT NOT NULL, grp TEXT NOT NULL, date TEXT NOT NULL,
                source TEXT NOT NULL, replies INTEGER NOT NULL, reactions INTEGER NOT NULL,
                signups INTEGER NOT NULL, clicks INTEGER NOT NULL, repliers INTEGER NOT NULL DEFAULT 0,
                quotes INTEGER NOT NULL DEFAULT 0, engagement REAL NOT NULL, ntok INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS posts_eng ON posts(engagement DESC, id);
            CREATE INDEX IF NOT EXISTS posts_type_eng ON posts(content_type, engagement DESC, id);
            CREATE INDEX IF NOT EXISTS posts_grp_type_eng ON posts(grp, content_type, engagement DESC, id);
            CREATE INDEX IF NOT EXISTS posts_grp_eng ON posts(grp, engagement, content_type);
            CREATE TABLE IF NOT EXISTS corpus(k INTEGER PRIMARY KEY CHECK (k = 0), n INTEGER NOT NULL, ntok INTEGER NOT NULL);
            INSERT OR IGNORE INTO corpus VALUES (0, (SELECT COUNT(*) FROM posts), (SELECT COALESCE(SUM(ntok), 0) FROM posts));
            CREATE TRIGGER IF NOT EXISTS posts_corpus_ins AFTER INSERT ON posts
                BEGIN UPDATE corpus SET n = n + 1, ntok = ntok + new.ntok; END;
            CREATE TRIGGER IF NOT EXISTS posts_corpus_del AFTER DELETE ON posts
                BEGIN UPDATE corpus SET n = n - 1, ntok = ntok - old.ntok; END;
            CREATE TRIGGER IF NOT EXISTS posts_corpus_upd AFTER UPDATE OF ntok ON posts
                BEGIN UPDATE corpus SET ntok = ntok - old.ntok + new.ntok; END;
            CREATE VIRTUAL TABLE IF NOT EXISTS posts_fts USING fts5(tokens, tokenize='unicode61 remove_diacritics 0');
            CREATE VIRTUAL TABLE IF NOT EXISTS posts_vocab USING fts5vocab(posts_fts, row);
            CREATE TABLE IF NOT EXISTS vectors(key TEXT PRIMARY KEY, vec BLOB NOT NULL);
            """
        )

    def meta(self, key: str, default: str = "") -> str:
        """A value from the meta table."""
        row = self._db().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    @property
    def version(self) -> int:
        """Bumped by every write from any process; caches key on it."""
        return int(self.meta("version", "0"))

    def count(self) -> int:
        """Number of indexed posts and chunks (counted)."""
        return int(self._db().execute("SELECT COUNT(*) FROM posts").fetchone()[0])

    def size(self) -> int:
        """Number of indexed posts and chunks, as the write triggers keep it (no scan)."""
        return self._corpus()[0]

    # ------------------------------------------------------------------ writes

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive across threads and processes (a flock on a fresh descriptor; released if the process dies)."""
        with open(self._lockfile, "a+b") as fh:
            if fcntl is not None:
                fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                if fcntl is not None:
                    fcntl.flock(fh, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def writing(self, ids: Sequence[str]) -> Iterator[None]:
        """Around one Chroma write: the ids are journalled first, so a crash before `put`/`remove` is repaired."""
        with self.locked():
            db = self._db()
            with self._tx(db):
                db.executemany("INSERT OR IGNORE INTO pending(id) VALUES (?)", [(i,) for i in ids])
            yield

    @staticmethod
    @contextlib.contextmanager
    def _tx(db: sqlite3.Connection) -> Iterator[None]:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _bump(self, db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO meta(key, value) VALUES ('version', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def _put(self, db: sqlite3.Connection, posts: Sequence[Post], tokens: Sequence[str]) -> None:
        cols = (*_COLUMNS, "ntok")
        marks = ", ".join("?" for _ in cols)
        updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c != "id")
        sql = f"INSERT INTO posts({', '.join(cols)}) VALUES ({marks}) ON CONFLICT(id) DO UPDATE SET {updates} RETURNING rowid"
        for post, toks in zip(posts, tokens, strict=True):
            rowid = db.execute(sql, (*_row(post), len(toks.split()))).fetchone()[0]
            db.execute("DELETE FROM posts_fts WHERE rowid = ?", (rowid,))
            db.execute("INSERT INTO posts_fts(rowid, tokens) VALUES (?, ?)", (rowid, toks))

    def _remove(self, db: sqlite3.Connection, ids: Sequence[str]) -> None:
        for pid in ids:
            row = db.execute("DELETE FROM posts WHERE id = ? RETURNING rowid", (pid,)).fetchone()
            if row:
                db.execute("DELETE FROM posts_fts WHERE rowid = ?", (row[0],))

    def put(self, posts: Sequence[Post], tokens: Sequence[str] | None = None) -> None:
        """Index (insert or replace) posts in one transaction and clear their pending marks."""
        toks = tokens if tokens is not None else [" ".join(tokenize(p.text)) for p in posts]
        db = self._db()
        with self._tx(db):
            self._put(db, posts, toks)
            db.executemany("DELETE FROM pending WHERE id = ?", [(p.id,) for p in posts])
            self._bump(db)

    def remove(self, ids: Sequence[str]) -> None:
        """Drop posts from the index and clear their pending marks."""
        db = self._db()
        with self._tx(db):
            self._remove(db, ids)
            db.executemany("DELETE FROM pending WHERE id = ?", [(i,) for i in ids])
            self._bump(db)

    # ------------------------------------------------------------------ keeping in step with Chroma

    def sync(
        self,
        source: str,
        source_count: Callable[[], int],
        source_ids: Callable[[], list[str]],
        fetch: Callable[[list[str]], list[Post]],
    ) -> str:
        """Repair the index against the store once; returns what was done ("" when it already matched).

        `source` names the Chroma collection (a recreated collection means a rebuild), `fetch` returns the stored
        posts among the given ids (absent ones are deleted here).
        """
        with self.locked():
            db = self._db()
            action = ""
            if self.meta("schema") != str(SCHEMA_VERSION) or self.meta("source") != source:
                log.info("lexical index: new or from another version, rebuilding from the store")
                with self._tx(db):
                    db.execute("DELETE FROM posts")
                    db.execute("DELETE FROM posts_fts")
                    db.execute("DELETE FROM pending")
                    for key, value in (("schema", str(SCHEMA_VERSION)), ("source", source)):
                        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))
                    self._bump(db)
                action = "rebuilt"
            pending = [r[0] for r in db.execute("SELECT id FROM pending")]
            if pending:
                log.warning("lexical index: %d posts from an interrupted write, repairing", len(pending))
                self.repair(pending, fetch)
                action = action or "repaired"
            if self.count() != source_count():
                stored = set(source_ids())
                indexed = {r[0] for r in db.execute("SELECT id FROM posts")}
                missing, extra = sorted(stored - indexed), sorted(indexed - stored)
                log.warning("lexical index: %d missing, %d extra posts, repairing", len(missing), len(extra))
                self.repair(missing + extra, fetch)
                action = action or "repaired"
            return action

    def repair(self, ids: list[str], fetch: Callable[[list[str]], list[Post]], batch: int = 1000) -> None:
        """Make these ids match what `fetch` (Chroma) returns; call while holding `locked()`."""
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            posts = fetch(chunk)
            found = {p.id for p in posts}
            gone = [i for i in chunk if i not in found]
            toks = [" ".join(tokenize(p.text)) for p in posts]
            db = self._db()
            with self._tx(db):
                self._put(db, posts, toks)
                self._remove(db, gone)
                db.executemany("DELETE FROM pending WHERE id = ?", [(i,) for i in chunk])
                self._bump(db)

    # ------------------------------------------------------------------ reads

    def existing(self, ids: Sequence[str]) -> set[str]:
        """Which of these ids are indexed."""
        found: set[str] = set()
        db = self._db()
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" for _ in chunk)
            found.update(r[0] for r in db.execute(f"SELECT id FROM posts WHERE id IN ({marks})", chunk))
        return found

    def _cached(self) -> dict[tuple[str, ...], float]:
        """Statistics read since the last write by any process (cleared when the shared version moves)."""
        version = self.version
        with self._pct_lock:
            if self._stats[0] != version or len(self._stats[1]) > 50_000:
                self._stats = (version, {})
            return self._stats[1]

    def share(self, filters: Mapping[str, str]) -> float:
        """The fraction of indexed posts passing the filters (0 for an empty index)."""
        cache = self._cached()
        key = ("share", *(f"{k}={v}" for k, v in sorted(filters.items()) if v))
        if key not in cache:
            cond, params = where_sql(filters)
            n = self._corpus()[0]
            got = int(self._db().execute(f"SELECT COUNT(*) FROM posts WHERE {cond}", params).fetchone()[0])
            cache[key] = got / n if n else 0.0
        return cache[key]

    def matching(self, ids: Sequence[str], filters: Mapping[str, str]) -> set[str]:
        """Which of these ids are indexed posts passing the filters.

        The rows are read by id and filtered here: given `id IN (…) AND content_type = ?`, SQLite may walk the
        type's index instead (tens of thousands of rows at 100k posts) rather than look up a few hundred ids.
        """
        col = {"group": 1, "content_type": 2, "topic_type": 3}
        want = [(col[k], v) for k, v in filters.items() if v]
        found: set[str] = set()
        db = self._db()
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            sql = f"SELECT id, grp, content_type, topic_type FROM posts WHERE id IN ({','.join('?' for _ in chunk)})"
            found.update(r[0] for r in db.execute(sql, chunk) if all(r[i] == v for i, v in want))
        return found

    def posts(self, ids: Sequence[str]) -> dict[str, Post]:
        """Indexed posts by id (absent ids are left out)."""
        out: dict[str, Post] = {}
        db = self._db()
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" for _ in chunk)
            sql = f"SELECT {', '.join(_COLUMNS)} FROM posts WHERE id IN ({marks})"
            out.update((r[0], row_post(r)) for r in db.execute(sql, chunk))
        return out

    def bm25(self, query: str, depth: int, filters: Mapping[str, str], include_docs: bool = True) -> list[str]:
        """Ids of the `depth` best BM25 matches among posts passing the filters, best first.

        FTS5 finds and pre-ranks candidates with its bm25(); the best of them are re-scored with the BM25 this
        project tuned its rank fusion on (k1 1.4, idf log(1 + (N - df + .5) / (df + .5)) over the whole store),
        which FTS5's fixed k1 1.2 and clamped idf would otherwise shift. FTS5 scores every row it matches, so in
        a large store the candidates come from the query's rarest words only (up to CANDIDATE_ROWS matching rows);
        the common words still count in the re-score.
        """
        tokens = list(dict.fromkeys(tokenize(query)))
        if not tokens:
            return []
        df = self._df(tokens)
        present = sorted((t for t in tokens if df[t]), key=lambda t: (df[t], t))
        rare: list[str] = []
        rows = 0
        for t in present:
            if rare and rows + df[t] > CANDIDATE_ROWS:
                break
            rare.append(t)
            rows += df[t]
        if not rare:
            return []
        common = present[len(rare) :]
        # Rows with a rare word, ranked by bm25() over all the words: FTS5 counts every phrase of the expression
        # once, including those under NOT, so the two halves are scored alike.
        exprs = [_fts_query(rare)]
        if common:
            exprs = [f"({exprs[0]}) AND ({_fts_query(common)})", f"({exprs[0]}) NOT ({_fts_query(common)})"]
        db = self._db()
        limit = 4 * depth
        if any(filters.values()):
            cond, params = where_sql(filters, include_docs, alias="p.")
            part = (
                "SELECT p.id AS id, posts_fts.tokens AS tokens, bm25(posts_fts) AS s FROM posts_fts "
                f"JOIN posts p ON p.rowid = posts_fts.rowid WHERE posts_fts MATCH ? AND {cond}"
            )
            sql = " UNION ALL ".join(part for _ in exprs) + " ORDER BY s LIMIT ?"
            args: list[Any] = [x for e in exprs for x in (e, *params)]
            candidates = [(r[0], r[1]) for r in db.execute(sql, [*args, limit])]
        else:  # rank inside FTS5 alone; the few documents are dropped afterwards
            part = "SELECT rowid AS r, tokens AS tokens, bm25(posts_fts) AS s FROM posts_fts WHERE posts_fts MATCH ?"
            sql = (
                "SELECT p.id, c.tokens, p.content_type FROM ("
                + " UNION ALL ".join(part for _ in exprs)
                + " ORDER BY s LIMIT ?) c JOIN posts p ON p.rowid = c.r"
            )
            got = db.execute(sql, [*exprs, limit + (0 if include_docs else depth)]).fetchall()
            candidates = [(pid, toks) for pid, toks, ctype in got if include_docs or ctype != DOC_TYPE]
        if not candidates:
            return []
        n, avg = self._corpus()
        norm_b, k1 = 0.75, 1.4
        idf = {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in tokens}
        scored = []
        for pid, text in candidates:
            toks = text.split()
            norm = k1 * (1 - norm_b + norm_b * len(toks) / max(avg, 1e-6))
            tf = [(t, toks.count(t)) for t in tokens]  # a few query words: cheaper than a Counter of the post
            score = sum(idf[t] * c * (k1 + 1) / (c + norm) for t, c in tf if c)
            if score > 0:
                scored.append((-score, pid))
        scored.sort()
        return [pid for _, pid in scored[:depth]]

    def _df(self, tokens: Sequence[str]) -> dict[str, int]:
        """Document frequency of each token over the whole index (FTS5 reads a term's whole doclist to count it,
        milliseconds for a common word at 100k posts, so counts are kept until the next write)."""
        db = self._db()
        cache = self._cached()
        out: dict[str, int] = {}
        for t in tokens:
            if ("df", t) in cache:
                out[t] = int(cache[("df", t)])
                continue
            if t.isalnum():  # one FTS5 term: read its count from the vocabulary
                row = db.execute("SELECT doc FROM posts_vocab WHERE term = ?", (t,)).fetchone()
                out[t] = int(row[0]) if row else 0
            else:  # split by FTS5 into several terms: count the phrase
                row = db.execute(
                    "SELECT COUNT(*) FROM posts_fts WHERE posts_fts MATCH ?", (_fts_query([t]),)
                ).fetchone()
                out[t] = int(row[0])
            cache[("df", t)] = out[t]
        return out

    def top(self, filters: Mapping[str, str], k: int, exclude: Iterable[str] = (), offset: int = 0) -> list[Post]:
        """The k highest-engagement posts (documents excluded) passing the filters."""
        cond, params = where_sql(filters, include_docs=False)
        skip = list(exclude)
        if skip:
            cond += f" AND id NOT IN ({','.join('?' for _ in skip)})"
            params += skip
        sql = f"SELECT {', '.join(_COLUMNS)} FROM posts WHERE {cond} ORDER BY engagement DESC, id LIMIT ? OFFSET ?"
        return [row_post(r) for r in self._db().execute(sql, [*params, k, offset])]

    def texts(self, limit: int) -> list[tuple[str, str]]:
        """(id, text) of up to `limit` posts (documents excluded), highest engagement first."""
        sql = "SELECT id, text FROM posts WHERE content_type != ? ORDER BY engagement DESC, id LIMIT ?"
        return list(self._db().execute(sql, (DOC_TYPE, limit)))

    def counts(self, column: str, group: str | None = None) -> dict[str, int]:
        """Post counts by content_type, topic_type or grp, most first (only one group's posts when given)."""
        assert column in ("content_type", "topic_type", "grp")
        where, args = ("WHERE grp = ?", (group,)) if group else ("", ())
        sql = f"SELECT {column}, COUNT(*) AS n FROM posts {where} GROUP BY {column} ORDER BY n DESC, {column}"
        return {r[0]: int(r[1]) for r in self._db().execute(sql, args)}

    def all(self, batch: int = 5000) -> Iterator[Post]:
        """Every indexed post, in insertion order (for exports and tests, not for hot paths)."""
        last = 0
        sql = f"SELECT rowid, {', '.join(_COLUMNS)} FROM posts WHERE rowid > ? ORDER BY rowid LIMIT ?"
        while True:
            rows = self._db().execute(sql, (last, batch)).fetchall()
            if not rows:
                return
            for r in rows:
                yield row_post(r[1:])
            last = rows[-1][0]

    def percentiles(self, posts: Iterable[Post]) -> dict[str, float]:
        """Engagement percentile (0-1) of each post among its group's posts; ties share the mean rank."""
        out: dict[str, float] = {}
        version = self.version
        for p in posts:
            eng = None if p.content_type == DOC_TYPE else self._group_engagement(p.group, version)
            if eng is None or not len(eng):
                out[p.id] = 0.0
            elif len(eng) == 1:
                out[p.id] = 0.5
            else:
                lo = int(np.searchsorted(eng, p.engagement, "left"))
                hi = int(np.searchsorted(eng, p.engagement, "right"))
                out[p.id] = (lo + max(hi - lo - 1, 0) / 2) / (len(eng) - 1)
        return out

    def _group_engagement(self, group: str, version: int) -> np.ndarray:
        """One group's engagement values, sorted; read from a covering index when first needed after a write."""
        with self._pct_lock:
            if self._groups[0] != version:
                self._groups = (version, {})
            cached = self._groups[1].get(group)
            if cached is None:
                rows = self._db().execute(
                    "SELECT engagement FROM posts WHERE grp = ? AND content_type != ? ORDER BY engagement",
                    (group, DOC_TYPE),
                )
                cached = self._groups[1][group] = np.fromiter((r[0] for r in rows), dtype=np.float64)
            return cached

    def _corpus(self) -> tuple[int, float]:
        """(posts, mean tokens per post) for BM25, kept by triggers on every write."""
        n, ntok = self._db().execute("SELECT n, ntok FROM corpus").fetchone()
        return int(n), (ntok / n if n else 1.0)

    # ------------------------------------------------------------------ a vector cache for repeated embeddings

    def cached_embed(self, texts: list[str], embed: Callable[[list[str]], np.ndarray], salt: str) -> np.ndarray:
        """Embeddings of texts, computing (and storing) only the ones not seen before under this model `salt`."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        keys = [hashlib.sha1(f"{salt}\x00{t}".encode()).hexdigest() for t in texts]
        db = self._db()
        have: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            sql = f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' for _ in chunk)})"
            have.update((k, np.frombuffer(v, dtype=np.float32)) for k, v in db.execute(sql, chunk))
        todo = [i for i, k in enumerate(keys) if k not in have]
        if todo:
            fresh = np.asarray(embed([texts[i] for i in todo]), dtype=np.float32)
            with self._tx(db):
                db.executemany(
                    "INSERT OR REPLACE INTO vectors(key, vec) VALUES (?, ?)",
                    [(keys[i], fresh[j].tobytes()) for j, i in enumerate(todo)],
                )
            have.update((keys[i], fresh[j]) for j, i in enumerate(todo))
        return np.stack([have[k] for k in keys])
