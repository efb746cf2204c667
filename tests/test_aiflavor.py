"""AI flavour: the model fitted on HC3-Chinese, shipped as a weights file, sensible on short group posts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from copilot import aiflavor
from copilot.evaluate import auc
from copilot.voice import ai_flavor
from tests.test_voice import GENERIC, PERSONAS

ROOT = Path(__file__).resolve().parent.parent
HC3 = ROOT.parent / "shared" / "data" / "hc3_zh_train.jsonl"
DEMO_POSTS = [json.loads(x)["text"] for x in (ROOT / "knowledge" / "posts.jsonl").read_text("utf-8").splitlines() if x]


def test_weights_ship_inside_the_package_small_and_credited() -> None:
    assert aiflavor.WEIGHTS.is_relative_to(ROOT / "copilot")
    assert aiflavor.WEIGHTS.stat().st_size < 2_000_000
    m = aiflavor.model()
    assert len(m.ngrams) > 1000 and len(m.ngrams) == len(m.w)
    assert "HC3" in m.meta["data"] and m.meta["holdout"] == 0.25 and m.meta["holdout_auc"] >= 0.92


@pytest.mark.skipif(not HC3.exists(), reason="HC3-Chinese fitting data is not on this machine")
def test_held_out_part_of_hc3_separates() -> None:
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from fit_aiflavor import load, split
    finally:
        sys.path.remove(str(ROOT / "bench"))
    rows = load(HC3)
    fit, held = split([r["label"] for r in rows])
    assert len(held) == round(0.25 * 525) + round(0.25 * 855) and not set(fit) & set(held)
    m = aiflavor.model()
    ai = [m.logit(rows[i]["text"]) for i in held if rows[i]["label"] == 1]
    people = [m.logit(rows[i]["text"]) for i in held if rows[i]["label"] == 0]
    assert auc(ai, people) >= 0.92


def test_short_group_posts_people_low_generic_ai_high() -> None:
    demo = [ai_flavor(t)[0] for t in DEMO_POSTS]
    people = [ai_flavor(t)[0] for _, posts in PERSONAS.values() for t in posts]
    generic = [ai_flavor(t)[0] for t in GENERIC]
    assert np.median(demo) < 0.05 and np.percentile(demo, 95) < 0.3
    assert np.median(generic) > 0.4
    assert auc(generic, people + demo) >= 0.9


def test_explains_which_phrases_made_it_ai_flavoured() -> None:
    text = "首先，我们要明确目标。其次，要制定计划。综上所述，希望对大家有所帮助。"
    flavor, cliches = ai_flavor(text)
    assert flavor > 0.5 and {"首先", "其次", "综上所述", "有所帮助"} <= set(cliches)
    f = aiflavor.model().flavor(text)
    assert f.phrases and "〔套话〕" in f.phrases
    assert all(len(p) >= 2 for p in f.phrases)
    plain = aiflavor.model().flavor("茶友们早呀🍵 雨停了，晒青场又忙起来啦～")
    assert plain.score < 0.1 and plain.score < f.score


def test_width_and_digits_do_not_change_the_flavour() -> None:
    assert ai_flavor("周四晚上８点直播，９９元３泡装！")[0] == ai_flavor("周四晚上8点直播，99元3泡装!")[0]
    assert (
        aiflavor.char_ngrams("12 月 5 日")["0月"] == 0
        and aiflavor.char_ngrams("12月5日")["0月"] == aiflavor.char_ngrams("3月8日")["0月"] == 1
    )
