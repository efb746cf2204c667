"""One writer per workspace, an ingest journal that survives kill -9, and atomic no-symlink writes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

from copilot.config import Settings
from copilot.services import Services
from copilot.workspace import atomic_write, journal_path, write_lock


def _posts(path: Path, prefix: str, n: int) -> Path:
    rows = [
        {
            "id": f"{prefix}{i}",
            "text": f"茶友们早上好呀，{prefix} 第 {i} 条：今天的白茶记得用 85 度的水。",
            "content_type": "早安",
        }
        for i in range(n)
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    return path


def _copilot(home: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    full = {**os.environ, "COPILOT_HOME": str(home), "PYTHONPATH": str(ROOT), **env}
    return subprocess.Popen(
        [sys.executable, "-m", "copilot", *args],
        cwd=ROOT,
        env=full,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(proc: subprocess.Popen[str], needle: str) -> str:
    """Read the process's stderr until a line contains needle (the process blocks there: no timing guess)."""
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if needle in line:
            return line
    raise AssertionError(f"进程结束了也没有输出「{needle}」：{''.join(seen)[-800:]}")


def _stub_embedding(stub) -> dict[str, str]:  # noqa: ANN001
    """Embeddings from the loopback stub: each process skips loading the offline model (test speed only)."""
    return {
        "COPILOT_EMBEDDING": "openai",
        "COPILOT_EMBEDDING_BASE_URL": stub.base_url,
        "COPILOT_EMBEDDING_MODEL": "stub-embed",
    }


def test_two_ingests_into_one_fresh_home_wait_for_each_other_and_both_land(
    tmp_path: Path,
    monkeypatch,
    capsys,
    stub,  # noqa: ANN001
) -> None:
    home = tmp_path / "home"
    env = _stub_embedding(stub)
    a, b = _posts(tmp_path / "甲.jsonl", "a", 5), _posts(tmp_path / "乙.jsonl", "b", 7)
    # Hold the workspace's writer lock so both processes reach it at once, then let them race for it.
    with write_lock(home).hold():
        first, second = _copilot(home, "ingest", str(a), **env), _copilot(home, "ingest", str(b), **env)
        for proc in (first, second):
            assert "等它完成" in _wait_for(proc, "另一个导入")
    outs = [proc.communicate(timeout=120) for proc in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outs
    assert "新增 5 条" in outs[0][0] and "新增 7 条" in outs[1][0]
    from copilot.cli import main

    monkeypatch.setenv("COPILOT_HOME", str(home))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["stats", "--json"]) == 0  # the audit saw a segmentation fault here
    assert json.loads(capsys.readouterr().out)["by_content_type"] == {"早安": 12}
    svc = Services(Settings(home=home))
    assert svc.store.count() == 12 and svc.store.collection.name == "posts_oa-stub-embed"
    assert {h.post.id for h in svc.retriever.search("白茶 85 度", k=12)} == {f"a{i}" for i in range(5)} | {
        f"b{i}" for i in range(7)
    }


def test_kill_9_mid_ingest_is_rolled_back_then_the_file_imports_whole(tmp_path: Path, stub, monkeypatch) -> None:  # noqa: ANN001
    home = tmp_path / "home"
    env = _stub_embedding(stub)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    posts = _posts(tmp_path / "帖子.jsonl", "k", 10)
    proc = _copilot(home, "ingest", str(posts), COPILOT_INGEST_BATCH="4", COPILOT_TEST_PAUSE_INGEST="1", **env)
    _wait_for(proc, "PAUSED-MID-INGEST")  # 4 of 10 posts are stored, the journal names all 10
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert journal_path(home).exists()
    svc = Services(Settings(home=home))
    assert svc.store.count() == 0  # rolled back when the store was opened
    assert not journal_path(home).exists()
    report = svc.ingest([posts])
    assert (report.added, report.refused) == (10, ())
    assert svc.store.count() == 10


def test_an_interrupted_ingest_rolls_back_only_its_own_posts(services: Services, tmp_path: Path) -> None:
    first = _posts(tmp_path / "旧.jsonl", "old", 3)
    assert services.ingest([first]).added == 3
    # What a killed ingest leaves behind: a journal and part of its posts stored.
    atomic_write(journal_path(services.settings.home), json.dumps({"file": "新.jsonl", "ids": ["new0", "new1"]}))
    services.store.add(_read(_posts(tmp_path / "新.jsonl", "new", 1)))
    report = services.ingest([])
    assert any("中途被打断" in r and "新.jsonl" in r for r in report.refused)
    assert sorted(p.id for p in services.store.all_posts()) == ["old0", "old1", "old2"]


def _read(path: Path) -> list:
    from copilot.readers import read_posts

    return read_posts(path)


def test_persona_install_replaces_a_planted_symlink_instead_of_writing_through_it(
    services: Services, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("别动我", "utf-8")
    home = services.settings.home
    home.mkdir(parents=True, exist_ok=True)
    for name in ("persona.tmp", "persona.yaml"):
        (home / name).symlink_to(victim)
    report = services.ingest([], persona=ROOT / "knowledge" / "persona.yaml")
    assert report.refused == ()
    assert victim.read_text("utf-8") == "别动我"
    assert not (home / "persona.yaml").is_symlink()
    assert services.persona().name


def test_persona_over_the_size_limit_is_refused_from_the_cli(
    home: Path,
    tmp_path: Path,
    monkeypatch,
    capsys,  # noqa: ANN001
) -> None:
    from copilot.cli import main

    monkeypatch.setenv("COPILOT_MAX_PERSONA_KB", "64")
    big = tmp_path / "人设.yaml"
    big.write_text("name: 阿禾\ntone: [" + ", ".join(["温柔"] * 40000) + "]\n", "utf-8")
    assert main(["ingest", "--persona", str(big)]) == 1
    assert "超过上限 64 KB" in capsys.readouterr().out and not (home / "persona.yaml").exists()


def test_an_upload_in_the_app_waits_for_a_cli_ingest_and_says_so(services: Services, tmp_path: Path) -> None:
    import threading

    from copilot import handlers as h

    home = services.settings.home
    home.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(  # another process holding the writer lock, as a running `copilot ingest` does
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); fcntl.flock(fd, fcntl.LOCK_EX);"
            "print('locked', flush=True); sys.stdin.read(1)",
            str(home / ".write.lock"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdin is not None
    assert holder.stdout.readline().strip() == "locked"
    waiting = threading.Event()
    seen: list[str] = []

    def progress(label: str, done: int, total: int) -> None:
        seen.append(label)
        if "另一个导入" in label:
            waiting.set()

    result: list[str] = []
    posts = _posts(tmp_path / "上传.jsonl", "u", 3)
    worker = threading.Thread(
        target=lambda: result.append(h.upload_knowledge(services, [str(posts)], progress=progress))
    )
    worker.start()
    assert waiting.wait(timeout=60)
    assert not result  # still waiting for the other writer
    holder.stdin.write("x")
    holder.stdin.close()
    holder.wait(timeout=30)
    worker.join(timeout=120)
    assert result and "新增 3 条" in result[0]
    assert services.store.count() == 3
