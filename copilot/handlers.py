"""UI handlers as plain functions: plain values in, plain values out, no Gradio here."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path

from copilot.dates import parse_day
from copilot.draft import TEMPLATE_MODEL, Draft
from copilot.errors import CopilotError, InputError
from copilot.evaluate import assertion_label
from copilot.ingest import summary
from copilot.neterrors import describe_network_error
from copilot.retrieve import Filters
from copilot.review import Record
from copilot.rewrite import diff_ops
from copilot.saved_settings import save_llm
from copilot.services import Services
from copilot.workflow import Workflow

log = logging.getLogger(__name__)

ALLOWED_UPLOADS = (".csv", ".xlsx", ".jsonl", ".md", ".markdown", ".txt", ".yaml", ".yml")


def friendly(exc: BaseException) -> str:
    """A readable Chinese message for any error; unexpected ones are logged, never shown as a trace."""
    if isinstance(exc, CopilotError):
        return str(exc)
    if isinstance(exc, OSError) or "Connection" in type(exc).__name__:
        log.warning("network error in a handler: %s", exc)
        return describe_network_error(exc)
    log.exception("unexpected error in a handler")
    return f"出错了（{type(exc).__name__}）：操作没有完成，已写入日志。请重试，或把日志发给技术同事。"


def upload_knowledge(svc: Services, paths: list[str], doc_paths: list[str] | None = None, progress=None) -> str:  # noqa: ANN001 - progress is any (label, done, total) callable
    """Import uploaded persona / posts / document files; returns a summary for the operator."""
    if not paths and not doc_paths:
        return "请先选择要上传的文件。"
    persona: Path | None = None
    posts: list[Path] = []
    docs: list[Path] = []
    names: dict[Path, str] = {}
    refused: list[str] = []
    limit = svc.settings.max_upload_mb * 1024 * 1024
    for raw, is_doc in [(r, False) for r in paths] + [(r, True) for r in doc_paths or []]:
        p = Path(raw)
        names[p] = p.name
        if p.suffix.lower() not in ALLOWED_UPLOADS:
            refused.append(f"文件 {p.name}：不支持的类型，支持 {' '.join(ALLOWED_UPLOADS)}")
        elif p.stat().st_size > limit:
            refused.append(
                f"文件 {p.name}：太大（{p.stat().st_size / 1048576:.1f} MB），上限 {svc.settings.max_upload_mb:.0f} MB"
            )
        elif is_doc:
            docs.append(p)
        elif p.suffix.lower() in (".yaml", ".yml"):
            persona = p
        else:
            posts.append(p)
    try:
        report = svc.ingest(
            posts,
            docs,
            persona,
            progress=progress,
            names=names,
            on_wait=(lambda message: progress(message, 0, 1)) if progress else None,
        )
    except Exception as exc:  # noqa: BLE001 - shown to the operator as a message
        return friendly(exc)
    text = summary(report)
    if persona is not None and not any(persona.name in r for r in report.refused):
        text = f"已更新人设：{svc.persona().name}。\n" + text
    if refused:
        text += "\n" + "\n".join(f"  拒收：{r}" for r in refused)
    return text


def knowledge_stats(svc: Services) -> tuple[list[list[object]], list[list[object]]]:
    """(counts by content type rows, top posts by engagement rows) for the knowledge tab."""
    stats = svc.stats()
    counts = [[k, v] for k, v in stats["content_type"].items()]
    posts = [h.post for h in svc.retriever.top_posts(k=10)]
    top = [
        [p.id, p.group, p.content_type, p.text[:40], p.replies, p.reactions, p.signups, round(p.engagement)]
        for p in posts
    ]
    return counts, top


def search_knowledge(
    svc: Services, query: str, k: int = 5, content_type: str = "", topic_type: str = "", group: str = ""
) -> list[list[object]]:
    """Rows of (id, type, topic, group, score, replies, text) for a query."""
    if not query.strip():
        return []
    hits = svc.retriever.search(query, k=int(k), filters=Filters(group or "", content_type or "", topic_type or ""))
    return [
        [
            h.post.id,
            h.post.content_type,
            h.post.topic_type,
            h.post.group,
            round(h.score, 4),
            h.post.replies,
            h.post.text,
        ]
        for h in hits
    ]


# ---------------------------------------------------------------- 今日内容 / 审核队列

MAX_CARDS = 8
STATE_CHOICES = [
    ("全部", ""),
    ("待审核", "draft"),
    ("已通过", "approved"),
    ("已驳回", "rejected"),
    ("已发布", "published"),
]


def group_filter_choices(groups: list[str]) -> list[tuple[str, str]]:
    """The queue's group filter: 全部 (every group) first, then each group by name."""
    return [("全部", ""), *((g, g) for g in groups)]


def _model_label(model: str) -> str:
    return "模板起草（未接大模型）" if model == TEMPLATE_MODEL else f"模型 {model}"


def warnings_markdown(warnings: object, note: str = "") -> str:
    """The freshness and internal warnings of a draft (and the operator-only note) for a card."""
    lines = [f"- ⚠️ **{w.label}**" for w in warnings]  # type: ignore[attr-defined]
    out = ""
    if lines:
        out = "**发之前请核对（改掉，或勾选「已核对提示」再通过）**\n" + "\n".join(lines) + "\n\n"
    if note:
        out += f"**给运营的备注（不会发到群里、不会导出）**\n> {note.replace(chr(10), chr(10) + '> ')}\n\n"
    return out


def card(svc: Services, rec: Record) -> dict:
    """Everything a slot card shows for a stored draft."""
    flags = "\n".join(f"- ⚠️ {f}" for f in rec.flags) or "- 无合规提示"
    score = f"{rec.voice_score:.0f}/100" if rec.voice_score is not None else "—"
    try:
        explanation = "\n".join(Workflow(svc).assess(rec.text).explanation.splitlines()[1:])
    except CopilotError:
        explanation = ""
    posts = [svc.store.get(pid) for pid in rec.sources]
    sources = (
        "\n".join(
            f"- `{p.id}` {p.group or ''} · 回复 {p.replies} · 点赞 {p.reactions} · 报名 {p.signups}：{p.text[:60].replace(chr(10), ' ')}…"
            for p in posts
            if p is not None
        )
        or "- （没有参考帖子）"
    )
    head = (
        f"### {rec.slot_time} {rec.content_type}".strip()
        if rec.kind == "day"
        else f"### {rec.title or rec.content_type}"
    )
    return {
        "id": rec.id,
        "version": rec.version,
        "text": rec.text,
        "state": rec.state,
        "header": f"{head}　`{rec.state_label}` · 第 {rec.version} 版 · 编号 `{rec.id}` · {_model_label(rec.model)} · 提示词 {rec.prompt}",
        "meta": warnings_markdown(rec.warnings, rec.note)
        + f"**人设贴合度 {score}**\n\n{explanation.replace(chr(10), chr(10) * 2)}\n\n**合规提示（仅提醒，不拦截）**\n{flags}",
        "needs_ack": rec.needs_ack,
        "sources": f"**参考的往期帖子**\n{sources}",
    }


def failed_card(d: Draft) -> dict:
    """A slot whose drafting failed or that stays empty today: the reason, and nothing saved."""
    skipped = d.status == "skipped"
    return {
        "id": "",
        "version": 0,
        "text": "",
        "state": d.status,
        "header": f"### {d.slot_time} {d.content_type}　`{'今天空着' if skipped else '生成失败'}`",
        "meta": f"{'⏸' if skipped else '❌'} {d.error}" + ("" if skipped else "（这一条没有保存，可稍后重试）"),
        "sources": "",
        "needs_ack": False,
    }


def generate_day(
    svc: Services,
    group: str,
    date: str,
    author: str,
    progress=None,  # noqa: ANN001
    notes: str = "",
) -> tuple[list[dict], str]:
    """Draft a day for a group; returns cards in slot order and a summary message."""
    try:
        day = parse_day(date)
    except InputError as exc:
        return [], str(exc)
    try:
        items = Workflow(svc).generate_day(group or None, day, author, progress=progress, notes=notes or "")
    except Exception as exc:  # noqa: BLE001 - shown to the operator
        return [], friendly(exc)
    cards = [card(svc, x) if isinstance(x, Record) else failed_card(x) for x in items]
    failed = sum(1 for c in cards if c["state"] == "failed")
    skipped = sum(1 for c in cards if c["state"] == "skipped")
    warned = sum(1 for c in cards if c.get("needs_ack"))
    msg = f"已生成 {len(cards) - failed - skipped} 条草稿，已进入审核队列"
    msg += f"；{failed} 条失败（见卡片上的原因）" if failed else ""
    msg += f"；{skipped} 个时段今天空着（日历里没有活动）" if skipped else ""
    msg += f"；{warned} 条有提示要核对" if warned else ""
    if len(cards) > MAX_CARDS:
        msg += f"。页面只显示前 {MAX_CARDS} 个时段，其余请在审核队列查看"
    return cards, msg


def card_action(
    svc: Services, action: str, rid: str, text: str, version: int | None, reason: str, author: str, ack: bool = False
) -> tuple[dict | None, str]:
    """save / approve / reject / reopen / rewrite on one card; returns the refreshed card and a message."""
    if not rid:
        return None, "这张卡片没有已保存的草稿"
    flow = Workflow(svc)
    try:
        current = svc.review.get(rid)
        if action == "save":
            rec = flow.edit(rid, text, version, author) if text != current.text else current
            msg = "已保存为新版本" if rec is not current else "内容没有变化"
        elif action == "approve":
            if text != current.text:
                flow.edit(rid, text, version, author)
                version = (version or current.version) + 1
            rec = flow.approve(rid, version, author, ack_warnings=bool(ack))
            msg = "已通过 ✅" + ("（已确认核对过提示）" if ack and rec.warnings else "")
        elif action == "reject":
            rec = flow.reject(rid, reason, version, author)
            msg = "已驳回"
        elif action == "reopen":
            rec = flow.reopen(rid, author)
            msg = "已重新打开，可以继续编辑"
            if text.strip() and text != rec.text:  # the operator's unsaved edit stays on screen
                shown = card(svc, rec)
                shown["text"] = text
                return shown, "已重新打开；你刚才没保存的修改还在框里，点「保存修改」就会存成新版本"
        elif action == "rewrite":
            rec = flow.voice_rewrite(rid, text, version, author)
            msg = "已按人设口吻改写并保存为新版本"
        else:
            return None, f"未知操作 {action}"
    except Exception as exc:  # noqa: BLE001
        return None, friendly(exc)
    return card(svc, rec), msg


def regenerate(
    svc: Services, rid: str, version: int | None, author: str, notes: str = ""
) -> Iterator[tuple[str, dict | None, str]]:
    """Stream a slot's redraft: (partial text, None, '生成中…') … then ('', card, message)."""
    if not rid:
        yield "", None, "这张卡片没有已保存的草稿"
        return
    try:
        for part in Workflow(svc).regenerate(rid, version, author, notes or ""):
            if isinstance(part, str):
                yield part, None, "生成中…"
            else:
                yield part.text, card(svc, part), "已重新生成，保存为新版本"
    except Exception as exc:  # noqa: BLE001
        yield "", None, friendly(exc)


def queue_rows(svc: Services, date: str = "", group: str = "", state: str = "") -> list[list[object]]:
    """Review queue rows: id, date, time, group, type, state, version, score, flags, text."""
    rows = []
    for r in svc.review.list(date=date.strip(), group=group or "", state=state or ""):
        rows.append(
            [
                r.id,
                r.date,
                r.slot_time,
                r.group,
                r.content_type if r.kind == "day" else r.title or r.kind,
                r.state_label,
                r.version,
                f"{r.voice_score:.0f}" if r.voice_score is not None else "",
                "；".join([*(w.label for w in r.warnings), *r.flags]),
                r.text,
            ]
        )
    return rows


def bulk_approve(svc: Services, ids: list[str], author: str) -> str:
    """Approve the given drafts; reports successes and what could not be approved."""
    ids = [i for i in ids if i]
    if not ids:
        return "请先勾选或填写要通过的草稿编号"
    try:
        done, errors = Workflow(svc).bulk_approve(ids, author)
    except Exception as exc:  # noqa: BLE001
        return friendly(exc)
    return f"已通过 {len(done)} 条" + ("；" + "；".join(errors) if errors else "")


def export(svc: Services, fmt: str, date: str = "", group: str = "") -> tuple[str | None, str]:
    """Export approved posts; returns (file path or None, message)."""
    try:
        path = Workflow(svc).export(fmt, svc.settings.home / "exports", date=date.strip(), group=group or "")
    except Exception as exc:  # noqa: BLE001
        return None, friendly(exc)
    return str(path), f"已导出 {path.name}"


def push_draft(svc: Services, rid: str, url: str, msgtype: str, author: str) -> str:
    """Push one approved draft to the group robot; the result is recorded on the draft."""
    if not rid.strip():
        return "请填写要推送的草稿编号"
    try:
        rec = Workflow(svc).push(rid.strip(), url.strip(), msgtype, author)
    except Exception as exc:  # noqa: BLE001
        return friendly(exc)
    return f"{rec.push_result}，草稿已标记为已发布"


def mark_published(svc: Services, rid: str, author: str) -> str:
    """Mark a draft as published by hand."""
    try:
        Workflow(svc).mark_published(rid.strip(), author)
    except Exception as exc:  # noqa: BLE001
        return friendly(exc)
    return "已标记为已发布，发出后可以回来填表现数据"


def record_feedback(
    svc: Services, rid: str, replies: float, reactions: float, signups: float, clicks: float, author: str
) -> str:
    """Record performance of a published post; it becomes a past post future drafts can learn from."""
    try:
        metrics = {
            "replies": int(replies or 0),
            "reactions": int(reactions or 0),
            "signups": int(signups or 0),
            "clicks": int(clicks or 0),
        }
        Workflow(svc).feedback(rid.strip(), metrics, author)
    except Exception as exc:  # noqa: BLE001
        return friendly(exc)
    return "已记录表现，并作为往期帖子进入知识库（表现好的会成为以后起草的参考）"


# ---------------------------------------------------------------- IP自我介绍 / 话题工坊 / 人设改写 / 脚本


def intro(svc: Services) -> tuple[str, str, str, str]:
    """(full, welcome, card, note)."""
    try:
        drafts = svc.drafter().intro()
    except Exception as exc:  # noqa: BLE001
        return "", "", "", friendly(exc)
    texts = [d.text if d.status == "ok" else f"（失败：{d.error}）" for d in drafts]
    return texts[0], texts[1], texts[2], _model_label(drafts[0].model)


def topics_markdown(svc: Services, topic_type: str, n: int, event: str, group: str) -> str:
    """Topics with their whole discussion loop, as Markdown."""
    try:
        items = svc.drafter().topics(topic_type, int(n), event or "", group or None)
    except Exception as exc:  # noqa: BLE001
        return friendly(exc)
    out = []
    for i, t in enumerate(items, 1):
        if t.draft.status != "ok":
            out.append(f"❌ {t.draft.error}")
            continue
        follow = "\n".join(f"   - {q}" for q in t.follow_ups)
        out.append(f"### {i}. {t.title}\n**开场**\n\n{t.opening}\n\n**追问**\n{follow}\n\n**总结帖**\n\n{t.summary}")
    return f"_{_model_label(items[0].draft.model)}_\n\n" + "\n\n---\n\n".join(out) if items else "没有结果"


def rewrite_text(svc: Services, text: str) -> tuple[str, list[tuple[str, str | None]], str]:
    """(rewritten text, diff for HighlightedText, notes and score)."""
    if not text.strip():
        return "", [], "请先粘贴要改写的文字"
    try:
        d = svc.drafter().rewrite(text)
        before, after = Workflow(svc).assess(text), Workflow(svc).assess(d.text)
    except Exception as exc:  # noqa: BLE001
        return "", [], friendly(exc)
    diff = [
        (seg, {"+": "新增", "-": "删除"}.get(tag or "")) if tag else (seg, None) for seg, tag in diff_ops(text, d.text)
    ]
    notes = "\n".join(f"- {n}" for n in d.notes)
    warn = f"\n\n⚠️ {d.error}" if d.error else ""
    return (
        d.text,
        diff,
        (
            f"_{_model_label(d.model)}_　人设贴合度 {before.score:.0f} → **{after.score:.0f}**，"
            f"AI 味 {before.ai_flavor:.2f} → **{after.ai_flavor:.2f}**\n\n{notes}{warn}"
        ),
    )


def script(svc: Services, kind: str, group: str, details: str) -> str:
    """Group rules / announcement / welcome / activity script / live run sheet."""
    try:
        d = svc.drafter().script(kind, group or None, details or "")
    except Exception as exc:  # noqa: BLE001
        return friendly(exc)
    return d.text if d.status == "ok" else f"失败：{d.error}"


def queue_text(svc: Services, text: str, kind: str, title: str, group: str, author: str) -> str:
    """Put a text from the intro / topic / rewrite / script tabs into the review queue."""
    if not text.strip():
        return "没有可保存的内容"
    d = Draft(
        kind,
        title or kind,
        text.strip(),
        "人工",
        "manual",
        group=group or "",
        date=dt.date.today().isoformat(),
        title=title,
    )
    try:
        rec = Workflow(svc).save_new(d, author)
    except Exception as exc:  # noqa: BLE001
        return friendly(exc)
    return f"已放入审核队列（编号 {rec.id}）"


# ---------------------------------------------------------------- 设置 / 评测


def llm_status(svc: Services) -> str:
    """Which drafter is active; never shows the key."""
    base, model = svc.settings.resolved_llm()
    if not base:
        return "当前：**模板起草器**（没有配置大模型，全部离线）"
    key = "已设置" if svc.settings.llm_api_key.get_secret_value() else "未设置"
    return f"当前：**{model}** @ `{base}`（API Key {key}）"


def apply_llm(svc: Services, preset: str, base_url: str, model: str, api_key: str) -> str:
    """Switch the LLM at run time; an empty key keeps the current one. The key is never echoed or logged."""
    from pydantic import SecretStr

    from copilot.config import LLM_PRESETS

    preset = (preset or "").strip()
    if preset and preset not in LLM_PRESETS and preset != "template":
        return f"未知预设「{preset}」"
    if preset == "template":
        settings = svc.settings.model_copy(update={"llm_preset": "", "llm_base_url": "", "llm_model": ""})
    else:
        update: dict[str, object] = {"llm_preset": preset, "llm_base_url": base_url.strip(), "llm_model": model.strip()}
        if api_key.strip():
            update["llm_api_key"] = SecretStr(api_key.strip())
        settings = svc.settings.model_copy(update=update)
        if not settings.resolved_llm()[0]:
            return "请选择预设或填写 Base URL"
    try:
        svc.configure_llm(settings)
        save_llm(settings, api_key.strip() or None)
    except Exception as exc:  # noqa: BLE001
        return friendly(exc)
    return "已保存到工作区，重启后仍然有效（环境变量或 .env 里写了的项以它们为准）。" + llm_status(svc)


def test_llm(svc: Services) -> str:
    """Send one tiny request to the configured model."""
    if svc.chat is None:
        return "当前是模板起草器，不需要连接测试"
    try:
        text, _, _ = svc.chat.complete("", "只回复两个字：你好")
    except Exception as exc:  # noqa: BLE001
        return f"❌ 连接失败：{friendly(exc)}"
    return f"✅ 连接成功，模型回复：{text[:30]}"


def run_eval(svc: Services, suite: str, progress=None) -> tuple[str, str | None, str | None]:  # noqa: ANN001
    """(summary Markdown, chart PNG path, HTML report path)."""
    try:
        data, paths, regressions = svc.run_eval(suite, None, progress)
    except Exception as exc:  # noqa: BLE001
        return friendly(exc), None, None
    s = data["summary"]
    rows = "\n".join(
        f"| {o['case']} | {o['label']} | {o['voice_score']:.0f} | {o['ai_flavor']:.2f} | {'✅' if o['passed'] else '❌'} | "
        + "；".join(f"{assertion_label(c['type'])}={c['value']}" for c in o["checks"] if not c["passed"])
        + " |"
        for o in data["outputs"]
    )
    by = "，".join(f"{assertion_label(k)} {v}%" for k, v in s["by_assertion"].items())
    md = (
        f"**{data['suite']}** · {_model_label(data['model'])} · 通过率 **{s['pass_rate']}%** · 平均人设分 "
        f"{s['mean_voice']} · 平均 AI 味 {s['mean_ai_flavor']}\n\n按断言：{by}\n\n"
        f"| 用例 | 输出 | 人设分 | AI 味 | 结果 | 未通过 |\n|---|---|---|---|---|---|\n{rows}"
    )
    return md, str(paths["png"]), str(paths["html"])


# ---------------------------------------------------------------- 活动日历


def calendar_rows(svc: Services) -> list[list[object]]:
    """Every calendar entry as a row: id, name, group, start, end, stages, facts, notes."""
    return [
        [
            e.id,
            e.name,
            e.group or "所有群",
            e.start.isoformat(),
            e.end.isoformat(),
            "；".join(f"{s} {a.isoformat()}..{b.isoformat()}" for s, a, b in e.stages),
            e.facts,
            e.notes,
        ]
        for e in svc.calendar.list()
    ]


def calendar_month(svc: Services, month: str) -> tuple[list[str], list[list[str]], str]:
    """(headers, rows, message) of a month view: each day, and per group the activity and stage running then."""
    from copilot.calendar import month_grid

    text = (month or "").strip() or dt.date.today().strftime("%Y-%m")
    try:
        year, mon = (int(x) for x in text.split("-")[:2])
        dt.date(year, mon, 1)
    except ValueError:
        return [], [], f"月份「{text}」格式不对，请写成 2026-12"
    try:
        groups = [g.name for g in svc.persona().groups]
    except CopilotError as exc:
        return [], [], str(exc)
    first = dt.date(year, mon, 1)
    entries = svc.calendar.list(first, first + dt.timedelta(days=31))
    return ["日期", "星期", *groups], month_grid(entries, year, mon, groups), f"{year} 年 {mon} 月"


def calendar_save(
    svc: Services,
    entry_id: str,
    name: str,
    group: str,
    start: str,
    end: str,
    warmup: str,
    build: str,
    peak: str,
    facts: str,
    notes: str,
) -> str:
    """Add or update one entry from the form; a Chinese message names the field that is wrong."""
    from copilot.calendar import entry_from_mapping

    data: dict[str, object] = {"name": name, "group": "" if group in ("", "所有群") else group, "start": start}
    data["end"] = end
    data.update(
        facts=facts, notes=notes, stages={k: v for k, v in (("预热", warmup), ("拉升", build), ("爆破", peak)) if v}
    )
    try:
        groups = [g.name for g in svc.persona().groups]
        entry = entry_from_mapping(data, groups, entry_id=(entry_id or "").strip())
        added, _ = svc.calendar.save([entry])
    except InputError as exc:
        return f"没有保存：{'字段「' + exc.column + '」：' if exc.column else ''}{exc.reason}"
    except Exception as exc:  # noqa: BLE001
        return friendly(exc)
    return f"已{'添加' if added else '更新'}活动「{entry.name}」（编号 {entry.id}）"


def calendar_remove(svc: Services, entry_id: str) -> str:
    """Remove one entry by id."""
    try:
        entry = svc.calendar.remove((entry_id or "").strip())
    except Exception as exc:  # noqa: BLE001
        return friendly(exc)
    return f"已删除活动「{entry.name}」"


def calendar_import(svc: Services, paths: str | list[str] | None) -> str:
    """Import uploaded YAML / JSON / CSV calendar files (each all-or-nothing, under the upload limits)."""
    chosen = [paths] if isinstance(paths, str) else list(paths or [])
    if not chosen:
        return "请先选择活动日历文件（YAML / JSON / CSV）"
    files = [Path(p) for p in chosen]
    try:
        report = svc.import_calendar(files, {f: f.name for f in files})
    except Exception as exc:  # noqa: BLE001
        return friendly(exc)
    return report.summary()


def open_card(svc: Services, rid: str) -> tuple[dict | None, str]:
    """The card of any stored draft, by id (the queue opens drafts of any day, after any reload)."""
    if not rid.strip():
        return None, "请填写草稿编号，或点上表的一行"
    try:
        rec = svc.review.get(rid.strip())
    except Exception as exc:  # noqa: BLE001
        return None, friendly(exc)
    return card(svc, rec), f"已打开 {rec.id}（{rec.state_label}，第 {rec.version} 版）"


def versions_markdown(svc: Services, rid: str) -> str:
    """Every saved version, newest first, each with a word diff against the one before."""
    from copilot.rewrite import diff_text

    if not rid.strip():
        return ""
    try:
        versions = svc.review.versions(rid.strip())
    except Exception as exc:  # noqa: BLE001
        return friendly(exc)
    out = []
    for i in range(len(versions) - 1, -1, -1):
        v = versions[i]
        change = diff_text(versions[i - 1].text, v.text) if i else v.text
        out.append(f"**第 {v.version} 版** · {v.note} · {v.author} · {v.created_at}\n\n{change}")
    return "\n\n---\n\n".join(out) or "（还没有版本）"
