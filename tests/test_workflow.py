"""The review workflow and the UI handlers as plain functions (no browser)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from copilot import handlers as h
from copilot.config import Settings
from copilot.draft import Draft
from copilot.errors import ConflictError, CopilotError, InputError
from copilot.review import Record
from copilot.services import Services
from copilot.workflow import Workflow
from tests.conftest import llm_settings
from tests.test_push import Robot, robot  # noqa: F401 - the loopback webhook fixture

GROUP = "山茶小院·茶友福利群"
DAY = dt.date(2026, 11, 24)


@pytest.fixture
def flow(demo_copy: Path) -> Workflow:
    return Workflow(Services(Settings(home=demo_copy)))


def test_generated_day_is_saved_scored_and_flagged(flow: Workflow) -> None:
    records = [r for r in flow.generate_day(GROUP, DAY, "小王") if isinstance(r, Record)]
    assert len(records) == 4 and all(r.state == "draft" and r.author == "小王" for r in records)
    assert all(r.voice_score is not None and r.voice_score > 50 for r in records)
    rec = flow.edit(records[0].id, records[0].text + "\n这是全网最好的茶，第一名！", records[0].version, "小王")
    assert rec.version == 2 and any("最好" in f for f in rec.flags) and any("第一" in f for f in rec.flags)
    assert [v.note for v in flow.review.versions(rec.id)] == ["生成", "编辑"]


def test_two_tabs_cannot_silently_overwrite(flow: Workflow) -> None:
    rec = flow.generate_day(GROUP, DAY, "小王")[0]
    flow.edit(rec.id, rec.text + "（A 的修改）", rec.version, "小王")
    with pytest.raises(ConflictError, match="第 2 版"):
        flow.edit(rec.id, rec.text + "（B 的修改）", rec.version, "小李")
    assert "A 的修改" in flow.review.get(rec.id).text
    card, msg = h.card_action(flow.svc, "save", rec.id, rec.text + "（B 的修改）", rec.version, "", "小李")
    assert card is None and "刷新" in msg and "Traceback" not in msg


def test_approved_must_be_reopened_to_edit_and_reject_needs_reason(flow: Workflow) -> None:
    a, b = flow.generate_day(GROUP, DAY, "小王")[:2]
    approved = flow.approve(a.id, a.version, "主管")
    assert approved.state == "approved"
    with pytest.raises(CopilotError, match="重新打开"):
        flow.edit(a.id, "改一下", approved.version, "小王")
    assert flow.reopen(a.id, "小王").state == "draft"
    with pytest.raises(InputError, match="原因"):
        flow.reject(b.id, " ", b.version, "主管")
    assert flow.reject(b.id, "和昨天重复了", b.version, "主管").reject_reason == "和昨天重复了"


def test_regenerate_saves_a_different_version(flow: Workflow) -> None:
    rec = flow.generate_day(GROUP, DAY, "小王")[1]
    parts = list(flow.regenerate(rec.id, rec.version, "小王"))
    new = parts[-1]
    assert not isinstance(new, str) and new.version == 2 and new.text != rec.text
    assert flow.review.versions(rec.id)[-1].note == "重新生成"


def test_regenerate_streams_with_a_model(demo_copy: Path, stub) -> None:  # noqa: ANN001
    flow = Workflow(Services(llm_settings(demo_copy, stub)))
    rec = flow.generate_day(GROUP, DAY, "小王")[0]
    parts = list(flow.regenerate(rec.id, rec.version, "小王"))
    partial = [p for p in parts if isinstance(p, str) and p]
    assert len(partial) >= 3 and parts[-1].model == "stub-model" and stub.requests[-1]["stream"] is True


def test_bulk_approve_and_export_in_slot_order(flow: Workflow, tmp_path: Path) -> None:
    records = [r for r in flow.generate_day(GROUP, DAY, "小王") if isinstance(r, Record)]
    other = [r for r in flow.generate_day("山茶小院·21天识茶营", DAY, "小王") if isinstance(r, Record)]
    done, errors = flow.bulk_approve([r.id for r in records + other[:2]] + ["nope"], "主管")
    assert len(done) == 6 and len(errors) == 1 and "nope" in errors[0]
    xlsx = flow.export("xlsx", tmp_path, date="2026-11-24")
    ws = openpyxl.load_workbook(xlsx).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:4] == ("日期", "时间", "群", "内容类型")
    times = [r[1] for r in rows[1:]]
    assert times == sorted(times) and len(rows) == 7
    md = flow.export("md", tmp_path, date="2026-11-24").read_text("utf-8")
    assert md.index("07:30") < md.index("08:00") < md.index("22:00")
    with pytest.raises(InputError, match="没有已通过"):
        flow.export("csv", tmp_path, date="2026-12-01")


def test_push_records_result_and_feedback_becomes_an_example(flow: Workflow, robot: Robot) -> None:  # noqa: F811
    rec = flow.generate_day(GROUP, DAY, "小王")[1]
    with pytest.raises(InputError, match="已通过"):
        flow.push(rec.id, robot.url, "text", "小王")
    flow.approve(rec.id, rec.version, "主管")
    pushed = flow.push(rec.id, robot.url, "text", "小王")
    assert pushed.state == "published" and "已推送" in pushed.push_result
    assert "".join(robot.contents) == rec.text
    robot.answer(200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    second = flow.generate_day(GROUP, DAY, "小王")[2]
    flow.approve(second.id, second.version, "主管")
    msg = h.push_draft(flow.svc, second.id, robot.url, "text", "小王")
    assert "93000" in msg and "693a****" in msg and "0ec2sifa5aaa" not in msg
    assert flow.review.get(second.id).state == "approved" and "93000" in flow.review.get(second.id).push_result

    flow.feedback(rec.id, {"replies": 500, "reactions": 900, "signups": 3}, "小王")
    top = flow.svc.retriever.top_posts(group=GROUP, content_type=rec.content_type, k=1)
    assert top[0].post.id == f"draft-{rec.id}" and top[0].post.replies == 500


def test_handlers_never_show_a_stack_trace(flow: Workflow) -> None:
    cards, msg = h.generate_day(flow.svc, "不存在的群", "2026-11-24", "小王")
    assert cards == [] and "找不到群" in msg
    cards, msg = h.generate_day(flow.svc, GROUP, "11/24", "小王")
    assert "格式不对" in msg
    assert "出错了" in h.friendly(ZeroDivisionError("boom")) and "boom" not in h.friendly(ZeroDivisionError("boom"))
    cards, msg = h.generate_day(flow.svc, GROUP, "2026-11-24", "小王")
    assert len(cards) == 5 and cards[0]["header"].startswith("### 08:00 早安") and "模板起草" in cards[0]["header"]
    assert "人设贴合度" in cards[0]["meta"] and "参考的往期帖子" in cards[0]["sources"]


def test_upload_refuses_bad_files_whole_and_reports_where(flow: Workflow, tmp_path: Path) -> None:
    bad = tmp_path / "导出.csv"
    bad.write_bytes("内容,回复数\n好的,3\n不好,很多\n".encode("gbk"))
    exe = tmp_path / "x.exe"
    exe.write_bytes(b"MZ")
    before = flow.svc.store.count()
    msg = h.upload_knowledge(flow.svc, [str(bad), str(exe)])
    assert "导出.csv" in msg and "第 3 行" in msg and "x.exe" in msg and "不支持" in msg
    assert flow.svc.store.count() == before


def test_settings_never_echo_the_key(flow: Workflow, stub) -> None:  # noqa: ANN001
    msg = h.apply_llm(flow.svc, "", stub.base_url, "stub-model", "sk-secret-123")
    assert "stub-model" in msg and "sk-secret-123" not in msg and "已设置" in msg
    assert "连接成功" in h.test_llm(flow.svc)
    stub.inject("500", "500", "500", "500")
    fail = h.test_llm(flow.svc)
    assert "失败" in fail and "sk-secret" not in fail
    assert "模板" in h.apply_llm(flow.svc, "template", "", "", "")


def test_queue_text_and_rows(flow: Workflow) -> None:
    assert "审核队列" in h.queue_text(flow.svc, "茶友们，喝茶不急，慢慢来～", "rewrite", "人设改写", "", "小王")
    rows = h.queue_rows(flow.svc, state="draft")
    assert rows and rows[-1][4] == "人设改写" and rows[-1][5] == "待审核"
    with pytest.raises(InputError):
        flow.review.add(Draft("day", "早安", "", "m", "p", status="failed", error="超时"))


def test_eval_handler_returns_chart_and_report(flow: Workflow) -> None:
    md, png, html = h.run_eval(flow.svc, "intro")
    assert "通过率" in md and png and Path(png).exists() and html and Path(html).exists()
    data = json.loads(Path(html).with_suffix(".json").read_text("utf-8"))
    assert data["suite"] == "intro"
