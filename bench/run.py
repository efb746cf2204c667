"""`make bench`: retrieval quality, ingest throughput, search latency, app start-up; prints a table, writes JSON.

`bench/run.py [section ...] [--posts N]`: only the named sections (merged into the existing results); `--posts` sizes
the `scale` section (default 10,000; `make bench-large` runs it at 100,000).
"""

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


QUERIES = [
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
SCALE_POSTS = 10_000  # `--posts N` (make bench-large: 100,000)


def _progress(label: str) -> Callable[[int, int], None]:
    """Ingest progress on stderr every 5%."""
    start = time.perf_counter()
    shown = [-1]

    def show(done: int, total: int) -> None:
        step = int(20 * done / max(total, 1))
        if step != shown[0]:
            shown[0] = step
            rate = done / max(time.perf_counter() - start, 1e-9)
            print(f"  {label}: {done}/{total} ({rate:.0f} 条/秒)", file=sys.stderr, flush=True)

    return show


def _cli_search(home: Path) -> float:
    """Wall time of one `copilot search` process, start to exit."""
    env = {**os.environ, "COPILOT_HOME": str(home)}
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "copilot", "search", "梅雨天茶叶怎么存", "--json"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - t


def _app_ready(home: Path) -> float | None:
    """Seconds from `python app.py` to the first HTTP 200, on an existing workspace."""
    port = _free_port()
    env = {**os.environ, "COPILOT_HOME": str(home)}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--no-demo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        return _wait_http(port, t0)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


@section
def scale() -> dict:
    """A workspace of SCALE_POSTS generated posts: ingest, restart, search, feedback, CLI and app start."""
    n = SCALE_POSTS
    home = Path(tempfile.mkdtemp(prefix=f"bench-scale-{n}-"))
    svc = Services(Settings(home=home))
    posts = generated_posts(n)
    t0 = time.perf_counter()
    svc.store.add(posts, progress=_progress(f"导入 {n} 条"))
    ingest_s = time.perf_counter() - t0
    del svc, posts

    t = time.perf_counter()
    svc = Services(Settings(home=home))  # what a new process does: open the store, then answer
    svc.retriever.search("梅雨天茶叶怎么存", k=5)
    first_query = time.perf_counter() - t
    rng = random.Random(3)
    lat = []
    for i in range(200):
        q = rng.choice(QUERIES)
        f = Filters(content_type="干货") if i % 4 == 0 else Filters()
        t = time.perf_counter()
        svc.retriever.search(q, k=5, filters=f)
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()

    feedback = Post(
        id="feedback-1",
        text="茶友们，昨晚的熟普直播谢谢大家捧场呀🍵 试饮装明天统一发货，喝茶不急，慢慢来。",
        content_type="活动提醒",
        group="山茶小院·茶友福利群",
        replies=88,
        signups=30,
    )
    t = time.perf_counter()
    svc.store.upsert(feedback)
    feedback_s = time.perf_counter() - t
    t = time.perf_counter()
    found = [h.post.id for h in svc.retriever.search("昨晚熟普直播的试饮装什么时候发货", k=10)]
    after_write_ms = (time.perf_counter() - t) * 1000

    small = Path(tempfile.mkdtemp(prefix="bench-scale-100-"))
    Services(Settings(home=small)).store.add(generated_posts(100))
    cli_small = min(_cli_search(small) for _ in range(2))
    cli_large = min(_cli_search(home) for _ in range(2))
    return {
        "posts": n,
        "ingest_posts_per_s": round(n / ingest_s, 1),
        "first_query_after_open_s": round(first_query, 2),
        "search_p50_ms": round(lat[len(lat) // 2], 1),
        "search_p95_ms": round(lat[int(len(lat) * 0.95)], 1),
        "feedback_ingest_s": round(feedback_s, 3),
        "search_after_write_ms": round(after_write_ms, 1),
        "feedback_rank": found.index("feedback-1") + 1 if "feedback-1" in found else None,
        "cli_search_s": round(cli_large, 2),
        "cli_search_100_posts_s": round(cli_small, 2),
        "cli_vs_100_posts": round(cli_large / cli_small, 2),
        "app_ready_s": _app_ready(home),
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
    try:
        ready = _wait_http(port, t0)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return {"app_ready_s": ready}


def _wait_http(port: int, t0: float, limit: float = 300) -> float | None:
    """Seconds since t0 until the app answers 200 (None after `limit`)."""
    while time.perf_counter() - t0 < limit:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                if r.status == 200:
                    return round(time.perf_counter() - t0, 2)
        except OSError:
            time.sleep(0.1)  # polling a server that is starting; not test synchronisation
    return None


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
def voice() -> dict:
    import numpy as np
    import yaml

    from copilot.evaluate import auc
    from copilot.llm import Usem3Embedding
    from copilot.persona import persona_from_mapping
    from copilot.voice import VoiceScorer

    emb = Usem3Embedding()

    def embed(texts: list[str]) -> np.ndarray:
        return np.asarray(emb(texts))

    vdir = ROOT / "evals" / "voice"
    personas = {}
    for f in sorted(vdir.glob("*.yaml")):
        data = yaml.safe_load(f.read_text("utf-8"))
        personas[f.stem] = (data, [p["text"] for p in data.pop("posts")])
    generic = [json.loads(x)["text"] for x in (vdir / "generic_ai.jsonl").read_text("utf-8").splitlines() if x.strip()]
    out: dict[str, float] = {}
    for name, (data, posts) in personas.items():
        scorer = VoiceScorer(persona_from_mapping(data), posts[::2], embed=embed)
        own = [s.score for s in scorer.score_many(posts[1::2])]
        rest = [t for n, (_, p) in personas.items() if n != name for t in p[1::2]]
        others = [s.score for s in scorer.score_many(rest)]
        gen = [s.score for s in scorer.score_many(generic)]
        out[f"auc_{name}"] = round(auc(own, others + gen), 3)
    out["auc_worst"] = min(out.values())
    demo = demo_services()
    scorer = demo.scorer()
    texts = [t for _, posts in personas.values() for t in posts] + generic
    t = time.perf_counter()
    scorer.score_many(texts)
    out["scoring_texts_per_s"] = round(len(texts) / (time.perf_counter() - t), 1)
    return out


AIMS = {
    "auc_worst": ">= 0.95",
    "day_vs_one_request": "<= 1.5",
    "recall@5": ">= 0.9",
    "ingest_posts_per_s": ">= 380",
    "search_p95_ms": "<= 30",
    "app_ready_s": "<= 10",
    "feedback_ingest_s": "<= 1",
    "first_query_after_open_s": "< 1",
    "cli_vs_100_posts": "<= 1.5",
}


def main() -> None:
    global SCALE_POSTS
    args = sys.argv[1:]
    if "--posts" in args:
        i = args.index("--posts")
        SCALE_POSTS = int(args[i + 1])
        args = args[:i] + args[i + 2 :]
    only = args
    results = json.loads(RESULTS.read_text("utf-8")) if RESULTS.exists() and only else {}
    results.pop("ingest_and_search", None)  # replaced by scale_<posts>
    for name, fn in SECTIONS.items():
        if only and name not in only:
            continue
        print(f"… {name}", file=sys.stderr, flush=True)
        key = f"scale_{SCALE_POSTS}" if name == "scale" else name
        results[key] = fn()
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
