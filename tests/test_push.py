"""Pushing to a WeCom group robot: a real loopback webhook server, splitting, errors, rate limit, key masking."""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from copilot.errors import InputError
from copilot.push import (
    LIMITS,
    PushResult,
    RateLimiter,
    RateLimitError,
    mask_url,
    push,
    split_text,
    validate_url,
)

KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


class Robot:
    """A loopback stand-in for the WeCom webhook that records each request and replays scripted answers."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answers: deque[tuple[int, bytes]] = deque()
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                return

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                parts = urlsplit(self.path)
                robot.requests.append(
                    {
                        "path": parts.path,
                        "query": parse_qs(parts.query),
                        "content_type": self.headers["Content-Type"],
                        "body": json.loads(raw.decode("utf-8")),
                    }
                )
                status, body = robot.answers.popleft() if robot.answers else (200, b'{"errcode":0,"errmsg":"ok"}')
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/webhook/send?key={KEY}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def answer(self, status: int, reply: dict[str, Any] | str) -> None:
        """Queue one answer for the next request."""
        body = reply if isinstance(reply, str) else json.dumps(reply, ensure_ascii=False)
        self.answers.append((status, body.encode("utf-8")))

    @property
    def contents(self) -> list[str]:
        """The content of every message received, in order."""
        return [r["body"][r["body"]["msgtype"]]["content"] for r in self.requests]


@pytest.fixture
def robot() -> Iterator[Robot]:
    """A running loopback webhook, shut down after the test."""
    r = Robot()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()
    r.thread.join(timeout=5)


class FakeClock:
    """A clock whose sleep advances time instead of waiting, recording every pause."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def limiter() -> RateLimiter:
    """A fresh limiter per test so tests do not share the process-wide one."""
    return RateLimiter()


LONG_TEXT = (
    "茶友们晚上好🍵 今天想和大家认真聊聊普洱茶的存放。"
    + "梅雨季节茶叶最怕受潮，密封罐加干燥剂，放在阴凉通风的地方，别放冰箱！" * 60
    + "有问题随时在群里问我～\n——阿禾，在茶山"
)


def test_text_push_sends_wecom_json(robot: Robot, limiter: RateLimiter) -> None:
    result = push(robot.url, "茶友们早上好呀🍵 今天山里下了一夜雨。", limiter=limiter)
    assert result == PushResult(True, 1, 1, "已推送到群机器人", 0)
    (request,) = robot.requests
    assert request["path"] == "/cgi-bin/webhook/send"
    assert request["query"] == {"key": [KEY]}
    assert request["content_type"].startswith("application/json")
    assert request["body"] == {"msgtype": "text", "text": {"content": "茶友们早上好呀🍵 今天山里下了一夜雨。"}}


def test_markdown_push_uses_markdown_body(robot: Robot, limiter: RateLimiter) -> None:
    result = push(robot.url, "**今晚 8 点直播**\n> 熟普专场", msgtype="markdown", limiter=limiter)
    assert result.ok
    assert robot.requests[0]["body"] == {
        "msgtype": "markdown",
        "markdown": {"content": "**今晚 8 点直播**\n> 熟普专场"},
    }


def test_long_text_is_split_into_ordered_parts_within_the_limit(robot: Robot, limiter: RateLimiter) -> None:
    assert len(LONG_TEXT.encode("utf-8")) > 2 * LIMITS["text"]
    result = push(robot.url, LONG_TEXT, limiter=limiter)
    assert result.ok and result.sent == result.total == len(robot.requests) >= 3
    assert f"分 {result.total} 段" in result.message
    assert all(len(c.encode("utf-8")) <= 2048 for c in robot.contents)
    assert "".join(robot.contents) == LONG_TEXT
    assert all(c.endswith(("。", "！", "\n", "～", "在茶山")) for c in robot.contents)


def test_markdown_parts_may_be_larger() -> None:
    text_parts = split_text(LONG_TEXT, LIMITS["text"])
    md_parts = split_text(LONG_TEXT, LIMITS["markdown"])
    assert len(md_parts) < len(text_parts)
    assert all(len(p.encode("utf-8")) <= 4096 for p in md_parts)
    assert "".join(md_parts) == LONG_TEXT


def test_a_sentence_too_long_is_cut_after_commas() -> None:
    sentence = "，".join(["梅雨天把茶饼放进密封罐"] * 20) + "。"
    parts = split_text(sentence, 100)
    assert len(parts) > 1
    assert "".join(parts) == sentence
    assert all(len(p.encode("utf-8")) <= 100 for p in parts)
    assert all(p.endswith(("，", "。")) for p in parts)


def test_hard_split_never_cuts_a_character() -> None:
    text = "茶" * 100 + "🍵" * 10  # no punctuation at all; 3-byte and 4-byte characters
    parts = split_text(text, 64)
    assert "".join(parts) == text
    assert all(len(p.encode("utf-8")) <= 64 for p in parts)
    assert parts[0] == "茶" * 21  # 63 bytes: one more character would need 66


def test_short_text_is_one_part() -> None:
    assert split_text("晚安啦茶友们。明天见！", 2048) == ["晚安啦茶友们。明天见！"]


def test_errcode_failure_reports_errmsg(robot: Robot, limiter: RateLimiter) -> None:
    robot.answer(200, {"errcode": 93000, "errmsg": "invalid webhook url, hint: [1700000000]"})
    result = push(robot.url, "测试消息", limiter=limiter)
    assert not result.ok
    assert result.errcode == 93000
    assert result.sent == 0
    assert "93000" in result.message and "invalid webhook url" in result.message


def test_http_500_stops_at_the_failed_part(robot: Robot, limiter: RateLimiter) -> None:
    robot.answer(200, {"errcode": 0, "errmsg": "ok"})
    robot.answer(500, "服务器内部错误")
    result = push(robot.url, LONG_TEXT, limiter=limiter)
    assert not result.ok
    assert result.sent == 1
    assert len(robot.requests) == 2  # no retry, nothing after the failed part
    assert f"第 2/{result.total} 段" in result.message
    assert "HTTP 500" in result.message
    assert result.errcode is None


def test_malformed_reply_is_a_failure(robot: Robot, limiter: RateLimiter) -> None:
    robot.answer(200, "<html>网关错误</html>")
    result = push(robot.url, "测试消息", limiter=limiter)
    assert not result.ok and "JSON" in result.message


def test_network_error_is_reported(limiter: RateLimiter) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = push(f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key={KEY}", "测试消息", limiter=limiter, timeout=2)
    assert not result.ok
    assert "连接被拒绝" in result.message and "Connection refused" in result.message
    assert KEY not in result.message


def test_key_is_masked_in_messages_and_logs(
    robot: Robot, limiter: RateLimiter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="copilot.push")
    robot.answer(200, {"errcode": 40008, "errmsg": "invalid message type"})
    result = push(robot.url, "测试消息", limiter=limiter)
    assert KEY not in result.message
    assert "key=693a****" in result.message
    assert caplog.records and all(KEY not in r.getMessage() for r in caplog.records)
    assert mask_url(robot.url).endswith("key=693a****")


@pytest.mark.parametrize(
    "url",
    [
        "ftp://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
        "qyapi.weixin.qq.com/send",
        "file:///etc/passwd",
        "",
        "http://127.0.0.1:端口/send",
        # any other host, plain http to WeCom, another path or no key: the audit's "push accepts any URL"
        "https://example.com/cgi-bin/webhook/send?key=abc",
        "https://qyapi.weixin.qq.com.evil.cn/cgi-bin/webhook/send?key=abc",
        "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
        "https://qyapi.weixin.qq.com/cgi-bin/message/send?key=abc",
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send",
        "https://user:pw@qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
        "http://10.0.0.8/cgi-bin/webhook/send?key=abc",
    ],
)
def test_bad_url_is_refused(url: str, limiter: RateLimiter) -> None:
    with pytest.raises(InputError, match="Webhook"):
        push(url, "测试消息", limiter=limiter)


def test_bad_url_message_does_not_echo_the_key() -> None:
    with pytest.raises(InputError) as err:
        validate_url(f"ftp://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}")
    assert KEY not in str(err.value)
    assert "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" in str(err.value)


def test_unknown_msgtype_and_empty_text_refused(robot: Robot, limiter: RateLimiter) -> None:
    with pytest.raises(InputError, match="image"):
        push(robot.url, "测试", msgtype="image", limiter=limiter)
    with pytest.raises(InputError, match="为空"):
        push(robot.url, "  \n", limiter=limiter)
    assert robot.requests == []


def test_rate_limiter_21st_call_raises_without_waiting() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    for _ in range(20):
        assert limiter.acquire("群A") == 0.0
    clock.now += 15
    with pytest.raises(RateLimitError) as err:
        limiter.acquire("群A", wait=False)
    assert err.value.wait_seconds == pytest.approx(45)
    assert "45 秒后" in str(err.value)
    assert limiter.acquire("群B", wait=False) == 0.0  # each robot has its own budget
    assert clock.sleeps == []


def test_rate_limiter_21st_call_waits_on_the_clock() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    for _ in range(20):
        limiter.acquire("群A")
    clock.now += 10
    assert limiter.acquire("群A") == pytest.approx(50)
    assert clock.sleeps == [pytest.approx(50)]
    # All of the first 20 fell out of the window together; only the 21st still counts.
    assert limiter.delay("群A", 19) == 0.0
    assert limiter.delay("群A", 20) == pytest.approx(60)


def test_push_respects_the_limit_per_robot(robot: Robot) -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    for i in range(20):
        assert push(robot.url, f"第 {i + 1} 条", limiter=limiter).ok
    with pytest.raises(RateLimitError, match="秒后再推送"):
        push(robot.url, "第 21 条", limiter=limiter, wait=False)
    assert len(robot.requests) == 20
    result = push(robot.url, "第 21 条", limiter=limiter)
    assert result.ok and clock.sleeps == [pytest.approx(60)]
    assert robot.contents[-1] == "第 21 条"


def test_no_wait_refuses_before_sending_any_part(robot: Robot) -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    for _ in range(19):
        limiter.acquire(robot.url)
    with pytest.raises(RateLimitError):
        push(robot.url, LONG_TEXT, limiter=limiter, wait=False)  # needs several slots, only one is free
    assert robot.requests == []


def test_the_real_wecom_robot_url_is_accepted() -> None:
    url = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}"
    assert validate_url(f"  {url} ") == url


@pytest.mark.parametrize(
    ("errcode", "needle"),
    [
        (45009, "每分钟 20 条"),
        (93000, "Webhook 地址无效"),
        (93004, "已被停用"),
        (93008, "不在群里"),
        (44004, "空"),
        (45002, "长度上限"),
    ],
)
def test_wecom_errcodes_become_chinese(robot: Robot, limiter: RateLimiter, errcode: int, needle: str) -> None:
    robot.answer(200, {"errcode": errcode, "errmsg": "some english errmsg"})
    result = push(robot.url, "测试消息", limiter=limiter)
    assert not result.ok and result.errcode == errcode
    assert needle in result.message and str(errcode) in result.message


EMOJI = "👨‍👩‍👧‍👦🇨🇳👍🏽🏳️‍🌈👩🏻‍💻"


def test_split_never_cuts_an_emoji_family_flag_or_skin_tone() -> None:
    import regex

    text = ("茶友们" + EMOJI) * 40
    clusters = set(regex.findall(r"\X", text))
    for limit in (25, 31, 64, 2048):
        parts = split_text(text, limit)
        assert "".join(parts) == text
        for part in parts:
            assert len(part.encode("utf-8")) <= limit
            assert set(regex.findall(r"\X", part)) <= clusters  # every cluster arrived whole


def test_a_sentence_end_keeps_its_emoji_modifiers() -> None:
    text = "好的！️ 下一句。" + "字" * 30
    parts = split_text(text, 24)
    assert "".join(parts) == text and parts[0].startswith("好的！️")


def test_the_robot_limit_holds_across_processes_and_restarts(tmp_path: Path) -> None:
    import subprocess
    import sys

    from conftest import ROOT

    from copilot.push import SharedRateLimiter

    db = tmp_path / "push_rate.sqlite3"
    url = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}"
    other = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=another-robot-key"
    code = (
        "import sys; from pathlib import Path; from copilot.push import SharedRateLimiter;"
        "lim = SharedRateLimiter(Path(sys.argv[1]));"
        "[lim.acquire(sys.argv[2], wait=False) for _ in range(20)]"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(db), url], cwd=ROOT, env={"PYTHONPATH": str(ROOT)}, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    restarted = SharedRateLimiter(db)  # another process, or this one after a restart
    with pytest.raises(RateLimitError, match="每分钟最多发 20 条") as err:
        restarted.acquire(url, wait=False)
    assert 0 < err.value.wait_seconds <= 60
    assert restarted.delay(url) > 0 and restarted.delay(other) == 0
    restarted.acquire(other, wait=False)  # robots are limited separately
    assert KEY not in db.read_bytes().decode("latin-1")  # only a hash of the key is stored


def test_the_shared_limit_frees_slots_as_the_minute_passes(tmp_path: Path) -> None:
    from copilot.push import SharedRateLimiter

    now = [1_000_000.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    a = SharedRateLimiter(tmp_path / "r.sqlite3", clock=lambda: now[0], sleep=sleep)
    b = SharedRateLimiter(tmp_path / "r.sqlite3", clock=lambda: now[0], sleep=sleep)
    for i in range(20):
        (a if i % 2 else b).acquire("robot")
    now[0] += 30
    assert b.acquire("robot") == pytest.approx(30)  # waited for the oldest call to leave the window
    assert slept == [pytest.approx(30)]
