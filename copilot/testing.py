"""Test helpers shipped with the package: a loopback OpenAI-compatible stub server that records requests."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[dict[str, Any]], str]


def default_responder(request: dict[str, Any]) -> str:
    """A plausible persona-voiced answer that quotes the task line, so tests can see what was asked."""
    user = next((m["content"] for m in reversed(request.get("messages", [])) if m.get("role") == "user"), "")
    task = next((line for line in str(user).splitlines() if line.startswith("任务：")), "任务：写一条群消息")
    return f"茶友们早上好呀🍵 这是按「{task[3:40]}」写的草稿。喝茶不急，慢慢来。\n——阿禾，在茶山"


class StubLLM:
    """An OpenAI chat-completions server on 127.0.0.1 that can inject 429, 500, slow and malformed answers."""

    def __init__(self, responder: Responder = default_responder, delay: float = 0.0, model: str = "stub-model") -> None:
        self.responder = responder
        self.delay = delay
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self.faults: deque[str] = deque()
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output clean
                return

            def _send(
                self, status: int, body: bytes, ctype: str = "application/json", headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802
                if self.path.rstrip("/").endswith("/models"):
                    self._send(
                        200, json.dumps({"object": "list", "data": [{"id": stub.model, "object": "model"}]}).encode()
                    )
                else:
                    self._send(404, b'{"error": {"message": "not found"}}')

            def do_POST(self) -> None:  # noqa: N802
                with stub._lock:
                    stub.in_flight += 1
                    stub.max_in_flight = max(stub.max_in_flight, stub.in_flight)
                try:
                    self._post()
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test): fine
                    self.close_connection = True
                finally:
                    with stub._lock:
                        stub.in_flight -= 1

            def _post(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path.rstrip("/").endswith("/embeddings"):
                    self._embeddings(body)
                    return
                with stub._lock:
                    stub.requests.append(body)
                    fault = stub.faults.popleft() if stub.faults else ""
                if fault in ("429", "500", "503"):
                    self._send(
                        int(fault),
                        json.dumps({"error": {"message": f"injected {fault}", "type": "stub"}}).encode(),
                        headers={"retry-after-ms": "20"},
                    )
                    return
                if fault.startswith("slow:"):
                    time.sleep(float(fault[5:]))
                if stub.delay:
                    time.sleep(stub.delay)
                if fault == "malformed":
                    self._send(200, b'{"id": "x", "choices": [ {"message": ')
                    return
                text = stub.responder(body)
                finish: str | None = "stop"
                if fault.startswith("long:"):  # a server that ignores max_tokens and keeps writing
                    text = "茶友们好呀，" + "慢慢喝茶。" * (int(fault[5:]) // 5)
                elif fault == "length":  # the answer was cut at max_tokens
                    finish = "length"
                elif fault == "truncated":  # the connection drops mid-answer: no finish_reason, no [DONE]
                    finish = None
                if body.get("stream"):
                    self._stream(text, body, finish)
                else:
                    self._send(200, json.dumps(self._completion(text, body, finish), ensure_ascii=False).encode())

            def _usage(self, text: str, body: dict[str, Any]) -> dict[str, int]:
                prompt = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
                return {"prompt_tokens": prompt, "completion_tokens": len(text), "total_tokens": prompt + len(text)}

            def _completion(self, text: str, body: dict[str, Any], finish: str | None = "stop") -> dict[str, Any]:
                return {
                    "id": "chatcmpl-stub",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": stub.model,
                    "choices": [
                        {"index": 0, "finish_reason": finish, "message": {"role": "assistant", "content": text}}
                    ],
                    "usage": self._usage(text, body),
                }

            def _stream(self, text: str, body: dict[str, Any], finish: str | None = "stop") -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                base = {
                    "id": "chatcmpl-stub",
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": stub.model,
                }
                pieces = [text[i : i + 8] for i in range(0, len(text), 8)]
                if finish is None:
                    pieces = pieces[: max(1, len(pieces) // 2)]
                for n, piece in enumerate(pieces):
                    delta = {"content": piece} if n else {"role": "assistant", "content": piece}
                    chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                    self.wfile.flush()
                if finish is None:
                    self.close_connection = True
                    return
                end = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}
                self.wfile.write(f"data: {json.dumps(end)}\n\n".encode())
                if (body.get("stream_options") or {}).get("include_usage"):
                    usage = {**base, "choices": [], "usage": self._usage(text, body)}
                    self.wfile.write(f"data: {json.dumps(usage)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

            def _embeddings(self, body: dict[str, Any]) -> None:
                inputs = body.get("input") or []
                inputs = [inputs] if isinstance(inputs, str) else inputs
                data = []
                for i, text in enumerate(inputs):
                    digest = hashlib.sha256(str(text).encode()).digest()
                    vec = [(b - 128) / 128 for b in digest[:16]]
                    data.append({"object": "embedding", "index": i, "embedding": vec})
                self._send(
                    200,
                    json.dumps(
                        {
                            "object": "list",
                            "data": data,
                            "model": body.get("model", ""),
                            "usage": {"prompt_tokens": 1, "total_tokens": 1},
                        }
                    ).encode(),
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """The /v1 base URL to configure the client with."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self) -> StubLLM:
        """Start serving in a background thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop the server."""
        self.server.shutdown()
        self.server.server_close()

    def inject(self, *faults: str) -> None:
        """Queue faults for the next requests: "429", "500", "slow:SECONDS", "malformed", "long:CHARS" (an answer
        that ignores max_tokens), "length" (cut at max_tokens), "truncated" (stream dropped without a finish
        reason) or "ok" (answer normally)."""
        with self._lock:
            self.faults.extend(faults)

    def user_prompts(self) -> list[str]:
        """The user message of every request received, in order."""
        return [next((m["content"] for m in r["messages"] if m["role"] == "user"), "") for r in self.requests]
