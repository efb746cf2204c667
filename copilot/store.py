"""The knowledge store: one Chroma collection of posts and document chunks per workspace, plus its post index."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.config import Settings as ChromaSettings

from copilot.errors import ConfigError
from copilot.index import PostIndex, tokenize
from copilot.neterrors import describe_network_error
from copilot.records import METRICS, Post
from copilot.workspace import open_lock, write_lock

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
_FIELDS = ("content_type", "topic_type", "group", "date", "source")


def _meta(post: Post) -> dict[str, str | int]:
    meta: dict[str, str | int] = {f: getattr(post, f) for f in _FIELDS}
    meta.update(post.metrics)
    return meta


def _post(pid: str, text: str, meta: Mapping[str, Any] | None) -> Post:
    meta = meta or {}
    fields: dict[str, Any] = {f: str(meta.get(f, "") or "") for f in _FIELDS}
    fields.update({m: int(meta.get(m, 0) or 0) for m in METRICS})
    return Post(id=pid, text=text, **fields)


def _client(path: Path, url: str) -> ClientAPI:
    """A PersistentClient on the workspace folder, or an HttpClient when a Chroma server URL is configured."""
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if not url:
        return chromadb.PersistentClient(path=str(path), settings=settings)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"COPILOT_CHROMA_URL「{url}」应写成 http://主机:端口，例如 http://127.0.0.1:8000")
    try:
        return chromadb.HttpClient(
            host=parts.hostname,
            port=parts.port or (443 if parts.scheme == "https" else 8000),
            ssl=parts.scheme == "https",
            settings=settings,
        )
    except Exception as exc:  # noqa: BLE001 - chromadb raises bare ValueError/ConnectionError variants
        raise ConfigError(f"连不上 Chroma 服务 {url}：{describe_network_error(exc)}") from None


class KnowledgeStore:
    """Posts in one Chroma collection (local folder or a Chroma server, explicit embedding), mirrored in a SQLite
    post index.

    Every write goes to both in one code path under the index's write lock; the index is checked against Chroma
    (and repaired if a write was interrupted) once, when the store opens.
    """

    def __init__(
        self,
        path: Path,
        embedding: EmbeddingFunction[Documents],
        suffix: str = "usem3",
        *,
        url: str = "",
        home: Path | None = None,
        index_path: Path | None = None,
    ) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.home = home or path.parent
        self.url = url
        self.suffix = suffix
        self.embedding = embedding
        self._chroma_lock = threading.Lock()
        # Two first opens of one folder would both create Chroma's tables ("table collections already exists").
        with open_lock(self.home).hold():
            self._open_chroma()
        self.index = PostIndex(index_path or self.home / f"index_{suffix}.sqlite3")
        self.last_sync = self.sync()
        self._seen = self.index.version  # the shared version this process's Chroma view is known to include

    def _open_chroma(self, fresh: bool = False) -> None:
        if fresh and not self.url:
            # chromadb keeps one System per path per process, and its in-memory vector index never sees another
            # process's writes; dropped from that cache, the next client loads the store from disk (collections
            # handed out earlier keep working on the old System).
            SharedSystemClient._identifier_to_system.pop(str(self.path), None)
        self.client: ClientAPI = _client(self.path, self.url)
        self.collection = self.client.get_or_create_collection(
            f"posts_{self.suffix}",
            embedding_function=self.embedding,  # type: ignore[arg-type]  # chromadb types its EF param over images too
            configuration={"hnsw": {"space": "cosine"}},
        )

    def _current(self) -> Collection:
        """The collection, reopened first when another process wrote since this one last looked (local store only:
        a Chroma server already serves every process's writes)."""
        version = self.index.version
        if version != self._seen and not self.url:
            with self._chroma_lock:
                if version != self._seen:
                    log.info("the store changed in another process: reopening Chroma")
                    self._open_chroma(fresh=True)
                    self._seen = version
        return self.collection

    def sync(self) -> str:
        """Bring the lexical index in step with Chroma if it is not; what was done ("" when nothing was needed)."""
        action = self.index.sync(str(self.collection.id), self.collection.count, self._chroma_ids, self._fetch)
        if action:
            log.info("lexical index %s: %d posts", action, self.index.count())
        return action

    def _chroma_ids(self) -> list[str]:
        ids: list[str] = []
        total = self.collection.count()
        for offset in range(0, total, 5000):
            ids.extend(self.collection.get(include=[], limit=5000, offset=offset)["ids"])
        return ids

    def _fetch(self, ids: list[str]) -> list[Post]:
        """Posts as Chroma has them (the source of truth when the index is repaired)."""
        got = self.collection.get(ids=ids, include=["documents", "metadatas"])
        docs, metas = got["documents"] or [], got["metadatas"] or []
        return [_post(i, d, m) for i, d, m in zip(got["ids"], docs, metas, strict=True)]

    @contextlib.contextmanager
    def _writing(self, ids: list[str]) -> Iterator[None]:
        """Chroma write inside: journalled and locked; a failed write leaves the index matching what Chroma has."""
        with self.index.writing(ids):
            before = self.index.version
            try:
                yield
            except BaseException:
                with contextlib.suppress(Exception):
                    self.index.repair(ids, self._fetch)
                raise
            finally:
                if before == self._seen:  # nobody else wrote in between (we hold the write lock): still current
                    self._seen = self.index.version

    def writing(self) -> Any:
        """The workspace writer lock (re-entrant): hold it around any write."""
        return write_lock(self.home).hold()

    def writing_or_wait(self, on_wait: Callable[[str], None] | None) -> Any:
        """The writer lock for a whole ingest; on_wait hears (in Chinese) when another writer is ahead of us."""
        return write_lock(self.home).hold(on_wait)

    @property
    def version(self) -> int:
        """Bumped on every write by any process sharing the workspace, so caches know when to refresh."""
        return self.index.version

    def count(self) -> int:
        """Number of stored posts and chunks."""
        return self.collection.count()

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of these ids are already stored."""
        return self.index.existing(list(ids))

    def add(self, posts: list[Post], progress: Progress | None = None, batch: int = 512) -> tuple[int, int]:
        """Add posts not yet stored; returns (added, skipped as duplicates).

        The next batch is embedded (numpy, off the GIL) while this one is segmented and written to Chroma and the
        index, so the embedding model, the slowest step, is kept busy.
        """
        with self.writing():
            return self._add(posts, progress, batch)

    def _add(self, posts: list[Post], progress: Progress | None, batch: int) -> tuple[int, int]:
        existing = self.existing_ids(p.id for p in posts)
        new = list({p.id: p for p in posts if p.id not in existing}.values())
        chunks = [new[start : start + batch] for start in range(0, len(new), batch)]
        done = 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-embed") as pool:
            vectors = pool.submit(self._embed, chunks[0]) if chunks else None
            for n, chunk in enumerate(chunks):
                tokens = [" ".join(tokenize(p.text)) for p in chunk]
                assert vectors is not None
                embeddings = vectors.result()
                if n + 1 < len(chunks):
                    vectors = pool.submit(self._embed, chunks[n + 1])
                ids = [p.id for p in chunk]
                with self._writing(ids):
                    self._current().add(
                        ids=ids,
                        embeddings=embeddings,
                        documents=[p.text for p in chunk],
                        metadatas=[_meta(p) for p in chunk],
                    )
                    self.index.put(chunk, tokens)
                done += len(chunk)
                if progress:
                    progress(done, len(new))
        if progress and not new:
            progress(0, 0)
        return len(new), len(posts) - len(new)

    def _embed(self, posts: list[Post]) -> list[np.ndarray]:
        """The collection's own embedding function, called here so it can run ahead of the writes."""
        return [np.asarray(v, dtype=np.float32) for v in self.embedding([p.text for p in posts])]

    def upsert(self, post: Post) -> None:
        """Insert or replace one post (feedback on a published draft updates its metrics)."""
        tokens = [" ".join(tokenize(post.text))]
        with self.writing(), self._writing([post.id]):
            self._current().upsert(ids=[post.id], documents=[post.text], metadatas=[_meta(post)])
            self.index.put([post], tokens)

    def delete(self, ids: list[str]) -> None:
        """Remove posts from Chroma and the index (rolling back an interrupted ingest); unknown ids are ignored."""
        with self.writing():
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                with self._writing(chunk):
                    self._current().delete(ids=chunk)
                    self.index.remove(chunk)

    def get(self, pid: str) -> Post | None:
        """One post by id."""
        return self.index.posts([pid]).get(pid)

    def all_posts(self) -> list[Post]:
        """Every stored post (a full read: for tests and one-off exports, not for per-request paths)."""
        return list(self.index.all())

    def semantic(self, query: str, k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """(id, cosine distance) of the k nearest posts matching `where`."""
        n = min(k, self.index.size())  # Chroma's own count() costs ~10 ms at 100k posts; the index keeps one
        if n == 0:
            return []
        collection = self._current()
        res = collection.query(query_texts=[query], n_results=n, where=where or None, include=["distances"])
        distances = res["distances"] or [[]]
        return list(zip(res["ids"][0], distances[0], strict=False))

    def get_many(self, ids: Iterable[str]) -> dict[str, Post]:
        """Stored posts by id (ids not stored are absent), read from the post index."""
        return self.index.posts(list(ids))

    def update_metadata(self, posts: list[Post]) -> None:
        """Rewrite stored posts' type, group, date and metrics; the text and its vector stay (no re-embedding)."""
        with self.writing():
            for start in range(0, len(posts), 500):
                chunk = posts[start : start + 500]
                with self._writing([p.id for p in chunk]):
                    self._current().update(ids=[p.id for p in chunk], metadatas=[_meta(p) for p in chunk])
                    self.index.put(chunk)
