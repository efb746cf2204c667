"""Settings saved from the 设置 tab into the workspace, so they survive a restart; env and `.env` still win."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from pydantic import SecretStr

from copilot.config import Settings

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.json"
KEY_FILE = "llm_api_key"
_FIELDS = ("llm_preset", "llm_base_url", "llm_model")


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (0600), replacing it atomically."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o600)  # in case the file existed with wider permissions
    tmp.replace(path)


def save_llm(settings: Settings, api_key: str | None = None) -> None:
    """Save preset, base URL and model (and the key, when given) under COPILOT_HOME."""
    home = settings.home
    home.mkdir(parents=True, exist_ok=True)
    data = {f: getattr(settings, f) for f in _FIELDS}
    _write_private(home / SETTINGS_FILE, json.dumps(data, ensure_ascii=False, indent=2))
    if api_key:
        _write_private(home / KEY_FILE, api_key)
    log.info("saved LLM settings to %s (key %s)", home / SETTINGS_FILE, "updated" if api_key else "unchanged")


def apply_saved(settings: Settings) -> Settings:
    """Fill the LLM fields that the environment / `.env` did not set from what the 设置 tab saved."""
    home = settings.home
    update: dict[str, object] = {}
    path = home / SETTINGS_FILE
    if path.exists():
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            log.warning("ignoring unreadable %s: %s", path, exc)
            data = {}
        update.update({f: str(data[f]) for f in _FIELDS if f in data and f not in settings.model_fields_set})
    key = home / KEY_FILE
    if key.exists() and "llm_api_key" not in settings.model_fields_set:
        update["llm_api_key"] = SecretStr(key.read_text("utf-8").strip())
    return settings.model_copy(update=update) if update else settings
