"""A running app on the local Chroma store sees what another process (a CLI ingest) added, without a restart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from copilot.retrieve import Filters
from copilot.services import Services
from tests.conftest import ROOT, SAMPLE_POSTS

NEW = {
    "id": "cli-1",
    "text": "老茶客的紫砂壶要专壶专用，一把壶只泡一种茶，养出来的包浆才润。",
    "content_type": "干货",
    "group": "茶友群",
    "replies": 20,
}


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    return path


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COPILOT_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "copilot", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_app_sees_a_cli_ingest_from_another_process_without_restarting(services: Services, tmp_path: Path) -> None:
    report = services.ingest([_jsonl(tmp_path / "posts.jsonl", SAMPLE_POSTS)])
    assert report.added == len(SAMPLE_POSTS)
    store = services.store
    query = "紫砂壶怎么养，一把壶泡几种茶"
    # the app has searched once: its in-process vector index is loaded and, left alone, would never change
    assert "cli-1" not in [pid for pid, _ in store.semantic(query, 3)]
    seen_before = store._seen

    out = _cli(services.settings.home, "ingest", str(_jsonl(tmp_path / "more.jsonl", [NEW])))
    assert out.returncode == 0, out.stderr
    assert "新增 1 条" in out.stdout

    assert store.version > seen_before  # the CLI bumped the workspace's shared generation
    nearest = [pid for pid, _ in store.semantic(query, 3)]
    assert nearest[0] == "cli-1"  # the vector written by the other process, found by the app's next query
    assert store._seen == store.version  # reopened once; the next query does not reopen again
    hits = services.retriever.search(query, k=3, filters=Filters(content_type="干货"))
    assert hits[0].post.id == "cli-1" and hits[0].post.metrics["replies"] == 20
    assert store.count() == len(SAMPLE_POSTS) + 1
