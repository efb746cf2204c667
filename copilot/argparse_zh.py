"""argparse in Chinese: usage, section titles, -h and every error message an operator can trigger."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any, NoReturn

_TYPES = {"int": "整数", "float": "数字", "str": "文字"}
# (pattern of argparse's English message, Chinese replacement); applied in order.
_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^the following arguments are required: (.+)$"), r"缺少必需的参数：\1"),
    (re.compile(r"^unrecognized arguments: (.+)$"), r"不认识的参数：\1"),
    (re.compile(r"^one of the arguments (.+) is required$"), r"参数 \1 必须给出其中一个"),
    (re.compile(r"^ambiguous option: (\S+) could match (.+)$"), r"选项 \1 有歧义，可能是：\2"),
    (re.compile(r"^argument (\S+): not allowed with argument (\S+)$"), r"参数 \1 不能和 \2 一起用"),
    (re.compile(r"^argument (\S+): expected one argument$"), r"参数 \1 后面要跟一个值"),
    (re.compile(r"^argument (\S+): expected at least one argument$"), r"参数 \1 后面至少要跟一个值"),
    (re.compile(r"^argument (\S+): expected (\d+) arguments?$"), r"参数 \1 后面要跟 \2 个值"),
    (
        re.compile(r"^argument (\S+): invalid choice: (.+?) \(choose from (.+)\)$"),
        r"参数 \1 的值 \2 不在可选范围内，可选：\3",
    ),
    (re.compile(r"^argument (\S+): ignored explicit argument (.+)$"), r"参数 \1 不接受值 \2"),
)
_INVALID_TYPE = re.compile(r"^argument (\S+): invalid (\w+) value: (.+)$")


def translate(message: str) -> str:
    """argparse's English error message in Chinese (unknown messages pass through unchanged)."""
    m = _INVALID_TYPE.match(message)
    if m:
        kind = _TYPES.get(m.group(2), m.group(2))
        return f"参数 {m.group(1)} 应是{kind}，收到的是 {m.group(3)}"
    for pattern, chinese in _ERRORS:
        if pattern.match(message):
            return pattern.sub(chinese, message)
    return message


class ChineseHelpFormatter(argparse.HelpFormatter):
    """Prefixes usage with 用法："""

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, prefix if prefix is not None else "用法：")


class ChineseParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage, -h, section titles and errors are Chinese (subcommands inherit it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", ChineseHelpFormatter)
        add_help = kwargs.get("add_help", True)
        kwargs["add_help"] = False  # our own -h, with a Chinese help line
        super().__init__(*args, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示这段帮助并退出")

    def error(self, message: str) -> NoReturn:
        """Print usage and the error in Chinese, exit 2 (argparse's convention)."""
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{translate(message)}\n")
