"""Export approved posts: rows for the UI, Markdown for reading, CSV and an SCRM-style XLSX for bulk import."""

from __future__ import annotations

import csv
import datetime as dt
import html
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from itertools import groupby
from pathlib import Path

from copilot.review import Record

log = logging.getLogger(__name__)

EXPORT_STATES = ("approved", "published")
COLUMNS = ("日期", "时间", "群", "内容类型", "内容")
SHEET_NAME = "群发SOP"
_WIDTHS = {"日期": 12, "时间": 8, "群": 26, "内容类型": 10, "内容": 70}
_UNTIMED = "99:99"  # posts without a slot (intro, scripts) sort after the timed ones of the same day


def _date(value: str) -> str:
    """ISO YYYY-MM-DD when the value is a date (or a datetime); otherwise unchanged."""
    value = value.strip()
    try:
        return dt.date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return value


def _time(value: str) -> str:
    """HH:MM, padding "8:00" to "08:00"; anything else unchanged."""
    value = value.strip()
    m = re.fullmatch(r"(\d{1,2}):(\d{2})(?::\d{2})?", value)
    return f"{int(m.group(1)):02d}:{m.group(2)}" if m else value


# Characters XML 1.0 (so XLSX) cannot hold, plus DEL; newlines and tabs are text and stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A spreadsheet treats a cell starting with one of these as a formula (CSV injection, OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """Control characters removed and a leading = + - @ tab or CR defused with an apostrophe."""
    value = _CONTROL.sub("", value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def export_rows(records: Iterable[Record]) -> list[dict[str, str]]:
    """Approved and published posts as rows (日期, 时间, 群, 内容类型, 内容, 编号), by date, slot time, group."""
    kept = [r for r in records if r.state in EXPORT_STATES]
    rows = [
        {
            "日期": _date(r.date),
            "时间": _time(r.slot_time),
            "群": r.group,
            "内容类型": r.content_type or r.title,
            "内容": r.text,
            "编号": r.id,
            "_created": r.created_at,
        }
        for r in kept
    ]
    rows.sort(key=lambda row: (row["日期"], row["时间"] or _UNTIMED, row["群"], row["_created"]))
    for row in rows:
        del row["_created"]
    return rows


def _md(text: str) -> str:
    """Text for Markdown: HTML escaped (a post cannot smuggle <script> into a rendered export), no controls."""
    return html.escape(_CONTROL.sub("", text), quote=False)


def to_markdown(records: Iterable[Record]) -> str:
    """Markdown grouped by date (#) and group (##), each post under a ### heading with its time and type."""
    lines: list[str] = []
    for day, day_rows in groupby(export_rows(records), key=lambda row: row["日期"]):
        lines.append(f"# {_md(day) or '未定日期'}")
        lines.append("")
        # Within a day the rows are in time order; regroup by group but keep each group's time order.
        by_group = sorted(day_rows, key=lambda row: row["群"])
        for group, group_rows in groupby(by_group, key=lambda row: row["群"]):
            lines.append(f"## {_md(group) or '未指定群'}")
            lines.append("")
            for row in group_rows:
                heading = " ".join(part for part in (row["时间"], row["内容类型"]) if part) or "内容"
                lines.append(f"### {_md(heading)}")
                lines.append("")
                lines.append(_md(row["内容"].strip()))
                lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n" if lines else ""


def _atomic_write(path: Path | str, write: Callable[[Path], object]) -> Path:
    """Write through a temp file, then link it under a name nobody has: an export never overwrites another.

    The first free name of 名.csv, 名-2.csv, 名-3.csv … is taken with link(), which fails rather than replace
    an existing file or follow a symlink planted at that name.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        for n in range(1, 10000):
            candidate = target if n == 1 else target.with_name(f"{target.stem}-{n}{target.suffix}")
            try:
                os.link(tmp, candidate)
            except FileExistsError:
                continue
            return candidate
        raise FileExistsError(f"导出目录里同名文件太多：{target}")
    finally:
        tmp.unlink(missing_ok=True)


def write_markdown(records: Iterable[Record], path: Path | str) -> Path:
    """The Markdown export written to a new file (never over an earlier export)."""
    text = to_markdown(records)
    return _atomic_write(path, lambda tmp: tmp.write_text(text, "utf-8"))


def to_csv(records: Iterable[Record], path: Path | str) -> Path:
    """CSV with a UTF-8 BOM (Excel on Chinese Windows opens it correctly), header 日期,时间,群,内容类型,内容."""
    rows = export_rows(records)

    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(COLUMNS)
            writer.writerows([safe_cell(row[c]) for c in COLUMNS] for row in rows)

    target = _atomic_write(path, write)
    log.info("导出 CSV：%d 条 → %s", len(rows), target)
    return target


def to_xlsx(records: Iterable[Record], path: Path | str) -> Path:
    """One sheet 群发SOP (日期 | 时间 | 群 | 内容类型 | 内容), all cells text, content wrapped: an SCRM SOP import."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    rows = export_rows(records)

    def write(tmp: Path) -> None:
        wb = Workbook()
        ws = wb.active
        ws.title = SHEET_NAME
        ws.append(COLUMNS)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        top = Alignment(vertical="top")
        wrap = Alignment(vertical="top", wrap_text=True)
        for r, row in enumerate(rows, start=2):
            for c, column in enumerate(COLUMNS, start=1):
                cell = ws.cell(row=r, column=c, value=safe_cell(row[column]))
                # Text, never a formula or a number: a post starting with "=" must not be evaluated by Excel,
                # and dates/times must stay YYYY-MM-DD / HH:MM strings for the SOP import.
                cell.data_type = "s"
                cell.number_format = "@"
                cell.alignment = wrap if column == "内容" else top
        for c, column in enumerate(COLUMNS, start=1):
            ws.column_dimensions[get_column_letter(c)].width = _WIDTHS[column]
        ws.freeze_panes = "A2"
        wb.save(tmp)

    target = _atomic_write(path, write)
    log.info("导出 XLSX：%d 条 → %s", len(rows), target)
    return target
