"""Shared fixtures: every test gets its own COPILOT_HOME and a real Chroma store in a temp dir."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
for var in (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "COPILOT_LLM_BASE_URL",
    "COPILOT_LLM_API_KEY",
    "COPILOT_LLM_MODEL",
    "COPILOT_LLM_PRESET",
    "COPILOT_AUTH",
):
    os.environ.pop(var, None)

from copilot.config import Settings  # noqa: E402
from copilot.services import Services  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

SAMPLE_POSTS = [
    {
        "id": "t1",
        "text": "茶友们早上好呀🍵 今天山里下了一夜雨，晒青场又得等一天啦。喝茶不急，慢慢来。",
        "content_type": "早安",
        "group": "茶友群",
        "replies": 12,
        "reactions": 30,
    },
    {
        "id": "t2",
        "text": "白茶别用滚开的水冲，85度左右就够了，嫩芽怕烫，烫了会发苦发闷。",
        "content_type": "干货",
        "group": "茶友群",
        "replies": 40,
        "reactions": 80,
    },
    {
        "id": "t3",
        "text": "梅雨季节茶叶最怕受潮，密封罐加干燥剂，放在阴凉通风的地方，别放冰箱。",
        "content_type": "干货",
        "group": "茶友群",
        "replies": 55,
        "reactions": 60,
    },
    {
        "id": "t4",
        "text": "你们小时候家里有没有一个搪瓷缸子？外婆总用它泡最粗的茶叶，现在想起来还是那个味道。",
        "content_type": "话题",
        "topic_type": "情怀共鸣",
        "group": "茶友群",
        "replies": 90,
        "reactions": 70,
    },
    {
        "id": "t5",
        "text": "周四晚上8点直播，99元3泡装试饮包，接龙报名的茶友优先发货。",
        "content_type": "活动提醒",
        "group": "福利群",
        "replies": 8,
        "reactions": 10,
        "signups": 45,
    },
    {
        "id": "t6",
        "text": "晚安啦茶友们，明天早上7点半一起打卡第十天，记得先喝口温水再喝茶。",
        "content_type": "晚安",
        "group": "福利群",
        "replies": 3,
        "reactions": 15,
    },
]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh workspace directory set as COPILOT_HOME."""
    h = tmp_path / "home"
    monkeypatch.setenv("COPILOT_HOME", str(h))
    return h


@pytest.fixture
def services(home: Path) -> Services:
    """Services for an empty workspace."""
    return Services(Settings(home=home))


@pytest.fixture(scope="session")
def demo_services(demo_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Services:
    """Services on a copy of the demo workspace, made once per test session (read-only use)."""
    import shutil

    h = tmp_path_factory.mktemp("demo-home") / "demo"
    shutil.copytree(demo_home, h)  # a copy, not a second ingest of the same brand
    return Services(Settings(home=h))


@pytest.fixture(autouse=True)
def _no_remote_llm(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that builds a chat client pointing anywhere but the loopback stub."""
    from urllib.parse import urlparse

    from copilot import llm

    real_init = llm.Chat.__init__

    def guarded(self, base_url: str, *args, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        host = urlparse(base_url).hostname
        assert host in ("127.0.0.1", "localhost"), f"test tried to reach a real LLM endpoint: {base_url}"
        real_init(self, base_url, *args, **kwargs)

    monkeypatch.setattr(llm.Chat, "__init__", guarded)


@pytest.fixture
def stub():
    """A loopback OpenAI-compatible server that records every request."""
    from copilot.testing import StubLLM

    server = StubLLM().start()
    yield server
    server.stop()


def llm_settings(home: Path, stub, **extra) -> Settings:  # noqa: ANN001, ANN003
    """Settings pointing the chat model at the stub, with fast retries."""
    values = {"llm_max_retries": 2, "llm_timeout": 5, **extra}
    return Settings(home=home, llm_base_url=stub.base_url, llm_model="stub-model", llm_api_key="sk-test", **values)


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo workspace ingested once; tests copy it so each gets its own review DB."""
    h = tmp_path_factory.mktemp("demo-src")
    report = Services(Settings(home=h)).ingest_demo()
    assert report is not None and not report.refused, report
    return h


@pytest.fixture
def demo_copy(demo_home: Path, tmp_path: Path) -> Path:
    """A private copy of the demo workspace (Chroma store included)."""
    import shutil

    target = tmp_path / "demo"
    shutil.copytree(demo_home, target)
    return target


# Module-scoped: each test module gets its own workspace, so one module's saved days never shape another's.
@pytest.fixture(scope="module")
def baby(tmp_path_factory: pytest.TempPathFactory) -> Services:
    """A second brand (母婴, fields with （）「」、, its own rhythm, a short-lived group), ingested with its calendar."""
    fix = Path(__file__).resolve().parent / "fixtures"
    svc = Services(Settings(home=tmp_path_factory.mktemp("baby")))
    report = svc.ingest([fix / "baby_posts.jsonl"], persona=fix / "baby_persona.yaml")
    assert not report.refused, report.refused
    svc.calendar.import_file(fix / "baby_calendar.yaml", [g.name for g in svc.persona().groups])
    return svc


@pytest.fixture(scope="module")
def demo(demo_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Services:
    """A copy of the demo workspace for one test module."""
    import shutil

    home = tmp_path_factory.mktemp("demo-module") / "home"
    shutil.copytree(demo_home, home)
    return Services(Settings(home=home))
