"""Gradio entry point: `python app.py` (what `make run` starts) serves the app on 127.0.0.1:7860."""

from __future__ import annotations

import logging
import threading

import copilot  # noqa: F401 - sets the offline environment before gradio is imported
from copilot.argparse_zh import ChineseParser
from copilot.ingest import summary
from copilot.services import build


def main() -> None:
    """Ingest the demo brand into an empty workspace, warm up in the background and launch the app."""
    parser = ChineseParser(description="社群内容副驾 Web 应用")
    parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认只监听本机）")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--no-demo", action="store_true", help="知识库为空时也不导入示例品牌")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    svc = build()
    if not args.no_demo:
        report = svc.ingest_demo()
        if report is not None:
            print("知识库为空，已导入示例品牌「山茶小院」。" + summary(report), flush=True)
    from copilot.web import launch

    # Index, tokenizer and voice profile load while the server starts; the first request waits only if it needs them.
    threading.Thread(target=svc.warm, name="warm-up", daemon=True).start()
    print(f"社群内容副驾已启动：http://{args.host}:{args.port}", flush=True)
    launch(svc, args.host, args.port)


if __name__ == "__main__":
    main()
