"""Gradio entry point: `python app.py` (what `make run` starts) serves the app on 127.0.0.1:7860."""

from __future__ import annotations

import argparse
import logging

import copilot  # noqa: F401 - sets the offline environment before gradio is imported
from copilot.services import build


def main() -> None:
    """Parse host/port and launch the app."""
    parser = argparse.ArgumentParser(description="社群内容副驾 Web 应用")
    parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认只监听本机）")
    parser.add_argument("--port", type=int, default=7860)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from copilot.web import launch

    svc = build()
    svc.warm()
    print(f"社群内容副驾已启动：http://{args.host}:{args.port}", flush=True)
    launch(svc, args.host, args.port)


if __name__ == "__main__":
    main()
