"""Eval suites as data (promptfoo's spirit): cases run through the current drafter, assertions with thresholds."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import logging
import math
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from copilot.draft import Draft
from copilot.errors import InputError
from copilot.rewrite import facts_preserved
from copilot.voice import VoiceScorer
from copilot.workspace import atomic_write

log = logging.getLogger(__name__)
SUITE_DIR = Path(__file__).resolve().parent.parent / "evals" / "suites"
FRESH_KINDS = ("stale_date", "weekday", "season", "unknown_fact", "conflict")


class AssertionIn(BaseModel):
    """One assertion with its explicit threshold."""

    model_config = ConfigDict(extra="forbid")
    type: Literal[
        "min_voice_score",
        "max_ai_flavor",
        "address_form",
        "no_taboo",
        "no_absolute_terms",
        "length",
        "facts_kept",
        "contains",
        "not_contains",
        "fresh",
        "no_internal",
        "whole",
        "no_lifted_clause",
        "on_event",
        "member_words",
    ]
    threshold: float | None = None
    min: int | None = None
    max: int | None = None
    value: str | None = None


ASSERTION_LABELS: dict[str, str] = {
    "min_voice_score": "人设分下限",
    "max_ai_flavor": "AI 味上限",
    "address_form": "用了称呼",
    "no_taboo": "没有禁用词",
    "no_absolute_terms": "没有广告法极限词",
    "length": "篇幅",
    "facts_kept": "事实保留",
    "contains": "包含",
    "not_contains": "不包含",
    "fresh": "没有过期或来源不明的事实",
    "no_internal": "没有内部信息",
    "whole": "整篇成形",
    "no_lifted_clause": "没有拼接旧帖子的句子",
    "on_event": "扣住热点事件",
    "member_words": "只用群成员的话",
}
"""Assertion types as operators read them in reports and the CLI (the JSON keeps the types)."""


def assertion_label(kind: str) -> str:
    """The Chinese name of an assertion type."""
    return ASSERTION_LABELS.get(kind, kind)


class CaseIn(BaseModel):
    """One case: a task, its inputs, and assertions added to the suite defaults."""

    model_config = ConfigDict(extra="forbid")
    id: str
    task: Literal["day", "intro", "topics", "rewrite", "script"]
    inputs: dict[str, Any] = {}
    assert_: list[AssertionIn] = Field(default=[], alias="assert")


class SuiteIn(BaseModel):
    """A whole suite file."""

    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    tolerance: float = 5.0
    defaults: dict[str, list[AssertionIn]] = {}
    cases: list[CaseIn]


@dataclass(frozen=True)
class Check:
    """The outcome of one assertion on one output."""

    type: str
    """Assertion type."""
    passed: bool
    """Whether it held."""
    value: str
    """What was measured."""
    expected: str
    """The threshold, as written."""


@dataclass(frozen=True)
class OutputResult:
    """One drafted output and its checks."""

    case: str
    """Case id."""
    label: str
    """Which output of the case (slot time, intro length, topic n …)."""
    text: str
    """The drafted text ('' if the drafter failed)."""
    model: str
    """Model that wrote it."""
    voice_score: float
    """Voice score 0-100."""
    ai_flavor: float
    """AI flavour 0-1."""
    checks: tuple[Check, ...]
    """Assertion outcomes."""

    @property
    def passed(self) -> bool:
        """All checks held."""
        return all(c.passed for c in self.checks)


@dataclass(frozen=True)
class SuiteResult:
    """A whole run of a suite."""

    suite: str
    """Suite name."""
    model: str
    """Drafter used (template or model name)."""
    started: str
    """ISO timestamp."""
    outputs: tuple[OutputResult, ...]
    """Every output with its checks."""
    tolerance: float
    """Allowed drop versus a baseline, in points."""

    @property
    def pass_rate(self) -> float:
        """Share of outputs whose checks all held, 0-100."""
        return round(100.0 * sum(o.passed for o in self.outputs) / max(len(self.outputs), 1), 1)

    @property
    def mean_voice(self) -> float:
        """Mean voice score."""
        return round(sum(o.voice_score for o in self.outputs) / max(len(self.outputs), 1), 1)

    @property
    def mean_ai_flavor(self) -> float:
        """Mean AI flavour."""
        return round(sum(o.ai_flavor for o in self.outputs) / max(len(self.outputs), 1), 3)

    def by_assertion(self) -> dict[str, float]:
        """Pass rate (0-100) per assertion type."""
        seen: dict[str, list[bool]] = {}
        for o in self.outputs:
            for c in o.checks:
                seen.setdefault(c.type, []).append(c.passed)
        return {k: round(100.0 * sum(v) / len(v), 1) for k, v in seen.items()}

    def as_dict(self) -> dict:
        """JSON form, with the summary."""
        return {
            "suite": self.suite,
            "model": self.model,
            "started": self.started,
            "tolerance": self.tolerance,
            "summary": {
                "outputs": len(self.outputs),
                "pass_rate": self.pass_rate,
                "mean_voice": self.mean_voice,
                "mean_ai_flavor": self.mean_ai_flavor,
                "by_assertion": self.by_assertion(),
            },
            "outputs": [{**asdict(o), "passed": o.passed} for o in self.outputs],
        }


def load_suite(path: Path) -> SuiteIn:
    """Parse and validate a suite YAML."""
    if not path.exists():
        candidate = SUITE_DIR / f"{path.name}.yaml" if path.suffix == "" else SUITE_DIR / path.name
        if not candidate.exists():
            known = "、".join(p.stem for p in sorted(SUITE_DIR.glob("*.yaml")))
            raise InputError(f"找不到评测集「{path}」，内置的有：{known}")
        path = candidate
    try:
        return SuiteIn.model_validate(yaml.safe_load(path.read_text("utf-8")))
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(
            f"评测集格式错误：{err['msg']}", file=str(path), column=".".join(str(x) for x in err["loc"])
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"YAML 格式错误：{exc}", file=str(path)) from None


def _outputs(drafter, case: CaseIn, scorer_day: Callable) -> list[tuple[str, Draft, str]]:  # noqa: ANN001
    """Run a case's task: (label, draft, original text for rewrites)."""
    i = case.inputs
    day = dt.date.fromisoformat(str(i.get("date", "2026-11-24")))
    if case.task == "day":
        drafts = [d for d in scorer_day(i.get("group"), day) if d.status != "skipped"]
        return [(f"{d.slot_time} {d.content_type}", d, "") for d in drafts]
    if case.task == "intro":
        return [(d.title, d, "") for d in drafter.intro(day)]
    if case.task == "topics":
        topics = drafter.topics(i["topic_type"], int(i.get("n", 2)), str(i.get("event", "")), i.get("group"), day)
        return [(f"{t.topic_type} {n}", _whole_topic(t), "") for n, t in enumerate(topics, 1)]
    if case.task == "rewrite":
        return [("改写", drafter.rewrite(str(i["text"]), day), str(i["text"]))]
    kind = str(i["kind"])
    return [(kind, drafter.script(kind, i.get("group"), str(i.get("details", "")), day), "")]


def _whole_topic(t) -> Draft:  # noqa: ANN001 - a Topic
    """A topic as one draft: opening, follow-ups and summary are all posted, so all are checked."""
    from dataclasses import replace

    if t.draft.status != "ok":
        return t.draft
    return replace(t.draft, text="\n".join([t.opening, *t.follow_ups, t.summary]))


def lifted_clauses(text: str, past: list[str]) -> list[str]:
    """Clauses of ≥ 10 characters copied from a past post, unless that post's whole paragraph is retold."""
    paragraphs: dict[str, str] = {}
    for post in past:
        for para in post.splitlines():
            for clause in _CLAUSES.split(para):
                if len(clause.strip()) >= 10:
                    paragraphs.setdefault(clause.strip(), para.strip())
    out = []
    for piece in _CLAUSES.split(text):
        clause = piece.strip()
        para = paragraphs.get(clause, "")
        if len(clause) >= 10 and para and not _retold(para, text):
            out.append(clause)
    return out


def _retold(paragraph: str, text: str) -> bool:
    """Most of a past paragraph's clauses are in the text: a whole story retold (maybe with 阿禾爸 → 我爸)."""
    clauses = [c.strip() for c in _CLAUSES.split(paragraph) if len(c.strip()) >= 4]
    return bool(clauses) and sum(c in text for c in clauses) >= 0.6 * len(clauses)


def event_terms(event: str) -> list[str]:
    """The key terms of an event: its words of two or more characters, stop words left out."""
    from copilot.retrieve import tokenize_words

    stop = {"这个", "一个", "我们", "他们", "大家", "今天", "最近", "已经", "因为", "所以", "没有", "超过"}
    words = [w for w in tokenize_words(event) if len(w) >= 2 and w not in stop and not w.isdigit()]
    return list(dict.fromkeys(words))


_CLAUSES = re.compile(r"[，。！？；：,.!?;:\n]+")


def _check(  # noqa: PLR0911
    a: AssertionIn,
    text: str,
    original: str,
    score,
    flags: list[str],
    persona,
    warnings=(),
    ctx: dict | None = None,  # noqa: ANN001
) -> Check:
    """Evaluate one assertion (`warnings`: the draft's freshness warnings; `ctx`: past posts, event, group type)."""
    from copilot.rules import member_word_violations, violations

    t = a.type
    ctx = ctx or {}
    if t == "whole":
        found = violations(text, persona) if text else ["没有内容"]
        return Check(t, not found, "；".join(found)[:200] or "无", "无")
    if t == "member_words":
        found = member_word_violations(text, ctx.get("group_type", ""))
        return Check(t, not found, "；".join(found)[:200] or "无", "无")
    if t == "no_lifted_clause":
        found = lifted_clauses(text, ctx.get("posts", []))
        return Check(t, not found, "；".join(found)[:200] or "无", "无")
    if t == "on_event":
        terms = event_terms(ctx.get("event", ""))
        hit = [w for w in terms if w in text]
        need = min(2, len(terms))
        return Check(t, len(hit) >= need, "、".join(hit) or "无", f"至少 {need} 个：{'、'.join(terms)}")
    if t in ("fresh", "no_internal"):
        kinds = ("internal",) if t == "no_internal" else FRESH_KINDS
        found = [f"{w.kind}:{w.text}" for w in warnings if w.kind in kinds]
        return Check(t, not found, "、".join(found)[:200] or "无", "无")
    if t == "min_voice_score":
        return Check(t, score.score >= (a.threshold or 0), f"{score.score:.1f}", f">= {a.threshold}")
    if t == "max_ai_flavor":
        return Check(
            t,
            score.ai_flavor <= (a.threshold if a.threshold is not None else 1),
            f"{score.ai_flavor:.2f}",
            f"<= {a.threshold}",
        )
    if t == "address_form":
        forms = [a.value] if a.value else list(persona.address_form)
        hit = [f for f in forms if f in text]
        return Check(t, bool(hit) or not forms, "、".join(hit) or "无", " / ".join(forms))
    if t == "no_taboo":
        return Check(t, not score.taboo, "、".join(score.taboo) or "无", "无")
    if t == "no_absolute_terms":
        return Check(t, not flags, "、".join(flags) or "无", "无")
    if t == "length":
        n = len(text)
        ok = (a.min is None or n >= a.min) and (a.max is None or n <= a.max)
        return Check(t, ok, str(n), f"{a.min or 0}-{a.max or '∞'}")
    if t == "facts_kept":
        return Check(t, facts_preserved(original, text) if original else True, "保留" if original else "-", "全部保留")
    if t == "contains":
        return Check(t, (a.value or "") in text, "有" if (a.value or "") in text else "无", a.value or "")
    return Check(t, (a.value or "") not in text, "无" if (a.value or "") not in text else "有", f"不含 {a.value}")


def run_suite(
    suite: SuiteIn,
    drafter,
    scorer: VoiceScorer,
    day_fn: Callable,  # noqa: ANN001
    progress: Callable[[int, int, str], None] | None = None,
) -> SuiteResult:
    """Run every case through the drafter, score and check every output."""
    from copilot.checks import check as compliance

    started = dt.datetime.now().isoformat(timespec="seconds")
    results: list[OutputResult] = []
    posts = _past_posts(drafter)
    for n, case in enumerate(suite.cases, 1):
        if progress:
            progress(n - 1, len(suite.cases), case.id)
        assertions = [*suite.defaults.get(case.task, []), *suite.defaults.get("all", []), *case.assert_]
        for label, draft, original in _outputs(drafter, case, day_fn):
            text = draft.text if draft.status == "ok" else ""
            score = scorer.score(text or " ")
            flags = [f.term for f in compliance(text) if f.kind == "广告法"]
            ctx = _context(drafter, case.inputs, draft.group, posts)
            checks = tuple(
                _check(a, text, original, score, flags, drafter.persona, draft.warnings, ctx) for a in assertions
            )
            if draft.status != "ok":
                checks = (Check("drafted", False, draft.error, "ok"), *checks)
            results.append(OutputResult(case.id, label, text, draft.model, score.score, score.ai_flavor, checks))
    if progress:
        progress(len(suite.cases), len(suite.cases), "完成")
    return SuiteResult(suite.name, drafter.model, started, tuple(results), suite.tolerance)


def _past_posts(drafter) -> list[str]:  # noqa: ANN001
    """Every past post's text (for `no_lifted_clause`); an eval run may read them all."""
    return [p.text for p in drafter.retriever.all_posts() if p.content_type != "文档"]


def _context(drafter, inputs: dict, group: str, posts: list[str]) -> dict:  # noqa: ANN001
    known = {g.name: g for g in drafter.persona.groups}
    g = known.get(group or str(inputs.get("group") or ""))
    return {"posts": posts, "event": str(inputs.get("event", "")), "group_type": g.type if g else ""}


def check_fixture(suite: SuiteIn, items: list[dict], drafter, scorer: VoiceScorer) -> SuiteResult:  # noqa: ANN001
    """Apply a suite's default assertions to stored outputs (`{task, label, text, date, group}`), not fresh drafts.

    This is how a suite proves it can fail: fixtures of bad output an operator would reject must not pass.
    """
    from copilot.checks import check as compliance

    results = []
    posts = _past_posts(drafter)
    known = {g.name for g in drafter.persona.groups}
    for n, item in enumerate(items, 1):
        text = str(item["text"])
        day = dt.date.fromisoformat(str(item.get("date", "2026-11-26")))
        group = drafter.group(item["group"]) if item.get("group") in known else None
        warnings = drafter.check(text, day, group, extra=str(item.get("original", "")))
        if item.get("others"):  # the other drafts of the same group and day, for `conflict`
            from copilot.fresh import conflicts

            warnings += conflicts([*item["others"], text])[-1]
        assertions = [*suite.defaults.get(item["task"], []), *suite.defaults.get("all", [])]
        if item.get("event"):  # a 热点事件 output is held to its event, as the suite's event cases are
            assertions.append(AssertionIn(type="on_event"))
        score = scorer.score(text)
        flags = [f.term for f in compliance(text) if f.kind == "广告法"]
        ctx = _context(drafter, item, str(item.get("group", "")), posts)
        checks = tuple(
            _check(a, text, str(item.get("original", "")), score, flags, drafter.persona, warnings, ctx)
            for a in assertions
        )
        label = str(item.get("label", f"fixture {n}"))
        results.append(
            OutputResult(str(item.get("id", n)), label, text, "fixture", score.score, score.ai_flavor, checks)
        )
    return SuiteResult(suite.name, "fixture", dt.datetime.now().isoformat(timespec="seconds"), tuple(results), 0)


def compare(result: SuiteResult, baseline: dict) -> list[str]:
    """Regressions beyond the suite's tolerance versus a baseline result JSON (empty list = none)."""
    base = baseline.get("summary", {})
    out: list[str] = []
    tol = result.tolerance
    if result.pass_rate < float(base.get("pass_rate", 0)) - tol:
        out.append(f"通过率从 {base['pass_rate']}% 降到 {result.pass_rate}%（容差 {tol}）")
    if result.mean_voice < float(base.get("mean_voice", 0)) - tol:
        out.append(f"平均人设分从 {base['mean_voice']} 降到 {result.mean_voice}（容差 {tol}）")
    before = {(o["case"], o["label"]): o["passed"] for o in baseline.get("outputs", [])}
    for o in result.outputs:
        if before.get((o.case, o.label)) and not o.passed:
            failed = "、".join(c.type for c in o.checks if not c.passed)
            out.append(f"{o.case} / {o.label}：原来通过，现在未通过（{failed}）")
    return out


def auc(positives: list[float], negatives: list[float]) -> float:
    """Probability a random positive outscores a random negative (ties count half)."""
    if not positives or not negatives:
        return math.nan
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def write_report(result: SuiteResult, directory: Path, regressions: list[str] | None = None) -> dict[str, Path]:
    """Write result JSON, a PNG chart, and Markdown + HTML reports; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    stamp = result.started.replace(":", "").replace("-", "")
    safe = re.sub(r"[^\w.-]+", "_", result.suite).strip("._")[:60] or "suite"
    base = directory / f"{safe}-{re.sub(r'[^0-9T]+', '', stamp)[:20]}"
    paths = {
        "json": base.with_suffix(".json"),
        "png": base.with_suffix(".png"),
        "md": base.with_suffix(".md"),
        "html": base.with_suffix(".html"),
    }
    data = result.as_dict()
    data["regressions"] = regressions or []
    atomic_write(paths["json"], json.dumps(data, ensure_ascii=False, indent=2))

    from matplotlib import font_manager

    # a font cache built before the CJK font was installed does not know it: register the files directly
    for pattern in ("/usr/share/fonts/truetype/wqy/*.tt[cf]", "/usr/share/fonts/opentype/noto/NotoSansCJK*"):
        for font in sorted(Path("/").glob(pattern.lstrip("/"))):
            try:
                font_manager.fontManager.addfont(str(font))
            except (OSError, RuntimeError):  # an unreadable font file only costs the glyphs
                continue
    plt.rcParams["font.sans-serif"] = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "DejaVu Sans"]
    fig, ax = plt.subplots(figsize=(max(6, 0.45 * len(result.outputs) + 2), 3.6), dpi=110)
    xs = range(len(result.outputs))
    colors = ["#2e9d6b" if o.passed else "#d9534f" for o in result.outputs]
    ax.bar(xs, [o.voice_score for o in result.outputs], color=colors)
    ax.plot(xs, [100 * o.ai_flavor for o in result.outputs], "o-", color="#555", ms=3, lw=1, label="AI 味 ×100")
    ax.set_ylim(0, 100)
    ax.set_xticks(
        list(xs), [f"{o.case}#{i + 1}" for i, o in enumerate(result.outputs)], rotation=60, ha="right", fontsize=7
    )
    ax.set_ylabel("人设分")
    ax.set_title(f"{result.suite} · {result.model} · 通过率 {result.pass_rate}%")
    ax.legend(loc="lower right", fontsize=7)
    fig.tight_layout()
    png = io.BytesIO()
    fig.savefig(png, format="png")
    atomic_write(paths["png"], png.getvalue())
    plt.close(fig)

    md = [
        f"# 评测报告：{_md_cell(result.suite)}",
        "",
        f"- 起草器：{_md_cell(result.model)}",
        f"- 时间：{_md_cell(result.started)}",
        f"- 通过率：{result.pass_rate}%　平均人设分：{result.mean_voice}　平均 AI 味：{result.mean_ai_flavor}",
        "",
        f"![chart]({paths['png'].name})",
        "",
        "| 用例 | 输出 | 人设分 | AI 味 | 结果 | 未通过的断言 |",
        "|---|---|---|---|---|---|",
    ]
    for o in result.outputs:
        failed = _md_cell(
            "；".join(f"{assertion_label(c.type)}={c.value}（要求 {c.expected}）" for c in o.checks if not c.passed)
        )
        md.append(
            f"| {_md_cell(o.case)} | {_md_cell(o.label)} | {o.voice_score:.0f} | {o.ai_flavor:.2f} | {'✅' if o.passed else '❌'} | {failed} |"
        )
    if regressions:
        md += ["", "## 回归", *[f"- {_md_cell(r)}" for r in regressions]]
    atomic_write(paths["md"], "\n".join(md) + "\n")
    rows = "".join(
        f"<tr class='{'ok' if o.passed else 'bad'}'><td>{_esc(o.case)}</td><td>{_esc(o.label)}</td>"
        f"<td>{o.voice_score:.0f}</td><td>{o.ai_flavor:.2f}</td><td>{'通过' if o.passed else '未通过'}</td><td>"
        + "；".join(_esc(f"{assertion_label(c.type)}={c.value}（要求 {c.expected}）") for c in o.checks if not c.passed)
        + f"</td><td><details><summary>草稿</summary><pre>{_esc(o.text)}</pre></details></td></tr>"
        for o in result.outputs
    )
    reg = "".join(f"<li>{_esc(r)}</li>" for r in regressions or [])
    atomic_write(
        paths["html"],
        f"<!doctype html><meta charset='utf-8'><title>{_esc(result.suite)}</title><style>body{{font-family:sans-serif;"
        f"max-width:1100px;margin:auto}}td,th{{border-bottom:1px solid #ddd;padding:4px 8px;vertical-align:top}}"
        f".bad{{background:#fdecea}}pre{{white-space:pre-wrap}}</style><h1>评测报告：{_esc(result.suite)}</h1>"
        f"<p>起草器 {_esc(result.model)} · {_esc(result.started)} · 通过率 {result.pass_rate}% · 平均人设分 {result.mean_voice}"
        f" · 平均 AI 味 {result.mean_ai_flavor}</p><img src='{_esc(paths['png'].name)}' style='max-width:100%'>"
        + (f"<h2>回归</h2><ul>{reg}</ul>" if reg else "")
        + f"<table><tr><th>用例</th><th>输出</th><th>人设分</th><th>AI 味</th><th>结果</th><th>未通过</th><th></th></tr>{rows}"
        "</table>",
    )
    return paths


def _esc(text: object) -> str:
    """HTML-escaped text, quotes included (case ids and expected values come from suite files)."""
    return html.escape(str(text), quote=True)


def _md_cell(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "\\|").replace("\n", " ")
