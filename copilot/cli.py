"""Thin command line: parse arguments, call a service, print the result."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from pathlib import Path

from copilot.argparse_zh import ChineseParser
from copilot.chatlog import FORMATS as CHAT_FORMATS
from copilot.dates import parse_day
from copilot.draft import SCRIPT_KINDS, TEMPLATE_MODEL, Draft, rewrite_result
from copilot.errors import CopilotError, InputError
from copilot.evaluate import assertion_label
from copilot.ingest import summary
from copilot.readers import decode_bytes, json_too_deep
from copilot.records import TOPIC_TYPES
from copilot.retrieve import Filters
from copilot.services import Services, build
from copilot.voice import explain


def _dump(obj: object) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


class _Bar:
    """A tqdm progress bar per file on stderr."""

    def __init__(self) -> None:
        self.bars: dict[str, object] = {}

    def __call__(self, label: str, done: int, total: int) -> None:
        from tqdm import tqdm

        bar = self.bars.get(label)
        if bar is None:
            bar = self.bars[label] = tqdm(total=total, desc=Path(label).name, unit="条", file=sys.stderr)
        bar.n = done  # type: ignore[attr-defined]
        bar.refresh()  # type: ignore[attr-defined]
        if done >= total:
            bar.close()  # type: ignore[attr-defined]


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cmd_init(svc: Services, args: argparse.Namespace) -> int:
    report = svc.ingest_demo(progress=_Bar(), only_if_empty=not args.force)
    if report is None:
        print(f"知识库已有 {svc.store.count()} 条内容，跳过示例品牌导入。")
        return 0
    print("已导入示例品牌「山茶小院」。" + summary(report))
    return 1 if report.refused else 0


def cmd_ingest(svc: Services, args: argparse.Namespace) -> int:
    if not args.files and not args.doc and not args.persona:
        print("请给出要导入的文件，例如：copilot ingest --persona 人设.yaml 往期帖子.csv", file=sys.stderr)
        return 2
    report = svc.ingest(
        [Path(f) for f in args.files],
        [Path(d) for d in args.doc or []],
        Path(args.persona) if args.persona else None,
        progress=_Bar(),
        on_wait=_say,
    )
    print(summary(report))
    return 1 if report.refused else 0


def cmd_search(svc: Services, args: argparse.Namespace) -> int:
    hits = svc.retriever.search(
        args.query, k=args.k, filters=Filters(args.group or "", args.type or "", args.topic or ""), boost=args.boost
    )
    rows = [
        {
            "id": h.post.id,
            "text": h.post.text,
            "score": round(h.score, 6),
            "content_type": h.post.content_type,
            "topic_type": h.post.topic_type,
            "group": h.post.group,
            "metrics": h.post.metrics,
        }
        for h in hits
    ]
    if args.json:
        _dump(rows)
        return 0
    if not rows:
        print("没有找到相关内容。")
    for n, h in enumerate(hits, 1):
        p = h.post
        text = p.text.replace("\n", " ")
        print(
            f"{n}. [{p.content_type}{'/' + p.topic_type if p.topic_type else ''}] {p.id} "
            f"得分 {h.score:.4f} 回复{p.replies} 点赞{p.reactions}\n   {text[:120]}"
        )
    return 0


def cmd_stats(svc: Services, args: argparse.Namespace) -> int:
    stats: dict = dict(svc.stats(args.group))
    if args.group:
        stats.update(svc.rhythm(args.group))
    if args.json:
        counts = {"content_type": "by_content_type", "topic_type": "by_topic_type", "group": "by_group"}
        total = sum(stats["content_type"].values())
        _dump({"posts": total, **{counts.get(k, k): v for k, v in stats.items()}})
        return 0
    if args.group:
        _print_rhythm(stats)
    print(f"知识库共 {svc.store.count()} 条")
    for title, key in (("按内容类型", "content_type"), ("按话题类型", "topic_type"), ("按群", "group")):
        print(f"{title}：")
        for name, n in stats[key].items():
            print(f"  {name}\t{n}")
    return 0


def cmd_import_chat(svc: Services, args: argparse.Namespace) -> int:
    result = svc.import_chat(
        Path(args.file),
        args.ip,
        fmt=args.format,
        group=args.group or "",
        window=args.window,
        since=_date(args.since) if args.since else None,
        progress=None if args.json else _Bar(),
    )
    if args.json:
        _dump([p.as_dict() for p in result.posts])
        return 0
    print(result.summary())
    for p in sorted(result.posts, key=lambda p: -p.to_post().engagement)[:5]:
        m = p.as_dict()["metrics"]
        print(
            f"  {p.time:%m-%d %H:%M} [{p.content_type}] 回复 {m['replies']} · {m['repliers']} 人 · 引用 {m['quotes']}"
            f" · 报名 {m['signups']}：{p.text[:40].replace(chr(10), ' ')}"
        )
    return 0


def cmd_persona_draft(svc: Services, args: argparse.Namespace) -> int:
    from copilot.persona_draft import draft_from_file

    text = draft_from_file(Path(args.file), args.ip, fmt=args.format, group=args.group or "", name=args.name or "")
    if not args.out:
        print(text, end="")
        return 0
    out = Path(args.out)
    if out.exists() and not args.force:
        raise InputError(f"{out} 已存在；换个文件名，或加 --force 覆盖")
    out.write_text(text, "utf-8")
    print(f"已写入 {out}：请补全标了「待填写」的项，再用 copilot ingest --persona {out} 导入。")
    return 0


def _print_rhythm(data: dict) -> None:
    if not data["days"]:
        print("这个群还没有导入聊天记录（copilot import-chat 导出文件 --ip self --group 群名），看不到群的节奏。")
        return
    hours = data["active_hours"]
    top = max(hours.values()) or 1
    print(
        f"群数据：{data['first_day']} ~ {data['last_day']}，每天 {data['messages_per_day']} 条成员消息，"
        f"{data['active_members']} 位成员说过话"
    )
    slot_hours = {int(s["time"][:2]) for s in data["slots"]}
    for h in range(24):
        mark = " ← 时段" if h in slot_hours else ""
        print(f"  {h:02d} 点 {'█' * round(20 * hours[str(h)] / top):<20} {hours[str(h)]}{mark}")
    for s in data["slots"]:
        if s.get("reason"):
            print(f"建议：{s['reason']}")


def _date(value: str | None) -> dt.date:
    return parse_day(value)


def _print_draft(d: Draft, header: str) -> None:
    label = "模板" if d.model == TEMPLATE_MODEL else d.model
    print(f"\n=== {header} · {label} · {d.prompt} ===")
    if d.status == "failed":
        print(f"[失败] {d.error}")
        return
    if d.status == "skipped":
        print(f"[空着] {d.error}")
        return
    print(d.text)
    for w in d.warnings:
        print(f"⚠ {w.label}")
    if d.note:
        print(f"（给运营的备注：{d.note}）")
    if d.sources:
        print(f"（参考：{'、'.join(d.sources)}）")
    if d.error:
        print(f"（提示：{d.error}）")


def cmd_day(svc: Services, args: argparse.Namespace) -> int:
    def progress(done: int, total: int, d: Draft) -> None:
        state = "完成" if d.status == "ok" else f"失败：{d.error}"
        print(f"[{done}/{total}] {d.slot_time} {d.content_type} {state}", file=sys.stderr)

    pairs = svc.draft_day(
        args.group, _date(args.date), save=not args.no_save, notes=args.notes or "", progress=progress
    )
    keys = (
        "slot_time",
        "content_type",
        "title",
        "text",
        "model",
        "prompt",
        "sources",
        "status",
        "error",
        "warnings",
        "note",
    )
    if args.json:
        _dump(
            [
                {
                    **{k: d.as_dict()[k] for k in keys},
                    "group": d.group,
                    "date": d.date,
                    "prompt_tokens": d.prompt_tokens,
                    "completion_tokens": d.completion_tokens,
                    "draft_id": rec.id if rec else None,
                }
                for d, rec in pairs
            ]
        )
    else:
        for d, _ in pairs:
            _print_draft(d, f"{d.slot_time} {d.content_type}")
        if not args.no_save:
            print("\n草稿已进入审核队列（make run 打开「审核队列」查看）。")
    return 0 if all(d.status != "failed" for d, _ in pairs) else 1


def cmd_intro(svc: Services, args: argparse.Namespace) -> int:
    drafts = svc.drafter().intro()
    if args.json:
        _dump([d.as_dict() for d in drafts])
    else:
        for d in drafts:
            _print_draft(d, f"IP 自我介绍 · {d.title}")
    return 0 if all(d.status == "ok" for d in drafts) else 1


def cmd_topics(svc: Services, args: argparse.Namespace) -> int:
    topics = svc.drafter().topics(args.type, args.n, args.event or "", args.group)
    if args.json:
        _dump([t.as_dict() for t in topics])
        return 0 if all(t.draft.status == "ok" for t in topics) else 1
    for n, t in enumerate(topics, 1):
        if t.draft.status != "ok":
            print(f"[失败] {t.draft.error}")
            continue
        print(f"\n=== {t.topic_type} 话题 {n}：{t.title} ===\n【开场】{t.opening}")
        for q in t.follow_ups:
            print(f"【追问】{q}")
        print(f"【总结】{t.summary}")
    return 0 if all(t.draft.status == "ok" for t in topics) else 1


def _texts(args: argparse.Namespace) -> list[str]:
    if args.file:
        path = Path(args.file)
        if not path.is_file():
            raise InputError("文件不存在", file=args.file)
        if path.stat().st_size > 20 * 1024 * 1024:
            raise InputError("文件太大，上限 20 MB，请拆分后再处理", file=args.file)
        raw = path.read_bytes()
        content = decode_bytes(raw, args.file)
        texts = []
        for n, line in enumerate(content.splitlines(), 1):
            if not line.strip():
                continue
            if line.lstrip().startswith("{"):
                if json_too_deep(line, 20):
                    raise InputError("JSON 嵌套超过 20 层，未读取", file=args.file, line=n)
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"JSON 格式错误：{exc.msg}", file=args.file, line=n) from None
                if not isinstance(obj, dict) or not str(obj.get("text", "")).strip():
                    raise InputError("缺少 text 字段", file=args.file, line=n, column="text")
                texts.append(str(obj["text"]))
            else:
                texts.append(line)
        return texts
    if not args.text:
        raise InputError("请给出要处理的文本，或用 -f 文件")
    return [args.text]


def cmd_rewrite(svc: Services, args: argparse.Namespace) -> int:
    drafter = svc.drafter()
    results = [rewrite_result(drafter.rewrite(t), t) for t in _texts(args)]
    if args.json:
        _dump(
            [
                {
                    "original": r["original"],
                    "text": r["text"],
                    "diff": r["diff"],
                    "model": r["model"],
                    "notes": r["notes"],
                    "error": r["error"],
                }
                for r in results
            ]
        )
        return 0
    for r in results:
        print(f"\n=== 改写（{'模板规则' if r['model'] == TEMPLATE_MODEL else r['model']}）===\n{r['text']}")
        print(f"--- 对比 ---\n{r['diff']}")
        if r["notes"]:
            print("--- 改了什么 ---\n" + "\n".join(f"· {x}" for x in r["notes"]))
        if r["error"]:
            print(f"（提示：{r['error']}）")
    return 0


def cmd_script(svc: Services, args: argparse.Namespace) -> int:
    d = svc.drafter().script(args.kind, args.group, args.details or "")
    if args.json:
        _dump(d.as_dict())
    else:
        _print_draft(d, d.title)
    return 0 if d.status == "ok" else 1


def cmd_score(svc: Services, args: argparse.Namespace) -> int:
    args.text = None
    texts = _texts(args)
    scores = svc.scorer().score_many(texts)
    judged = [svc.judge(t) for t in texts] if svc.chat is not None and not args.no_judge else [None] * len(texts)
    keep = (
        "text",
        "score",
        "ai_flavor",
        "markers",
        "cliches",
        "taboo",
        "off_voice",
        "content",
        "marker_score",
        "ai_phrases",
    )
    if args.json:
        rows = []
        for t, s, j in zip(texts, scores, judged, strict=True):
            row = {k: v for k, v in s.as_dict(t).items() if k in keep}
            if j is not None:
                row["judge"] = j
            rows.append(row)
        _dump(rows)
        return 0
    for t, s, j in zip(texts, scores, judged, strict=True):
        print(f"\n=== {s.score:.0f}/100 · AI 味 {s.ai_flavor:.2f} ===\n{t[:80]}\n{explain(s)}")
        if j is not None:
            print(f"大模型评审（仅供参考）：{j}")
    return 0


def cmd_eval(svc: Services, args: argparse.Namespace) -> int:
    def progress(done: int, total: int, case: str) -> None:
        print(f"[{done}/{total}] {case}", file=sys.stderr)

    data, paths, regressions = svc.run_eval(args.suite, Path(args.baseline) if args.baseline else None, progress)
    s = data["summary"]
    print(
        f"评测集 {data['suite']} · 起草器 {data['model']} · 通过率 {s['pass_rate']}% · 平均人设分 {s['mean_voice']}"
        f" · 平均 AI 味 {s['mean_ai_flavor']}"
    )
    print(f"\n{'用例':<14}{'输出':<16}{'人设分':>6}{'AI味':>6}  结果")
    for o in data["outputs"]:
        failed = "、".join(f"{assertion_label(c['type'])}={c['value']}" for c in o["checks"] if not c["passed"])
        print(
            f"{o['case']:<14}{o['label']:<16}{o['voice_score']:>6.0f}{o['ai_flavor']:>6.2f}  "
            f"{'通过' if o['passed'] else '未通过 ' + failed}"
        )
    print("\n按断言的通过率：" + "，".join(f"{assertion_label(k)} {v}%" for k, v in s["by_assertion"].items()))
    print(f"报告：{paths['html']}\n      {paths['md']}\n结果：{paths['json']}")
    if regressions:
        print("\n回归（超出容差）：\n" + "\n".join(f"  - {r}" for r in regressions), file=sys.stderr)
        return 1
    return 0


def cmd_calendar(svc: Services, args: argparse.Namespace) -> int:
    from copilot.calendar import entry_from_mapping

    cal = svc.calendar
    groups = [g.name for g in svc.persona().groups] if svc.settings.persona_path.exists() else None
    if args.action == "import":
        report = svc.import_calendar([Path(f) for f in args.files])
        print(report.summary(), file=sys.stderr if report.refused and not report.files else sys.stdout)
        return 1 if report.refused else 0
    if args.action == "add":
        stages: dict[str, str] = {}
        for item in args.stage or []:
            name, _, rng = item.partition("=")
            stages[name.strip()] = rng.strip()
        data: dict[str, object] = {"name": args.name, "group": args.group or "", "start": args.start}
        data.update(end=args.end, facts=args.facts, notes=args.notes or "", stages=stages)
        try:
            entry = entry_from_mapping(data, groups)
        except InputError as exc:
            raise InputError(f"字段「{exc.column}」：{exc.reason}" if exc.column else exc.reason) from None
        cal.save([entry])
        print(f"已添加活动「{entry.name}」（编号 {entry.id}）")
        return 0
    if args.action == "remove":
        entry = cal.remove(args.id)
        print(f"已删除活动「{entry.name}」（编号 {entry.id}）")
        return 0
    entries = cal.list(_date(args.since) if args.since else None, _date(args.until) if args.until else None)
    if args.json:
        _dump([e.as_dict() for e in entries])
        return 0
    if not entries:
        print("活动日历是空的：用 copilot calendar add 或 copilot calendar import 添加活动。")
    for e in entries:
        shown = "，".join(f"{s} {a.month}/{a.day}-{b.month}/{b.day}" for s, a, b in e.stages)
        print(f"{e.id}  {e.start}～{e.end}  {e.name}  [{e.group or '所有群'}]{'  ' + shown if shown else ''}")
        if e.facts:
            print(f"    事实：{e.facts}")
        if e.notes:
            print(f"    备注（仅运营可见）：{e.notes}")
    return 0


def cmd_check(svc: Services, args: argparse.Namespace) -> int:
    texts = _texts(args)
    day = _date(args.date)
    rows = [{"text": t, "warnings": [w.as_dict() for w in svc.check(t, day, args.group)]} for t in texts]
    if args.json:
        _dump(rows)
    else:
        for r in rows:
            print(f"\n=== {r['text'][:60]} ===")
            if not r["warnings"]:
                print("没有发现过期、矛盾或内部信息。")
            for w in r["warnings"]:
                print(f"⚠ [{w['kind']}] 「{w['text']}」 {w['message']}")
    return 1 if any(r["warnings"] for r in rows) else 0


def _record_json(rec) -> dict:  # noqa: ANN001 - a review Record
    return {
        "id": rec.id,
        "date": rec.date,
        "group": rec.group,
        "slot_time": rec.slot_time,
        "content_type": rec.content_type,
        "status": rec.state,
        "version": rec.version,
        "text": rec.text,
        "warnings": [w.as_dict() for w in rec.warnings],
        "note": rec.note,
    }


def cmd_queue(svc: Services, args: argparse.Namespace) -> int:
    from copilot.workflow import Workflow

    flow = Workflow(svc)
    who = "命令行"
    if args.action == "list":
        recs = svc.review.list(date=args.date or "", group=args.group or "", state=args.status or "")
        if args.json:
            _dump([_record_json(r) for r in recs])
        for r in [] if args.json else recs:
            warn = f"  ⚠ {r.warning_summary()}" if r.warnings else ""
            print(f"{r.id}  {r.date} {r.slot_time} {r.group} {r.content_type}  [{r.state_label} 第{r.version}版]{warn}")
        return 0
    if args.action == "show":
        rec = svc.review.get(args.id)
        versions = svc.review.versions(args.id)
        if args.json:
            _dump({**_record_json(rec), "versions": [v.__dict__ for v in versions]})
            return 0
        print(
            f"{rec.id}  {rec.date} {rec.slot_time} {rec.group} {rec.content_type}  [{rec.state_label} 第{rec.version}版]"
        )
        print(rec.text)
        for w in rec.warnings:
            print(f"⚠ {w.label}")
        if rec.note:
            print(f"（给运营的备注：{rec.note}）")
        for v in versions:
            print(f"--- 第 {v.version} 版 · {v.note} · {v.author} · {v.created_at}")
        return 0
    if args.action == "edit":
        text = Path(args.file).read_text("utf-8") if args.file else (args.text or "")
        rec = flow.edit(args.id, text, args.version, who)
        print(f"已保存为第 {rec.version} 版" + (f"（提示：{rec.warning_summary()}）" if rec.warnings else ""))
        return 0
    if args.action == "approve":
        failed = 0
        for rid in args.ids:
            try:
                rec = flow.approve(rid, None, who, ack_warnings=args.ack_warnings)
                print(f"{rid}：已通过")
            except CopilotError as exc:
                failed += 1
                print(f"{rid}：{exc}", file=sys.stderr)
        return 1 if failed else 0
    if args.action == "reject":
        flow.reject(args.id, args.reason, None, who)
        print(f"{args.id}：已驳回")
        return 0
    if args.action == "reopen":
        flow.reopen(args.id, who)
        print(f"{args.id}：已重新打开")
        return 0
    path = flow.export(
        args.format,
        Path(args.out) if args.out else svc.settings.home / "exports",
        date=args.date,
        group=args.group or "",
    )
    print(f"已导出：{path}")
    return 0


def parser() -> argparse.ArgumentParser:
    """The argparse tree for every subcommand."""
    p = ChineseParser(prog="copilot", description="社群内容副驾：按 IP 人设起草社群每日内容")
    p.add_argument("-v", "--verbose", action="store_true", help="输出调试日志")
    sub = p.add_subparsers(dest="command", required=True, title="命令", metavar="命令")

    s = sub.add_parser("init", help="知识库为空时导入示例品牌")
    s.add_argument("--force", action="store_true", help="即使知识库不为空也导入")
    s.set_defaults(func=cmd_init)

    s = sub.add_parser("ingest", help="导入人设文件、往期帖子（CSV/XLSX/JSONL/MD/TXT）和文档")
    s.add_argument("files", nargs="*", metavar="文件", help="帖子文件")
    s.add_argument("--persona", metavar="人设文件", help="人设 YAML 文件")
    s.add_argument("--doc", metavar="文档", action="append", help="SOP / 产品文档（Markdown 或文本，可重复）")
    s.set_defaults(func=cmd_ingest)

    s = sub.add_parser("search", help="混合检索往期帖子")
    s.add_argument("query", metavar="关键词", help="要找的内容，例如 梅雨 受潮")
    s.add_argument("--k", metavar="条数", type=int, default=5, help="返回几条（默认 5）")
    s.add_argument("--type", metavar="类型", help="内容类型，如 早安")
    s.add_argument("--topic", metavar="话题类型", help="话题类型，如 情怀共鸣")
    s.add_argument("--group", metavar="群名", help="群名")
    s.add_argument("--boost", metavar="权重", type=float, default=0.0, help="按互动表现加权（0-1）")
    s.add_argument("--json", action="store_true", help="输出 JSON")
    s.set_defaults(func=cmd_search)

    s = sub.add_parser("import-chat", help="导入群聊导出记录：IP 的消息成为往期帖子（带回复、报名等互动数据）")
    s.add_argument("file", help="chatlog JSON/CSV、PyWxDump CSV、留痕 CSV 或企业微信会话存档 JSONL")
    s.add_argument("--format", default="auto", choices=("auto", *CHAT_FORMATS), help="导出工具（默认自动识别）")
    s.add_argument("--ip", required=True, help="IP 本人：发送者编号、群昵称，或 self（导出者本人）")
    s.add_argument("--group", help="群名：选导出里的一个群，或给只有一个群的导出起名")
    s.add_argument("--window", type=int, default=60, help="帖子之后统计互动的分钟数（到 IP 下一条帖子为止）")
    s.add_argument("--since", help="只导入这一天（YYYY-MM-DD）及以后的消息")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_import_chat)

    s = sub.add_parser("persona", help="人设文件工具")
    psub = s.add_subparsers(dest="persona_command", required=True)
    s = psub.add_parser("draft", help="从聊天记录里 IP 自己的消息起草人设 YAML（称呼、口头禅、表情、落款、时段）")
    s.add_argument("file", help="聊天记录导出文件（格式同 import-chat）")
    s.add_argument("--ip", required=True, help="IP 本人：发送者编号、群昵称，或 self")
    s.add_argument("--format", default="auto", choices=("auto", *CHAT_FORMATS))
    s.add_argument("--group", help="只用这个群的消息")
    s.add_argument("--name", help="IP 的名字（默认用群昵称）")
    s.add_argument("--out", help="写到这个文件（默认打印）")
    s.add_argument("--force", action="store_true", help="覆盖已有的 --out 文件")
    s.set_defaults(func=cmd_persona_draft)

    s = sub.add_parser("stats", help="按类型统计知识库；--group 另给群数据（活跃时段、每天消息数、建议时段）")
    s.add_argument("--group", help="群名：只统计这个群，并给出从聊天记录算出的群节奏")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_stats)

    s = sub.add_parser("day", help="起草一个群一天的全部时段")
    s.add_argument("--group", metavar="群名", help="群名（默认人设文件里的第一个群）")
    s.add_argument("--date", metavar="日期", help="YYYY-MM-DD（默认今天）")
    s.add_argument("--no-save", action="store_true", help="只输出，不进审核队列")
    s.add_argument("--notes", metavar="信息", help="今天的活动/通知信息（时间、价格等），活动与公告时段会用它")
    s.add_argument("--json", action="store_true", help="输出 JSON")
    s.set_defaults(func=cmd_day)

    s = sub.add_parser("intro", help="IP 自我介绍：完整版、欢迎版、名片版")
    s.add_argument("--json", action="store_true", help="输出 JSON")
    s.set_defaults(func=cmd_intro)

    s = sub.add_parser("topics", help="按七类话题出讨论话题（开场、追问、总结）")
    s.add_argument("--type", required=True, choices=TOPIC_TYPES, help="话题类型")
    s.add_argument("--n", metavar="个数", type=int, default=3, help="出几个话题（默认 3）")
    s.add_argument("--event", metavar="事件", help="热点事件的内容（应用不联网，需要你提供）")
    s.add_argument("--group", metavar="群名", help="群名")
    s.add_argument("--json", action="store_true", help="输出 JSON")
    s.set_defaults(func=cmd_topics)

    s = sub.add_parser("rewrite", help="把任意文本改写成人设口吻，事实原样保留")
    s.add_argument("text", nargs="?", metavar="文本", help="要改写的文本")
    s.add_argument("-f", "--file", metavar="文件", help="JSONL（text 字段）或每行一段的文本文件")
    s.add_argument("--json", action="store_true", help="输出 JSON")
    s.set_defaults(func=cmd_rewrite)

    s = sub.add_parser("score", help="给文本打人设贴合度分（0-100）和 AI 味（0-1）")
    s.add_argument("file", metavar="文件", help="JSONL（text 字段）或每行一段的文本文件")
    s.add_argument("--no-judge", action="store_true", help="配置了大模型时也不调用大模型评审")
    s.add_argument("--json", action="store_true", help="输出 JSON")
    s.set_defaults(func=cmd_score)

    s = sub.add_parser("eval", help="跑评测集（evals/suites），与基线比较，回归时非零退出")
    s.add_argument("suite", metavar="评测集", help="评测集名（day_plan/intro/topics/rewrite）或 YAML 路径")
    s.add_argument("--baseline", metavar="基线文件", help="以前的结果 JSON")
    s.set_defaults(func=cmd_eval)

    s = sub.add_parser("calendar", help="活动日历：导入、添加、查看、删除活动")
    cal = s.add_subparsers(dest="action", required=True, title="操作", metavar="操作")
    c = cal.add_parser("import", help="从 YAML / JSON / CSV 导入活动（同名同群同开始日期会更新）")
    c.add_argument("files", nargs="+", metavar="文件", help="活动文件（YAML / JSON / CSV，可以一次给几个）")
    c = cal.add_parser("add", help="添加一个活动")
    c.add_argument("--name", required=True, help="活动名称")
    c.add_argument("--start", required=True, help="开始日期 YYYY-MM-DD")
    c.add_argument("--end", required=True, help="结束日期 YYYY-MM-DD")
    c.add_argument("--group", help="群名（不填表示所有群）")
    c.add_argument("--stage", action="append", help="阶段，如 预热=2026-12-08..2026-12-09（可重复）")
    c.add_argument("--facts", required=True, help="时间、价格、福利、名额等，原样写进草稿")
    c.add_argument("--notes", help="只给运营看的备注")
    c = cal.add_parser("list", help="列出活动")
    c.add_argument("--from", dest="since", help="起始日期")
    c.add_argument("--to", dest="until", help="截止日期")
    c.add_argument("--json", action="store_true", help="输出 JSON")
    c = cal.add_parser("remove", help="删除一个活动")
    c.add_argument("id", help="活动编号（calendar list 里看）")
    s.set_defaults(func=cmd_calendar)

    s = sub.add_parser("queue", help="审核队列：查看、修改、通过、驳回、重新打开、导出")
    q = s.add_subparsers(dest="action", required=True, title="操作", metavar="操作")
    c = q.add_parser("list", help="列出草稿")
    c.add_argument("--date", metavar="日期", help="YYYY-MM-DD")
    c.add_argument("--group", metavar="群名", help="群名")
    c.add_argument(
        "--status",
        choices=["draft", "approved", "rejected", "published"],
        help="draft 待审核、approved 已通过、rejected 已驳回、published 已发布",
    )
    c.add_argument("--json", action="store_true", help="输出 JSON")
    c = q.add_parser("show", help="看一条草稿和它的所有版本")
    c.add_argument("id", metavar="编号", help="草稿编号")
    c.add_argument("--json", action="store_true", help="输出 JSON")
    c = q.add_parser("edit", help="保存修改为新版本（--version 必须是当前版本）")
    c.add_argument("id", metavar="编号", help="草稿编号")
    c.add_argument("--version", type=int, required=True, metavar="版本", help="你看到的版本号")
    c.add_argument("--text", metavar="文本", help="修改后的全文")
    c.add_argument("-f", "--file", metavar="文件", help="从文件读修改后的全文")
    c = q.add_parser("approve", help="通过草稿（至少一个编号）")
    c.add_argument("ids", nargs="+", metavar="编号", help="草稿编号（可多个）")
    c.add_argument("--ack-warnings", action="store_true", help="确认已核对草稿上的提示（过期日期、内部信息等）")
    c = q.add_parser("reject", help="驳回草稿")
    c.add_argument("id", metavar="编号", help="草稿编号")
    c.add_argument("--reason", required=True, metavar="原因", help="驳回原因")
    c = q.add_parser("reopen", help="重新打开已通过或已驳回的草稿")
    c.add_argument("id", metavar="编号", help="草稿编号")
    c = q.add_parser("push", help="把已通过的草稿推送到企业微信群机器人")
    c.add_argument("ids", nargs="+", metavar="草稿编号")
    c.add_argument("--webhook", required=True, metavar="地址", help="群机器人 Webhook 地址")
    c.add_argument("--msgtype", choices=["text", "markdown"], default="text", help="消息类型")
    c = q.add_parser("export", help="导出已通过的内容")
    c.add_argument("--date", required=True, metavar="日期", help="YYYY-MM-DD")
    c.add_argument("--group", metavar="群名", help="群名")
    c.add_argument("--format", choices=["csv", "xlsx", "md"], default="csv", help="导出格式（默认 csv）")
    c.add_argument("--out", help="导出目录（默认 COPILOT_HOME/exports）")
    s.set_defaults(func=cmd_queue)

    s = sub.add_parser("check", help="检查文本里的过期日期、星期、时令、来源不明的事实和内部信息")
    s.add_argument("text", nargs="?", help="要检查的文本")
    s.add_argument("-f", "--file", help="JSONL（text 字段）或每行一段的文本文件")
    s.add_argument("--date", help="发送日期 YYYY-MM-DD（默认今天）")
    s.add_argument("--group", help="群名")
    s.add_argument("--json", action="store_true", help="输出 JSON")
    s.set_defaults(func=cmd_check)

    s = sub.add_parser("script", help="群规、群公告、欢迎语、活动三段式脚本、直播控场流程")
    s.add_argument("kind", choices=SCRIPT_KINDS, help="脚本类型：" + "、".join(SCRIPT_KINDS))
    s.add_argument("--group", metavar="群名", help="群名")
    s.add_argument("--details", metavar="信息", help="活动信息：时间、价格、福利等")
    s.add_argument("--json", action="store_true", help="输出 JSON")
    s.set_defaults(func=cmd_script)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of `copilot` and `python -m copilot`."""
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return int(args.func(build(), args) or 0)
    except CopilotError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
