"""The persistent lexical index: survives restarts and crashes, follows re-ingest and delete, shared by processes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from copilot import index
from copilot.config import Settings
from copilot.records import Post
from copilot.retrieve import Filters
from copilot.services import Services, forget_shared
from tests.conftest import ROOT, SAMPLE_POSTS


def _ingest(svc: Services, tmp_path: Path, rows: list[dict] = SAMPLE_POSTS) -> None:
    f = tmp_path / "posts.jsonl"
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    report = svc.ingest([f])
    assert not report.refused, report


def _lexical(svc: Services, query: str, **filters: str) -> list[str]:
    return svc.store.index.bm25(query, 10, Filters(**filters).columns())


def _consistent(svc: Services) -> None:
    chroma = set(svc.store.collection.get(include=[])["ids"])
    indexed = {p.id for p in svc.store.all_posts()}
    assert indexed == chroma
    db = svc.store.index._db()
    assert db.execute("SELECT COUNT(*) FROM pending").fetchone()[0] == 0
    # the BM25 corpus statistics kept by triggers agree with the rows
    assert (
        db.execute("SELECT n, ntok FROM corpus").fetchone()
        == db.execute("SELECT COUNT(*), COALESCE(SUM(ntok), 0) FROM posts").fetchone()
    )


def test_index_survives_a_restart_without_rebuild(services: Services, tmp_path: Path) -> None:
    assert services.store.last_sync == "rebuilt"  # a new workspace starts its index once
    _ingest(services, tmp_path)
    version = services.store.version
    reopened = Services(Settings(home=services.settings.home))
    assert reopened.store.last_sync == ""  # nothing rebuilt or repaired
    assert reopened.store.version == version
    assert _lexical(reopened, "搪瓷缸子") == ["t4"]
    assert set(_lexical(reopened, "茶叶 白茶", content_type="干货")) == {"t2", "t3"}
    assert reopened.retriever.search("雨天茶叶受潮怎么保存", k=1)[0].post.id == "t3"


def test_crash_between_chroma_and_index_is_repaired_on_open(services: Services, tmp_path: Path) -> None:
    _ingest(services, tmp_path, SAMPLE_POSTS[:3])
    store = services.store
    extra = [
        Post(id=r["id"], text=r["text"], group=r["group"], content_type=r["content_type"]) for r in SAMPLE_POSTS[3:]
    ]
    # What a killed process leaves behind: ids journalled, Chroma written, the index write never ran.
    with store.index.writing([p.id for p in extra]):
        store.collection.add(ids=[p.id for p in extra], documents=[p.text for p in extra])
    changed = Post(id="t1", text="茶友们早上好，今天聊聊竹筒茶的做法", group="茶友群", content_type="早安")
    with store.index.writing([changed.id]):
        store.collection.upsert(ids=[changed.id], documents=[changed.text], metadatas=[{"group": "茶友群"}])
    assert _lexical(services, "搪瓷缸子") == []  # not yet indexed

    reopened = Services(Settings(home=services.settings.home))
    assert reopened.store.last_sync == "repaired"
    _consistent(reopened)
    assert _lexical(reopened, "搪瓷缸子") == ["t4"]
    assert _lexical(reopened, "竹筒") == ["t1"] and _lexical(reopened, "晒青场") == []
    assert Services(Settings(home=services.settings.home)).store.last_sync == ""  # repaired once, then quiet


def test_missing_rows_and_a_lost_index_file_are_rebuilt(services: Services, tmp_path: Path) -> None:
    _ingest(services, tmp_path)
    db = sqlite3.connect(services.store.index.path)
    with db:
        rowid = db.execute("DELETE FROM posts WHERE id = 't2' RETURNING rowid").fetchone()[0]
        db.execute("DELETE FROM posts_fts WHERE rowid = ?", (rowid,))
    db.close()
    repaired = Services(Settings(home=services.settings.home))
    assert repaired.store.last_sync == "repaired"
    _consistent(repaired)
    assert "t2" in _lexical(repaired, "白茶 85度")

    for suffix in ("", "-wal", "-shm"):
        Path(str(services.store.index.path) + suffix).unlink(missing_ok=True)
    rebuilt = Services(Settings(home=services.settings.home))
    assert rebuilt.store.last_sync == "rebuilt"
    _consistent(rebuilt)
    assert rebuilt.stats()["content_type"]["干货"] == 2


def test_reingest_and_delete_keep_the_index_consistent(services: Services, tmp_path: Path) -> None:
    _ingest(services, tmp_path)
    store = services.store
    store.upsert(Post(id="t4", text="家里的老竹匾还在吗？晒茶全靠它。", content_type="话题", group="茶友群", replies=2))
    assert store.count() == 6
    assert _lexical(services, "搪瓷缸子") == [] and _lexical(services, "竹匾") == ["t4"]
    assert store.get("t4") is not None and store.get("t4").replies == 2  # type: ignore[union-attr]
    store.delete(["t3", "t5"])
    assert store.count() == 4 and store.get("t3") is None
    assert _lexical(services, "梅雨 干燥剂") == []
    assert "t3" not in {h.post.id for h in services.retriever.search("梅雨季节茶叶受潮", k=5)}
    assert services.stats()["group"] == {"茶友群": 3, "福利群": 1}
    _consistent(services)


def test_top_posts_and_percentiles_follow_writes(services: Services, tmp_path: Path) -> None:
    _ingest(services, tmp_path)
    r = services.retriever
    assert [h.post.id for h in r.top_posts(group="茶友群", k=4)] == ["t4", "t3", "t2", "t1"]
    assert r.top_posts(group="茶友群", k=1)[0].percentile == 1.0
    services.store.upsert(Post(id="t9", text="新来的茶友看这里", content_type="欢迎", group="茶友群", replies=500))
    top = r.top_posts(group="茶友群", k=2)
    assert [h.post.id for h in top] == ["t9", "t4"] and top[0].percentile == 1.0 and top[1].percentile == 0.75
    assert [h.post.id for h in r.top_posts(group="茶友群", k=2, exclude=frozenset({"t9"}))] == ["t4", "t3"]


def test_voice_profile_is_relearned_only_when_persona_posts_change(demo_copy: Path, tmp_path: Path) -> None:
    svc = Services(Settings(home=demo_copy))
    profile = svc.profile()
    doc = tmp_path / "faq.md"
    doc.write_text("# 发货\n\n每周二、周五发货，偏远地区顺延。\n", "utf-8")
    assert svc.ingest([], [doc]).added == 1
    assert svc.profile() is profile  # a document is not the persona's voice
    svc.store.upsert(Post(id="hot", text="茶友们，这条回复最多呀🍵", content_type="话题", group="茶友群", replies=9999))
    assert svc.profile() is not profile
    svc.scorer()

    calls: list[int] = []
    forget_shared()  # the process-wide scorer would hide whether the workspace cache works
    again = Services(Settings(home=demo_copy))
    real = again.embed
    again.embed = lambda texts: calls.append(len(texts)) or real(texts)  # type: ignore[method-assign]
    again.scorer()
    assert calls == []  # calibration vectors come from the workspace cache, not the model


_OTHER = """
import json, sys
import pytest

from copilot import index
from copilot.config import Settings
from copilot.records import Post
from copilot.services import Services
svc = Services(Settings(home=sys.argv[1]))
seen = svc.store.index.bm25("竹匾", 5, {})
svc.store.upsert(Post(id="p2", text="第二个进程写的：老茶客的紫砂壶怎么养", content_type="干货", group="茶友群"))
print(json.dumps({"sync": svc.store.last_sync, "seen": seen}))
"""


def test_two_processes_see_each_others_writes(services: Services, tmp_path: Path) -> None:
    _ingest(services, tmp_path)
    services.store.upsert(Post(id="p1", text="第一个进程写的：晒茶的老竹匾", content_type="话题", group="茶友群"))
    before = services.store.version
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", _OTHER, str(services.settings.home)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    other = json.loads(out.stdout.strip().splitlines()[-1])
    assert other == {"sync": "", "seen": ["p1"]}
    assert services.store.version > before  # the other process's write bumps the shared version
    assert _lexical(services, "紫砂壶") == ["p2"]
    assert services.stats()["content_type"]["干货"] == 3
    assert services.store.get("p2") is not None
    assert "p2" in [pid for pid, _ in services.store.semantic("老茶客的紫砂壶怎么养", 3)]


def test_large_stores_pick_candidates_by_the_rarest_words(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ingest(services, tmp_path)
    assert _lexical(services, "梅雨 茶叶") == ["t3", "t4"]
    monkeypatch.setattr(index, "CANDIDATE_ROWS", 1)  # as if 茶叶 matched too many rows to score them all
    assert _lexical(services, "梅雨 茶叶") == ["t3"]
    assert _lexical(services, "梅雨 茶叶", group="茶友群") == ["t3"]
    assert _lexical(services, "搪瓷缸子 茶叶", group="福利群") == []


def test_a_failed_write_leaves_the_index_matching_chroma(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ingest(services, tmp_path)
    store = services.store
    real = store._current()

    class Flaky:
        """Chroma that stores the write and then fails (a timeout after the server applied it)."""

        def upsert(self, **kwargs: object) -> None:
            real.upsert(**kwargs)  # type: ignore[arg-type]
            raise RuntimeError("连接中断")

    monkeypatch.setattr(store, "_current", lambda: Flaky())
    with pytest.raises(RuntimeError):
        store.upsert(Post(id="t7", text="竹编茶盘怎么清洗", content_type="干货", group="茶友群"))
    assert _lexical(services, "竹编茶盘") == ["t7"]  # repaired from what Chroma holds, not left pending
    _consistent(services)


def test_cached_word_counts_and_filter_shares_follow_writes_from_another_writer(
    services: Services, tmp_path: Path
) -> None:
    _ingest(services, tmp_path)
    idx = services.store.index
    assert _lexical(services, "紫砂壶") == []  # its count (0) is now kept until the next write
    assert idx.share({"content_type": "干货"}) == pytest.approx(2 / 6)
    other = Services(Settings(home=services.settings.home))  # its own index connection and caches, like a process
    other.store.upsert(Post(id="p9", text="老茶客的紫砂壶怎么养", content_type="干货", group="茶友群"))
    assert _lexical(services, "紫砂壶") == ["p9"]
    assert idx.share({"content_type": "干货"}) == pytest.approx(3 / 7)
    assert idx.share({"content_type": "干货", "group": "福利群"}) == 0.0


def test_filtered_ids_and_semantic_search_need_no_scan(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ingest(services, tmp_path)
    ids = ["t1", "t2", "t3", "t5", "nope"]
    assert services.store.index.matching(ids, {"content_type": "干货"}) == {"t2", "t3"}
    assert services.store.index.matching(ids, {"group": "福利群", "content_type": ""}) == {"t5"}
    assert services.store.index.matching(ids, {}) == {"t1", "t2", "t3", "t5"}

    def no_count() -> int:
        raise AssertionError("Chroma's count() scans the store: a query must not call it")

    monkeypatch.setattr(services.store.collection, "count", no_count)
    assert services.store.index.size() == 6
    assert services.retriever.search("梅雨季节茶叶受潮", k=1, filters=Filters(content_type="干货"))[0].post.id == "t3"
