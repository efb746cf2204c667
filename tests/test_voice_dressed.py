"""The voice score cannot be bought with markers: the demo persona against dressed foreign text, and the explanation."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from copilot.evaluate import auc
from copilot.persona import persona_from_mapping
from copilot.services import Services
from copilot.voice import VoiceScorer, explain
from tests.test_voice import DRESSED, GENERIC, PERSONAS, VOICE, embed

ROOT = VOICE.parent.parent
BOUGHT = "茶友们，喝茶不急，慢慢来😄🍵 今天股市大跌，比特币暴涨，买买买！——阿禾，在茶山"


def _dress_module():  # noqa: ANN202
    sys.path.insert(0, str(VOICE))
    try:
        import dress

        return dress
    finally:
        sys.path.remove(str(VOICE))


def test_stored_dressed_set_is_what_the_script_writes() -> None:
    dress = _dress_module()
    assert (VOICE / "dressed.jsonl").read_text("utf-8") == dress.render(dress.build())
    demo = [r for r in DRESSED if r["persona"] == "demo"]
    assert len(demo) == 5 * 18 + len(GENERIC)
    assert all(r["text"].endswith("——阿禾，在茶山") and r["text"].startswith(("茶友们", "家人们")) for r in demo)
    assert not any("爱你们的小鹿妈妈" in r["text"] for r in demo)  # the source's own sign-off is taken off


def test_demo_persona_own_posts_outrank_dressed_and_foreign_text() -> None:
    dress = _dress_module()
    data, posts = dress.personas()["demo"]
    scorer = VoiceScorer(persona_from_mapping(data), posts[::2], embed=embed)
    own = [s.score for s in scorer.score_many(posts[1::2])]
    foreign = [t for _, p in PERSONAS.values() for t in p[1::2]] + GENERIC
    dressed = [r["text"] for r in DRESSED if r["persona"] == "demo"]
    negatives = [s.score for s in scorer.score_many(foreign + dressed)]
    assert auc(own, negatives) >= 0.95
    assert np.median(own) >= 78


def test_markers_on_foreign_content_do_not_buy_the_score(demo_services: Services) -> None:
    scorer = demo_services.scorer()
    bought, real = scorer.score_many(
        [BOUGHT, "茶友们早呀🍵 雨停了，晒青场又忙起来啦。喝茶不急，慢慢来～\n——阿禾，在茶山"]
    )
    assert bought.score < 45 and real.score > bought.score + 20
    assert bought.components["gate"] < 0.2 and bought.marker_score > 80 and bought.content < 35
    text = explain(bought)
    assert "内容像不像" in text and "标记像不像" in text and "这些标记不加分" in text
    assert "这些标记不加分" not in explain(real)
    stripped = scorer.strip(BOUGHT)
    assert "茶友们" not in stripped and "慢慢来" not in stripped and "阿禾" not in stripped and "🍵" not in stripped


def test_score_json_separates_content_from_markers(demo_home: Path, tmp_path: Path, monkeypatch, capsys) -> None:  # noqa: ANN001
    from copilot.cli import main

    monkeypatch.setenv("COPILOT_HOME", str(demo_home))
    f = tmp_path / "texts.jsonl"
    f.write_text(json.dumps({"text": BOUGHT}, ensure_ascii=False), "utf-8")
    assert main(["score", "--json", str(f)]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert {"content", "marker_score", "ai_phrases"} <= set(row)
    assert row["content"] + 40 < row["marker_score"] and row["score"] < 45
