"""Voice score: discrimination on the labelled persona set, explanations, AI flavour, the score CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from copilot.cli import main
from copilot.config import Settings
from copilot.evaluate import auc
from copilot.llm import Usem3Embedding
from copilot.persona import persona_from_mapping
from copilot.services import Services
from copilot.voice import VoiceScorer, explain

VOICE = Path(__file__).resolve().parent.parent / "evals" / "voice"
_EMB = Usem3Embedding()


_SEEN: dict[str, np.ndarray] = {}


def embed(texts: list[str]) -> np.ndarray:
    """USE vectors, each text embedded once per session (the parametrized scorers share most of their texts)."""
    missing = list(dict.fromkeys(t for t in texts if t not in _SEEN))
    if missing:
        _SEEN.update(zip(missing, np.asarray(_EMB(missing)), strict=True))
    return np.asarray([_SEEN[t] for t in texts])


def _personas() -> dict[str, tuple[dict, list[str]]]:
    out = {}
    for f in sorted(VOICE.glob("*.yaml")):
        data = yaml.safe_load(f.read_text("utf-8"))
        out[f.stem] = (data, [p["text"] for p in data.pop("posts")])
    return out


PERSONAS = _personas()
GENERIC = [json.loads(x)["text"] for x in (VOICE / "generic_ai.jsonl").read_text("utf-8").splitlines() if x.strip()]


DRESSED = [json.loads(x) for x in (VOICE / "dressed.jsonl").read_text("utf-8").splitlines() if x.strip()]


@pytest.mark.parametrize("bare", [False, True], ids=["with-persona-file", "posts-only"])
@pytest.mark.parametrize("name", sorted(PERSONAS))
def test_own_unseen_posts_outscore_other_personas_and_generic_ai(name: str, bare: bool) -> None:
    data, posts = PERSONAS[name]
    persona = persona_from_mapping({"name": data["name"]} if bare else data)
    scorer = VoiceScorer(persona, posts[::2], embed=embed)
    own = [s.score for s in scorer.score_many(posts[1::2])]
    others = [s.score for s in scorer.score_many([t for n, (_, p) in PERSONAS.items() if n != name for t in p[1::2]])]
    generic = [s.score for s in scorer.score_many(GENERIC)]
    assert auc(own, others + generic) >= 0.95
    assert np.median(own) >= 70 and np.median(generic) <= 45
    # foreign text dressed in this persona's address form, catchphrases, emoji and sign-off
    dressed = [s.score for s in scorer.score_many([r["text"] for r in DRESSED if r["persona"] == name])]
    assert auc(own, others + generic + dressed) >= 0.95
    assert np.median(dressed) <= np.median(own) - (10 if bare else 20)


def test_explanation_names_markers_taboo_and_off_voice(demo_services: Services) -> None:
    scorer = demo_services.scorer()
    good = scorer.score("茶友们早呀🍵 雨停了，晒青场又忙起来啦。喝茶不急，慢慢来～\n——阿禾，在茶山")
    assert "称呼：茶友们" in good.markers["present"] and "落款：——阿禾，在茶山" in good.markers["present"]
    bad = scorer.score("宝子们！这款是全网最好的茶，首先口感顶级。其次价格很低。总之闭眼冲，绝绝子！")
    assert bad.score < good.score - 30
    assert "最好" in bad.taboo and "顶级" in bad.taboo and "首先" in bad.cliches
    assert any("宝子们" in m for m in bad.markers["present"])
    assert any("落款" in m for m in bad.markers["missing"])
    text = explain(bad)
    assert "禁用词" in text and "AI 腔" in text


def test_width_is_normalised_before_scoring(demo_services: Services) -> None:
    scorer = demo_services.scorer()
    full = scorer.score("茶友们，周四晚上８点直播，９９元３泡装！喝茶不急，慢慢来～")
    half = scorer.score("茶友们，周四晚上8点直播，99元3泡装!喝茶不急,慢慢来~")
    assert abs(full.score - half.score) < 1.0 and full.ai_flavor == half.ai_flavor


def test_score_cli_json_in_input_order(demo_home: Path, tmp_path: Path, monkeypatch, capsys) -> None:  # noqa: ANN001
    monkeypatch.setenv("COPILOT_HOME", str(demo_home))
    f = tmp_path / "texts.jsonl"
    texts = [
        "茶友们早呀🍵 喝茶不急，慢慢来～\n——阿禾，在茶山",
        "首先，本文将介绍茶叶的储存方法。综上所述，密封很重要。",
    ]
    f.write_text("\n".join(json.dumps({"text": t}, ensure_ascii=False) for t in texts), "utf-8")
    assert main(["score", "--json", str(f)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["text"] for r in rows] == texts
    assert set(rows[0]) >= {"text", "score", "ai_flavor", "markers", "cliches"}
    assert rows[0]["score"] > rows[1]["score"] and rows[1]["cliches"]
    plain = tmp_path / "plain.txt"
    plain.write_text("第一段\n\n第二段\n", "utf-8")
    assert main(["score", "--json", str(plain)]) == 0
    assert [r["text"] for r in json.loads(capsys.readouterr().out)] == ["第一段", "第二段"]


def test_eval_suite_writes_reports_and_flags_regressions(demo_home: Path, tmp_path: Path, monkeypatch, capsys) -> None:  # noqa: ANN001
    import shutil

    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    monkeypatch.setenv("COPILOT_HOME", str(home))
    assert main(["eval", "rewrite"]) == 0
    out = capsys.readouterr().out
    assert "通过率 100.0%" in out
    results = sorted((home / "evals").glob("rewrite-*.json"))
    assert results and results[0].with_suffix(".png").stat().st_size > 1000
    cases = len(
        yaml.safe_load(
            (Path(__file__).resolve().parent.parent / "evals" / "suites" / "rewrite.yaml").read_text("utf-8")
        )["cases"]
    )
    assert results[0].with_suffix(".html").read_text("utf-8").count("<tr") == cases + 1  # a header and a row each
    data = json.loads(results[0].read_text("utf-8"))
    assert data["summary"]["by_assertion"]["facts_kept"] == 100.0
    baseline = tmp_path / "baseline.json"
    data["summary"]["mean_voice"] = 100.0
    baseline.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    assert main(["eval", "rewrite", "--baseline", str(baseline)]) == 1
    assert "平均人设分" in capsys.readouterr().err


def test_bad_suite_is_refused_with_location(tmp_path: Path, services: Services) -> None:
    from copilot.errors import InputError
    from copilot.evaluate import load_suite

    f = tmp_path / "s.yaml"
    f.write_text("name: x\ncases:\n  - {id: a, task: day, assert: [{type: min_voice, threshold: 3}]}\n", "utf-8")
    with pytest.raises(InputError) as err:
        load_suite(f)
    assert "cases.0.assert.0.type" in str(err.value)
    with pytest.raises(InputError, match="day_plan"):
        load_suite(Path("不存在"))
    assert Settings(home=tmp_path).home == tmp_path


def test_llm_judge_runs_both_orders_and_cancels_position_bias(
    demo_home: Path,
    stub,
    tmp_path: Path,  # noqa: ANN001
    monkeypatch,
    capsys,
) -> None:  # noqa: ANN001
    import shutil

    from tests.conftest import llm_settings

    home = tmp_path / "home"
    shutil.copytree(demo_home, home)

    def answer(req: dict) -> str:
        user = req["messages"][-1]["content"]
        if "winner" in user:
            return '{"winner": "A", "reason": "总选第一个"}'  # a judge with pure position bias
        return '{"score": 4, "reason": "有称呼和落款"}'

    stub.responder = answer
    svc = Services(llm_settings(home, stub))
    verdict = svc.judge("茶友们早呀🍵 喝茶不急，慢慢来～\n——阿禾，在茶山")
    assert verdict["rubric"] == 4 and verdict["pairwise"] == 0.5 and verdict["order_agreement"] is False
    pair = [r["messages"][-1]["content"] for r in stub.requests if "winner" in r["messages"][-1]["content"]]
    assert len(pair) == 2 and pair[0] != pair[1]  # same two texts, swapped positions
    stub.inject("malformed", "malformed", "malformed")
    assert "error" in svc.judge("随便一段话")


@pytest.mark.parametrize("suite", ["day_plan", "intro", "topics"])
def test_shipped_suites_pass_with_the_template_drafter(demo_home: Path, tmp_path: Path, suite: str) -> None:
    import shutil

    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    data, paths, regressions = Services(Settings(home=home)).run_eval(suite)
    failed = [
        (o["case"], o["label"], [c for c in o["checks"] if not c["passed"]]) for o in data["outputs"] if not o["passed"]
    ]
    assert data["summary"]["pass_rate"] == 100.0, failed
    assert paths["md"].exists() and regressions == []
