"""Hostile files: every limit replays the attack that found it, and one bad file never stops the others."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from copilot.config import Limits, Settings
from copilot.errors import FileErrors, InputError
from copilot.readers import json_too_deep, read_posts
from copilot.services import Services


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    return path


def test_a_line_nested_100000_deep_is_refused_with_its_line_and_the_next_file_still_lands(
    services: Services, tmp_path: Path
) -> None:
    deep = tmp_path / "深.jsonl"
    deep.write_text('{"内容": "第一条正常"}\n' + "[" * 100_000 + "]" * 100_000 + "\n", "utf-8")
    good = _jsonl(tmp_path / "好.jsonl", [{"内容": "茶友们早上好呀", "类型": "早安"}])
    report = services.ingest([deep, good])
    assert report.added == 1 and report.files == (str(good),)
    assert len(report.refused) == 1 and "深.jsonl" in report.refused[0]
    assert "第 2 行" in report.refused[0] and "嵌套超过 20 层" in report.refused[0]


def test_depth_scan_ignores_brackets_inside_strings() -> None:
    assert not json_too_deep('{"text": "' + "[" * 50 + '"}', 20)
    assert json_too_deep('{"a": ' * 21 + "1" + "}" * 21, 20)


def _xlsx(path: Path, rows: list[list[object]], sheet: str = "群发") -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def _bomb(path: Path, chars: int) -> Path:
    """A valid workbook whose one cell holds `chars` characters (openpyxl itself would cut it at 32767)."""
    _xlsx(path, [["内容"], ["占位符"]])
    entries = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            entries[info.filename] = zf.read(info).replace("占位符".encode(), ("茶" * chars).encode())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def test_xlsx_zip_bomb_is_refused_before_openpyxl_inflates_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = _bomb(tmp_path / "炸弹.xlsx", 2_000_000)
    assert bomb.stat().st_size < 200_000  # small on disk, 6 MB inflated

    import openpyxl

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("openpyxl must not open a zip bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", boom)
    with pytest.raises(InputError, match="压缩比"):
        read_posts(bomb)
    with pytest.raises(InputError, match="解压后"):
        read_posts(bomb, limits=Limits(max_xlsx_bytes=1024 * 1024))


def test_a_long_xlsx_cell_under_the_zip_limits_is_refused_by_the_cell_limit(tmp_path: Path) -> None:
    path = _bomb(tmp_path / "长.xlsx", 20_000)
    with pytest.raises(InputError) as err:
        read_posts(path)
    assert "单元格 A2" in str(err.value) and "列「内容」" in str(err.value) and "超过上限 5000 字" in str(err.value)


def test_xlsx_errors_name_sheet_cell_and_the_header_as_written(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "表.xlsx", [["内容", "类型", "回复数"], ["好的", "早安", 3], ["第二条", "早饭", "很多"]])
    with pytest.raises(FileErrors) as err:
        read_posts(path)
    text = str(err.value)
    assert "工作表「群发」，第 3 行（单元格 B3），列「类型」" in text and "早饭" in text
    assert "第 3 行（单元格 C3），列「回复数」" in text and "很多" in text


def test_every_error_of_a_file_is_listed_up_to_20(tmp_path: Path) -> None:
    path = tmp_path / "多.csv"
    path.write_text("内容,点赞数\n" + "".join(f"第{i}条,很多\n" for i in range(30)), "utf-8")
    with pytest.raises(FileErrors) as err:
        read_posts(path)
    assert len(err.value.errors) == 20 and "只列出前 20 处" in str(err.value)
    assert [e.line for e in err.value.errors] == list(range(2, 22))
    assert all(e.column == "点赞数" for e in err.value.errors)


def test_post_length_limit_is_a_setting_and_names_the_column(tmp_path: Path) -> None:
    svc = Services(Settings(home=tmp_path / "h", max_post_chars=50))
    path = _jsonl(tmp_path / "长.jsonl", [{"正文": "短的"}, {"正文": "长" * 51}])
    report = svc.ingest([path])
    assert report.added == 0
    assert "第 2 行，列「正文」" in report.refused[0] and "超过上限 50 字" in report.refused[0]


def test_a_one_megabyte_post_is_refused_cheaply(tmp_path: Path) -> None:
    path = tmp_path / "大.csv"
    path.write_text("内容\n" + "茶" * 1_000_000 + "\n", "utf-8")
    with pytest.raises(InputError, match="超过上限"):
        read_posts(path)
    md = tmp_path / "大.md"
    md.write_text("茶" * 1_000_000, "utf-8")
    with pytest.raises(InputError, match="超过上限 5000 字"):
        read_posts(md)


def test_row_limit(tmp_path: Path) -> None:
    path = tmp_path / "行.csv"
    path.write_text("内容\n" + "".join(f"第{i}条\n" for i in range(10)), "utf-8")
    with pytest.raises(InputError, match="超过 5 行的上限"):
        read_posts(path, limits=Limits(max_rows=5))


def test_one_stray_cp1252_byte_refuses_the_file_with_its_line_instead_of_garbling_it(tmp_path: Path) -> None:
    path = tmp_path / "混.csv"
    path.write_bytes("内容,类型\n茶友们早上好,早安\n".encode() + b"caf\xe9 \xe0 la carte,\n" + "晚安啦,晚安\n".encode())
    with pytest.raises(InputError) as err:
        read_posts(path)
    assert err.value.line == 3 and "0xE9" in str(err.value) and "UTF-8" in str(err.value)


@pytest.mark.parametrize("encoding", ["gbk", "utf-16", "utf-8-sig", "gb18030"])
def test_a_file_wholly_in_one_supported_encoding_still_reads(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "编码.csv"
    path.write_bytes("内容,类型\n茶友们早上好，今天喝白茶,早安\n晚安啦，明天见,晚安\n".encode(encoding))
    assert [p.text for p in read_posts(path)] == ["茶友们早上好，今天喝白茶", "晚安啦，明天见"]


def test_nested_values_and_oversized_cells_are_refused(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "值.jsonl", [{"内容": {"嵌": "套"}}, {"内容": "好", "群": "群" * 300}])
    with pytest.raises(FileErrors) as err:
        read_posts(path, limits=Limits(max_cell_chars=200))
    assert "第 1 行，列「内容」" in str(err.value) and "第 2 行，列「群」" in str(err.value)


def test_not_a_zip_is_refused_as_xlsx(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "不是表格")
    path = tmp_path / "假.xlsx"
    path.write_bytes(buf.getvalue())
    with pytest.raises(InputError, match="XLSX"):
        read_posts(path)


def test_a_persona_yaml_alias_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    from copilot.persona import load_persona

    lines = ["name: 阿禾", 'a0: &a0 ["茶", "茶", "茶", "茶", "茶", "茶", "茶", "茶", "茶"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]  # 9^10 items once expanded
    path = tmp_path / "炸弹.yaml"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(InputError, match="锚点和别名") as err:
        load_persona(path)
    assert err.value.line == 3
