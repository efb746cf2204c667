"""The small exception tree; every user-facing error says what, where and what to do."""

from __future__ import annotations


class CopilotError(Exception):
    """Base of all errors the copilot reports to a user."""


class InputError(CopilotError):
    """A file or value supplied by the user cannot be used."""

    def __init__(self, message: str, *, file: str = "", line: int | None = None, column: str | None = None):
        self.file = file
        self.line = line
        self.column = column
        self.reason = message
        where = []
        if file:
            where.append(f"文件 {file}")
        if line is not None:
            where.append(f"第 {line} 行")
        if column:
            where.append(f"列「{column}」")
        prefix = "，".join(where)
        super().__init__(f"{prefix}：{message}" if prefix else message)


class ConfigError(CopilotError):
    """Settings are missing or contradictory."""


class LLMError(CopilotError):
    """The language model endpoint failed after retries or answered something unusable."""


class ConflictError(CopilotError):
    """Someone else changed a record since it was read (optimistic version check)."""
