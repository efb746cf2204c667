"""The login gate in front of the web app (an ASGI middleware; no gradio import here).

With login on, gradio itself still embeds every endpoint with its defaults (model, base URL, group names) in
the page it shows before login, answers /gradio_api/reset and /cancel without a session, and never slows
down password guessing. This gate fixes all three: before login only a small Chinese login page, the login
form's POST and static assets are served; everything else is 401; failed logins are throttled per client
and overall.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_OPEN_PREFIXES = ("/assets/", "/static/", "/favicon.ico", "/manifest.json", "/theme.css")
# gradio calls this itself while launching (no session); it runs the startup events once and returns a bool.
_OPEN_PATHS = ("/gradio_api/startup-events",)
LOGIN_PAGE = """<!doctype html><html lang="zh-CN"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>社群内容副驾 · 登录</title>
<style>body{font-family:sans-serif;max-width:360px;margin:12vh auto;padding:0 16px}input,button{width:100%;
padding:10px;margin:6px 0;box-sizing:border-box;font-size:16px}#msg{color:#c0392b;min-height:1.5em}</style>
<h1>社群内容副驾</h1><p>请登录</p>
<form id="f"><input name="username" placeholder="用户名" autocomplete="username" required>
<input name="password" type="password" placeholder="密码" autocomplete="current-password" required>
<button>登录</button><p id="msg"></p></form>
<script>
document.getElementById("f").onsubmit = async (e) => {
  e.preventDefault();
  const r = await fetch("login", {method: "POST", body: new URLSearchParams(new FormData(e.target))});
  if (r.ok) { location.reload(); return; }
  let detail = "用户名或密码不对";
  try { const j = await r.json(); if (r.status === 429) detail = j.detail; } catch (err) {}
  document.getElementById("msg").textContent = detail;
};
</script></html>"""


class Throttle:
    """Failed logins in a sliding window: per client and in total (a guesser with many addresses)."""

    def __init__(
        self,
        per_client: int = 5,
        overall: int = 30,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_client = per_client
        self.overall = overall
        self.window = window
        self.clock = clock
        self._fails: dict[str, deque[float]] = {}
        self._all: deque[float] = deque()
        self._lock = threading.Lock()

    def _trim(self, calls: deque[float], now: float) -> deque[float]:
        while calls and calls[0] <= now - self.window:
            calls.popleft()
        return calls

    def wait(self, client: str) -> float:
        """Seconds this client must wait before trying again (0: it may try now)."""
        with self._lock:
            now = self.clock()
            mine = self._trim(self._fails.setdefault(client, deque()), now)
            every = self._trim(self._all, now)
            waits = [0.0]
            if len(mine) >= self.per_client:
                waits.append(mine[0] + self.window - now)
            if len(every) >= self.overall:
                waits.append(every[0] + self.window - now)
            return max(waits)

    def failed(self, client: str) -> None:
        """Record one wrong password."""
        with self._lock:
            now = self.clock()
            self._fails.setdefault(client, deque()).append(now)
            self._all.append(now)

    def succeeded(self, client: str) -> None:
        """A right password clears the client's own failures."""
        with self._lock:
            self._fails.pop(client, None)


class LoginGate:
    """ASGI middleware: nothing but the login page before login, and a throttled login endpoint."""

    def __init__(self, app: ASGIApp, throttle: Throttle | None = None) -> None:
        self.app = app
        self.throttle = throttle or Throttle()

    @staticmethod
    def _logged_in(scope: Scope) -> bool:
        server = scope.get("app")
        tokens = getattr(server, "tokens", None)
        cookie_id = getattr(server, "cookie_id", None)
        if tokens is None or cookie_id is None:
            return False
        raw = b"; ".join(v for k, v in scope.get("headers", []) if k == b"cookie").decode("latin-1")
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(raw)
        except Exception:  # noqa: BLE001 - a malformed cookie header is simply "not logged in"
            return False
        for name in (f"access-token-{cookie_id}", f"access-token-unsecure-{cookie_id}"):
            if name in jar and jar[name].value in tokens:
                return True
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("app")
        if scope["type"] not in ("http", "websocket") or getattr(server, "auth", None) is None:
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :] or "/"
        if scope["type"] == "http" and path.rstrip("/") == "/login" and scope.get("method") == "POST":
            await self._login(scope, receive, send)
            return
        if self._logged_in(scope) or path.startswith(_OPEN_PREFIXES) or path in _OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4401})
            return
        if path in ("/", "") and scope.get("method") in ("GET", "HEAD"):
            await _respond(send, 200, LOGIN_PAGE.encode("utf-8"), "text/html; charset=utf-8")
            return
        await _respond(send, 401, _json({"detail": "请先登录"}))

    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = (scope.get("client") or ("?", 0))[0]
        pause = self.throttle.wait(client)
        if pause > 0:
            log.warning("登录失败次数过多，%s 需等待 %.0f 秒", client, pause)
            detail = f"登录失败次数过多，请 {math.ceil(pause)} 秒后再试"
            await _respond(send, 429, _json({"detail": detail}), headers=[(b"retry-after", str(math.ceil(pause)))])
            return
        status: list[int] = []

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        await self.app(scope, receive, watch)
        if status and status[0] < 300:
            self.throttle.succeeded(client)
        else:
            self.throttle.failed(client)
            log.warning("登录失败：%s", client)


def _json(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    ctype: str = "application/json",
    headers: list[tuple[bytes, str]] | None = None,
) -> None:
    extra = [(k, v.encode("latin-1")) for k, v in headers or []]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", ctype.encode("latin-1")),
                (b"content-length", str(len(body)).encode("latin-1")),
                (b"cache-control", b"no-store"),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
