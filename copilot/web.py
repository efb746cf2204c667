"""The Gradio app: layout and wiring only; every handler lives in copilot.handlers."""

from __future__ import annotations

import logging

import gradio as gr

from copilot import handlers as h
from copilot.readers import DOC_TYPE
from copilot.records import CONTENT_TYPES, TOPIC_TYPES
from copilot.services import Services

log = logging.getLogger(__name__)

CSS = """
.gradio-container {max-width: 1200px !important; margin: auto;}
footer {display: none !important;}
"""


def theme() -> gr.themes.Base:
    """A theme with local system fonts only (no web-font downloads); CJK via the system font."""
    return gr.themes.Soft(
        primary_hue="emerald",
        font=["PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", "Noto Sans CJK SC", "system-ui", "sans-serif"],
        font_mono=["ui-monospace", "monospace"],
    )


def _knowledge_tab(svc: Services) -> None:
    with gr.Tab("知识库", id="knowledge"):
        gr.Markdown(
            "上传人设（YAML）与往期帖子（CSV / XLSX / JSONL / MD / TXT，支持 GBK 导出）。每个文件要么全部导入，要么整份拒收并说明原因。"
        )
        with gr.Row():
            files = gr.File(label="人设 / 帖子文件", file_count="multiple", file_types=list(h.ALLOWED_UPLOADS))
            docs = gr.File(label="SOP / 产品文档（按标题切分）", file_count="multiple", file_types=[".md", ".txt"])
        upload = gr.Button("导入", variant="primary")
        result = gr.Textbox(label="导入结果", lines=4, interactive=False)
        with gr.Row():
            counts = gr.Dataframe(headers=["内容类型", "条数"], label="按类型统计", interactive=False)
            chart = gr.BarPlot(x="内容类型", y="条数", title="各类型条数", label="各类型条数")
        top = gr.Dataframe(
            headers=["编号", "群", "类型", "内容", "回复", "点赞", "报名", "互动分"],
            label="互动最高的帖子",
            interactive=False,
            wrap=True,
        )
        with gr.Accordion("检索测试", open=False):
            with gr.Row():
                query = gr.Textbox(label="检索词", placeholder="例如：梅雨天茶叶怎么存", scale=3)
                ctype = gr.Dropdown(["", *CONTENT_TYPES, DOC_TYPE], value="", label="内容类型")
                ttype = gr.Dropdown(["", *TOPIC_TYPES], value="", label="话题类型")
            hits = gr.Dataframe(
                headers=["编号", "类型", "话题", "群", "得分", "回复", "内容"], wrap=True, interactive=False
            )

        def refresh():  # noqa: ANN202
            import pandas as pd

            rows, best = h.knowledge_stats(svc)
            return rows, pd.DataFrame(rows, columns=["内容类型", "条数"]), best

        def do_upload(fs, ds, progress=gr.Progress()):  # noqa: ANN001, ANN202, B008
            def report(label: str, done: int, total: int) -> None:
                progress((done, max(total, 1)), desc=f"写入 {label}", unit="条")

            msg = h.upload_knowledge(svc, [f for f in fs or []], [d for d in ds or []], progress=report)
            return (msg, *refresh())

        upload.click(do_upload, [files, docs], [result, counts, chart, top])
        query.submit(lambda q, c, t: h.search_knowledge(svc, q, 8, c, t), [query, ctype, ttype], hits)
        return refresh, [counts, chart, top]


def build_demo(svc: Services) -> gr.Blocks:
    """The whole app as one Blocks object."""
    with gr.Blocks(title="社群内容副驾") as demo:
        gr.Markdown("# 社群内容副驾\n按 IP 人设起草每日社群内容，人工审核后再发。")
        with gr.Tabs():
            refresh, outputs = _knowledge_tab(svc)
        demo.load(refresh, None, outputs)
    return demo


def launch(svc: Services, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Start the server (blocking)."""
    demo = build_demo(svc)
    demo.queue(default_concurrency_limit=4).launch(
        server_name=host,
        server_port=port,
        theme=theme(),
        css=CSS,
        show_error=False,
        inbrowser=False,
    )
