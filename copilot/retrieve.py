"""Hybrid retrieval: Chroma semantic search + jieba-segmented BM25, fused by rank, boosted by performance."""

from __future__ import annotations

import logging
import re
import threading
from collections import defaultdict
from dataclasses import dataclass

import jieba
import numpy as np

from copilot.readers import DOC_TYPE
from copilot.records import Hit, Post
from copilot.store import KnowledgeStore

jieba.setLogLevel(logging.WARNING)
log = logging.getLogger(__name__)

_STOP = set(
    [
        "的",
        "了",
        "是",
        "我",
        "你",
        "他",
        "她",
        "它",
        "们",
        "我们",
        "你们",
        "大家",
        "这",
        "那",
        "就",
        "都",
        "也",
        "和",
        "与",
        "在",
        "有",
        "又",
        "还",
        "很",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "啦",
        "哈",
        "哦",
        "嘛",
        "一个",
        "一下",
        "什么",
        "怎么",
        "怎样",
        "如何",
        "为什么",
        "可以",
        "没有",
        "不",
        "要",
        "会",
        "能",
        "让",
        "把",
        "被",
        "给",
        "着",
        "过",
        "得",
        "地",
        "之",
        "而",
        "及",
        "或",
        "今天",
        "一起",
        "茶友",
        "家人",
    ]
)
_WORD = re.compile(r"[\w\u4e00-\u9fff]")
RRF_K = 10  # small k: with two lists, a top rank in either one should count (measured on evals/retrieval.jsonl)


def tokenize_words(text: str) -> list[str]:
    """Plain jieba words, punctuation and spaces kept (for word-level diffs)."""
    return [t for t in jieba.lcut(text, HMM=False) if t]


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens, lower-cased, without punctuation and stop words."""
    return [t.lower() for t in jieba.lcut_for_search(text) if _WORD.search(t) and t.lower() not in _STOP]


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


class _Lexical:
    """An in-memory BM25 index with an inverted list per token."""

    def __init__(self, posts: list[Post], k1: float = 1.4, b: float = 0.75) -> None:
        self.posts = posts
        self.k1, self.b = k1, b
        postings: dict[str, dict[int, int]] = defaultdict(dict)
        lengths = np.zeros(len(posts), dtype=np.float32)
        for i, p in enumerate(posts):
            toks = tokenize(p.text)
            lengths[i] = len(toks)
            for t in toks:
                postings[t][i] = postings[t].get(i, 0) + 1
        self.lengths = lengths
        self.avg = float(lengths.mean()) if len(posts) else 1.0
        n = len(posts)
        self.index = {
            t: (
                np.fromiter(d.keys(), np.int32),
                np.fromiter(d.values(), np.float32),
                float(np.log(1 + (n - len(d) + 0.5) / (len(d) + 0.5))),
            )
            for t, d in postings.items()
        }
        self.percentile = _percentiles(posts)

    def scores(self, query: str) -> np.ndarray:
        out = np.zeros(len(self.posts), dtype=np.float32)
        norm = self.k1 * (1 - self.b + self.b * self.lengths / max(self.avg, 1e-6))
        for t in set(tokenize(query)):
            entry = self.index.get(t)
            if entry is None:
                continue
            idx, tf, idf = entry
            out[idx] += idf * tf * (self.k1 + 1) / (tf + norm[idx])
        return out


def _percentiles(posts: list[Post]) -> np.ndarray:
    """Engagement percentile (0-1) of each post among posts of its own group."""
    pct = np.zeros(len(posts), dtype=np.float32)
    by_group: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(posts):
        if p.content_type != DOC_TYPE:
            by_group[p.group].append(i)
    for idxs in by_group.values():
        eng = np.array([posts[i].engagement for i in idxs], dtype=np.float64)
        if len(idxs) == 1:
            pct[idxs[0]] = 0.5
            continue
        order = eng.argsort(kind="stable")
        ranks = np.empty(len(idxs))
        ranks[order] = np.arange(len(idxs))
        # ties share the mean rank so equal engagement gives equal percentile
        for value in np.unique(eng):
            mask = eng == value
            ranks[mask] = ranks[mask].mean()
        for j, i in enumerate(idxs):
            pct[i] = ranks[j] / (len(idxs) - 1)
    return pct


class HybridRetriever:
    """Searches the store semantically and lexically and fuses the rankings (reciprocal rank fusion)."""

    def __init__(self, store: KnowledgeStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._lex: _Lexical | None = None
        self._lex_key: tuple[int, int] = (-1, -1)
        self._pos: dict[str, int] = {}

    def _lexical(self) -> _Lexical:
        key = (self.store.version, self.store.count())
        with self._lock:
            if self._lex is None or key != self._lex_key:
                self._lex = _Lexical(self.store.all_posts())
                self._pos = {p.id: i for i, p in enumerate(self._lex.posts)}
                self._lex_key = key
            return self._lex

    def refresh(self) -> None:
        """Rebuild the lexical index now (e.g. at app start) rather than on the first query."""
        self._lex = None
        self._lexical()

    def search(
        self, query: str, k: int = 5, filters: Filters = Filters(), boost: float = 0.0, include_docs: bool = True
    ) -> list[Hit]:
        """Top-k hits for a query; `boost` (0-1) favours high-engagement posts."""
        lex = self._lexical()
        if not lex.posts:
            return []
        mask = np.fromiter(
            (filters.matches(p) and (include_docs or p.content_type != DOC_TYPE) for p in lex.posts),
            bool,
            len(lex.posts),
        )
        if not mask.any():
            return []
        depth = max(4 * k, 40)
        fused: dict[int, float] = defaultdict(float)
        bm = lex.scores(query)
        bm[~mask] = 0.0
        ranked = [i for i in np.argsort(-bm)[:depth] if bm[i] > 0]
        for rank, i in enumerate(ranked):
            fused[int(i)] += 1.0 / (RRF_K + rank + 1)
        for rank, (pid, _dist) in enumerate(self.store.semantic(query, depth, filters.where())):
            i = self._pos.get(pid)
            if i is not None and mask[i]:
                fused[i] += 1.0 / (RRF_K + rank + 1)
        hits = [
            Hit(lex.posts[i], score * (1.0 + boost * float(lex.percentile[i])), float(lex.percentile[i]))
            for i, score in fused.items()
        ]
        hits.sort(key=lambda h: (-h.score, h.post.id))
        return hits[:k]

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
        lex = self._lexical()
        idx = [
            i
            for i, p in enumerate(lex.posts)
            if filters.matches(p) and p.content_type != DOC_TYPE and p.id not in exclude
        ]
        idx.sort(key=lambda i: (-lex.posts[i].engagement, lex.posts[i].id))
        return [Hit(lex.posts[i], float(lex.percentile[i]), float(lex.percentile[i])) for i in idx[:k]]

    def all_posts(self) -> list[Post]:
        """Every post in the index (shared with stats and voice profiles)."""
        return list(self._lexical().posts)
