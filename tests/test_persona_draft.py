"""`persona draft`: a persona YAML from the IP's own messages that the persona loader accepts."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from copilot.errors import InputError
from copilot.persona import load_persona
from copilot.persona_draft import draft_from_file
from tests.conftest import ROOT

TZ8 = dt.timezone(dt.timedelta(hours=8))


def _export(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """A chatlog JSON of (time, sender, text) in one group; sender `ip` is the exporter."""
    items = []
    for n, (when, who, text) in enumerate(rows):
        t = dt.datetime.fromisoformat(when).replace(tzinfo=TZ8)
        items.append(
            {
                "seq": n,
                "time": t.isoformat(),
                "talker": "9@chatroom",
                "talkerName": "宝妈成长群",
                "isChatRoom": True,
                "sender": "wxid_lumama" if who == "ip" else f"wxid_{who}",
                "senderName": "小鹿妈妈" if who == "ip" else who,
                "isSelf": who == "ip",
                "type": 1,
                "subType": 0,
                "content": text,
            }
        )
    path.write_text(json.dumps(items, ensure_ascii=False), "utf-8")
    return path


def _days() -> list[tuple[str, str, str]]:
    rows = []
    for day in range(1, 6):
        d = f"2026-10-{day:02d}"
        rows += [
            (
                f"{d} 07:{25 + day}:00",
                "ip",
                f"宝妈们早上好呀🌞 今天第{day}天打卡，先给娃冲杯奶再说～慢慢来，不着急\n——小鹿妈妈",
            ),
            (f"{d} 07:40:00", "阿琳", "早上好，收到收到"),
            (f"{d} 07:41:00", "小雨", "收到收到，打卡"),
            (
                f"{d} 20:{day:02d}:00",
                "ip",
                f"宝妈们，今晚聊聊辅食第{day}课：南瓜泥怎么做不腻？🎃 慢慢来，不着急\n——小鹿妈妈",
            ),
            (f"{d} 20:05:00", "阿琳", "收到收到，我家宝宝最爱南瓜"),
            (f"{d} 21:{30 + day}:00", "ip", "宝妈们晚安啦🌙 娃睡了自己也早点睡\n——小鹿妈妈"),
        ]
    return rows


def test_draft_finds_voice_and_slots_and_loads(tmp_path: Path) -> None:
    text = draft_from_file(_export(tmp_path / "群.json", _days()), "self")
    out = tmp_path / "persona.yaml"
    out.write_text(text, "utf-8")
    persona = load_persona(out)
    assert persona.name == "小鹿妈妈"
    assert persona.address_form == ("宝妈们",)
    assert "慢慢来，不着急" in persona.catchphrases
    assert not any("收到" in c for c in persona.catchphrases)  # the members' phrase, not the IP's
    assert not any(any(ch.isdigit() for ch in c) for c in persona.catchphrases)  # dates and numbers are facts
    assert persona.signoff == "——小鹿妈妈"
    assert {"🌞", "🌙", "🎃"} <= set(persona.emoji)
    slots = [(s.time, s.content_type) for s in persona.groups[0].slots]
    assert slots == [("07:30", "早安"), ("20:00", "话题"), ("21:30", "晚安")]
    assert text.count("待填写") >= 8 and persona.brand == "" and persona.intro.who == ""


def test_draft_refuses_without_ip_text(tmp_path: Path) -> None:
    path = _export(tmp_path / "x.json", [("2026-10-01 08:00:00", "阿琳", "早")])
    with pytest.raises(InputError, match="self"):
        draft_from_file(path, "self")


def test_cli_persona_draft_on_the_demo_export(tmp_path: Path, home: Path) -> None:
    out = tmp_path / "阿禾.yaml"
    env = {"COPILOT_HOME": str(home), "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "copilot", "persona", "draft", str(ROOT / "knowledge" / "chat_export.json")]
    run = subprocess.run([*cmd, "--ip", "self", "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    persona = load_persona(out)
    assert persona.name == "阿禾" and "喝茶不急，慢慢来" in persona.catchphrases
    assert persona.groups[0].name == "山茶小院·茶友福利群"
    again = subprocess.run([*cmd, "--ip", "self", "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert again.returncode == 1 and "--force" in again.stderr


def test_draft_handler_returns_yaml_or_a_commented_reason() -> None:
    from copilot.handlers_group import draft_persona

    text = draft_persona(str(ROOT / "knowledge" / "chat_export.json"), "self")
    assert text.startswith("# 由 copilot persona draft") and 'name: "阿禾"' in text
    assert draft_persona(None, "self").startswith("# 请先选择")
    assert "找不到发送者" in draft_persona(str(ROOT / "knowledge" / "chat_export.json"), "没有这个人")
