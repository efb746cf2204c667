"""The operator-judged drafts and the rank correlation `make bench` reports."""

from __future__ import annotations

import math
from pathlib import Path

from copilot.judged import agreement, judge_agreement, load_judged, ranks, spearman
from copilot.services import Services


def test_judged_set_is_large_varied_and_complete() -> None:
    items = load_judged()
    assert len(items) >= 40 and len({i["id"] for i in items}) == len(items)
    assert all(set(i) == {"id", "text", "content_type", "score", "why"} for i in items)
    assert {i["score"] for i in items} == {1, 2, 3, 4, 5}
    assert all(i["why"] and i["text"] for i in items)


def test_spearman_with_ties() -> None:
    assert list(ranks([3, 1, 3, 2])) == [3.5, 1.0, 3.5, 2.0]
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == 1.0
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3]))


def test_voice_score_ranks_drafts_roughly_as_the_operator_does(demo_services: Services) -> None:
    scorer = demo_services.scorer()
    rho = agreement(lambda texts: [s.score for s in scorer.score_many(texts)])
    assert rho >= 0.5
    assert agreement(lambda texts: [len(t) for t in texts]) < rho  # not just "longer is better"


def test_llm_judge_agreement_leaves_out_failed_answers(demo_home: Path, stub, tmp_path: Path) -> None:  # noqa: ANN001
    import shutil

    from tests.conftest import llm_settings

    home = tmp_path / "home"
    shutil.copytree(demo_home, home)

    def answer(req: dict) -> str:
        user = req["messages"][-1]["content"]
        if "winner" in user:
            return '{"winner": "tie"}'
        if "比特币" in user:
            return "这条我不评"  # no JSON: the judge fails on this draft
        return (
            '{"score": 5, "reason": "像阿禾"}' if "阿禾" in user.split("待评")[-1] else '{"score": 1, "reason": "不像"}'
        )

    stub.responder = answer
    svc = Services(llm_settings(home, stub))
    items = [i for i in load_judged() if i["id"] in ("j01", "j02", "j32", "j33", "j39")]
    rho, answered = judge_agreement(svc.judge, items)
    assert answered == 4 and rho == 1.0
