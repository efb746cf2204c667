"""Posts files in every supported format and encoding, and the errors bad files get."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest

from copilot.errors import InputError
from copilot.readers import read_document, read_posts, stable_id

HEAD_CN = ["内容", "类型", "话题类型", "群", "日期", "回复数", "点赞数", "报名数", "点击数"]


def _gbk_csv(path: Path, rows: list[list[str]]) -> Path:
    buf = io.StringIO()
    csv.writer(buf).writerows([HEAD_CN, *rows])
    path.write_bytes(buf.getvalue().encode("gbk"))
    return path


def test_gbk_csv_with_chinese_headers(tmp_path: Path) -> None:
    path = _gbk_csv(
        tmp_path / "导出.csv",
        [
            ["家人们早上好，今天给大家讲讲滇红的金毫", "早安", "", "茶友群", "2026/9/3", "12", "30", "0", "5"],
            ["你们第一次喝普洱是什么时候？", "话题", "成长经历", "茶友群", "2026-09-04", "1,024", "8", "", ""],
        ],
    )
    posts = read_posts(path)
    assert [p.content_type for p in posts] == ["早安", "话题"]
    assert posts[0].date == "2026-09-03" and posts[0].clicks == 5
    assert posts[1].replies == 1024 and posts[1].signups == 0 and posts[1].topic_type == "成长经历"
    assert posts[0].id == stable_id("家人们早上好，今天给大家讲讲滇红的金毫")


def test_utf8_bom_and_multiline_quoted_cells(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes('\ufefftext,content_type\n"第一行\n第二行",干货\n第三条,晚安\n'.encode())
    posts = read_posts(path)
    assert posts[0].text == "第一行\n第二行" and posts[1].content_type == "晚安"


def test_xlsx_with_english_headers(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "text", "content_type", "replies"])
    ws.append(["x1", "群规第一条：不发广告", "群规", 3])
    ws.append([None, None, None, None])
    ws.append(["x2", "欢迎新茶友，改个昵称：城市-昵称", "欢迎", 7.0])
    path = tmp_path / "posts.xlsx"
    wb.save(path)
    posts = read_posts(path)
    assert [(p.id, p.content_type, p.replies) for p in posts] == [("x1", "群规", 3), ("x2", "欢迎", 7)]


def test_jsonl_and_markdown_blocks(tmp_path: Path) -> None:
    j = tmp_path / "p.jsonl"
    j.write_text(
        "\n".join(
            json.dumps(r, ensure_ascii=False)
            for r in [{"text": "早安茶友们", "content_type": "早安", "回复数": 4}, {"内容": "晚安", "类型": "晚安"}]
        ),
        "utf-8",
    )
    assert [(p.text, p.replies) for p in read_posts(j)] == [("早安茶友们", 4), ("晚安", 0)]
    m = tmp_path / "p.md"
    m.write_text("第一条帖子\n还是第一条\n\n\n第二条帖子\n", "utf-8")
    assert [p.text for p in read_posts(m)] == ["第一条帖子\n还是第一条", "第二条帖子"]


@pytest.mark.parametrize(
    ("content", "suffix", "line", "column", "needle"),
    [
        ("标题,类型\n你好,早安\n", ".csv", 1, "text", "缺少必需的列"),
        ("text,content_type\n你好,早饭\n", ".csv", 2, "content_type", "早饭"),
        ("text,topic_type\n你好,明星\n", ".csv", 2, "topic_type", "明星"),
        ("text,replies\n你好,3\n再见,很多\n", ".csv", 3, "replies", "很多"),
        ("text,replies\n你好,-2\n", ".csv", 2, "replies", "非负整数"),
        ("text,date\n你好,昨天\n", ".csv", 2, "date", "昨天"),
        ('{"text": "好"}\n{"text": \n', ".jsonl", 2, None, "JSON"),
        ('{"text": "好"}\n["列表"]\n', ".jsonl", 2, None, "JSON 对象"),
    ],
)
def test_bad_rows_name_file_line_and_column(
    tmp_path: Path, content: str, suffix: str, line: int, column: str | None, needle: str
) -> None:
    path = tmp_path / f"bad{suffix}"
    path.write_text(content, "utf-8")
    with pytest.raises(InputError) as err:
        read_posts(path)
    assert err.value.file == str(path)
    assert err.value.line == line
    assert err.value.column == column
    assert needle in str(err.value) and f"第 {line} 行" in str(err.value)


def test_empty_oversized_unknown_and_undecodable_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"\n  \n")
    with pytest.raises(InputError, match="空"):
        read_posts(empty)
    big = tmp_path / "big.txt"
    big.write_text("帖子\n\n" * 2000, "utf-8")
    with pytest.raises(InputError, match="太大"):
        read_posts(big, max_bytes=1000)
    with pytest.raises(InputError, match="不支持"):
        read_posts(tmp_path / "x.pdf")
    junk = tmp_path / "junk.txt"
    junk.write_bytes("好的\n".encode() + b"\x81\x20\xff\xfe\x00")
    with pytest.raises(InputError) as err:
        read_posts(junk)
    assert err.value.line == 2 and "编码" in str(err.value)


def test_broken_xlsx_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")
    with pytest.raises(InputError, match="XLSX"):
        read_posts(path)


def test_document_split_by_heading(tmp_path: Path) -> None:
    doc = tmp_path / "sop.md"
    doc.write_text("# SOP\n\n## 欢迎仪式\n改昵称\n\n## 群规\n不发广告\n", "utf-8")
    chunks = read_document(doc)
    assert [c.id for c in chunks] == ["doc-sop-001", "doc-sop-002"]
    assert chunks[0].text.startswith("# SOP") and "改昵称" in chunks[0].text
    assert chunks[1].content_type == "文档" and "不发广告" in chunks[1].text
