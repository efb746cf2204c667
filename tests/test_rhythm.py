"""The group's rhythm: members' messages by hour, slot suggestions, the 群数据 handlers and `stats --group`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from copilot import handlers_group as h
from copilot.records import Slot
from copilot.rhythm import ActivityStore, active_hours, suggest_slots
from copilot.services import Services
from tests import chatexports as cx
from tests.conftest import ROOT

DEMO_GROUP = "山茶小院·茶友福利群"


def _hours(**counts: int) -> dict[str, int]:
    return {str(h): counts.get(f"h{h}", 0) for h in range(24)}


def test_active_hours_cover_most_messages_and_slots_move_towards_them() -> None:
    hours = _hours(h8=30, h12=50, h13=20, h20=60, h21=40, h3=1)
    assert active_hours(hours) == [8, 12, 20, 21]
    rows = suggest_slots(hours, [Slot("06:30", "早安"), Slot("12:30", "话题"), Slot("22:00", "晚安")])
    assert [r["active"] for r in rows] == [False, True, False]
    assert [r["suggested"] for r in rows] == ["08:30", "12:30", "21:00"]
    assert "06:30" in rows[0]["reason"] and "08:30" in rows[0]["reason"]
    assert "reason" not in rows[1]
    assert suggest_slots(_hours(), [Slot("06:30", "早安")])[0]["suggested"] == "06:30"  # no data, no advice


def test_activity_store_dedupes_and_summarises(tmp_path: Path) -> None:
    store = ActivityStore(tmp_path / "chat.sqlite3")
    rows = [("k1", "群", "2026-11-20", 8, "a"), ("k2", "群", "2026-11-20", 8, "b"), ("k3", "群", "2026-11-23", 21, "a")]
    assert store.record(rows) == 3 and store.record(rows[:2]) == 0
    s = ActivityStore(tmp_path / "chat.sqlite3").summary("群")  # survives reopening
    assert s["active_hours"]["8"] == 2 and s["active_hours"]["21"] == 1 and len(s["active_hours"]) == 24
    assert (s["days"], s["messages_per_day"], s["active_members"]) == (4, 0.8, 2)
    assert ActivityStore(tmp_path / "chat.sqlite3").summary("别的群")["days"] == 0


def test_group_data_handler_after_importing_the_demo_export(services: Services) -> None:
    svc = services
    assert svc.ingest([], persona=ROOT / "knowledge" / "persona.yaml").refused == ()
    msg, rows = h.import_chat(svc, str(ROOT / "knowledge" / "chat_export.json"), "self")
    assert "IP 的帖子 12 条" in msg and len(rows) == 12
    d = h.group_data(svc, DEMO_GROUP)
    assert "3 天" in d["summary"] and len(d["hours"]) == 24
    marked = {row[0] for row in d["hours"] if row[2] == "有时段"}
    assert marked == {"08", "10", "12", "19", "22"}  # the persona's slots for this group
    assert d["top"][0][1] == "活动提醒" and d["top"][0][5] == 5  # the 接龙 notice with five sign-ups leads
    assert {r[0] for r in d["by_type"]} >= {"早安", "话题", "晚安"}
    assert h.import_chat(svc, None, "self")[0].startswith("请先选择")
    assert "不支持" in h.import_chat(svc, str(ROOT / "knowledge" / "persona.yaml"), "self")[0]


def test_cli_stats_group_json(home: Path, tmp_path: Path) -> None:
    env = {"COPILOT_HOME": str(home), "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}
    svc = Services()
    svc.import_chat(cx.chatlog_json(tmp_path / "x.json"), "self")
    run = subprocess.run(
        [sys.executable, "-m", "copilot", "stats", "--group", "茶友福利群", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert set(data["active_hours"]) == {str(h) for h in range(24)}
    assert data["active_hours"]["21"] == 3 and data["active_members"] == 3
    assert data["by_group"] == {"茶友福利群": 2} and data["posts"] == 2
    assert all({"time", "content_type"} <= set(s) for s in data["suggested_slots"])
    # no persona: the 引流群 default rhythm is checked against the group's hours and moved where members are
    assert "08:00" not in {s["time"] for s in data["suggested_slots"]}


def test_operator_corrects_a_guessed_type_and_a_reimport_keeps_it(services: Services, tmp_path: Path) -> None:
    path = cx.chatlog_json(tmp_path / "x.json")
    _, rows = h.import_chat(services, str(path), "self")
    night = next(r for r in rows if r[9] == cx.NIGHT)
    assert night[3] == "晚安"
    table = h.chat_post_rows(services, "茶友福利群")
    assert sorted(r[0] for r in table) == sorted(r[0] for r in rows if r[2] == "茶友福利群")
    edited = [[*r[:3], "话题", "社群自带", *r[5:]] if r[0] == night[0] else r for r in table]
    assert h.retype_posts(services, edited) == "已修改 1 条帖子的类型"
    assert h.retype_posts(services, edited) == "类型没有变化"
    bad = [[*r[:3], "早饭", *r[4:]] for r in table]
    assert "第 1 行" in h.retype_posts(services, bad) and "早饭" in h.retype_posts(services, bad)
    stored = services.store.get(night[0])
    assert stored is not None and (stored.content_type, stored.topic_type, stored.replies) == ("话题", "社群自带", 2)
    again = services.import_chat(path, "self")
    assert next(p for p in again.posts if p.id == night[0]).content_type == "话题"  # --json shows the corrected type
    assert services.store.get(night[0]).content_type == "话题"  # type: ignore[union-attr]
