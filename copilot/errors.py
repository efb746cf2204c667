"""The small exception tree; every user-facing error says what, where and what to do."""

from __future__ import annotations


class CopilotError(Exception):
    """Base of all errors the copilot reports to a user."""


class InputError(CopilotError):
    """A file or value supplied by the user cannot be used."""

    def __init__(
        self,
        message: str,
        *,
        file: str = "",
        line: int | None = None,
        column: str | None = None,
        sheet: str | None = None,
        cell: str | None = None,
    ):
        self.file = file
        self.line = line
        self.column = column
        self.sheet = sheet
        self.cell = cell
        self.reason = message
        prefix = self.where()
        super().__init__(f"{prefix}：{message}" if prefix else message)

    def where(self, *, with_file: bool = True) -> str:
        """文件 X，工作表「S」，第 N 行（单元格 B5），列「内容」 — whichever parts are known."""
        parts = []
        if self.file and with_file:
            parts.append(f"文件 {self.file}")
        if self.sheet:
            parts.append(f"工作表「{self.sheet}」")
        if self.line is not None:
            parts.append(f"第 {self.line} 行" + (f"（单元格 {self.cell}）" if self.cell else ""))
        if self.column:
            parts.append(f"列「{self.column}」")
        return "，".join(parts)

    def located(self, file: str) -> InputError:
        """The same error with the file name filled in."""
        return InputError(self.reason, file=file, line=self.line, column=self.column, sheet=self.sheet, cell=self.cell)


class FileErrors(InputError):
    """Every problem found in one refused file (up to a limit), listed one per line."""

    def __init__(self, file: str, errors: list[InputError], more: bool = False):
        self.errors = errors
        lines = [f"  · {e.where(with_file=False) or '整个文件'}：{e.reason}" for e in errors]
        head = (
            f"有 {len(errors)} 处问题"
            + ("（只列出前 " + str(len(errors)) + " 处）" if more else "")
            + "，整个文件未导入"
        )
        super().__init__(head + "：\n" + "\n".join(lines), file=file)
        if errors:  # the first problem's place, for callers that only look at one
            self.line, self.column, self.sheet, self.cell = (
                errors[0].line,
                errors[0].column,
                errors[0].sheet,
                errors[0].cell,
            )


class ConfigError(CopilotError):
    """Settings are missing or contradictory."""


class LLMError(CopilotError):
    """The language model endpoint failed after retries or answered something unusable."""


class ConflictError(CopilotError):
    """Someone else changed a record since it was read (optimistic version check)."""


class NothingNew(CopilotError):
    """A slot has nothing it has not said lately (a thin pool of past posts): it stays empty and says why."""
