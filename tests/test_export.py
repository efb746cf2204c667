"""Export of approved posts: rows, Markdown, CSV with BOM and the 群发SOP workbook, read back and checked."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

from copilot.draft import Draft
from copilot.export import COLUMNS, SHEET_NAME, export_rows, to_csv, to_markdown, to_xlsx, write_markdown
from copilot.review import Record, ReviewStore

GROUP_A = "山茶小院·茶友福利群"
GROUP_B = "山茶小院·识茶营"


def _record(rid: str, date: str, slot: str, group: str, ctype: str, text: str, state: str = "approved") -> Record:
    return Record(
        id=rid,
        kind="day",
        group=group,
        date=date,
        slot_time=slot,
        content_type=ctype,
        title="",
        state=state,
        version=1,
        text=text,
        model="template",
        prompt="day@1",
        sources=(),
        notes=(),
        prompt_tokens=0,
        completion_tokens=0,
        voice_score=None,
        flags=(),
        reject_reason="",
        push_result="",
        metrics={},
        author="小林",
        created_at="2026-11-20T09:00:00",
        updated_at="2026-11-20T09:00:00",
    )


@pytest.fixture
def records() -> list[Record]:
    """Out-of-order records over two days and two groups, plus a draft and a rejected one to leave out."""
    return [
        _record("r5", "2026-11-25", "08:00", GROUP_A, "早安", "茶友们早上好🍵 周三啦，喝口热茶再开工。"),
        _record("r3", "2026-11-24", "21:30", GROUP_A, "晚安", "晚安啦茶友们，明天见。\n——阿禾，在茶山"),
        _record("r2", "2026-11-24", "12:30", GROUP_B, "干货", "白茶别用滚开的水冲，85 度左右就够了。", "published"),
        _record("r1", "2026-11-24", "08:00", GROUP_A, "早安", "茶友们早上好呀🍵 今天山里下了一夜雨。"),
        _record("r4", "2026-11-24", "12:30", GROUP_A, "话题", "你们小时候家里有没有一个搪瓷缸子？"),
        _record("x1", "2026-11-24", "10:00", GROUP_A, "干货", "还在审核的草稿", "draft"),
        _record("x2", "2026-11-24", "11:00", GROUP_A, "干货", "被驳回的草稿", "rejected"),
    ]


def test_rows_sorted_by_date_time_group_and_only_approved(records: list[Record]) -> None:
    rows = export_rows(records)
    assert [r["编号"] for r in rows] == ["r1", "r4", "r2", "r3", "r5"]
    assert set(rows[0]) == {*COLUMNS, "编号"}
    assert rows[0] == {
        "日期": "2026-11-24",
        "时间": "08:00",
        "群": GROUP_A,
        "内容类型": "早安",
        "内容": "茶友们早上好呀🍵 今天山里下了一夜雨。",
        "编号": "r1",
    }


def test_rows_pad_times_and_put_untimed_posts_last() -> None:
    rows = export_rows(
        [
            _record("intro", "2026-11-24", "", GROUP_A, "自我介绍", "我是阿禾，在临沧的茶山长大。"),
            _record("morning", "2026-11-24", "8:05", GROUP_A, "早安", "早上好"),
        ]
    )
    assert [(r["编号"], r["时间"]) for r in rows] == [("morning", "08:05"), ("intro", "")]


def test_markdown_grouped_by_date_and_group(records: list[Record]) -> None:
    md = to_markdown(records)
    lines = md.splitlines()
    headings = [line for line in lines if line.startswith("#")]
    assert headings == [
        "# 2026-11-24",
        f"## {GROUP_A}",
        "### 08:00 早安",
        "### 12:30 话题",
        "### 21:30 晚安",
        f"## {GROUP_B}",
        "### 12:30 干货",
        "# 2026-11-25",
        f"## {GROUP_A}",
        "### 08:00 早安",
    ]
    assert "——阿禾，在茶山" in md
    assert "还在审核的草稿" not in md and "被驳回的草稿" not in md
    assert lines[lines.index("### 12:30 话题") + 2] == "你们小时候家里有没有一个搪瓷缸子？"


def test_markdown_of_nothing_is_empty() -> None:
    assert to_markdown([]) == ""


def test_csv_has_bom_header_and_rows(records: list[Record], tmp_path: Path) -> None:
    path = to_csv(records, tmp_path / "导出" / "群发.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["日期", "时间", "群", "内容类型", "内容"]
    assert [r[:4] for r in rows[1:]] == [
        ["2026-11-24", "08:00", GROUP_A, "早安"],
        ["2026-11-24", "12:30", GROUP_A, "话题"],
        ["2026-11-24", "12:30", GROUP_B, "干货"],
        ["2026-11-24", "21:30", GROUP_A, "晚安"],
        ["2026-11-25", "08:00", GROUP_A, "早安"],
    ]
    assert rows[4][4] == "晚安啦茶友们，明天见。\n——阿禾，在茶山"  # multi-line content survives the round trip
    assert not list(tmp_path.joinpath("导出").glob(".*.tmp"))


def test_each_export_gets_a_new_file_name_and_never_overwrites(records: list[Record], tmp_path: Path) -> None:
    path = tmp_path / "群发.csv"
    path.write_text("旧内容", encoding="utf-8")
    victim = tmp_path / "别的文件.txt"
    victim.write_text("别动我", "utf-8")
    (tmp_path / "群发-2.csv").symlink_to(victim)
    first, second = to_csv(records[:1], path), to_csv(records[:1], path)
    assert path.read_text("utf-8") == "旧内容" and victim.read_text("utf-8") == "别动我"
    assert [first.name, second.name] == ["群发-3.csv", "群发-4.csv"]
    md = [write_markdown(records, tmp_path / "群发.md") for _ in range(2)]
    assert [p.name for p in md] == ["群发.md", "群发-2.md"] and md[1].read_text("utf-8").startswith("# 2026-11-24")
    with first.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 2 and rows[1][4].startswith("茶友们早上好🍵")
    assert not list(tmp_path.glob(".*.tmp"))


HOSTILE = [
    '=HYPERLINK("http://例子.cn","点我")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def test_csv_cells_that_would_run_as_formulas_are_neutralised(tmp_path: Path) -> None:
    recs = [_record(f"f{i}", "2026-11-24", f"0{i}:00", GROUP_A, "其他", t) for i, t in enumerate(HOSTILE)]
    recs.append(_record("g", "2026-11-24", "09:30", "=群名", "其他", "普通的一句话"))
    with to_csv(recs, tmp_path / "f.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))[1:]
    assert [r[4] for r in rows[: len(HOSTILE)]] == ["'" + t for t in HOSTILE]
    assert rows[-1][2] == "'=群名" and rows[-1][4] == "普通的一句话"


def test_xlsx_survives_control_characters_and_defuses_formulas(tmp_path: Path) -> None:
    text = "茶友们\x00早上好\x07\x1b[31m\x0b！\n第二行\t带制表符"
    recs = [
        _record("c", "2026-11-24", "08:00", GROUP_A, "早安", text),
        _record("h", "2026-11-24", "09:00", GROUP_A, "其他", HOSTILE[0]),
    ]
    ws = load_workbook(to_xlsx(recs, tmp_path / "c.xlsx"))[SHEET_NAME]
    assert ws["E2"].value == "茶友们早上好[31m！\n第二行\t带制表符"
    assert ws["E3"].value == "'" + HOSTILE[0] and ws["E3"].data_type == "s"


def test_markdown_export_escapes_html() -> None:
    rec = _record(
        "x", "2026-11-24", "08:00", "<b>群</b>", "早安", "<script>alert('茶')</script> & <img src=x onerror=1>"
    )
    md = to_markdown([rec])
    assert "<script>" not in md and "<img" not in md and "<b>" not in md
    assert "&lt;script&gt;alert('茶')&lt;/script&gt; &amp; &lt;img src=x onerror=1&gt;" in md


def test_xlsx_sheet_columns_text_cells_and_layout(records: list[Record], tmp_path: Path) -> None:
    path = to_xlsx(records, tmp_path / "群发SOP.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == [SHEET_NAME]
    ws = wb[SHEET_NAME]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0] == list(COLUMNS)
    assert [v[0:3] for v in values[1:]] == [
        ["2026-11-24", "08:00", GROUP_A],
        ["2026-11-24", "12:30", GROUP_A],
        ["2026-11-24", "12:30", GROUP_B],
        ["2026-11-24", "21:30", GROUP_A],
        ["2026-11-25", "08:00", GROUP_A],
    ]
    assert values[2][4] == "你们小时候家里有没有一个搪瓷缸子？"
    assert all(isinstance(v, str) for row in values for v in row)  # dates and times stay text
    assert ws["E2"].alignment.wrap_text is True
    assert ws.column_dimensions["E"].width > ws.column_dimensions["A"].width > ws.column_dimensions["B"].width
    assert ws["A1"].font.bold


def test_xlsx_never_writes_a_formula(tmp_path: Path) -> None:
    record = _record("f1", "2026-11-24", "09:00", GROUP_A, "其他", '=HYPERLINK("http://例子.cn","点我")')
    ws = load_workbook(to_xlsx([record], tmp_path / "f.xlsx"))[SHEET_NAME]
    assert ws["E2"].data_type == "s"
    assert ws["E2"].value == "'" + record.text


def test_export_from_review_store(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "review.sqlite")
    drafts = [
        Draft(
            "day", "晚安", "晚安啦茶友们🌿", "template", "day@1", slot_time="21:30", group=GROUP_A, date="2026-11-24"
        ),
        Draft(
            "day", "早安", "早上好呀茶友们🍵", "template", "day@1", slot_time="08:00", group=GROUP_A, date="2026-11-24"
        ),
        Draft("day", "干货", "还没审的干货", "template", "day@1", slot_time="10:00", group=GROUP_A, date="2026-11-24"),
    ]
    night, morning, _pending = (store.add(d) for d in drafts)
    store.approve(night.id, author="小林")
    store.approve(morning.id, author="小林")
    store.publish(morning.id, author="小林", result="ok")
    path = to_csv(store.list(), tmp_path / "out.csv")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["时间"], r["内容"]) for r in rows] == [("08:00", "早上好呀茶友们🍵"), ("21:30", "晚安啦茶友们🌿")]
