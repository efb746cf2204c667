"""Thin command line: parse arguments, call a service, print the result."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from copilot.errors import CopilotError
from copilot.ingest import summary
from copilot.retrieve import Filters
from copilot.services import Services, build


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
    for n, r in enumerate(rows, 1):
        text = r["text"].replace("\n", " ")
        print(
            f"{n}. [{r['content_type']}{'/' + r['topic_type'] if r['topic_type'] else ''}] {r['id']} "
            f"得分 {r['score']:.4f} 回复{r['metrics']['replies']} 点赞{r['metrics']['reactions']}\n   {text[:120]}"
        )
    return 0


def cmd_stats(svc: Services, args: argparse.Namespace) -> int:
    stats = svc.stats()
    if args.json:
        _dump(stats)
        return 0
    print(f"知识库共 {svc.store.count()} 条")
    for title, key in (("按内容类型", "content_type"), ("按话题类型", "topic_type"), ("按群", "group")):
        print(f"{title}：")
        for name, n in stats[key].items():
            print(f"  {name}\t{n}")
    return 0


def parser() -> argparse.ArgumentParser:
    """The argparse tree for every subcommand."""
    p = argparse.ArgumentParser(prog="copilot", description="社群内容副驾：按 IP 人设起草社群每日内容")
    p.add_argument("-v", "--verbose", action="store_true", help="输出调试日志")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("init", help="知识库为空时导入示例品牌")
    s.add_argument("--force", action="store_true", help="即使知识库不为空也导入")
    s.set_defaults(func=cmd_init)

    s = sub.add_parser("ingest", help="导入人设文件、往期帖子（CSV/XLSX/JSONL/MD/TXT）和文档")
    s.add_argument("files", nargs="*", help="帖子文件")
    s.add_argument("--persona", help="人设 YAML 文件")
    s.add_argument("--doc", action="append", help="SOP / 产品文档（Markdown 或文本，可重复）")
    s.set_defaults(func=cmd_ingest)

    s = sub.add_parser("search", help="混合检索往期帖子")
    s.add_argument("query")
    s.add_argument("--k", type=int, default=5)
    s.add_argument("--type", help="内容类型，如 早安")
    s.add_argument("--topic", help="话题类型，如 情怀共鸣")
    s.add_argument("--group", help="群名")
    s.add_argument("--boost", type=float, default=0.0, help="按互动表现加权（0-1）")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_search)

    s = sub.add_parser("stats", help="按类型统计知识库")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_stats)
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
