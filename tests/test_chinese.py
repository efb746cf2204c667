"""Chinese wherever an operator looks: CLI usage and errors, dates, network errors, eval names, queue filter."""

from __future__ import annotations

import socket
import typing
import urllib.error
from pathlib import Path

import pytest

from copilot import handlers as h
from copilot.cli import main
from copilot.dates import parse_day
from copilot.errors import InputError
from copilot.evaluate import ASSERTION_LABELS, AssertionIn
from copilot.llm import describe_failure
from copilot.neterrors import describe_network_error
from copilot.services import Services


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    out, err = capsys.readouterr()
    return int(exit_.value.code or 0), out, err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        ([], "缺少必需的参数：命令"),
        (["frobnicate"], "不在可选范围内，可选：'init'"),
        (["search"], "缺少必需的参数：关键词"),
        (["search", "茶", "--k", "abc"], "参数 --k 应是整数，收到的是 'abc'"),
        (["day", "--date"], "参数 --date 后面要跟一个值"),
        (["stats", "--bogus"], "不认识的参数：--bogus"),
        (["topics", "--type", "胡说"], "参数 --type 的值 '胡说' 不在可选范围内"),
    ],
)
def test_cli_usage_and_errors_are_chinese(argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(argv, capsys)
    assert code == 2 and err.startswith("用法：copilot") and needle in err
    assert "usage:" not in err and "error:" not in err and "the following" not in err


def test_cli_help_is_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["-h"], capsys)
    assert code == 0 and out.startswith("用法：") and "显示这段帮助并退出" in out and "命令" in out
    code, out, _ = _run(["day", "-h"], capsys)
    assert "--date 日期" in out and "选项" in out
    assert "show this help" not in out and "options:" not in out and "positional arguments" not in out


def test_a_day_that_does_not_exist_is_called_so(services: Services, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(InputError, match=r"^2026-11-31 这一天不存在：2026 年 11 月只有 30 天$"):
        parse_day("2026-11-31")
    with pytest.raises(InputError, match="2026-02-29 这一天不存在"):
        parse_day("2026-02-29")
    with pytest.raises(InputError, match="2026-13-01 这一天不存在"):
        parse_day("2026-13-01")
    with pytest.raises(InputError, match="「下周三」格式不对"):
        parse_day("下周三")
    assert parse_day("2028-02-29").isoformat() == "2028-02-29" and parse_day("2026/9/1").isoformat() == "2026-09-01"
    cards, message = h.generate_day(services, "", "2026-11-31", "阿禾")
    assert cards == [] and "2026-11-31 这一天不存在" in message
    assert main(["day", "--date", "2026-11-31", "--no-save"]) == 1
    assert "2026-11-31 这一天不存在" in capsys.readouterr().err


def test_network_errors_are_chinese() -> None:
    dns = socket.gaierror(-2, "Name or service not known")
    assert describe_network_error(dns).startswith("域名解析失败")
    assert describe_network_error(urllib.error.URLError(dns)).startswith("域名解析失败")
    refused = ConnectionRefusedError(111, "Connection refused")
    assert describe_network_error(refused).startswith("连接被拒绝")

    class APIConnectionError(Exception):  # what the openai client raises, with the cause chained
        pass

    try:
        try:
            raise dns
        except socket.gaierror as inner:
            raise APIConnectionError("Connection error.") from inner
    except APIConnectionError as exc:
        assert "域名解析失败" in describe_failure(exc)
    assert "域名解析暂时失败" in describe_network_error(OSError("[Errno -3] Temporary failure in name resolution"))


def test_every_eval_assertion_has_a_chinese_name() -> None:
    kinds = typing.get_args(AssertionIn.model_fields["type"].annotation)
    assert set(kinds) == set(ASSERTION_LABELS)
    assert all(not label.isascii() for label in ASSERTION_LABELS.values())


def test_queue_group_filter_offers_all_first() -> None:
    assert h.group_filter_choices(["山茶小院·茶友福利群"]) == [
        ("全部", ""),
        ("山茶小院·茶友福利群", "山茶小院·茶友福利群"),
    ]
    assert h.STATE_CHOICES[0] == ("全部", "")


def test_rewrite_file_with_a_deeply_nested_line_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "深.jsonl"
    f.write_text("{" * 30 + "\n", "utf-8")
    assert main(["score", str(f), "--no-judge"]) == 1
    assert "嵌套超过 20 层" in capsys.readouterr().err
