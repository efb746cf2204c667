"""Network failures in Chinese: 「[Errno -2] Name or service not known」 becomes 「域名解析失败……」."""

from __future__ import annotations

import socket
import ssl

# (substring of the English message, Chinese explanation); checked in order, first match wins.
_PATTERNS: tuple[tuple[str, str], ...] = (
    ("name or service not known", "域名解析失败：找不到这个主机名，请检查地址拼写和网络的 DNS 设置"),
    ("nodename nor servname", "域名解析失败：找不到这个主机名，请检查地址拼写和网络的 DNS 设置"),
    ("temporary failure in name resolution", "域名解析暂时失败：DNS 没有回应，请检查网络后再试"),
    ("no address associated with hostname", "域名解析失败：这个主机名没有对应的地址"),
    ("getaddrinfo failed", "域名解析失败：找不到这个主机名，请检查地址拼写和网络的 DNS 设置"),
    ("connection refused", "连接被拒绝：对方端口没有服务在监听，请检查地址和端口，或确认服务已启动"),
    ("network is unreachable", "网络不可达：这台机器连不到对方网络，请检查网络或代理设置"),
    ("no route to host", "网络不可达：没有到对方主机的路由，请检查网络或防火墙"),
    ("connection reset", "连接被对方重置：请稍后再试，或检查代理与防火墙"),
    ("timed out", "连接超时：对方在规定时间内没有回应，请检查网络后再试"),
    ("certificate verify failed", "HTTPS 证书校验失败：证书不受信任或已过期，请检查地址或系统时间"),
    ("remote end closed connection", "对方没有回复就断开了连接，请稍后再试"),
    ("could not connect to tenant", "连不上 Chroma 服务，请确认 chroma run 已启动且地址端口正确"),
)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        cur = todo.pop()
        if cur is None or any(cur is s for s in seen) or len(seen) > 10:
            continue
        seen.append(cur)
        todo += [cur.__cause__, cur.__context__]
        reason = getattr(cur, "reason", None)
        if isinstance(reason, BaseException):
            todo.append(reason)
    return seen


def describe_network_error(exc: BaseException) -> str:
    """A Chinese explanation of a failed network call (the original message is kept in brackets)."""
    chain = _chain(exc)
    for cur in chain:
        if isinstance(cur, socket.gaierror):
            if cur.errno in (socket.EAI_AGAIN,):
                return f"域名解析暂时失败：DNS 没有回应，请检查网络后再试（{cur}）"
            return f"域名解析失败：找不到这个主机名，请检查地址拼写和网络的 DNS 设置（{cur}）"
        if isinstance(cur, ConnectionRefusedError):
            return f"连接被拒绝：对方端口没有服务在监听，请检查地址和端口，或确认服务已启动（{cur}）"
        if isinstance(cur, ssl.SSLCertVerificationError):
            return f"HTTPS 证书校验失败：证书不受信任或已过期，请检查地址或系统时间（{cur}）"
        if isinstance(cur, TimeoutError | socket.timeout):
            return "连接超时：对方在规定时间内没有回应，请检查网络后再试"
    text = " ".join(str(c) for c in chain)
    low = text.lower()
    for needle, chinese in _PATTERNS:
        if needle in low:
            return f"{chinese}（{text.strip()[:120]}）"
    return f"网络错误：{text.strip()[:160] or type(exc).__name__}"
