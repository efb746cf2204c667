"""Push approved posts to a WeCom (企业微信) group robot webhook, split to the size limit and rate limited.

Standard library only (urllib.request). One attempt per part, no retries: a failed part stops the push and
the result says which part failed and why. The webhook key is a secret: it is masked (key=abcd****) in
every message and log line.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import re
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import regex

from copilot.errors import CopilotError, InputError
from copilot.neterrors import describe_network_error

log = logging.getLogger(__name__)

LIMITS = {"text": 2048, "markdown": 4096}
"""Maximum UTF-8 bytes of one message's content, per msgtype."""
MAX_PER_MINUTE = 20
# A sentence keeps its end mark (and a closing quote after it), so the parts concatenate back to the text.
# Marks that attach to the character before them (variation selector, ZWJ, skin tones) stay with the sentence end.
_SENTENCE = re.compile(r"[^。！？～!?\n]*(?:[。！？～!?\n]+[\ufe0f\u200d\U0001f3fb-\U0001f3ff]*[”’」』）)]*|\Z)")
_CLAUSE = re.compile(r"[^，,]*(?:[，,]+|\Z)")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
WECOM_HOST = "qyapi.weixin.qq.com"
WECOM_PATH = "/cgi-bin/webhook/send"
ERRCODES: dict[int, str] = {
    45009: "群机器人发送太频繁，超过了每分钟 20 条的上限，请一分钟后再推送",
    93000: "Webhook 地址无效：key 不对，或这个机器人已被删除，请在群里重新复制机器人的 Webhook 地址",
    93004: "这个群机器人已被停用，请群主在企业微信群设置里重新启用",
    93008: "这个群机器人已不在群里（被移出群聊），请重新把机器人加进群",
    44004: "消息内容是空的，企业微信不接收",
    45002: "消息内容超过企业微信的长度上限，请缩短后再推送",
}
"""WeCom robot errcodes as operators should read them."""


class RateLimitError(CopilotError):
    """The robot's per-minute limit would be exceeded and the caller chose not to wait."""

    def __init__(self, message: str, wait_seconds: float) -> None:
        super().__init__(message)
        self.wait_seconds = wait_seconds


@dataclass(frozen=True)
class PushResult:
    """What a push did."""

    ok: bool
    """True when every part was accepted (errcode 0)."""
    sent: int
    """Parts the robot accepted."""
    total: int
    """Parts the text was split into."""
    message: str
    """What happened, in Chinese, with the webhook key masked."""
    errcode: int | None = None
    """The robot's errcode for the last reply, or None when there was no JSON reply."""


class RateLimiter:
    """At most `max_calls` per `period` seconds per key (a webhook URL); clock and sleep are injectable."""

    def __init__(
        self,
        max_calls: int = MAX_PER_MINUTE,
        period: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.max_calls = max_calls
        self.period = period
        self.clock = clock
        self.sleep = sleep
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _window(self, key: str, now: float) -> deque[float]:
        calls = self._calls.setdefault(key, deque())
        while calls and calls[0] <= now - self.period:
            calls.popleft()
        return calls

    def delay(self, key: str, n: int = 1) -> float:
        """Seconds until n more calls are allowed for key (0 when they are allowed now)."""
        with self._lock:
            now = self.clock()
            calls = self._window(key, now)
            excess = len(calls) + min(n, self.max_calls) - self.max_calls
            return 0.0 if excess <= 0 else max(0.0, calls[excess - 1] + self.period - now)

    def acquire(self, key: str, *, wait: bool = True) -> float:
        """Take one call slot, sleeping until one frees up (or raising RateLimitError when wait=False)."""
        waited = 0.0
        while True:
            with self._lock:
                now = self.clock()
                calls = self._window(key, now)
                if len(calls) < self.max_calls:
                    calls.append(now)
                    return waited
                pause = calls[0] + self.period - now
            if not wait:
                raise RateLimitError(_limit_message(self.max_calls, pause), pause)
            log.info("群机器人限速：等待 %.1f 秒", pause)
            self.sleep(pause)
            waited += pause


def _limit_message(max_calls: int, seconds: float) -> str:
    return f"这个群机器人每分钟最多发 {max_calls} 条消息，请 {max(1, math.ceil(seconds))} 秒后再推送"


DEFAULT_LIMITER = RateLimiter()
"""Shared by every push in this process, so separate pushes to one robot respect its limit together."""


class SharedRateLimiter(RateLimiter):
    """The same limit kept in a SQLite file in the workspace, so it holds across processes and restarts.

    Robots are told apart by a hash of their key (the key itself is a secret and is never stored). Times
    are wall-clock seconds, the only clock two processes share.
    """

    def __init__(
        self,
        path: Path,
        max_calls: int = MAX_PER_MINUTE,
        period: float = 60.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(max_calls, period, clock, sleep)
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(sqlite3.connect(path, timeout=10)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE IF NOT EXISTS calls (robot TEXT NOT NULL, at REAL NOT NULL)")
            conn.execute("CREATE INDEX IF NOT EXISTS calls_robot ON calls (robot, at)")
            conn.commit()

    @staticmethod
    def _robot(key: str) -> str:
        return hashlib.sha256((_key(key) or key).encode("utf-8")).hexdigest()[:24]

    @contextlib.contextmanager
    def _calls_in_window(self, key: str) -> Iterator[tuple[sqlite3.Connection, str, float, list[float]]]:
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")  # one process at a time reads and takes slots
            now = self.clock()
            robot = self._robot(key)
            conn.execute("DELETE FROM calls WHERE at <= ?", (now - self.period,))
            calls = [r[0] for r in conn.execute("SELECT at FROM calls WHERE robot=? ORDER BY at", (robot,))]
            yield conn, robot, now, calls
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    def delay(self, key: str, n: int = 1) -> float:
        """Seconds until n more calls are allowed for this robot (0 when they are allowed now)."""
        with self._calls_in_window(key) as (_, _, now, calls):
            excess = len(calls) + min(n, self.max_calls) - self.max_calls
            return 0.0 if excess <= 0 else max(0.0, calls[excess - 1] + self.period - now)

    def acquire(self, key: str, *, wait: bool = True) -> float:
        """Take one call slot for this robot, across every process using the workspace."""
        waited = 0.0
        while True:
            with self._calls_in_window(key) as (conn, robot, now, calls):
                if len(calls) < self.max_calls:
                    conn.execute("INSERT INTO calls (robot, at) VALUES (?, ?)", (robot, now))
                    return waited
                pause = calls[0] + self.period - now
            if not wait:
                raise RateLimitError(_limit_message(self.max_calls, pause), pause)
            log.info("群机器人限速：等待 %.1f 秒", pause)
            self.sleep(pause)
            waited += pause


def _key(url: str) -> str:
    return dict(parse_qsl(urlsplit(url).query)).get("key", "")


def mask_url(url: str) -> str:
    """The URL with its key shown as the first four characters then ****."""
    key = _key(url)
    return url.replace(key, mask_key(key)) if key else url


def mask_key(key: str) -> str:
    """abcd**** for a webhook key; **** when it is too short to show anything."""
    return f"{key[:4]}****" if len(key) > 8 else "****"


def _scrub(message: str, url: str) -> str:
    key = _key(url)
    return message.replace(url, mask_url(url)).replace(key, mask_key(key)) if key else message


def validate_url(url: str) -> str:
    """The stripped URL when it is a WeCom group robot webhook (a loopback robot is allowed for tests)."""
    url = (url or "").strip()
    example = f"https://{WECOM_HOST}{WECOM_PATH}?key=…"
    if not url:
        raise InputError(f"请填写群机器人的 Webhook 地址（形如 {example}）")
    parts = urlsplit(url)
    try:
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        port_ok = False
    host = parts.hostname or ""
    wecom = parts.scheme == "https" and host == WECOM_HOST and port_ok and parts.port in (None, 443)
    loopback = parts.scheme in ("http", "https") and host in _LOOPBACK and port_ok
    if not (wecom or loopback) or parts.path != WECOM_PATH or not _key(url) or parts.username or parts.password:
        raise InputError(
            f"这不是企业微信群机器人的 Webhook 地址，收到的是「{_scrub(url, url)[:60]}」。地址应形如 {example}："
            "请在企业微信群 → 群机器人 → 复制 Webhook 地址后粘贴"
        )
    return url


def _nbytes(s: str) -> int:
    return len(s.encode("utf-8"))


def _pieces(text: str, pattern: re.Pattern[str]) -> list[str]:
    return [m.group() for m in pattern.finditer(text) if m.group()]


_GRAPHEME = regex.compile(r"\X")


def _hard_split(text: str, limit: int) -> list[str]:
    """Chunks of at most limit bytes cut between grapheme clusters: an emoji family (ZWJ), a flag or a skin
    tone stays whole. A single cluster longer than the limit (never seen in a post) is cut between code points."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    clusters: list[str] = []
    for cluster in _GRAPHEME.findall(text):
        clusters.extend([cluster] if _nbytes(cluster) <= limit else list(cluster))
    for ch in clusters:
        n = _nbytes(ch)
        if current and size + n > limit:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += n
    if current:
        chunks.append("".join(current))
    return chunks


def split_text(text: str, limit: int = LIMITS["text"]) -> list[str]:
    """Parts of at most limit UTF-8 bytes, cut after 。！？～ or a newline, else after ，, else between characters."""
    if limit < 4:
        raise ValueError("limit must leave room for one UTF-8 character")
    units: list[str] = []
    for sentence in _pieces(text, _SENTENCE):
        if _nbytes(sentence) <= limit:
            units.append(sentence)
            continue
        for clause in _pieces(sentence, _CLAUSE):
            units.extend([clause] if _nbytes(clause) <= limit else _hard_split(clause, limit))
    parts: list[str] = []
    current, size = "", 0
    for unit in units:
        n = _nbytes(unit)
        if current and size + n > limit:
            parts.append(current)
            current, size = "", 0
        current += unit
        size += n
    if current:
        parts.append(current)
    return parts


def _body(msgtype: str, content: str) -> bytes:
    return json.dumps({"msgtype": msgtype, msgtype: {"content": content}}, ensure_ascii=False).encode("utf-8")


def _send(url: str, body: bytes, timeout: float) -> tuple[str, int | None]:
    """One POST; returns (error in Chinese or "", errcode or None)."""
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    # A loopback robot (tests, a local relay) must not go through an HTTP proxy set in the environment.
    handlers = [urllib.request.ProxyHandler({})] if urlsplit(url).hostname in _LOOPBACK else []
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        return f"服务器返回 HTTP {exc.code}", None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            return f"网络超时（{timeout:g} 秒内没有回复）", None
        return describe_network_error(exc), None
    except TimeoutError:
        return f"网络超时（{timeout:g} 秒内没有回复）", None
    except OSError as exc:
        return describe_network_error(exc), None
    if status != 200:
        return f"服务器返回 HTTP {status}", None
    try:
        reply = json.loads(raw.decode("utf-8"))
        errcode = int(reply.get("errcode", -1))
    except (UnicodeDecodeError, ValueError, AttributeError, TypeError):
        return f"回复不是企业微信的 JSON：{raw[:80].decode('utf-8', 'replace')}", None
    if errcode != 0:
        errmsg = str(reply.get("errmsg", ""))[:120]
        known = ERRCODES.get(errcode)
        return (
            f"企业微信返回错误 {errcode}：{known}（{errmsg}）" if known else f"企业微信返回错误 {errcode}：{errmsg}"
        ), errcode
    return "", 0


def push(
    url: str,
    text: str,
    msgtype: str = "text",
    *,
    timeout: float = 10,
    limiter: RateLimiter | None = None,
    wait: bool = True,
) -> PushResult:
    """Send text to a group robot, split to the size limit, one attempt per part; stops at the first failure."""
    url = validate_url(url)
    if msgtype not in LIMITS:
        raise InputError(f"不支持的消息类型「{msgtype}」，只能是 text 或 markdown")
    if not text.strip():
        raise InputError("推送内容为空")
    limiter = limiter if limiter is not None else DEFAULT_LIMITER
    parts = split_text(text, LIMITS[msgtype])
    total = len(parts)
    if not wait:
        if total > limiter.max_calls:
            raise RateLimitError(
                f"这条内容要分 {total} 条发，超过群机器人每分钟 {limiter.max_calls} 条的上限，请缩短后再推送", 0.0
            )
        pause = limiter.delay(url, total)
        if pause > 0:
            raise RateLimitError(_limit_message(limiter.max_calls, pause), pause)
    masked = mask_url(url)
    log.info("推送到 %s：%s，共 %d 段", masked, msgtype, total)
    errcode: int | None = None
    for i, part in enumerate(parts, start=1):
        limiter.acquire(url, wait=wait)
        error, errcode = _send(url, _body(msgtype, part), timeout)
        if error:
            if total == 1:
                message = f"推送失败（{masked}）：{error}"
            else:
                message = (
                    f"第 {i}/{total} 段发送失败（{masked}）：{error}。前 {i - 1} 段已发出，后面 {total - i} 段没有发送"
                )
            message = _scrub(message, url)
            log.warning("%s", message)
            return PushResult(False, i - 1, total, message, errcode)
    message = "已推送到群机器人" + (f"（分 {total} 段发送）" if total > 1 else "")
    return PushResult(True, total, total, message, errcode)
