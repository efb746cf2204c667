"""Ingest into a real Chroma store and hybrid retrieval over it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from copilot.config import Settings
from copilot.retrieve import Filters
from copilot.services import Services
from tests.conftest import SAMPLE_POSTS


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    return path


def test_ingest_is_idempotent_and_survives_reopen(services: Services, tmp_path: Path) -> None:
    f = _jsonl(tmp_path / "posts.jsonl", SAMPLE_POSTS)
    first = services.ingest([f])
    assert (first.added, first.skipped, first.refused) == (6, 0, ())
    again = services.ingest([f])
    assert (again.added, again.skipped) == (0, 6)
    reopened = Services(Settings(home=services.settings.home))
    assert reopened.store.count() == 6
    post = reopened.store.get("t5")
    assert post is not None and post.signups == 45 and post.group == "福利群"
    assert reopened.retriever.search("直播试饮", k=1)[0].post.id == "t5"


def test_refused_file_writes_nothing_and_others_still_land(services: Services, tmp_path: Path) -> None:
    good = _jsonl(tmp_path / "good.jsonl", SAMPLE_POSTS[:2])
    bad = tmp_path / "bad.csv"
    buf = io.StringIO()
    csv.writer(buf).writerows([["内容", "回复数"], ["合法的一条", "3"], ["第二条", "三十"]])
    bad.write_bytes(buf.getvalue().encode("gbk"))
    report = services.ingest([bad, good])
    assert report.added == 2 and len(report.refused) == 1
    assert "bad.csv" in report.refused[0] and "第 3 行" in report.refused[0] and "列「回复数」" in report.refused[0]
    assert services.store.count() == 2
    assert {p.text for p in services.store.all_posts()}.isdisjoint({"合法的一条"})


def test_hybrid_search_filters_and_boost(services: Services, tmp_path: Path) -> None:
    services.ingest([_jsonl(tmp_path / "posts.jsonl", SAMPLE_POSTS)])
    r = services.retriever
    assert r.search("雨天茶叶受潮怎么保存", k=1)[0].post.id == "t3"
    assert r.search("外婆的老杯子", k=1)[0].post.id == "t4"
    only = r.search("茶", k=10, filters=Filters(group="福利群"))
    assert {h.post.id for h in only} <= {"t5", "t6"} and only
    typed = r.search("茶叶", k=10, filters=Filters(content_type="干货"))
    assert {h.post.id for h in typed} == {"t2", "t3"}
    assert r.search("茶", k=5, filters=Filters(topic_type="八卦")) == []
    top = r.top_posts(group="茶友群", content_type="干货", k=2)
    assert [h.post.id for h in top] == ["t3", "t2"]  # 55 replies beats 40 replies
    assert top[0].percentile > top[1].percentile


def test_persona_install_validates_and_keeps_old_on_error(services: Services, tmp_path: Path) -> None:
    good = tmp_path / "p.yaml"
    good.write_text("name: 阿禾\ngroups:\n  - name: 茶友群\n    type: 学习群\n", "utf-8")
    assert services.ingest([], persona=good).refused == ()
    persona = services.persona()
    assert persona.name == "阿禾" and persona.groups[0].slots[0].time == "07:30"  # default 学习群 rhythm
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: 阿禾\ngroups:\n  - name: 茶友群\n    type: 聊天群\n", "utf-8")
    report = services.ingest([], persona=bad)
    assert "聊天群" in report.refused[0] and "groups.0.type" in report.refused[0]
    assert services.persona().groups[0].type == "学习群"
