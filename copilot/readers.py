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
from dataclasses import dataclass, field, replace
from pathlib import Path

from copilot.config import Limits
from copilot.errors import FileErrors, InputError
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


_UTF8_MULTI = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


_ESCAPED = re.compile("[\udc80-\udcff]")


def _bad_utf8(raw: bytes, limit: int) -> list[tuple[int, int]]:
    """[(line, byte)] of the first `limit` positions that are not UTF-8."""
    text = raw.decode("utf-8", errors="surrogateescape")
    found: list[tuple[int, int]] = []
    line, last = 1, 0
    for m in _ESCAPED.finditer(text):
        line += text.count("\n", last, m.start())
        last = m.start()
        found.append((line, ord(m.group()) - 0xDC00))
        if len(found) >= limit:
            break
    return found


def _looks_gbk(text: str) -> bool:
    """True when the non-ASCII characters are mostly common simplified Chinese (GB2312), as a real GBK file is."""
    wide = len(text) - len(text.encode("ascii", errors="ignore"))
    if not wide:
        return False
    uncommon = text.encode("gb2312", errors="replace").count(b"?") - text.count("?")
    return uncommon <= 0.1 * wide


def decode_bytes(raw: bytes, name: str, max_errors: int = 20) -> str:
    """Decode a user file: BOM-marked UTF-8/16, plain UTF-8, or a file that is wholly GBK/GB18030.

    A UTF-8 file with a few stray bytes (say one cp1252 é) is refused with the lines of those bytes: guessing
    another encoding for the whole file would garble every Chinese character in it without a word.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count("\n".encode("utf-16-le")) + 1
            raise InputError("UTF-16 文件里有无法解码的字节，请另存为 UTF-8 后重试", file=name, line=line) from None
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    total = len(body) - len(body.decode("utf-8", errors="ignore").encode("utf-8"))
    if not raw.startswith(b"\xef\xbb\xbf") and len(_UTF8_MULTI.findall(body)) < total:
        try:
            text = body.decode("gb18030")
        except UnicodeDecodeError:
            text = ""
        if text and _looks_gbk(text):
            return text
    bad = _bad_utf8(body, max_errors)
    errors = [
        InputError(
            f"有无法按 UTF-8 解码的字节 0x{byte:02X}（可能混入了别的编码的字符），请把文件另存为 UTF-8 后重试",
            file=name,
            line=line,
        )
        for line, byte in bad
    ]
    if len(errors) == 1:
        raise errors[0]
    raise FileErrors(name, errors, more=total > len(errors))


@dataclass
class _Row:
    """One data row: canonical values plus where each came from, for error messages."""

    line: int
    values: dict[str, object]
    labels: dict[str, str] = field(default_factory=dict)
    """canonical column -> the header (or JSON key) as the user wrote it."""
    sheet: str | None = None
    cells: dict[str, str] = field(default_factory=dict)
    """canonical column -> XLSX cell reference such as B5."""

    def error(self, column: str | None, message: str) -> InputError:
        """An InputError at this row, naming the column as the user wrote it."""
        label = self.labels.get(column, column) if column else None
        return InputError(
            message, line=self.line, column=label, sheet=self.sheet, cell=self.cells.get(column) if column else None
        )


def _canon_header(cells: list[object]) -> list[str | None]:
    return [_ALIAS.get(str(c).strip().lower()) if c is not None else None for c in cells]


def _int(value: object, row: _Row, column: str) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    if isinstance(value, bool):
        raise row.error(column, f"应为非负整数，实际是「{value}」")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        try:
            number = float(str(value).strip().replace(",", "").replace("，", ""))
        except ValueError:
            raise row.error(column, f"应为数字，实际是「{_clip(value)}」") from None
    if number < 0 or number != number or number in (float("inf"),) or number != int(number):
        raise row.error(column, f"应为非负整数，实际是「{_clip(value)}」")
    return int(number)


def _clip(value: object, n: int = 30) -> str:
    text = str(value)
    return text if len(text) <= n else text[:n] + "…"


def _date(value: object, row: _Row) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    m = _DATE.match(str(value).strip())
    if not m:
        raise row.error("date", f"日期「{_clip(value)}」看不懂，请写成 2026-09-01")
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        raise row.error("date", f"{m.group(0)} 这一天不存在") from None


def _str(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _row_errors(row: _Row, limits: Limits) -> list[InputError]:
    """Every problem of one row (sizes first: nothing else is looked at in an oversized cell)."""
    errors: list[InputError] = []
    for key, value in row.values.items():
        if key == "text" and isinstance(value, str):
            continue  # the post's own limit below says it better
        if isinstance(value, (dict, list)):
            errors.append(row.error(key, "应是一段文字或数字，不能是列表或对象"))
        elif value is not None and len(str(value)) > limits.max_cell_chars:
            errors.append(row.error(key, f"单元格有 {len(str(value))} 个字，超过上限 {limits.max_cell_chars} 字"))
    if errors:
        return errors
    text = _str(row.values.get("text"))
    if not text:
        errors.append(row.error("text", "内容为空"))
    elif len(text) > limits.max_post_chars:
        errors.append(
            row.error("text", f"这条帖子有 {len(text)} 个字，超过上限 {limits.max_post_chars} 字，请拆短后再导入")
        )
    ctype = _str(row.values.get("content_type")) or "其他"
    if ctype not in CONTENT_TYPES:
        errors.append(row.error("content_type", f"内容类型「{_clip(ctype)}」不认识，可选：{'、'.join(CONTENT_TYPES)}"))
    topic = _str(row.values.get("topic_type"))
    if topic and topic not in TOPIC_TYPES:
        errors.append(row.error("topic_type", f"话题类型「{_clip(topic)}」不认识，可选：{'、'.join(TOPIC_TYPES)}"))
    for check in [lambda m=m: _int(row.values.get(m), row, m) for m in METRICS] + [
        lambda: _date(row.values.get("date"), row)
    ]:
        try:
            check()
        except InputError as exc:
            errors.append(exc)
    return errors


def row_to_post(row: _Row, name: str, limits: Limits = Limits()) -> Post | None:
    """Validate one row into a Post; None for a fully blank row; raises FileErrors-ready InputError list."""
    if all(_str(v) == "" for v in row.values.values() if not isinstance(v, (dict, list))) and not any(
        isinstance(v, (dict, list)) for v in row.values.values()
    ):
        return None
    errors = _row_errors(row, limits)
    if errors:
        raise _RowErrors(errors)
    text = _str(row.values.get("text"))
    return Post(
        id=_str(row.values.get("id")) or stable_id(text),
        text=text,
        content_type=_str(row.values.get("content_type")) or "其他",
        topic_type=_str(row.values.get("topic_type")),
        group=_str(row.values.get("group")),
        date=_date(row.values.get("date"), row),
        source=Path(name).name,
        **{m: _int(row.values.get(m), row, m) for m in METRICS},
    )


class _RowErrors(Exception):
    def __init__(self, errors: list[InputError]) -> None:
        super().__init__(errors)
        self.errors = errors


Rows = Iterator["_Row | InputError"]


def _rows_from_table(rows: Iterator[tuple[int, list[object]]], sheet: str | None = None) -> Rows:
    header: list[str | None] | None = None
    labels: dict[str, str] = {}
    letters: list[str] = []
    for line, cells in rows:
        if header is None:
            if all(_str(c) == "" for c in cells):
                continue
            header = _canon_header(cells)
            labels = {key: _str(cells[i]) for i, key in enumerate(header) if key}
            if sheet is not None:
                from openpyxl.utils import get_column_letter

                letters = [get_column_letter(i + 1) for i in range(len(header))]
            if "text" not in header:
                found = "、".join(_clip(_str(c), 20) for c in cells if _str(c))
                raise InputError(
                    f"缺少必需的列 text（或「内容」「正文」），找到的列是：{found}",
                    line=line,
                    column="text",
                    sheet=sheet,
                )
            continue
        yield _Row(
            line,
            {key: cells[i] if i < len(cells) else None for i, key in enumerate(header) if key},
            labels,
            sheet,
            {key: f"{letters[i]}{line}" for i, key in enumerate(header) if key} if letters else {},
        )
    if header is None:
        raise InputError("文件里没有表头也没有数据", sheet=sheet)


def _csv_rows(text: str) -> Iterator[tuple[int, list[object]]]:
    reader = csv.reader(io.StringIO(text))
    start = 1
    try:
        for cells in reader:
            yield start, list(cells)
            start = reader.line_num + 1
    except csv.Error as exc:
        reason = str(exc)
        if "field larger than field limit" in reason:
            reason = f"有一个单元格超过上限 {csv.field_size_limit() - 1} 字"
        raise InputError(f"CSV 格式错误：{reason}", line=start) from None


def _check_zip(raw: bytes, limits: Limits) -> None:
    """Refuse a zip bomb before openpyxl inflates anything: total size and compression ratio of the entries."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InputError(f"不是有效的 XLSX 文件（{type(exc).__name__}），请用 Excel 另存为 .xlsx") from None
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > limits.max_xlsx_bytes:
        raise InputError(
            f"XLSX 解压后有 {total / 1048576:.0f} MB，超过上限 {limits.max_xlsx_bytes / 1048576:.0f} MB，请拆分后导入"
        )
    if total > 1024 * 1024 and total / packed > limits.max_xlsx_ratio:
        raise InputError(
            f"XLSX 的压缩比是 {total / packed:.0f} 倍，超过上限 {limits.max_xlsx_ratio:.0f} 倍"
            "（正常表格不会这样，可能是构造的压缩炸弹），未导入"
        )


def _xlsx_rows(raw: bytes, limits: Limits) -> Rows:
    import openpyxl

    _check_zip(raw, limits)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputError(f"不是有效的 XLSX 文件（{type(exc).__name__}），请用 Excel 另存为 .xlsx") from None
    try:
        ws = wb.worksheets[0]
        numbered = ((n, list(cells)) for n, cells in enumerate(ws.iter_rows(values_only=True), start=1))
        yield from _rows_from_table(numbered, sheet=ws.title)
    finally:
        wb.close()


def json_too_deep(line: str, max_depth: int) -> bool:
    """True when brackets nest deeper than max_depth (checked before json.loads can recurse)."""
    return json_depth_exceeded_at(line, max_depth) >= 0


def json_depth_exceeded_at(text: str, max_depth: int) -> int:
    """Offset of the first bracket nested deeper than max_depth, or -1 (a scan, no recursion, no parsing)."""
    line = text
    if line.count("[") + line.count("{") <= max_depth:
        return -1
    depth = 0
    in_string = escaped = False
    for at, ch in enumerate(line):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > max_depth:
                return at
        elif ch in "]}":
            depth -= 1
    return -1


def _jsonl_rows(text: str, limits: Limits) -> Rows:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if json_too_deep(line, limits.max_json_depth):
            yield InputError(f"JSON 嵌套超过 {limits.max_json_depth} 层，未读取这一行", line=number)
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield InputError(f"JSON 格式错误：{exc.msg}（第 {exc.colno} 个字符）", line=number)
            continue
        except RecursionError:
            yield InputError("JSON 嵌套太深，未读取这一行", line=number)
            continue
        if not isinstance(obj, dict):
            yield InputError('每行应是一个 JSON 对象，如 {"text": "..."}', line=number)
            continue
        row = _Row(number, {})
        for key, value in obj.items():
            canon = _ALIAS.get(str(key).strip().lower())
            if canon:
                row.values[canon] = value
                row.labels[canon] = str(key)
        if "text" not in row.values:
            yield InputError("缺少 text（或「内容」）字段", line=number, column="text")
            continue
        yield row


def _block_rows(text: str) -> Rows:
    block: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines() + [""], start=1):
        if line.strip():
            if not block:
                start = number
            block.append(line.rstrip())
        elif block:
            yield _Row(start, {"text": "\n".join(block)}, {"text": "正文"})
            block = []


def check_size(path: Path, name: str, max_bytes: int) -> None:
    """Refuse a file larger than max_bytes before reading a byte of it."""
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(
            f"文件太大（{size / 1048576:.1f} MB），上限 {max_bytes / 1048576:.1f} MB，请拆分后导入", file=name
        )


def read_posts(
    path: Path, *, max_bytes: int | None = None, display_name: str | None = None, limits: Limits | None = None
) -> list[Post]:
    """Read and validate every post of a file; refuses the whole file listing every error (up to 20)."""
    limits = limits or Limits()
    if max_bytes is not None:
        limits = replace(limits, max_bytes=max_bytes)
    name = display_name or str(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"不支持的文件类型「{suffix or '无扩展名'}」，支持：{' '.join(SUFFIXES)}", file=name)
    check_size(path, name, limits.max_bytes)
    raw = path.read_bytes()
    if not raw.strip():
        raise InputError("文件是空的", file=name)
    errors: list[InputError] = []
    more = False
    posts: dict[str, Post] = {}
    csv.field_size_limit(max(limits.max_cell_chars, limits.max_post_chars) + 1)
    try:
        if suffix == ".xlsx":
            rows: Rows = _xlsx_rows(raw, limits)
        else:
            text = decode_bytes(raw, name, limits.max_errors)
            if suffix == ".csv":
                rows = _rows_from_table(_csv_rows(text))
            elif suffix == ".jsonl":
                rows = _jsonl_rows(text, limits)
            else:
                rows = _block_rows(text)
        for count, row in enumerate(rows, start=1):
            if count > limits.max_rows:
                raise InputError(f"超过 {limits.max_rows} 行的上限，请拆成几个文件导入")
            if isinstance(row, InputError):
                found = [row]
            else:
                try:
                    post = row_to_post(row, name, limits)
                except _RowErrors as exc:
                    found = exc.errors
                else:
                    found = []
                    if post is not None:
                        posts.setdefault(post.id, post)
            for err in found:
                if len(errors) >= limits.max_errors:
                    more = True
                    break
                errors.append(err.located(name))
            if more:
                break
    except FileErrors:
        raise
    except InputError as exc:
        if errors:  # a file-level problem after row problems: list it with them
            errors.append(exc.located(name))
        else:
            raise exc.located(name) if not exc.file else exc from None
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise FileErrors(name, errors, more)
    if not posts:
        raise InputError("文件里没有任何内容", file=name)
    return list(posts.values())


def _chunks(text: str, limit: int) -> list[str]:
    """Paragraph-aligned pieces of at most limit characters (a longer paragraph is cut)."""
    if len(text) <= limit:
        return [text]
    out: list[str] = []
    current = ""
    for para in text.split("\n"):
        while len(para) > limit:
            if current:
                out.append(current)
                current = ""
            out.append(para[:limit])
            para = para[limit:]
        if current and len(current) + 1 + len(para) > limit:
            out.append(current)
            current = ""
        current = f"{current}\n{para}" if current else para
    if current.strip():
        out.append(current)
    return [c.strip() for c in out if c.strip()]


def read_document(path: Path, *, max_bytes: int | None = None, limits: Limits | None = None) -> list[Post]:
    """Split an SOP / product document (Markdown or text) into one chunk per section (long ones cut further)."""
    limits = limits or Limits()
    if max_bytes is not None:
        limits = replace(limits, max_bytes=max_bytes)
    check_size(path, str(path), limits.max_bytes)
    text = decode_bytes(path.read_bytes(), str(path), limits.max_errors)
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
    pieces = [piece for s in sections for piece in _chunks(s, limits.max_post_chars)]
    stem = path.stem
    return [
        Post(id=f"doc-{stem}-{i:03d}", text=s, content_type=DOC_TYPE, source=path.name)
        for i, s in enumerate(pieces, start=1)
    ]
