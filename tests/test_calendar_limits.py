"""Hostile calendar files: the 活动日历 import goes through the same upload limits as posts files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from copilot import handlers as h
from copilot.calendar import Calendar, read_entries
from copilot.config import Limits, Settings
from copilot.errors import FileErrors, InputError
from copilot.services import Services

ROOT = Path(__file__).resolve().parent.parent
GOOD = {"name": "冬至茶会", "start": "2026-12-20", "end": "2026-12-21", "facts": "12 月 21 日晚上 8 点群里围炉煮茶"}


def _json(path: Path, items: object) -> Path:
    path.write_text(json.dumps(items, ensure_ascii=False, indent=1), "utf-8")
    return path


def _names(svc: Services) -> list[str]:
    return [e.name for e in svc.calendar.list()]


def test_a_bad_file_is_refused_whole_and_the_next_file_still_lands(services: Services, tmp_path: Path) -> None:
    deep = tmp_path / "深.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    good = _json(tmp_path / "好.json", [GOOD])
    report = services.import_calendar([deep, good])
    assert (report.added, report.updated, report.files) == (1, 0, (str(good),))
    assert len(report.refused) == 1 and "深.json" in report.refused[0]
    assert "第 1 行" in report.refused[0] and "嵌套超过 20 层" in report.refused[0]
    assert _names(services) == ["冬至茶会"]
    assert "拒收 1 个文件" in report.summary() and "新增 1 个" in report.summary()


def test_a_file_over_the_upload_size_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = Services(Settings(home=tmp_path / "h", max_upload_mb=0.01))
    big = _json(tmp_path / "大.json", [{**GOOD, "notes": "备注" * 4000}])
    assert big.stat().st_size > 0.01 * 1024 * 1024
    real = Path.read_bytes

    def guarded(self: Path) -> bytes:
        assert self != big, "an oversized file must not be read"
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", guarded)
    report = svc.import_calendar([big])
    assert report.added == 0 and "文件太大" in report.refused[0] and "大.json" in report.refused[0]


def test_yaml_billion_laughs_is_refused_at_the_alias_without_expanding(tmp_path: Path) -> None:
    lines = ['a: &a ["哈哈哈哈哈哈哈哈"]']
    for n in range(1, 10):
        prev = chr(ord("a") + n - 1)
        lines.append(f"{chr(ord('a') + n)}: &{chr(ord('a') + n)} [{', '.join(['*' + prev] * 9)}]")
    bomb = tmp_path / "笑.yaml"
    bomb.write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(InputError) as err:
        read_entries(bomb)
    assert "锚点和别名" in str(err.value) and err.value.line == 2 and "笑.yaml" in str(err.value)


def test_deep_yaml_and_too_many_activities_are_refused(tmp_path: Path) -> None:
    deep = tmp_path / "深.yaml"
    deep.write_text("- name: x\n  stages: " + "[" * 5000 + "]" * 5000 + "\n", "utf-8")
    with pytest.raises(InputError, match="YAML 嵌套超过 20 层") as err:
        read_entries(deep)
    assert err.value.line == 2
    many = _json(tmp_path / "多.json", [{**GOOD, "name": f"活动{i}"} for i in range(4)])
    with pytest.raises(InputError, match="活动超过 3 个的上限"):
        read_entries(many, limits=Limits(max_rows=3))
    rows = tmp_path / "多.csv"
    rows.write_text("name,start,end,facts\n" + "茶会,2026-12-20,2026-12-21,晚上 8 点\n" * 4, "utf-8")
    with pytest.raises(InputError, match="活动超过 3 个的上限"):
        read_entries(rows, limits=Limits(max_rows=3))


def test_gbk_file_reads_and_a_stray_byte_in_utf8_names_its_line(tmp_path: Path) -> None:
    gbk = tmp_path / "国标.csv"
    gbk.write_bytes("name,start,end,facts\n冬至茶会,2026-12-20,2026-12-21,晚上八点围炉煮茶\n".encode("gbk"))
    (entry,) = read_entries(gbk)
    assert entry.name == "冬至茶会" and entry.facts == "晚上八点围炉煮茶"
    mixed = tmp_path / "混.yaml"
    body = "- name: 冬至茶会\n  start: 2026-12-20\n  end: 2026-12-21\n  facts: 晚上八点 caf".encode() + b"\xe9\n"
    mixed.write_bytes(body)
    with pytest.raises(InputError) as err:
        read_entries(mixed)
    assert err.value.line == 4 and "0xE9" in str(err.value) and "混.yaml" in str(err.value)


def test_every_error_of_a_file_is_listed_with_its_line_up_to_20(tmp_path: Path) -> None:
    bad = [{**GOOD, "name": f"活动{i}", "end": "2026-12-01"} for i in range(25)]
    path = _json(tmp_path / "错.json", [GOOD, *bad])
    with pytest.raises(FileErrors) as err:
        read_entries(path)
    errors = err.value.errors
    assert len(errors) == 20 and "只列出前 20 处" in str(err.value) and "错.json" in str(err.value)
    assert errors[0].reason.startswith("第 2 个活动，字段「end」：结束日期")
    per_item = len(json.dumps(GOOD, ensure_ascii=False, indent=1).splitlines())
    assert [e.line for e in errors] == [2 + per_item * n for n in range(1, 21)]  # the line each activity starts on
    yaml_file = tmp_path / "错.yaml"
    yaml_file.write_text(
        "- name: 好活动\n  start: 2026-12-20\n  end: 2026-12-21\n"
        "- name: 坏日期\n  start: 2026-11-31\n  end: 2026-12-01\n"
        "- name: 坏阶段\n  start: 2026-12-01\n  end: 2026-12-05\n  stages: [2026-12-01, 2026-12-02]\n",
        "utf-8",
    )
    with pytest.raises(FileErrors) as err:
        read_entries(yaml_file)
    text = str(err.value)
    assert "第 4 行：第 2 个活动，字段「start」：「2026-11-31」这一天不存在" in text
    assert "第 7 行：第 3 个活动，字段「stages」：阶段应写成" in text


def test_cells_are_capped_and_must_be_text(tmp_path: Path) -> None:
    long_facts = _json(tmp_path / "长.json", [{**GOOD, "facts": "茶" * 5001}])
    with pytest.raises(InputError, match="字段「facts」：有 5001 个字，超过上限 5000 字"):
        read_entries(long_facts)
    nested = _json(tmp_path / "套.json", [{**GOOD, "notes": {"内部": "目标 300 单"}}])
    with pytest.raises(InputError, match="字段「notes」：应是一段文字或日期"):
        read_entries(nested)
    wide = tmp_path / "宽.csv"
    wide.write_text("name,start,end,facts\n茶会,2026-12-20,2026-12-21," + "茶" * 20_000 + "\n", "utf-8")
    with pytest.raises(InputError, match="单元格超过上限|超过上限 5000 字"):
        read_entries(wide)


def test_formula_cells_stay_literal_text_and_xlsx_is_not_a_calendar_format(tmp_path: Path) -> None:
    path = tmp_path / "公式.csv"
    path.write_text(
        'name,start,end,facts,notes\n"=HYPERLINK(""http://x.example"",""点我"")",2026-12-20,2026-12-21,+cmd|/c calc,@SUM(A1)\n',
        "utf-8",
    )
    cal = Calendar(tmp_path / "db.sqlite3")
    assert cal.import_file(path) == (1, 0)
    (entry,) = cal.list()
    assert entry.name == '=HYPERLINK("http://x.example","点我")'  # text, never evaluated
    assert (entry.facts, entry.notes) == ("+cmd|/c calc", "@SUM(A1)")
    with pytest.raises(InputError, match="只支持 YAML、JSON 或 CSV"):
        read_entries(tmp_path / "日历.xlsx")


def test_cli_imports_several_files_and_exits_nonzero_naming_the_refused_one(tmp_path: Path) -> None:
    bad = tmp_path / "坏.yaml"
    bad.write_text("- name: 坏\n  start: 2026-12-01\n  end: 2026-11-01\n", "utf-8")
    good = _json(tmp_path / "好.json", [GOOD])
    home = tmp_path / "home"
    env = {**os.environ, "COPILOT_HOME": str(home), "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "copilot", "calendar", "import", str(bad), str(good)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1, out.stderr
    assert "新增 1 个" in out.stdout and "坏.yaml" in out.stdout and "第 1 行：第 1 个活动，字段「end」" in out.stdout
    assert "Traceback" not in out.stderr
    assert [e.name for e in Calendar(home / "copilot.sqlite3").list()] == ["冬至茶会"]


def test_upload_handler_takes_several_files_and_names_them_as_uploaded(services: Services, tmp_path: Path) -> None:
    upload = tmp_path / "gradio" / "abc123"
    upload.mkdir(parents=True)
    good = _json(upload / "十二月活动.json", [GOOD])
    bad = upload / "坏.json"
    bad.write_text('[{"name": "x", "start": "2026-12-01", "end": "2026-12-02", "facts": "y"}, {', "utf-8")
    msg = h.calendar_import(services, [str(bad), str(good)])
    assert "新增 1 个" in msg and "文件 坏.json" in msg and "JSON 格式错误" in msg and str(upload) not in msg
    assert "请先选择" in h.calendar_import(services, [])
