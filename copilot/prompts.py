"""Prompts are files: a YAML header (name, version, inputs) and Jinja bodies rendered with StrictUndefined."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, UndefinedError

from copilot.errors import ConfigError

PROMPT_DIR = Path(__file__).resolve().parent.parent / "prompts"
_SECTION = re.compile(r"^=== (system|user) ===\s*$", re.M)


class Quoted(str):
    """Text already quoted as a data block: it keeps its lines, the prompt environment leaves it alone."""


def quote_data(text: object) -> Quoted:
    """Neutralise our delimiters inside retrieved or uploaded text so data can never close its quote block."""
    return Quoted(str(text).replace("<<<", "‹‹‹").replace(">>>", "›››"))


_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")


def quote_field(value: object) -> str:
    """An inline data field (an id, a group name, an avoid-list subject): delimiters neutralised and line
    breaks folded to spaces, so a value can neither close a quote block nor start a line of its own."""
    return _LINE_BREAKS.sub(" ", quote_data(value))


def _finalize(value: object) -> object:
    """Every {{ }} of a prompt is quoted as an inline field unless it was quoted as a block (quote_data)."""
    if isinstance(value, (Quoted, int, float)) or value is None:
        return value
    return quote_field(value)


_ENV = Environment(
    loader=FileSystemLoader(str(PROMPT_DIR)),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
    autoescape=False,
)
_ENV.filters["quote_data"] = quote_data
_ENV.filters["quote_field"] = quote_field
# Prompts render with every expression quoted by default; template-drafter snippets (our own text) do not.
_PROMPT_ENV = _ENV.overlay(finalize=_finalize)


@dataclass(frozen=True)
class Prompt:
    """A versioned prompt file."""

    name: str
    """Prompt name, recorded on every draft."""
    version: str
    """Version, bumped whenever the wording changes."""
    inputs: tuple[str, ...]
    """Variables the body needs."""
    system: str
    """Jinja source of the system message."""
    user: str
    """Jinja source of the user message."""

    @property
    def label(self) -> str:
        """name@version."""
        return f"{self.name}@{self.version}"

    def render(self, **variables: object) -> tuple[str, str]:
        """(system, user) text; a missing variable fails here, before any LLM call."""
        missing = [k for k in self.inputs if k not in variables]
        if missing:
            raise ConfigError(f"提示词 {self.label} 缺少变量：{', '.join(missing)}")
        try:
            return (
                _PROMPT_ENV.from_string(self.system).render(**variables).strip(),
                _PROMPT_ENV.from_string(self.user).render(**variables).strip(),
            )
        except (UndefinedError, TemplateError) as exc:
            raise ConfigError(f"提示词 {self.label} 渲染失败：{exc}") from None


def parse_prompt(text: str, source: str = "") -> Prompt:
    """Parse a prompt file's text."""
    if not text.startswith("---"):
        raise ConfigError(f"提示词文件 {source} 缺少 --- 开头的头部")
    _, header, body = text.split("---", 2)
    meta = yaml.safe_load(header) or {}
    parts = _SECTION.split(body)
    sections = {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}
    if "user" not in sections:
        raise ConfigError(f"提示词文件 {source} 缺少 === user === 段")
    return Prompt(
        name=str(meta.get("name") or Path(source).stem),
        version=str(meta.get("version", "1")),
        inputs=tuple(meta.get("inputs") or ()),
        system=sections.get("system", ""),
        user=sections["user"],
    )


@lru_cache(maxsize=64)
def load_prompt(name: str, directory: Path = PROMPT_DIR) -> Prompt:
    """Load prompts/<name>.md."""
    path = directory / f"{name}.md"
    if not path.exists():
        raise ConfigError(f"找不到提示词文件 {path}")
    return parse_prompt(path.read_text("utf-8"), str(path))


def render_template(source: str, **variables: object) -> str:
    """Render a Jinja snippet (template-drafter variants) with StrictUndefined."""
    try:
        return _ENV.from_string(source).render(**variables).strip()
    except UndefinedError as exc:
        raise ConfigError(f"模板渲染失败：{exc}") from None
