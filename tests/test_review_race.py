"""Approval is atomic: the warning check, the version check and the write are one SQLite transaction."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from copilot.errors import ConflictError
from copilot.records import Draft, Warning
from copilot.review import NeedsAckError, Record, ReviewStore

GROUP = "山茶小院·双十二快闪群"
STALE = Warning("stale_date", "11 月 25 日", "早于发送日的日期：发之前请核对")


def _draft(text: str = "茶友们，白茶别用滚开的水冲，85 度左右就够了。") -> Draft:
    return Draft("day", "干货", text, "template", "day@1", group=GROUP, date="2026-11-26", slot_time="12:30")


def _edit_adding_a_warning(store: ReviewStore, rec: Record) -> None:
    store.edit(
        rec.id,
        "茶友们，早鸟到 11 月 25 日结束哈",
        author="小李",
        expected_version=None,
        warnings=(STALE,),
    )


def test_an_edit_adding_a_warning_cannot_land_between_the_check_and_the_approval(tmp_path: Path) -> None:
    db = tmp_path / "copilot.sqlite3"
    approver = ReviewStore(db)
    editor = ReviewStore(db, timeout=0.2)  # another tab / process, on its own connection and thread
    rec = approver.add(_draft(), author="副驾")
    assert not rec.needs_ack
    outcome: list[str] = []

    def edit_on_another_thread(cur: Record) -> None:
        def attempt() -> None:
            try:
                _edit_adding_a_warning(editor, cur)
                outcome.append("landed")
            except ConflictError as exc:
                outcome.append(str(exc))

        t = threading.Thread(target=attempt)
        t.start()
        t.join()

    approver.after_ack_check = edit_on_another_thread
    approved = approver.approve(rec.id, author="小王")  # bulk approve and the CLI pass no version
    # the approving transaction held the write lock through its check: the edit could not get in
    assert len(outcome) == 1 and "草稿库正被另一个操作占用" in outcome[0] and "没有保存" in outcome[0]
    assert approved.state == "approved" and not approved.warnings and approved.version == 1
    with pytest.raises(ConflictError, match="小王.*已通过"):  # the edit retried afterwards is refused by name
        _edit_adding_a_warning(editor, approved)
    final = editor.get(rec.id)
    assert final.state == "approved" and final.text == rec.text and not final.warnings


def test_an_edit_that_lands_first_makes_the_approval_see_its_warning(tmp_path: Path) -> None:
    db = tmp_path / "copilot.sqlite3"
    approver, editor = ReviewStore(db), ReviewStore(db)
    rec = approver.add(_draft(), author="副驾")
    _edit_adding_a_warning(editor, rec)  # between the operator opening the card and clicking 通过
    with pytest.raises(NeedsAckError, match="过期日期 1 条"):
        approver.approve(rec.id, author="小王")
    assert approver.get(rec.id).state == "draft"
    with pytest.raises(ConflictError, match="第 2 版"):  # with the version the card was opened at: a conflict
        approver.approve(rec.id, author="小王", expected_version=rec.version, ack_warnings=True)
    acked = approver.approve(rec.id, author="小王", expected_version=2, ack_warnings=True)
    assert acked.state == "approved"
    with sqlite3.connect(db) as conn:
        (detail,) = conn.execute("SELECT detail FROM events WHERE action='approved'").fetchone()
    assert "过期日期 1 条" in detail  # what the operator acknowledged is on record
