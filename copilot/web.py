"""The Gradio app: layout and wiring only; every handler lives in copilot.handlers."""

from __future__ import annotations

import datetime as dt
import logging

import gradio as gr

from copilot import handlers as h
from copilot import handlers_group as hg
from copilot.config import LLM_PRESETS
from copilot.draft import SCRIPT_KINDS
from copilot.readers import DOC_TYPE
from copilot.records import CONTENT_TYPES, TOPIC_TYPES
from copilot.services import Services

log = logging.getLogger(__name__)

CSS = """
.gradio-container {max-width: 1200px !important; margin: auto;}
footer {display: none !important;}
.slot-card {border: 1px solid #d9e7df; border-radius: 10px; padding: 6px;}
"""


def theme() -> gr.themes.Base:
    """Local system fonts only (no web-font downloads); CJK through the system font."""
    return gr.themes.Soft(
        primary_hue="emerald",
        font=["PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", "Noto Sans CJK SC", "system-ui", "sans-serif"],
        font_mono=["ui-monospace", "monospace"],
    )


def _author(request: gr.Request | None) -> str:
    return (getattr(request, "username", None) or "运营") if request is not None else "运营"


def _groups(svc: Services) -> list[str]:
    try:
        return [g.name for g in svc.persona().groups]
    except Exception:  # noqa: BLE001 - no persona yet: the knowledge tab says what to do
        return []


class _Card:
    """The components of one slot card."""

    def __init__(self, n: int) -> None:
        with gr.Group(visible=False, elem_classes=["slot-card"], elem_id=f"card-{n}") as self.box:
            self.header = gr.Markdown()
            with gr.Row():
                with gr.Column(scale=3):
                    self.text = gr.Textbox(
                        label="草稿（可直接修改）", lines=7, buttons=["copy"], elem_id=f"card-{n}-text"
                    )
                    with gr.Row():
                        self.save = gr.Button("保存修改", size="sm", elem_id=f"card-{n}-save")
                        self.approve = gr.Button("通过", variant="primary", size="sm", elem_id=f"card-{n}-approve")
                        self.regen = gr.Button("重新生成", size="sm", elem_id=f"card-{n}-regen")
                        self.rewrite = gr.Button("人设改写", size="sm", elem_id=f"card-{n}-rewrite")
                        self.reopen = gr.Button("重新打开", size="sm", elem_id=f"card-{n}-reopen")
                    self.ack = gr.Checkbox(
                        label="已核对提示（这条有过期、来源不明或内部信息提示时，通过前必须勾选）",
                        value=False,
                        visible=False,
                        elem_id=f"card-{n}-ack",
                    )
                    with gr.Row():
                        self.reason = gr.Textbox(label="驳回原因", scale=3, lines=1, elem_id=f"card-{n}-reason")
                        self.reject = gr.Button("驳回", variant="stop", size="sm", scale=1, elem_id=f"card-{n}-reject")
                    self.status = gr.Markdown(elem_id=f"card-{n}-status")
                with gr.Column(scale=2):
                    self.meta = gr.Markdown()
                    with gr.Accordion("参考来源", open=False):
                        self.sources = gr.Markdown()
            self.rid = gr.State("")
            self.version = gr.State(0)

    @property
    def outputs(self) -> list:
        return [self.box, self.header, self.text, self.meta, self.sources, self.rid, self.version, self.ack]

    @staticmethod
    def values(c: dict | None) -> list:
        if c is None:
            return [gr.update(visible=False), "", "", "", "", "", 0, gr.update(value=False, visible=False)]
        ack = gr.update(value=False, visible=bool(c.get("needs_ack")))
        return [gr.update(visible=True), c["header"], c["text"], c["meta"], c["sources"], c["id"], c["version"], ack]

    @staticmethod
    def keep() -> list:
        return [gr.update()] * 8


def _wire(svc: Services, c: _Card, notes: gr.Textbox) -> None:
    """Connect a card's buttons: save, approve (with the 已核对提示 box), reject, reopen, rewrite, regenerate."""

    def act(action: str, c: _Card = c):  # noqa: ANN202
        def run(rid, text, version, reason, ack, request: gr.Request):  # noqa: ANN001, ANN202
            refreshed, msg = h.card_action(svc, action, rid, text, version, reason, _author(request), ack)
            return [*(_Card.values(refreshed) if refreshed else _Card.keep()), msg]

        return run

    ins = [c.rid, c.text, c.version, c.reason, c.ack]
    outs = [*c.outputs, c.status]
    for button, action in (
        (c.save, "save"),
        (c.approve, "approve"),
        (c.reject, "reject"),
        (c.reopen, "reopen"),
        (c.rewrite, "rewrite"),
    ):
        button.click(act(action), ins, outs)

    def regen(rid, version, n, request: gr.Request, c: _Card = c):  # noqa: ANN001, ANN202
        for text, refreshed, msg in h.regenerate(svc, rid, version, _author(request), n or ""):
            if refreshed is not None:
                yield [*_Card.values(refreshed), msg]
            elif text:
                yield [*_Card.keep()[:2], text, *_Card.keep()[3:], msg]
            else:
                yield [*_Card.keep(), msg]

    c.regen.click(regen, [c.rid, c.version, notes], outs)


def _today_tab(svc: Services) -> gr.Dropdown:
    with gr.Tab("今日内容", id="today"):
        with gr.Row():
            group = gr.Dropdown(
                _groups(svc), value=next(iter(_groups(svc)), None), label="群", scale=2, elem_id="day-group"
            )
            date = gr.Textbox(dt.date.today().isoformat(), label="日期（YYYY-MM-DD）", scale=1, elem_id="day-date")
            go = gr.Button("生成今天的内容", variant="primary", scale=1, elem_id="day-generate")
        notes = gr.Textbox(
            label="今天的活动 / 通知（可选：时间、价格、福利、报名方式…，活动和公告时段会照抄，不会编造）",
            lines=2,
            elem_id="day-notes",
        )
        note = gr.Markdown(elem_id="day-note")
        cards = [_Card(n) for n in range(h.MAX_CARDS)]

        def generate(g, d, n, request: gr.Request, progress=gr.Progress()):  # noqa: ANN001, ANN202, B008
            progress(0, desc="检索往期高互动帖子、起草中…")

            def step(done: int, total: int, draft) -> None:  # noqa: ANN001
                state = "完成" if draft.status == "ok" else "失败"
                progress((done, total), desc=f"{draft.slot_time} {draft.content_type} {state}", unit="个时段")

            made, msg = h.generate_day(svc, g or "", d or "", _author(request), progress=step, notes=n or "")
            values = [v for i in range(h.MAX_CARDS) for v in _Card.values(made[i] if i < len(made) else None)]
            return [msg, *values]

        go.click(generate, [group, date, notes], [note, *[o for c in cards for o in c.outputs]])

        for c in cards:
            _wire(svc, c, notes)
    return group


def _intro_tab(svc: Services) -> None:
    with gr.Tab("IP自我介绍", id="intro"):
        gr.Markdown("按「我是谁 → 我的品牌 → 我能给你什么 → 为什么信我」四段，生成三个长度。事实只用人设文件里写的。")
        go = gr.Button("生成自我介绍", variant="primary", elem_id="intro-generate")
        label = gr.Markdown()
        with gr.Row():
            full = gr.Textbox(label="完整版（分发到各群）", lines=10, buttons=["copy"], elem_id="intro-full")
            with gr.Column():
                welcome = gr.Textbox(label="欢迎版（新人进群）", lines=4, buttons=["copy"])
                card = gr.Textbox(label="名片版（一行）", lines=2, buttons=["copy"])
        with gr.Row():
            save = gr.Button("完整版放入审核队列", size="sm")
            saved = gr.Markdown()
        go.click(lambda: h.intro(svc), None, [full, welcome, card, label])

        def queue_full(text: str, request: gr.Request) -> str:
            return h.queue_text(svc, text, "intro", "完整版", "", _author(request))

        save.click(queue_full, [full], saved)


def _topics_tab(svc: Services) -> None:
    with gr.Tab("话题工坊", id="topics"):
        gr.Markdown(
            "七类话题，每个都带开场帖、推动讨论的追问和讨论后的总结帖（开场 → 讨论 → 延伸 → 总结 → 分享 → 第二轮）。"
        )
        with gr.Row():
            ttype = gr.Dropdown(list(TOPIC_TYPES), value=TOPIC_TYPES[4], label="话题类型")
            n = gr.Slider(1, 5, value=3, step=1, label="个数")
            group = gr.Dropdown(_groups(svc), value=next(iter(_groups(svc)), None), label="群")
        event = gr.Textbox(label="热点事件（应用不联网：选「热点事件」时请写一句发生了什么）", lines=2)
        go = gr.Button("出话题", variant="primary", elem_id="topics-generate")
        out = gr.Markdown(elem_id="topics-out")
        go.click(lambda t, k, e, g: h.topics_markdown(svc, t, k, e, g), [ttype, n, event, group], out)
        with gr.Accordion("群规 / 群公告 / 欢迎语 / 活动脚本 / 直播控场流程", open=False):
            with gr.Row():
                kind = gr.Dropdown(list(SCRIPT_KINDS), value="欢迎语", label="类型")
                sgroup = gr.Dropdown(_groups(svc), value=next(iter(_groups(svc)), None), label="群")
            details = gr.Textbox(label="活动信息（时间、价格、福利…）", lines=2)
            sgo = gr.Button("生成脚本")
            sout = gr.Textbox(label="脚本", lines=14, buttons=["copy"])
            sgo.click(lambda k, g, d: h.script(svc, k, g, d), [kind, sgroup, details], sout)


def _rewrite_tab(svc: Services) -> None:
    with gr.Tab("人设改写", id="rewrite"):
        gr.Markdown(
            "把通用 AI 文案改成人设本人的口吻：称呼、口头禅、表情、落款、句子节奏；时间、日期、价格、数字、链接一个字不改。"
        )
        with gr.Row():
            src = gr.Textbox(label="原文", lines=10, placeholder="粘贴 AI 写的文案…", elem_id="rewrite-input")
            out = gr.Textbox(label="改写后", lines=10, buttons=["copy"], elem_id="rewrite-output")
        go = gr.Button("改写", variant="primary", elem_id="rewrite-go")
        notes = gr.Markdown()
        diff = gr.HighlightedText(
            label="对比（绿色新增，红色删除）",
            color_map={"新增": "green", "删除": "red"},
            combine_adjacent=True,
            show_legend=True,
        )
        with gr.Row():
            save = gr.Button("放入审核队列", size="sm")
            saved = gr.Markdown()
        go.click(lambda t: h.rewrite_text(svc, t), [src], [out, diff, notes])

        def queue_rewrite(text: str, request: gr.Request) -> str:
            return h.queue_text(svc, text, "rewrite", "人设改写", "", _author(request))

        save.click(queue_rewrite, [out], saved)


def _queue_tab(svc: Services):  # noqa: ANN202
    with gr.Tab("审核队列", id="queue"):
        with gr.Row():
            date = gr.Textbox(label="日期（留空为全部）", elem_id="queue-date")
            group = gr.Dropdown(h.group_filter_choices(_groups(svc)), value="", label="群")
            state = gr.Dropdown(h.STATE_CHOICES, value="", label="状态")
            refresh = gr.Button("刷新", elem_id="queue-refresh")
        table = gr.Dataframe(
            headers=["编号", "日期", "时间", "群", "类型", "状态", "版本", "人设分", "合规提示", "内容"],
            interactive=False,
            wrap=True,
            elem_id="queue-table",
            max_height=480,
        )
        with gr.Row():
            ids = gr.Textbox(
                label="批量通过：草稿编号（逗号或空格分隔；有提示的草稿会跳过，请在卡片上逐条核对）", scale=3
            )
            bulk = gr.Button("批量通过", variant="primary", scale=1)
        with gr.Row():
            fmt = gr.Radio(
                [("Markdown", "md"), ("CSV", "csv"), ("XLSX（SCRM 导入）", "xlsx")], value="csv", label="导出格式"
            )
            exp = gr.Button("导出已通过内容", elem_id="queue-export")
            file = gr.File(label="导出文件", interactive=False, elem_id="queue-file")
        with gr.Accordion("推送到企业微信群机器人 / 记录发布后的表现", open=False):
            with gr.Row():
                rid = gr.Textbox(label="草稿编号")
                url = gr.Textbox(label="群机器人 Webhook 地址", type="password")
                msgtype = gr.Radio([("文本", "text"), ("Markdown", "markdown")], value="text", label="消息类型")
            with gr.Row():
                push = gr.Button("推送")
                manual = gr.Button("我已手动发出（标记已发布）")
            with gr.Row():
                replies = gr.Number(label="回复数", value=0, precision=0)
                reactions = gr.Number(label="点赞数", value=0, precision=0)
                signups = gr.Number(label="报名数", value=0, precision=0)
                clicks = gr.Number(label="点击数", value=0, precision=0)
                fb = gr.Button("记录表现")
        msg = gr.Markdown(elem_id="queue-msg")
        with gr.Group():
            gr.Markdown("**打开一条草稿**（任何一天、刷新页面之后都能改：点上表的一行，或填编号）")
            with gr.Row():
                open_id = gr.Textbox(label="草稿编号", scale=3, elem_id="queue-open-id")
                open_btn = gr.Button("打开", scale=1, elem_id="queue-open")
            qnotes = gr.Textbox(label="今天的活动 / 通知（重新生成时用，可空）", lines=1)
            qcard = _Card(90)
            _wire(svc, qcard, qnotes)
            with gr.Accordion("历史版本（和上一版对比）", open=False):
                history = gr.Markdown(elem_id="queue-history")

        def open_draft(i):  # noqa: ANN001, ANN202
            shown, text = h.open_card(svc, i or "")
            if shown is None:
                return [*_Card.keep(), text, ""]
            return [*_Card.values(shown), text, h.versions_markdown(svc, i or "")]

        open_btn.click(open_draft, [open_id], [*qcard.outputs, qcard.status, history])
        open_id.submit(open_draft, [open_id], [*qcard.outputs, qcard.status, history])

        def pick(evt: gr.SelectData, rows):  # noqa: ANN001, ANN202
            row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
            values = rows.values.tolist() if hasattr(rows, "values") else rows
            rid = str(values[row][0]) if values and row < len(values) else ""
            return [rid, *open_draft(rid)]

        table.select(pick, [table], [open_id, *qcard.outputs, qcard.status, history])

        def load(d, g, s):  # noqa: ANN001, ANN202
            return h.queue_rows(svc, d or "", g or "", s or "")

        def do_bulk(text, d, g, s, request: gr.Request):  # noqa: ANN001, ANN202
            chosen = [x for x in text.replace("，", ",").replace(",", " ").split() if x]
            return h.bulk_approve(svc, chosen, _author(request)), load(d, g, s)

        def do_export(f, d, g):  # noqa: ANN001, ANN202
            path, text = h.export(svc, f, d or "", g or "")
            return path, text

        filters = [date, group, state]
        refresh.click(load, filters, table)
        date.submit(load, filters, table)
        bulk.click(do_bulk, [ids, *filters], [msg, table])
        exp.click(do_export, [fmt, date, group], [file, msg])

        def do_push(r: str, u: str, m: str, request: gr.Request):  # noqa: ANN202
            return h.push_draft(svc, r, u, m, _author(request)), load("", "", "")

        def do_manual(r: str, request: gr.Request):  # noqa: ANN202
            return h.mark_published(svc, r, _author(request)), load("", "", "")

        def do_feedback(r: str, a: float, b: float, c: float, d: float, request: gr.Request) -> str:
            return h.record_feedback(svc, r, a, b, c, d, _author(request))

        push.click(do_push, [rid, url, msgtype], [msg, table])
        manual.click(do_manual, [rid], [msg, table])
        fb.click(do_feedback, [rid, replies, reactions, signups, clicks], msg)
    return load, filters, table


def _calendar_tab(svc: Services) -> None:
    with gr.Tab("活动日历", id="calendar"):
        gr.Markdown(
            "草稿里的日期、价格、名额只从这里来（加上当天的运营备注和人设）。活动分三个阶段：预热（宣布、定日期）→ "
            "拉升（报人数、催、早中晚提醒）→ 爆破（就是当天）。「事实」会原样写进草稿；「备注」只给运营看。"
        )
        with gr.Row():
            month = gr.Textbox(dt.date.today().strftime("%Y-%m"), label="月份（YYYY-MM）", scale=1, elem_id="cal-month")
            show = gr.Button("查看这个月", scale=1, elem_id="cal-show")
            title = gr.Markdown()
        grid = gr.Dataframe(interactive=False, wrap=True, elem_id="cal-grid", max_height=420)
        table = gr.Dataframe(
            headers=["编号", "活动", "群", "开始", "结束", "阶段", "事实", "备注"],
            interactive=False,
            wrap=True,
            elem_id="cal-table",
        )
        with gr.Accordion("添加 / 修改活动（填编号就是修改）", open=False):
            with gr.Row():
                eid = gr.Textbox(label="编号（修改时填）", scale=1)
                name = gr.Textbox(label="活动名称", scale=2, elem_id="cal-name")
                group = gr.Dropdown(["所有群", *_groups(svc)], value="所有群", label="群", scale=2)
            with gr.Row():
                start = gr.Textbox(label="开始（YYYY-MM-DD）", elem_id="cal-start")
                end = gr.Textbox(label="结束（YYYY-MM-DD）", elem_id="cal-end")
            with gr.Row():
                warmup = gr.Textbox(label="预热（开始..结束，可空）", placeholder="2026-12-08..2026-12-09")
                build = gr.Textbox(label="拉升（可空）")
                peak = gr.Textbox(label="爆破（可空）")
            facts = gr.Textbox(
                label="事实（时间、价格、福利、名额、链接…会原样写进草稿）", lines=2, elem_id="cal-facts"
            )
            notes = gr.Textbox(label="备注（只给运营看）", lines=1)
            with gr.Row():
                save = gr.Button("保存活动", variant="primary", elem_id="cal-save")
                remove = gr.Button("删除这个编号的活动", variant="stop")
        with gr.Row():
            upload = gr.File(
                label="导入活动日历（YAML / JSON / CSV，可多选）",
                file_types=[".yaml", ".yml", ".json", ".csv"],
                file_count="multiple",
            )
            imp = gr.Button("导入")
        msg = gr.Markdown(elem_id="cal-msg")

        def refresh(m):  # noqa: ANN001, ANN202
            headers, rows, text = h.calendar_month(svc, m or "")
            return gr.update(value=rows, headers=headers), text, h.calendar_rows(svc)

        views = [grid, title, table]
        show.click(refresh, [month], views)
        month.submit(refresh, [month], views)
        form = [eid, name, group, start, end, warmup, build, peak, facts, notes]
        save.click(lambda *v: h.calendar_save(svc, *v), form, msg).then(refresh, [month], views)
        remove.click(lambda i: h.calendar_remove(svc, i), [eid], msg).then(refresh, [month], views)
        imp.click(lambda f: h.calendar_import(svc, f), [upload], msg).then(refresh, [month], views)


def _knowledge_tab(svc: Services, group_pickers: list[gr.Dropdown]):  # noqa: ANN202
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
            chart = gr.BarPlot(x="帖子", y="互动分", title="互动最高的 10 条帖子", label="互动最高的帖子", sort="-y")
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
            plot = pd.DataFrame([[str(r[0]), r[7]] for r in best], columns=["帖子", "互动分"])
            return rows, plot, best

        def do_upload(fs, ds, progress=gr.Progress()):  # noqa: ANN001, ANN202, B008
            def report(label: str, done: int, total: int) -> None:
                progress((done, max(total, 1)), desc=f"写入 {label}", unit="条")

            msg = h.upload_knowledge(svc, list(fs or []), list(ds or []), progress=report)
            names = _groups(svc)  # a new persona file can bring new groups
            pickers = [gr.update(choices=names, value=names[0] if names else None) for _ in group_pickers]
            return (msg, *refresh(), *pickers)

        upload.click(do_upload, [files, docs], [result, counts, chart, top, *group_pickers])
        query.submit(lambda q, c, t: h.search_knowledge(svc, q, 8, c, t), [query, ctype, ttype], hits)
        return refresh, [counts, chart, top]


def _persona_tab(svc: Services):  # noqa: ANN202
    from copilot.persona_edit import list_versions

    with gr.Tab("人设编辑", id="persona"):
        gr.Markdown(
            "不写 YAML 也能改人设：列表项用「、」或换行分隔，时段写成「08:00 早安；12:30 话题」。"
            "每次保存都是新版本，上一版留着，可以恢复。"
        )
        with gr.Row():
            name = gr.Textbox(label="名字（必填）", elem_id="persona-name")
            brand = gr.Textbox(label="品牌")
            industry = gr.Textbox(label="行业")
            archetype = gr.Dropdown([("未定", ""), ("亲民", "亲民"), ("专业", "专业")], value="", label="人设类型")
        with gr.Row():
            address = gr.Textbox(label="称呼（如 茶友们、家人们）")
            emoji = gr.Textbox(label="常用表情（空格分隔）")
            signoff = gr.Textbox(label="落款")
        with gr.Row():
            catchphrases = gr.Textbox(label="口头禅（一行一句）", lines=3)
            tone = gr.Textbox(label="语气特点", lines=3)
            taboo = gr.Textbox(label="禁用词", lines=3)
        with gr.Row():
            who = gr.Textbox(label="自我介绍：我是谁", lines=2)
            ibrand = gr.Textbox(label="我的品牌", lines=2)
            value = gr.Textbox(label="我能给你什么", lines=2)
            trust = gr.Textbox(label="为什么信我", lines=2)
        internal = gr.Textbox(label="内部备注（只给运营看，起草时当背景，不会写进群消息；一行一条）", lines=2)
        groups = gr.Dataframe(
            headers=[
                "群名",
                "类型（引流群/活动群/转化群/学习群）",
                "定位（只给运营看）",
                "时段（08:00 早安；12:30 话题）",
                "给成员看的介绍",
                "昵称格式",
                "开群日",
                "解散日",
                "解散后去的群",
            ],
            column_count=9,
            interactive=True,
            wrap=True,
            label="群与时段（可加行）",
            elem_id="persona-groups",
        )
        with gr.Row():
            save = gr.Button("保存为新版本", variant="primary", elem_id="persona-save")
            reload = gr.Button("重新载入")
        msg = gr.Markdown(elem_id="persona-msg")
        with gr.Row():
            versions = gr.Dropdown(list_versions(svc.settings.persona_path), label="历史版本", scale=3)
            restore = gr.Button("恢复这个版本", scale=1)
        fields: list[gr.components.Component] = [
            internal,
            name,
            brand,
            industry,
            archetype,
            address,
            catchphrases,
            emoji,
        ]
        fields += [signoff, tone, taboo, who, ibrand, value, trust, groups]

        def values(form: dict) -> list:
            return [form[k] for k in hg.PERSONA_FIELDS]

        def load():  # noqa: ANN202
            return values(hg.persona_form(svc))

        def do_save(it, n, b, i, a, ad, cp, em, so, to, tb, w, ib, v, tr, table, request: gr.Request):  # noqa: ANN001, ANN202
            rows = table.values.tolist() if hasattr(table, "values") else list(table or [])
            form = dict(
                zip(hg.PERSONA_FIELDS, [it, n, b, i, a, ad, cp, em, so, to, tb, w, ib, v, tr, rows], strict=True)
            )
            text, names = hg.save_persona(svc, form, _author(request))
            return text, gr.update(choices=names, value=None)

        def do_restore(v):  # noqa: ANN001, ANN202
            text, form = hg.restore_persona(svc, v or "")
            return [text, gr.update(choices=list_versions(svc.settings.persona_path)), *values(form)]

        save.click(do_save, fields, [msg, versions])
        reload.click(load, None, fields)
        restore.click(do_restore, [versions], [msg, versions, *fields])
    return load, fields


def _chat_tab(svc: Services) -> None:
    with gr.Tab("群数据", id="chat"):
        gr.Markdown(
            "上传群聊导出记录（chatlog JSON/CSV、PyWxDump CSV、留痕 CSV、企业微信会话存档 JSONL，自动识别）。"
            "IP 的每条消息成为往期帖子，带上之后成员的回复、回复人数、引用回复和接龙报名；成员消息按小时统计成群的节奏。"
        )
        with gr.Row():
            file = gr.File(label="聊天记录导出文件", file_types=list(hg.CHAT_UPLOADS), elem_id="chat-file")
            with gr.Column():
                ip = gr.Textbox(
                    label="IP 本人（发送者编号、群昵称，或 self＝导出者本人）", value="self", elem_id="chat-ip"
                )
                cgroup = gr.Textbox(label="群名（可选：选导出里的一个群，或给群起名）", elem_id="chat-group")
                with gr.Row():
                    window = gr.Number(label="统计窗口（分钟）", value=60, precision=0)
                    since = gr.Textbox(label="只导入此日期以后（可选）", placeholder="2026-11-01")
        with gr.Row():
            go = gr.Button("导入聊天记录", variant="primary", elem_id="chat-import", scale=3)
            draft = gr.Button("从 IP 的消息起草人设", scale=1, elem_id="chat-draft")
        result = gr.Textbox(label="导入结果", lines=2, interactive=False, elem_id="chat-result")
        with gr.Accordion(
            "人设草稿（YAML：补全「待填写」后在知识库上传，或照着填「人设编辑」）", open=False
        ) as draft_box:
            drafted = gr.Code(language="yaml", label="persona.yaml", elem_id="chat-draft-yaml")
        posts = gr.Dataframe(
            headers=["编号", "时间", "群", "类型", "话题类型", "回复", "回复人数", "引用", "报名", "内容"],
            label="IP 的帖子与互动（类型和话题类型是猜的：直接在表里改，再点「保存类型修改」）",
            interactive=True,
            static_columns=[0, 1, 2, 5, 6, 7, 8, 9],
            wrap=True,
            max_height=320,
            elem_id="chat-posts",
        )
        with gr.Row():
            retype = gr.Button("保存类型修改", size="sm", elem_id="chat-retype")
            retyped = gr.Markdown()
        gr.Markdown("### 群的节奏")
        with gr.Row():
            pick = gr.Dropdown(_groups(svc) or svc.activity.groups(), label="群", allow_custom_value=True, scale=3)
            show = gr.Button("查看", scale=1, elem_id="chat-show")
        summary = gr.Markdown(elem_id="chat-summary")
        chart = gr.BarPlot(
            x="小时", y="成员消息", color="标记", title="各小时成员消息数（标出了当前时段）", label="活跃时段", sort="x"
        )
        advice = gr.Markdown(elem_id="chat-advice")
        with gr.Row():
            by_type = gr.Dataframe(
                headers=["内容类型", "帖子数", "平均回复", "平均回复人数", "平均报名", "平均互动分"],
                label="按内容类型的互动",
                interactive=False,
            )
            by_topic = gr.Dataframe(
                headers=["话题类型", "帖子数", "平均回复", "平均回复人数", "平均报名", "平均互动分"],
                label="按话题类型的互动",
                interactive=False,
            )
        top = gr.Dataframe(
            headers=["日期", "类型", "回复", "回复人数", "引用", "报名", "互动分", "内容"],
            label="互动最高的帖子",
            interactive=False,
            wrap=True,
        )

        def view(g):  # noqa: ANN001, ANN202
            import pandas as pd

            d = hg.group_data(svc, g or "")
            plot = pd.DataFrame(d["hours"], columns=["小时", "成员消息", "标记"])
            return d["summary"], plot, d["advice"], d["by_type"], d["by_topic"], d["top"], d["posts"]

        def run(f, who, g, w, s, progress=gr.Progress()):  # noqa: ANN001, ANN202, B008
            def report(label: str, done: int, total: int) -> None:
                progress((done, max(total, 1)), desc=label)

            msg, rows = hg.import_chat(svc, f, who or "", g or "", w or 60, s or "", progress=report)
            groups = sorted({str(r[2]) for r in rows})
            chosen = groups[0] if groups else (g or None)
            choices = sorted(set(_groups(svc)) | set(svc.activity.groups()))
            return (msg, gr.update(choices=choices, value=chosen), *view(chosen)[:-1], rows)

        def do_retype(table):  # noqa: ANN001, ANN202
            rows = table.values.tolist() if hasattr(table, "values") else list(table or [])
            return hg.retype_posts(svc, rows)

        outs = [summary, chart, advice, by_type, by_topic, top, posts]
        go.click(run, [file, ip, cgroup, window, since], [result, pick, *outs])
        retype.click(do_retype, [posts], retyped)
        draft.click(
            lambda f, who, g: (gr.update(open=True), hg.draft_persona(f, who or "", g or "")),
            [file, ip, cgroup],
            [draft_box, drafted],
        )
        show.click(view, [pick], outs)
        pick.input(view, [pick], outs)


def _eval_tab(svc: Services) -> None:
    from copilot.evaluate import SUITE_DIR

    with gr.Tab("评测", id="eval"):
        gr.Markdown(
            "用评测集检查草稿是否保持人设口吻：人设分、AI 味、称呼、禁用词、广告法用语、长度、事实保留。换提示词、换模型、改知识库后跑一遍。"
        )
        suites = sorted(p.stem for p in SUITE_DIR.glob("*.yaml"))
        with gr.Row():
            suite = gr.Dropdown(suites, value=suites[0] if suites else None, label="评测集", elem_id="eval-suite")
            go = gr.Button("运行评测", variant="primary", elem_id="eval-run")
        summary = gr.Markdown(elem_id="eval-summary")
        with gr.Row():
            chart = gr.Image(label="人设分（柱）与 AI 味（线）", type="filepath", elem_id="eval-chart")
            report = gr.File(label="HTML 报告", interactive=False)

        def run(s, progress=gr.Progress()):  # noqa: ANN001, ANN202, B008
            def step(done: int, total: int, case: str) -> None:
                progress((done, max(total, 1)), desc=f"用例 {case}", unit="个用例")

            return h.run_eval(svc, s, progress=step)

        go.click(run, [suite], [summary, chart, report])


def _settings_tab(svc: Services) -> None:
    with gr.Tab("设置", id="settings"):
        status = gr.Markdown(h.llm_status(svc))
        gr.Markdown(
            "任意 OpenAI 兼容接口都可以用。保存后写进工作区，重启后仍然有效；API Key 单独存成只有本人可读的文件（权限 0600），"
            "不会显示、不会写日志。环境变量或 `.env` 里写了的项优先。"
        )
        with gr.Row():
            preset = gr.Dropdown(
                [("模板起草器（离线）", "template"), *[(k, k) for k in LLM_PRESETS]],
                value=svc.settings.llm_preset or "template",
                label="预设",
            )
            model = gr.Textbox(label="模型名（留空用预设默认）", value=svc.settings.llm_model)
        with gr.Row():
            base = gr.Textbox(label="Base URL（留空用预设地址）", value=svc.settings.llm_base_url)
            key = gr.Textbox(label="API Key", type="password", placeholder="已设置则留空表示不变")
        with gr.Row():
            save = gr.Button("保存", variant="primary")
            test = gr.Button("测试连接")
        msg = gr.Markdown()
        save.click(
            lambda p, b, m, k: (h.apply_llm(svc, p, b, m, k), "", h.llm_status(svc)),
            [preset, base, model, key],
            [msg, key, status],
        )
        test.click(lambda: h.test_llm(svc), None, msg)


def build_demo(svc: Services) -> gr.Blocks:
    """The whole app as one Blocks object."""
    with gr.Blocks(title="社群内容副驾") as demo:
        gr.Markdown("# 社群内容副驾\n按 IP 人设起草每日社群内容 · 人工审核后再发")
        with gr.Tabs():
            day_group = _today_tab(svc)
            _intro_tab(svc)
            _topics_tab(svc)
            _rewrite_tab(svc)
            load_queue, filters, table = _queue_tab(svc)
            _calendar_tab(svc)
            refresh_kb, kb_outputs = _knowledge_tab(svc, [day_group])
            load_persona_form, persona_fields = _persona_tab(svc)
            _chat_tab(svc)
            _eval_tab(svc)
            _settings_tab(svc)
        demo.load(refresh_kb, None, kb_outputs)
        demo.load(load_persona_form, None, persona_fields)
        demo.load(lambda: load_queue("", "", ""), None, table)
    return demo


def launch(svc: Services, host: str = "127.0.0.1", port: int = 7860, *, block: bool = True) -> gr.Blocks:
    """Start the server (blocking unless block=False); COPILOT_AUTH=user:pass[,user:pass] turns on login,
    behind a gate that shows nothing but a login page before login and throttles wrong passwords."""
    from starlette.middleware import Middleware

    from copilot.login import LoginGate

    auth = [tuple(pair.split(":", 1)) for pair in svc.settings.auth.split(",") if ":" in pair] or None
    demo = build_demo(svc)
    demo.queue(default_concurrency_limit=4).launch(
        prevent_thread_lock=not block,
        app_kwargs={"middleware": [Middleware(LoginGate)]} if auth else None,
        server_name=host,
        server_port=port,
        theme=theme(),
        css=CSS,
        show_error=False,
        inbrowser=False,
        auth=auth,
        auth_message="社群内容副驾：请登录" if auth else None,
        max_file_size=f"{int(svc.settings.max_upload_mb)}mb",
        footer_links=[],
    )
    return demo
