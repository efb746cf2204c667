"""Parse posts files (CSV, XLSX, JSONL, Markdown/TXT) in UTF-8, UTF-8 BOM, UTF-16 or GBK into Posts."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

from copilot.errors import InputError
from copilot.records import CONTENT_TYPES, METRICS, TOPIC_TYPES, Post

SUFFIXES = (".csv", ".xlsx", ".jsonl", ".md", ".markdown", ".txt")
DOC_TYPE = "文档"

# Canonical column -> accepted header spellings (compared after strip + lower).
_HEADERS: dict[str, tuple[str, ...]] = {
    "text": ("text", "内容", "正文", "文案", "content"),
    "id": ("id", "编号", "序号"),
    "content_type": ("content_type", "类型", "内容类型"),
    "topic_type": ("topic_type", "话题类型"),
    "group": ("group", "群", "群名", "群名称"),
    "date": ("date", "日期", "发送日期"),
    "replies": ("replies", "回复数", "回复"),
    "reactions": ("reactions", "点赞数", "点赞", "表情回应"),
    "signups": ("signups", "报名数", "接龙数", "报名"),
    "clicks": ("clicks", "点击数", "点击"),
    "repliers": ("repliers", "回复人数"),
    "quotes": ("quotes", "引用数", "引用回复数"),
}
_ALIAS = {alias: canon for canon, aliases in _HEADERS.items() for alias in aliases}
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")


def stable_id(text: str) -> str:
    """A content hash id for posts that come without one."""
    norm = re.sub(r"\s+", "", text)
    return "h" + hashlib.sha1(norm.encode("utf-8")).hexdigest()[:15]


def decode_bytes(raw: bytes, name: str) -> str:
    """Decode a user file: BOM-marked UTF-8/16, plain UTF-8, then GB18030 (a superset of GBK)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as utf8_err:
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            line = raw[: utf8_err.start].count(b"\n") + 1
            raise InputError(
                "无法识别文件编码（既不是 UTF-8 也不是 GBK/GB18030），请另存为 UTF-8 后重试",
                file=name,
                line=line,
            ) from None


def _canon_header(cells: list[object]) -> list[str | None]:
    return [_ALIAS.get(str(c).strip().lower()) if c is not None else None for c in cells]


def _int(value: object, name: str, line: int, column: str) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    if isinstance(value, bool):
        raise InputError(f"应为非负整数，实际是「{value}」", file=name, line=line, column=column)
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        try:
            number = float(str(value).strip().replace(",", "").replace("，", ""))
        except ValueError:
            raise InputError(f"应为数字，实际是「{value}」", file=name, line=line, column=column) from None
    if number < 0 or number != number or number != int(number):
        raise InputError(f"应为非负整数，实际是「{value}」", file=name, line=line, column=column)
    return int(number)


def _date(value: object, name: str, line: int) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    m = _DATE.match(str(value).strip())
    if not m:
        raise InputError(f"日期「{value}」看不懂，请写成 2026-09-01", file=name, line=line, column="date")
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        raise InputError(f"日期「{value}」不存在", file=name, line=line, column="date") from None


def _str(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def row_to_post(row: dict[str, object], name: str, line: int) -> Post | None:
    """Validate one row (canonical keys) into a Post; None for a fully blank row."""
    if all(_str(v) == "" for v in row.values()):
        return None
    text = _str(row.get("text"))
    if not text:
        raise InputError("内容为空", file=name, line=line, column="text")
    ctype = _str(row.get("content_type")) or "其他"
    if ctype not in CONTENT_TYPES:
        raise InputError(
            f"内容类型「{ctype}」不认识，可选：{'、'.join(CONTENT_TYPES)}", file=name, line=line, column="content_type"
        )
    topic = _str(row.get("topic_type"))
    if topic and topic not in TOPIC_TYPES:
        raise InputError(
            f"话题类型「{topic}」不认识，可选：{'、'.join(TOPIC_TYPES)}", file=name, line=line, column="topic_type"
        )
    metrics = {m: _int(row.get(m), name, line, m) for m in METRICS}
    return Post(
        id=_str(row.get("id")) or stable_id(text),
        text=text,
        content_type=ctype,
        topic_type=topic,
        group=_str(row.get("group")),
        date=_date(row.get("date"), name, line),
        source=Path(name).name,
        **metrics,
    )


def _rows_from_table(rows: Iterator[tuple[int, list[object]]], name: str) -> Iterator[tuple[int, dict]]:
    header: list[str | None] | None = None
    for line, cells in rows:
        if header is None:
            if all(_str(c) == "" for c in cells):
                continue
            header = _canon_header(cells)
            if "text" not in header:
                found = "、".join(_str(c) for c in cells if _str(c))
                raise InputError(
                    f"缺少必需的列 text（或「内容」），找到的列是：{found}", file=name, line=line, column="text"
                )
            continue
        yield line, {key: cells[i] if i < len(cells) else None for i, key in enumerate(header) if key}
    if header is None:
        raise InputError("文件里没有表头也没有数据", file=name)


def _csv_rows(text: str) -> Iterator[tuple[int, list[object]]]:
    reader = csv.reader(io.StringIO(text))
    start = 1
    try:
        for cells in reader:
            yield start, list(cells)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"CSV 格式错误：{exc}", line=reader.line_num) from None


def _xlsx_rows(raw: bytes, name: str) -> Iterator[tuple[int, list[object]]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputError(f"不是有效的 XLSX 文件（{type(exc).__name__}），请用 Excel 另存为 .xlsx", file=name) from None
    try:
        for number, cells in enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1):
            yield number, list(cells)
    finally:
        wb.close()


def _jsonl_rows(text: str, name: str) -> Iterator[tuple[int, dict]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"JSON 格式错误：{exc.msg}（第 {exc.colno} 个字符）", file=name, line=number) from None
        if not isinstance(obj, dict):
            raise InputError('每行应是一个 JSON 对象，如 {"text": "..."}', file=name, line=number)
        row = {}
        for key, value in obj.items():
            canon = _ALIAS.get(str(key).strip().lower())
            if canon:
                row[canon] = value
        if "text" not in row:
            raise InputError("缺少 text 字段", file=name, line=number, column="text")
        yield number, row


def _block_rows(text: str) -> Iterator[tuple[int, dict]]:
    block: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines() + [""], start=1):
        if line.strip():
            if not block:
                start = number
            block.append(line.rstrip())
        elif block:
            yield start, {"text": "\n".join(block)}
            block = []


def read_posts(path: Path, *, max_bytes: int = 20 * 1024 * 1024, display_name: str | None = None) -> list[Post]:
    """Read and validate every post of a file; raises InputError naming file, line and column."""
    name = display_name or str(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"不支持的文件类型「{suffix or '无扩展名'}」，支持：{' '.join(SUFFIXES)}", file=name)
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(
            f"文件太大（{size / 1048576:.1f} MB），上限 {max_bytes / 1048576:.0f} MB，请拆分后导入", file=name
        )
    raw = path.read_bytes()
    if not raw.strip():
        raise InputError("文件是空的", file=name)
    try:
        if suffix == ".xlsx":
            rows: Iterator[tuple[int, dict]] = _rows_from_table(_xlsx_rows(raw, name), name)
        else:
            text = decode_bytes(raw, name)
            if suffix == ".csv":
                rows = _rows_from_table(_csv_rows(text), name)
            elif suffix == ".jsonl":
                rows = _jsonl_rows(text, name)
            else:
                rows = _block_rows(text)
        posts: dict[str, Post] = {}
        for line, row in rows:
            post = row_to_post(row, name, line)
            if post is not None:
                posts.setdefault(post.id, post)
    except InputError as exc:
        if not exc.file:
            raise InputError(exc.reason, file=name, line=exc.line, column=exc.column) from None
        raise
    if not posts:
        raise InputError("文件里没有任何内容", file=name)
    return list(posts.values())


def read_document(path: Path, *, max_bytes: int = 20 * 1024 * 1024) -> list[Post]:
    """Split an SOP / product document (Markdown or text) into one chunk per section."""
    if path.stat().st_size > max_bytes:
        raise InputError(f"文件太大，上限 {max_bytes / 1048576:.0f} MB", file=str(path))
    text = decode_bytes(path.read_bytes(), str(path))
    sections: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        if line.startswith("#") and any(s.strip() and not s.startswith("#") for s in current):
            sections.append("\n".join(current).strip())
            current = []
        current.append(line)
    if any(s.strip() for s in current):
        sections.append("\n".join(current).strip())
    if not sections:
        raise InputError("文档是空的", file=str(path))
    stem = path.stem
    return [
        Post(id=f"doc-{stem}-{i:03d}", text=s, content_type=DOC_TYPE, source=path.name)
        for i, s in enumerate(sections, start=1)
    ]
