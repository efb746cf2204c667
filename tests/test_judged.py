"""The operator-judged drafts and the rank correlation `make bench` reports."""

from __future__ import annotations

import math

from copilot.judged import agreement, load_judged, ranks, spearman
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
