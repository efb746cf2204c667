"""With login on, against the real app on loopback: nothing before login, reset/cancel need login, guessing is slowed."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import llm_settings

from copilot.login import Throttle
from copilot.services import Services


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def app(home: Path, stub) -> Iterator[tuple[str, Services]]:  # noqa: ANN001
    from conftest import ROOT

    from copilot.ingest import install_persona
    from copilot.web import launch

    install_persona(ROOT / "knowledge" / "persona.yaml", home / "persona.yaml")
    svc = Services(llm_settings(home, stub, auth="ops:茶山-2026"))
    port = _free_port()
    demo = launch(svc, "127.0.0.1", port, block=False)
    try:
        yield f"http://127.0.0.1:{port}", svc
    finally:
        demo.close()


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _call(url: str, data: bytes | None = None, cookie: str = "", ctype: str = "") -> tuple[int, str, dict]:
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if cookie:
        req.add_header("Cookie", cookie)
    if ctype:
        req.add_header("Content-Type", ctype)
    try:
        with _NO_PROXY.open(req, timeout=20) as r:
            return r.status, r.read().decode("utf-8"), dict(r.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8"), dict(exc.headers)


def _login(base: str, password: str) -> tuple[int, str, dict]:
    form = urllib.parse.urlencode({"username": "ops", "password": password}).encode()
    return _call(f"{base}/login", form, ctype="application/x-www-form-urlencoded")


def test_login_gate_against_the_real_app(app: tuple[str, Services], stub) -> None:  # noqa: ANN001
    base, svc = app
    secrets = [stub.base_url, "stub-model", svc.persona().groups[0].name, "api_name", "gradio_api_info"]

    status, page, _ = _call(base + "/")
    assert status == 200 and "请登录" in page
    assert [s for s in secrets if s in page] == []
    for path in ("/config", "/gradio_api/info", "/gradio_api/queue/status", "/gradio_api/upload"):
        assert _call(base + path)[0] == 401, path
    body = json.dumps({"event_id": "x", "session_hash": "y", "fn_index": 0}).encode()
    for path in ("/gradio_api/reset", "/gradio_api/cancel"):
        status, text, _ = _call(base + path, body, ctype="application/json")
        assert status == 401 and "请先登录" in text, path

    status, _, headers = _login(base, "茶山-2026")
    assert status == 200
    cookie = "; ".join(c.split(";", 1)[0] for k, c in headers.items() if k.lower() == "set-cookie")
    assert cookie
    status, page, _ = _call(base + "/", cookie=cookie)
    assert status == 200 and svc.persona().groups[0].name in page  # the check above could have failed
    assert _call(base + "/gradio_api/reset", body, cookie=cookie, ctype="application/json")[0] == 200

    codes = [_login(base, f"猜{i}")[0] for i in range(8)]
    assert codes[:5] == [400] * 5 and set(codes[5:]) == {429}
    status, text, headers = _login(base, "茶山-2026")  # even the right password waits out the lockout
    assert status == 429 and "秒后再试" in json.loads(text)["detail"]
    assert int(headers.get("retry-after") or headers.get("Retry-After")) > 0


def test_throttle_counts_per_client_and_overall() -> None:
    now = [0.0]
    t = Throttle(per_client=3, overall=5, window=60, clock=lambda: now[0])
    for _ in range(3):
        t.failed("1.1.1.1")
    assert t.wait("1.1.1.1") == 60 and t.wait("2.2.2.2") == 0
    t.failed("2.2.2.2")
    t.failed("3.3.3.3")
    assert t.wait("4.4.4.4") == 60  # five failures from anywhere slow everyone down
    now[0] = 61
    assert t.wait("1.1.1.1") == 0 and t.wait("4.4.4.4") == 0
