"""The review desk: one draft per slot, drafts open on any day, conflicts that keep the operator's text."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from copilot import handlers as h
from copilot.config import Settings
from copilot.errors import ConflictError
from copilot.services import Services
from copilot.workflow import Workflow

ROOT = Path(__file__).resolve().parent.parent
WELFARE = "山茶小院·茶友福利群"


def test_generating_again_makes_new_versions_not_new_rows(demo_copy: Path) -> None:
    svc = Services(Settings(home=demo_copy))
    day = dt.date(2026, 11, 24)
    first = [rec for _, rec in svc.draft_day(WELFARE, day) if rec]  # the evening slot stays empty: no activity
    wf = Workflow(svc)
    wf.approve(first[0].id, first[0].version, "运营", ack_warnings=True)  # an approved post is left alone
    second = [rec for _, rec in svc.draft_day(WELFARE, day) if rec]
    third = [rec for _, rec in svc.draft_day(WELFARE, day) if rec]
    rows = svc.review.list(date="2026-11-24", group=WELFARE)
    assert len(rows) == len(first) == 4
    assert [r.id for r in second] == [r.id for r in first] == [r.id for r in third]
    assert second[0].state == "approved" and second[0].version == first[0].version
    assert all(r.version == 3 for r in third[1:])
    assert [v.note for v in svc.review.versions(third[1].id)] == ["生成", "再次生成", "再次生成"]


def test_a_save_after_someone_approved_is_refused_by_name_and_reopen_keeps_the_text(demo_copy: Path) -> None:
    svc = Services(Settings(home=demo_copy))
    (_, rec), *_ = svc.draft_day(WELFARE, dt.date(2026, 11, 24))
    assert rec is not None
    mine = rec.text + "\n（我在 A 标签里加的一句）"
    Workflow(svc).approve(rec.id, rec.version, "小王", ack_warnings=True)  # tab B
    shown, msg = h.card_action(svc, "save", rec.id, mine, rec.version, "", "小李")  # tab A
    assert shown is None and "小王" in msg and "已通过" in msg and "没有丢" in msg and "已已" not in msg
    reopened, msg = h.card_action(svc, "reopen", rec.id, mine, rec.version, "", "小李")
    assert reopened is not None and reopened["text"] == mine and "还在框里" in msg
    saved, _ = h.card_action(svc, "save", rec.id, mine, reopened["version"], "", "小李")
    assert saved is not None and svc.review.get(rec.id).text == mine


def test_stale_version_is_a_conflict_naming_who_and_which_version(demo_copy: Path) -> None:
    svc = Services(Settings(home=demo_copy))
    (_, rec), *_ = svc.draft_day(WELFARE, dt.date(2026, 11, 24))
    assert rec is not None
    wf = Workflow(svc)
    wf.edit(rec.id, rec.text + "（B 改的）", rec.version, "小王")
    with pytest.raises(ConflictError, match="小王.*第 2 版.*第 1 版"):
        wf.edit(rec.id, rec.text + "（A 改的）", rec.version, "小李")


def test_queue_opens_any_draft_with_its_versions(demo_copy: Path) -> None:
    svc = Services(Settings(home=demo_copy))
    (_, rec), *_ = svc.draft_day(WELFARE, dt.date(2026, 11, 20))
    assert rec is not None
    Workflow(svc).edit(rec.id, rec.text + "再补一句。", rec.version, "小李")
    shown, msg = h.open_card(svc, rec.id)
    assert shown is not None and shown["version"] == 2 and "第 2 版" in msg
    history = h.versions_markdown(svc, rec.id)
    assert history.index("第 2 版") < history.index("第 1 版") and "{+再补一句。+}" in history
    assert h.open_card(svc, "nope")[0] is None


def test_queue_cli_edit_refuses_a_stale_version_and_stats_json_shape(demo_copy: Path) -> None:
    svc = Services(Settings(home=demo_copy))
    (_, rec), *_ = svc.draft_day(WELFARE, dt.date(2026, 11, 24))
    assert rec is not None
    env = {"COPILOT_HOME": str(demo_copy), "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "copilot", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )

    assert run("queue", "edit", rec.id, "--version", "1", "--text", "茶友们，改一版。").returncode == 0
    stale = run("queue", "edit", rec.id, "--version", "1", "--text", "茶友们，又改一版。")
    assert stale.returncode != 0 and "第 2 版" in stale.stderr
    shown = json.loads(run("queue", "show", rec.id, "--json").stdout)
    assert shown["version"] == 2 and [v["version"] for v in shown["versions"]] == [1, 2]
    assert run("queue", "reject", rec.id, "--reason", "太长了").returncode == 0
    assert run("queue", "reopen", rec.id).returncode == 0
    stats = json.loads(run("stats", "--json").stdout)
    assert {"posts", "by_content_type", "by_topic_type", "by_group"} <= set(stats)
    assert stats["posts"] == sum(stats["by_content_type"].values()) > 100
