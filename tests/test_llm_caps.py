"""Model answers are capped: an over-long answer or a cut stream fails its slot and is never saved."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import llm_settings

from copilot.errors import InputError, LLMError
from copilot.services import Services
from copilot.workflow import Workflow

DAY = dt.date(2026, 9, 1)


def test_an_answer_that_ignores_max_tokens_fails_its_slot_and_is_not_queued(demo_copy: Path, stub) -> None:  # noqa: ANN001
    svc = Services(llm_settings(demo_copy, stub, llm_concurrency=1, llm_max_chars=500))
    stub.inject("long:20000")  # the audit sent 2 MB; 40 times the cap shows the same thing faster
    pairs = svc.draft_day(day=DAY)
    assert stub.requests[0]["max_completion_tokens"] == 2000
    failed = [(d, rec) for d, rec in pairs if d.status == "failed"]
    assert len(failed) == 1 and failed[0][1] is None
    assert "超过上限 500 字" in failed[0][0].error
    assert all(len(d.text) <= 500 for d, _ in pairs)
    assert len(svc.review.list(date=DAY.isoformat())) == [d.status for d, _ in pairs].count("ok")


def test_an_answer_cut_at_max_tokens_fails(demo_copy: Path, stub) -> None:  # noqa: ANN001
    chat = Services(llm_settings(demo_copy, stub, llm_max_tokens=64)).chat
    assert chat is not None
    stub.inject("length")
    with pytest.raises(LLMError, match="64 tokens"):
        chat.complete("", "任务：写一条早安")


def test_a_stream_cut_without_finish_reason_fails_and_regenerate_keeps_the_old_version(
    demo_copy: Path,
    stub,  # noqa: ANN001
) -> None:
    svc = Services(llm_settings(demo_copy, stub))
    chat = svc.chat
    assert chat is not None
    stub.inject("truncated")
    got = []
    with pytest.raises(LLMError, match="中途断开"):
        for delta in chat.stream("", "任务：写一条早安"):
            got.append(delta)
    assert got  # text did arrive before the cut: it must still not count as an answer

    pairs = svc.draft_day(day=DAY)
    rec = next(r for _, r in pairs if r is not None)
    stub.inject("truncated")
    with pytest.raises(InputError, match="中途断开"):
        list(Workflow(svc).regenerate(rec.id, rec.version, "阿禾"))
    after = svc.review.get(rec.id)
    assert (after.version, after.text) == (rec.version, rec.text)


def test_a_stream_longer_than_the_cap_stops_early(demo_copy: Path, stub) -> None:  # noqa: ANN001
    chat = Services(llm_settings(demo_copy, stub, llm_max_chars=100)).chat
    assert chat is not None
    stub.inject("long:5000")
    received = 0
    with pytest.raises(LLMError, match="超过上限 100 字"):
        for delta in chat.stream("", "任务：写一条早安"):
            received += len(delta)
    assert received <= 100
