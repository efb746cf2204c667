"""The knowledge store: one Chroma collection of posts and document chunks per workspace."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.config import Settings as ChromaSettings

from copilot.errors import ConfigError
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


def _post(pid: str, text: str, meta: Mapping[str, Any]) -> Post:
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
    """Posts in one Chroma collection (local folder or a Chroma server), with an explicit embedding."""

    def __init__(
        self,
        path: Path,
        embedding: EmbeddingFunction[Documents],
        suffix: str = "usem3",
        *,
        url: str = "",
        home: Path | None = None,
    ) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.home = home or path.parent
        self.embedding = embedding
        # Two first opens of one folder would both create Chroma's tables ("table collections already exists").
        with open_lock(self.home).hold():
            self.client = _client(path, url)
            self.collection = self.client.get_or_create_collection(
                f"posts_{suffix}",
                embedding_function=embedding,  # type: ignore[arg-type]  # chromadb types its EF param over images
                configuration={"hnsw": {"space": "cosine"}},
            )
        self._version = 0

    def writing(self) -> Any:
        """The workspace writer lock (re-entrant): hold it around any write."""
        return write_lock(self.home).hold()

    def writing_or_wait(self, on_wait: Callable[[str], None] | None) -> Any:
        """The writer lock for a whole ingest; on_wait hears (in Chinese) when another writer is ahead of us."""
        return write_lock(self.home).hold(on_wait)

    @property
    def version(self) -> int:
        """Bumped on every write, so in-memory indexes know when to rebuild."""
        return self._version

    def count(self) -> int:
        """Number of stored posts and chunks."""
        return self.collection.count()

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of these ids are already stored."""
        ids = list(ids)
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            found.update(self.collection.get(ids=ids[start : start + 500], include=[])["ids"])
        return found

    def add(self, posts: list[Post], progress: Progress | None = None, batch: int = 256) -> tuple[int, int]:
        """Add posts not yet stored; returns (added, skipped as duplicates)."""
        with self.writing():
            return self._add(posts, progress, batch)

    def _add(self, posts: list[Post], progress: Progress | None, batch: int) -> tuple[int, int]:
        existing = self.existing_ids(p.id for p in posts)
        new = [p for p in posts if p.id not in existing]
        for start in range(0, len(new), batch):
            chunk = new[start : start + batch]
            self.collection.add(
                ids=[p.id for p in chunk], documents=[p.text for p in chunk], metadatas=[_meta(p) for p in chunk]
            )
            self._version += 1
            if progress:
                progress(min(start + batch, len(new)), len(new))
        if progress and not new:
            progress(0, 0)
        return len(new), len(posts) - len(new)

    def upsert(self, post: Post) -> None:
        """Insert or replace one post (feedback on a published draft updates its metrics)."""
        with self.writing():
            self.collection.upsert(ids=[post.id], documents=[post.text], metadatas=[_meta(post)])
        self._version += 1

    def delete(self, ids: list[str]) -> None:
        """Remove posts by id (rolling back an interrupted ingest); unknown ids are ignored."""
        with self.writing():
            for start in range(0, len(ids), 500):
                self.collection.delete(ids=ids[start : start + 500])
        self._version += 1

    def get(self, pid: str) -> Post | None:
        """One post by id."""
        got = self.collection.get(ids=[pid], include=["documents", "metadatas"])
        docs, metas = got["documents"] or [], got["metadatas"] or []
        if not got["ids"] or not docs or not metas:
            return None
        return _post(got["ids"][0], docs[0], metas[0])

    def all_posts(self) -> list[Post]:
        """Every stored post (for the lexical index, stats and voice profiles)."""
        out: list[Post] = []
        total = self.count()
        for offset in range(0, total, 2000):
            got = self.collection.get(include=["documents", "metadatas"], limit=2000, offset=offset)
            docs, metas = got["documents"] or [], got["metadatas"] or []
            out.extend(_post(i, d, m) for i, d, m in zip(got["ids"], docs, metas, strict=True))
        return out

    def semantic(self, query: str, k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """(id, cosine distance) of the k nearest posts matching `where`."""
        n = min(k, self.count())
        if n == 0:
            return []
        res = self.collection.query(query_texts=[query], n_results=n, where=where or None, include=["distances"])
        distances = res["distances"] or [[]]
        return list(zip(res["ids"][0], distances[0], strict=False))

    def get_many(self, ids: Iterable[str]) -> dict[str, Post]:
        """Stored posts by id (ids not stored are absent)."""
        ids = list(ids)
        out: dict[str, Post] = {}
        for start in range(0, len(ids), 500):
            got = self.collection.get(ids=ids[start : start + 500], include=["documents", "metadatas"])
            docs, metas = got["documents"] or [], got["metadatas"] or []
            out.update({i: _post(i, d, m) for i, d, m in zip(got["ids"], docs, metas, strict=True)})
        return out

    def update_metadata(self, posts: list[Post]) -> None:
        """Rewrite stored posts' type, group, date and metrics; the text and its vector stay (no re-embedding)."""
        for start in range(0, len(posts), 500):
            chunk = posts[start : start + 500]
            self.collection.update(ids=[p.id for p in chunk], metadatas=[_meta(p) for p in chunk])
        if posts:
            self._version += 1
