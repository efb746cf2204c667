"""COPILOT_CHROMA_URL: several processes share one Chroma server started with `chroma run` on loopback."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from copilot.config import Settings
from copilot.errors import ConfigError
from copilot.services import Services

CHROMA = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    if not Path(CHROMA).exists():
        pytest.skip("chroma 命令不存在（chromadb 没装全）")
    port = _free_port()
    proc = subprocess.Popen(
        [CHROMA, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.stdout is not None
    for line in proc.stdout:  # the server says when it listens: no polling, no sleeps
        if "listening on address" in line:
            break
    else:
        pytest.fail("chroma run 没有启动")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _posts(path: Path, prefix: str, n: int) -> Path:
    rows = [
        {"id": f"{prefix}{i}", "text": f"茶友们好，{prefix} 第 {i} 条：白茶用 85 度的水。", "类型": "干货"}
        for i in range(n)
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    return path


def test_two_workspaces_and_a_cli_share_one_chroma_server(
    chroma_url: str,
    tmp_path: Path,
    monkeypatch,
    capsys,  # noqa: ANN001
) -> None:
    from copilot.cli import main

    one = Services(Settings(home=tmp_path / "app1", chroma_url=chroma_url))
    two = Services(Settings(home=tmp_path / "app2", chroma_url=chroma_url))
    assert one.ingest([_posts(tmp_path / "甲.jsonl", "a", 4)]).added == 4
    assert two.ingest([_posts(tmp_path / "乙.jsonl", "b", 3)]).added == 3
    assert one.store.count() == two.store.count() == 7
    assert not (tmp_path / "app1" / "chroma" / "chroma.sqlite3").exists()  # nothing stored locally
    hits = two.retriever.search("白茶 85 度", k=7)
    assert {h.post.id for h in hits} == {"a0", "a1", "a2", "a3", "b0", "b1", "b2"}
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path / "cli"))
    monkeypatch.setenv("COPILOT_CHROMA_URL", chroma_url)
    assert main(["stats", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["by_content_type"] == {"干货": 7}


def test_a_bad_or_unreachable_server_url_is_explained_in_chinese(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="应写成 http://主机:端口"):
        _ = Services(Settings(home=tmp_path / "h1", chroma_url="chroma.local:8000")).store
    with pytest.raises(ConfigError, match="连不上 Chroma 服务") as err:
        _ = Services(Settings(home=tmp_path / "h2", chroma_url=f"http://127.0.0.1:{_free_port()}")).store
    assert "连接被拒绝" in str(err.value)
