"""Hybrid retrieval: Chroma semantic search + jieba-segmented BM25 (SQLite FTS5), fused by rank, boosted by performance."""

from __future__ import annotations

import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import jieba

from copilot.index import tokenize
from copilot.readers import DOC_TYPE
from copilot.records import Hit, Post
from copilot.store import KnowledgeStore

log = logging.getLogger(__name__)
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="semantic")
__all__ = ["RRF_K", "Filters", "HybridRetriever", "tokenize", "tokenize_words"]

OVERFETCH_SHARE = 0.05  # filters keeping at least this share of posts are applied after an unfiltered Chroma query
RRF_K = 10  # small k: with two lists, a top rank in either one should count (measured on evals/retrieval.jsonl)


def tokenize_words(text: str) -> list[str]:
    """Plain jieba words, punctuation and spaces kept (for word-level diffs)."""
    return [t for t in jieba.lcut(text, HMM=False) if t]


@dataclass(frozen=True)
class Filters:
    """Restrict a search to a group, content type and/or topic type."""

    group: str = ""
    """Group name, exact."""
    content_type: str = ""
    """One of CONTENT_TYPES, or 文档."""
    topic_type: str = ""
    """One of TOPIC_TYPES."""

    def matches(self, post: Post) -> bool:
        """True when the post passes every set filter."""
        return (
            (not self.group or post.group == self.group)
            and (not self.content_type or post.content_type == self.content_type)
            and (not self.topic_type or post.topic_type == self.topic_type)
        )

    def columns(self) -> dict[str, str]:
        """The set filters by field name, for the SQLite index."""
        return {"group": self.group, "content_type": self.content_type, "topic_type": self.topic_type}

    def where(self) -> dict | None:
        """The same filters as a Chroma `where` clause."""
        clauses = [
            {k: v}
            for k, v in (("group", self.group), ("content_type", self.content_type), ("topic_type", self.topic_type))
            if v
        ]
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class HybridRetriever:
    """Searches the store semantically and lexically and fuses the rankings (reciprocal rank fusion)."""

    def __init__(self, store: KnowledgeStore) -> None:
        self.store = store

    def warm(self) -> None:
        """Load jieba's dictionary and Chroma's vector index before the first query needs them."""
        tokenize("预热")
        self.store.count()  # Chroma loads its vector index on first use

    def search(
        self, query: str, k: int = 5, filters: Filters = Filters(), boost: float = 0.0, include_docs: bool = True
    ) -> list[Hit]:
        """Top-k hits for a query; `boost` (0-1) favours high-engagement posts."""
        index = self.store.index
        depth = max(4 * k, 40)
        # Chroma (embedding + HNSW) and SQLite both release the GIL: the two halves run side by side.
        pending = _POOL.submit(self._semantic, query, depth, filters)
        lexical = index.bm25(query, depth, filters.columns(), include_docs)
        semantic = pending.result()
        fused: dict[str, float] = defaultdict(float)
        for rank, pid in enumerate(lexical):
            fused[pid] += 1.0 / (RRF_K + rank + 1)
        posts = index.posts(list(dict.fromkeys([*fused, *(pid for pid, _ in semantic)])))
        for rank, (pid, _dist) in enumerate(semantic):
            post = posts.get(pid)
            if post is not None and filters.matches(post) and (include_docs or post.content_type != DOC_TYPE):
                fused[pid] += 1.0 / (RRF_K + rank + 1)
        pct = index.percentiles(posts[pid] for pid in fused if pid in posts)
        hits = [
            Hit(posts[pid], score * (1.0 + boost * pct[pid]), pct[pid]) for pid, score in fused.items() if pid in posts
        ]
        hits.sort(key=lambda h: (-h.score, h.post.id))
        return hits[:k]

    def _semantic(self, query: str, depth: int, filters: Filters) -> list[tuple[str, float]]:
        """Chroma's nearest posts that pass the filters.

        Chroma's own `where` gets slow on a large store when the filter keeps many posts (about 110 ms for one type
        in ten at 100k posts), so a broad filter fetches more unfiltered neighbours and filters them in SQLite;
        a narrow one still goes to Chroma's `where`.
        """
        where = filters.where()
        if where is None:
            return self.store.semantic(query, depth)
        share = self.store.index.share(filters.columns())
        if share < OVERFETCH_SHARE:
            return self.store.semantic(query, depth, where)
        near = self.store.semantic(query, int(depth / share * 1.5) + 1)
        keep = self.store.index.matching([pid for pid, _ in near], filters.columns())
        return [(pid, dist) for pid, dist in near if pid in keep][:depth]

    def top_posts(
        self,
        group: str = "",
        content_type: str = "",
        k: int = 5,
        query: str = "",
        topic_type: str = "",
        exclude: frozenset[str] = frozenset(),
    ) -> list[Hit]:
        """The group's best-performing posts of a type; with a query, relevant ones ranked by performance."""
        filters = Filters(group=group, content_type=content_type, topic_type=topic_type)
        if query:
            hits = self.search(query, k=max(3 * k, 10), filters=filters, boost=1.0, include_docs=False)
            return [h for h in hits if h.post.id not in exclude][:k]
        posts = self.store.index.top(filters.columns(), k, exclude)
        pct = self.store.index.percentiles(posts)
        return [Hit(p, pct[p.id], pct[p.id]) for p in posts]

    def all_posts(self) -> list[Post]:
        """Every stored post (a full read: for tests and exports, not for per-request paths)."""
        return self.store.all_posts()
