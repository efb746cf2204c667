"""`make bench`: retrieval quality, ingest throughput, search latency, app start-up; prints a table, writes JSON."""

from __future__ import annotations

import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import copilot  # noqa: E402,F401 - offline environment first
from copilot.config import Settings  # noqa: E402
from copilot.records import Post  # noqa: E402
from copilot.retrieve import Filters  # noqa: E402
from copilot.services import Services  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"
SECTIONS: dict[str, Callable[[], dict]] = {}


def section(fn: Callable[[], dict]) -> Callable[[], dict]:
    SECTIONS[fn.__name__] = fn
    return fn


def demo_services() -> Services:
    home = Path(tempfile.mkdtemp(prefix="bench-demo-"))
    svc = Services(Settings(home=home))
    svc.ingest_demo()
    return svc


def generated_posts(n: int, seed: int = 7) -> list[Post]:
    """n distinct posts recombined from the demo brand's sentences (realistic length and vocabulary)."""
    rng = random.Random(seed)
    demo = [json.loads(line) for line in (ROOT / "knowledge" / "posts.jsonl").read_text("utf-8").splitlines()]
    sentences = [s for d in demo for s in d["text"].replace("！", "。").split("。") if len(s) > 6]
    posts = []
    for i in range(n):
        text = "。".join(rng.sample(sentences, rng.randint(2, 5))) + f"。第{i}号"
        src = rng.choice(demo)
        posts.append(
            Post(
                id=f"g{i:06d}",
                text=text,
                content_type=src["content_type"],
                topic_type=src["topic_type"],
                group=src["group"],
                replies=rng.randint(0, 120),
                reactions=rng.randint(0, 200),
            )
        )
    return posts


@section
def retrieval() -> dict:
    svc = demo_services()
    cases = [json.loads(x) for x in (ROOT / "evals" / "retrieval.jsonl").read_text("utf-8").splitlines() if x.strip()]
    recalls, mrr = [], []
    for case in cases:
        f = case.get("filters") or {}
        hits = svc.retriever.search(
            case["query"],
            k=5,
            include_docs=False,
            filters=Filters(f.get("group", ""), f.get("content_type", ""), f.get("topic_type", "")),
        )
        ids = [h.post.id for h in hits]
        rel = set(case["relevant"])
        recalls.append(len(rel & set(ids)) / len(rel))
        mrr.append(next((1 / (i + 1) for i, x in enumerate(ids) if x in rel), 0.0))
    return {
        "queries": len(cases),
        "recall@5": round(statistics.mean(recalls), 3),
        "mrr@5": round(statistics.mean(mrr), 3),
    }


@section
def ingest_and_search() -> dict:
    home = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    svc = Services(Settings(home=home))
    posts = generated_posts(10_000)
    t0 = time.perf_counter()
    svc.store.add(posts[:5000])
    ingest_s = time.perf_counter() - t0
    svc.store.add(posts[5000:])
    svc.retriever.refresh()
    rng = random.Random(3)
    queries = [
        "梅雨天茶叶怎么存",
        "白茶用多少度的水",
        "直播几点开始",
        "外婆的搪瓷缸",
        "新茶饮价格战",
        "接龙报名试饮装",
        "生普和熟普的区别",
        "晚安打卡",
        "茶农老李采茶",
        "双十二优惠",
    ]
    lat = []
    for i in range(200):
        q = rng.choice(queries)
        f = Filters(content_type="干货") if i % 4 == 0 else Filters()
        t = time.perf_counter()
        svc.retriever.search(q, k=5, filters=f)
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    avg = sum(len(p.text) for p in posts[:5000]) / 5000
    return {
        "ingest_posts": 5000,
        "avg_chars": round(avg),
        "ingest_posts_per_s": round(5000 / ingest_s, 1),
        "search_corpus": svc.store.count(),
        "search_p50_ms": round(lat[len(lat) // 2], 1),
        "search_p95_ms": round(lat[int(len(lat) * 0.95)], 1),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@section
def app_ready() -> dict:
    home = tempfile.mkdtemp(prefix="bench-app-")
    port = _free_port()
    env = {**os.environ, "COPILOT_HOME": home}
    t0 = time.perf_counter()
    cmd = f"{sys.executable} -m copilot init && exec {sys.executable} app.py --port {port}"
    proc = subprocess.Popen(
        ["bash", "-c", cmd], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    ready = None
    try:
        while time.perf_counter() - t0 < 120:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                    if r.status == 200:
                        ready = time.perf_counter() - t0
                        break
            except OSError:
                time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return {"app_ready_s": round(ready, 2) if ready else None}


@section
def drafting() -> dict:
    import datetime as dt

    from copilot.llm import Chat
    from copilot.testing import StubLLM

    demo = demo_services()
    stub = StubLLM(delay=0.8).start()
    try:
        settings = Settings(home=demo.settings.home, llm_base_url=stub.base_url, llm_model="stub-model")
        svc = Services(settings)
        svc.warm()  # the app warms up at start; the bench measures drafting, not first-use loading
        group = next(g for g in svc.persona().groups if len(g.slots) == 6)
        chat = Chat(stub.base_url, "stub-model")
        t = time.perf_counter()
        chat.complete("系统", "任务：一条消息")
        one = time.perf_counter() - t
        t = time.perf_counter()
        pairs = svc.draft_day(group.name, dt.date(2026, 11, 24), save=False)
        wall = time.perf_counter() - t
        tokens = sorted(d.prompt_tokens for d, _ in pairs)
    finally:
        stub.stop()
    offline = demo_services()
    offline.warm()
    t = time.perf_counter()
    offline.draft_day(group.name, dt.date(2026, 11, 24), save=False)
    template_s = time.perf_counter() - t
    return {
        "slots": len(pairs),
        "one_request_s": round(one, 2),
        "day_wall_s": round(wall, 2),
        "day_vs_one_request": round(wall / one, 2),
        "median_prompt_tokens": tokens[len(tokens) // 2],
        "template_day_s": round(template_s, 2),
    }


@section
def ai_flavor() -> dict:
    """The AI-flavour model: AUC on the held-out 25 % of HC3-Chinese, and what it says about short group posts."""
    import numpy as np

    from copilot.aiflavor import model
    from copilot.evaluate import auc

    sys.path.insert(0, str(ROOT / "bench"))
    import fit_aiflavor

    m = model()
    out: dict = {"fit_texts": m.meta["fit_texts"], "ngrams": len(m.ngrams)}
    if fit_aiflavor.DATA.exists():
        rows = fit_aiflavor.load()
        _, held = fit_aiflavor.split([r["label"] for r in rows])
        ai = [m.logit(rows[i]["text"]) for i in held if rows[i]["label"] == 1]
        people = [m.logit(rows[i]["text"]) for i in held if rows[i]["label"] == 0]
        out["holdout_texts"] = len(held)
        out["ai_flavor_holdout_auc"] = round(auc(ai, people), 3)
    demo = [json.loads(x)["text"] for x in (ROOT / "knowledge" / "posts.jsonl").read_text("utf-8").splitlines() if x]
    vdir = ROOT / "evals" / "voice"
    generic = [json.loads(x)["text"] for x in (vdir / "generic_ai.jsonl").read_text("utf-8").splitlines() if x]
    d = [m.flavor(t).score for t in demo]
    g = [m.flavor(t).score for t in generic]
    out["demo_posts_median"] = round(float(np.median(d)), 3)
    out["generic_ai_median"] = round(float(np.median(g)), 3)
    out["short_posts_auc"] = round(auc(g, d), 3)
    t = time.perf_counter()
    for text in demo:
        m.flavor(text)
    out["ms_per_text"] = round((time.perf_counter() - t) * 1000 / len(demo), 2)
    return out


@section
def judged() -> dict:
    """Rank correlation with the operator's 1-5 judgements of 44 drafts (evals/drafts_judged.jsonl)."""
    from copilot.judged import agreement, judge_agreement, load_judged
    from copilot.voice import ai_flavor

    items = load_judged()
    svc = demo_services()
    scorer = svc.scorer()
    out: dict = {"drafts": len(items)}
    out["voice_spearman"] = agreement(lambda texts: [s.score for s in scorer.score_many(texts)], items)
    out["low_ai_flavor_spearman"] = agreement(lambda texts: [-ai_flavor(t)[0] for t in texts], items)
    if svc.chat is None:
        out["llm_judge_spearman"] = "skipped (no LLM configured)"
    else:
        out["llm_judge_spearman"], out["llm_judge_answered"] = judge_agreement(svc.judge, items)
    return out


@section
def voice() -> dict:
    """Voice AUC per persona: own unseen posts vs other personas, generic AI text and dressed text (markers pasted on)."""
    import numpy as np

    from copilot.evaluate import auc
    from copilot.llm import Usem3Embedding
    from copilot.persona import persona_from_mapping
    from copilot.voice import VoiceScorer

    emb = Usem3Embedding()

    def embed(texts: list[str]) -> np.ndarray:
        return np.asarray(emb(texts))

    vdir = ROOT / "evals" / "voice"
    sys.path.insert(0, str(vdir))
    import dress  # evals/voice/dress.py: the personas (five eval ones and the demo) and the dressing

    personas = dress.personas()
    generic = dress.generic()
    dressed = [json.loads(x) for x in (vdir / "dressed.jsonl").read_text("utf-8").splitlines() if x.strip()]
    out: dict = {}
    for name, (data, posts) in personas.items():
        scorer = VoiceScorer(persona_from_mapping(data), posts[::2], embed=embed)
        own = [s.score for s in scorer.score_many(posts[1::2])]
        rest = [t for n, (_, p) in personas.items() if n not in (name, dress.DEMO) for t in p[1::2]]
        others = [s.score for s in scorer.score_many(rest)]
        gen = [s.score for s in scorer.score_many(generic)]
        dre = [s.score for s in scorer.score_many([r["text"] for r in dressed if r["persona"] == name])]
        out[f"auc_{name}"] = round(auc(own, others + gen + dre), 3)
        out[f"auc_dressed_only_{name}"] = round(auc(own, dre), 3)
        out[f"median_own_vs_dressed_{name}"] = f"{np.median(own):.1f} / {np.median(dre):.1f}"
    out["auc_worst"] = min(v for k, v in out.items() if k.startswith("auc_") and "only" not in k)
    demo = demo_services()
    scorer = demo.scorer()
    texts = [t for _, posts in personas.values() for t in posts] + generic
    t = time.perf_counter()
    scorer.score_many(texts)
    out["scoring_texts_per_s"] = round(len(texts) / (time.perf_counter() - t), 1)
    return out


@section
def freshness() -> dict:
    """The freshness check: its cost per draft on real template days, and its quality on the labelled set."""
    from copilot.fresh import score_labelled

    svc = demo_services()
    drafter = svc.drafter()
    days = [("2026-11-26", g.name) for g in svc.persona().groups] + [
        ("2026-12-12", g.name) for g in svc.persona().groups
    ]
    drafts = [d for day, g in days for d in drafter.day(g, __import__("datetime").date.fromisoformat(day))]
    drafts = [d for d in drafts if d.text]
    groups = {g.name: g for g in svc.persona().groups}
    start = time.perf_counter()
    rounds = 20
    for _ in range(rounds):
        for d in drafts:
            drafter.check(d.text, __import__("datetime").date.fromisoformat(d.date), groups[d.group])
    per_draft = (time.perf_counter() - start) * 1000 / (rounds * len(drafts))
    items = [json.loads(x) for x in (ROOT / "evals" / "freshness.jsonl").read_text("utf-8").splitlines() if x.strip()]
    scores = score_labelled(items)
    return {
        "check_ms_per_draft": round(per_draft, 3),
        "labelled_stale": scores["stale"],
        "labelled_fresh": scores["fresh"],
        "check_recall": scores["recall"],
        "check_false_alarm_rate": scores["false_alarm_rate"],
        "check_kind_agreement": scores["kind_agreement"],
    }


AIMS = {
    "check_ms_per_draft": "<= 2",
    "check_recall": ">= 0.95",
    "check_false_alarm_rate": "<= 0.05",
    "auc_worst": ">= 0.95",
    "ai_flavor_holdout_auc": ">= 0.92",
    "day_vs_one_request": "<= 1.5",
    "recall@5": ">= 0.9",
    "ingest_posts_per_s": ">= 300",
    "search_p95_ms": "<= 50",
    "app_ready_s": "<= 10",
}


def main() -> None:
    only = sys.argv[1:]
    results = json.loads(RESULTS.read_text("utf-8")) if RESULTS.exists() and only else {}
    for name, fn in SECTIONS.items():
        if only and name not in only:
            continue
        print(f"… {name}", file=sys.stderr, flush=True)
        results[name] = fn()
    results["machine"] = {"cores": os.cpu_count(), "python": sys.version.split()[0], "date": time.strftime("%Y-%m-%d")}
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print("\n| section | metric | value | aim |\n|---|---|---|---|")
    for name, values in results.items():
        if name == "machine":
            continue
        for key, value in values.items():
            print(f"| {name} | {key} | {value} | {AIMS.get(key, '')} |")
    print(f"\nwritten {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
