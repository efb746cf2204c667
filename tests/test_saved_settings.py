"""The 设置 tab's choices survive a restart; the key sits in a 0600 file and never shows; env still wins."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from copilot import handlers as h
from copilot.config import Settings
from copilot.saved_settings import KEY_FILE, SETTINGS_FILE
from copilot.services import Services


def test_saved_llm_settings_survive_restart_with_a_private_key(
    services: Services,
    stub,
    caplog: pytest.LogCaptureFixture,  # noqa: ANN001
) -> None:
    caplog.set_level(logging.DEBUG)
    home = services.settings.home
    msg = h.apply_llm(services, "", stub.base_url, "stub-model", "sk-secret-456")
    assert "重启后仍然有效" in msg and "sk-secret-456" not in msg
    key = home / KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "sk-secret" not in (home / SETTINGS_FILE).read_text("utf-8")
    assert "sk-secret" not in caplog.text

    restarted = Services(Settings(home=home))
    assert restarted.settings.resolved_llm() == (stub.base_url, "stub-model")
    assert restarted.settings.llm_api_key.get_secret_value() == "sk-secret-456"
    assert restarted.chat is not None and "已设置" in h.llm_status(restarted)

    # an empty key box keeps the saved key; switching to the template drafter is remembered too
    h.apply_llm(restarted, "", stub.base_url, "other-model", "")
    assert Services(Settings(home=home)).settings.llm_api_key.get_secret_value() == "sk-secret-456"
    h.apply_llm(restarted, "template", "", "", "")
    assert Services(Settings(home=home)).chat is None


def test_environment_overrides_saved_settings(services: Services, stub, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    home = services.settings.home
    h.apply_llm(services, "", stub.base_url, "saved-model", "sk-saved")
    monkeypatch.setenv("COPILOT_LLM_MODEL", "env-model")
    monkeypatch.setenv("COPILOT_LLM_API_KEY", "sk-env")
    svc = Services(Settings(home=home))
    assert svc.settings.llm_model == "env-model"
    assert svc.settings.llm_api_key.get_secret_value() == "sk-env"
    assert svc.settings.llm_base_url == stub.base_url  # not set in the environment: the saved one


def test_unreadable_saved_file_is_ignored(home: Path) -> None:
    home.mkdir(parents=True)
    (home / SETTINGS_FILE).write_text("{坏的", "utf-8")
    assert Services(Settings(home=home)).chat is None
