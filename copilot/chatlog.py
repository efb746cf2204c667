"""Read group chat exports (chatlog JSON/CSV, PyWxDump CSV, 留痕 CSV, WeCom 会话存档 JSONL) into Messages."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET  # noqa: N817 - the conventional alias
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from copilot.errors import InputError
from copilot.readers import decode_bytes

FORMATS: tuple[str, ...] = ("chatlog", "pywxdump", "wechatmsg", "wecom")
# What a message is, as far as engagement goes.
TEXT, IMAGE, QUOTE, JIELONG, SYSTEM, RECALL, OTHER = "text", "image", "quote", "jielong", "system", "recall", "other"
DEFAULT_TZ = "Asia/Shanghai"

# (done, total) lines; called every few thousand messages.
LineProgress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Message:
    """One message of a chat export, normalised across tools."""

    time: dt.datetime
    """When it was sent, timezone-aware."""
    room: str
    """Group id in the export (xxx@chatroom, WeCom roomid …)."""
    room_name: str
    """Group display name when the export has one, else the id."""
    sender: str
    """Sender id (wxid / userid), or the name when the tool gives only that."""
    sender_name: str
    """Sender display name (may be shared by several people)."""
    is_self: bool
    """Sent by the person who made the export."""
    kind: str
    """TEXT, IMAGE, QUOTE, JIELONG, SYSTEM, RECALL or OTHER."""
    text: str
    """Text content (a quote reply: only the reply)."""
    msg_id: str = ""
    """The tool's own message id, when it has one."""
    quote_sender: str = ""
    """For a quote reply: id or name of the quoted message's sender."""
    quote_text: str = ""
    """For a quote reply: the quoted text."""
    recalls: str = ""
    """For a WeCom recall: the msgid it withdraws."""
    line: int = 0
    """Line in the file where the message starts."""


_CHATLOG_CSV = ("time", "sendername", "sender", "talkername", "talker", "content")
_PYWX_CSV = ("id", "msgsvrid", "type_name", "is_sender", "talker", "room_name", "msg", "src", "createtime")
_PYWX_OLD_CSV = ("id", "msgsvrid", "type_name", "is_sender", "talker", "room_name", "content", "createtime")
_LIUHEN_CSV = ("localid", "talkerid", "type", "subtype", "issender", "createtime", "status", "strcontent", "strtime")
_RECALL = re.compile(r"撤回了一条消息|recalled a message")
_PAT = re.compile(r"^(?:[「\"“][^」\"”\n]{1,30}[」\"”]|我|你) ?拍了拍")
_PY_QUOTE = re.compile(r"\n\s*\n\[引用\]\((?P<time>[^)]*)\)(?P<name>[^:：\n]*)[:：](?P<text>.*)\Z", re.S)
_CSV_QUOTE_HEAD = re.compile(r"^(?P<name>.*?)(?:\((?P<id>[^()]*)\))?\s+\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_WECOM_QUOTE = re.compile(r"^「(?P<name>[^：:」]+)[：:](?P<text>.*?)」\s*\n-(?: -)+\s*\n(?P<reply>.*)\Z", re.S)


def _aware(value: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    # Naive times are the group's local time; others are moved into it so hours of day line up.
    return value.replace(tzinfo=tz) if value.tzinfo is None else value.astimezone(tz)


def _parse_time(value: object, tz: dt.tzinfo, name: str, line: int, column: str) -> dt.datetime:
    """RFC 3339 / `YYYY-MM-DD HH:MM:SS` (local tz) / unix seconds or milliseconds."""
    raw = str(value).strip() if value is not None else ""
    if not raw:
        raise InputError("时间为空", file=name, line=line, column=column)
    if raw.isdigit():
        number = int(raw)
        seconds = number / 1000 if number > 10**11 else number
        return dt.datetime.fromtimestamp(seconds, tz)
    try:
        return _aware(dt.datetime.fromisoformat(raw.replace("/", "-")), tz)
    except ValueError:
        raise InputError(
            f"时间「{raw}」看不懂，应是 2026-11-24 08:00:00、RFC 3339 或 unix 时间戳",
            file=name,
            line=line,
            column=column,
        ) from None


def _check_header(found: list[str], expected: tuple[str, ...]) -> bool:
    return all(col in found for col in expected)


def detect_format(text: str) -> str:
    """Which tool wrote this export (see FORMATS), from its first record or header; '' if unknown."""
    head = text.lstrip()[:4000]
    if head.startswith("["):
        return "chatlog"
    if head.startswith("{"):
        first = head.split("\n", 1)[0]
        if '"msgid"' in first or '"msgtime"' in first or '"roomid"' in first:
            return "wecom"
        return ""
    header = [c.strip().lower() for c in next(csv.reader(io.StringIO(head.split("\n", 1)[0])), [])]
    if _check_header(header, _CHATLOG_CSV):
        return "chatlog"
    if _check_header(header, _PYWX_CSV) or _check_header(header, _PYWX_OLD_CSV):
        return "pywxdump"
    if _check_header(header, _LIUHEN_CSV):
        return "wechatmsg"
    return ""


# ---------------------------------------------------------------- chatlog (sjzar/chatlog)


def _chatlog_kind(mtype: int, sub: int, sender: str, content: str) -> str:
    if mtype in (10000, 10002) or sender == "系统消息":
        return RECALL if _RECALL.search(content) else SYSTEM
    if mtype == 1:
        return TEXT
    if mtype in (3, 47):
        return IMAGE
    if mtype == 49 and sub == 57:
        return QUOTE
    if mtype == 49 and sub == 62:  # 拍一拍: a gesture the client writes, not something a member said
        return SYSTEM
    if mtype == 49 and sub == 53:
        return JIELONG
    return OTHER


def _json_items(text: str, name: str) -> Iterator[tuple[int, object]]:
    """Items of a top-level JSON array with the line each starts on (for errors that name a line)."""
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    line = text.count("\n", 0, pos) + 1
    n = len(text)
    while True:
        start = pos
        while pos < n and text[pos] in " \t\r\n,":
            pos += 1
        line += text.count("\n", start, pos)
        if pos >= n:
            raise InputError("JSON 数组没有结束（缺少 ]），文件可能没导出完整", file=name, line=line)
        if text[pos] == "]":
            return
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"JSON 格式错误：{exc.msg}（这条消息从第 {line} 行开始，错误在第 {exc.lineno} 行）",
                file=name,
                line=line,
            ) from None
        yield line, obj
        line += text.count("\n", pos, end)
        pos = end


def read_chatlog_json(text: str, name: str, tz: dt.tzinfo) -> Iterator[Message]:
    """sjzar/chatlog's JSON: a list of message objects."""
    for line, obj in _json_items(text, name):
        if not isinstance(obj, dict):
            raise InputError("每条消息应是一个 JSON 对象", file=name, line=line)
        if "time" not in obj or "talker" not in obj:
            raise InputError("缺少 time 或 talker 字段（不像 chatlog 导出的消息）", file=name, line=line)
        try:
            mtype, sub = int(obj.get("type") or 0), int(obj.get("subType") or 0)
        except (TypeError, ValueError):
            raise InputError(f"type「{obj.get('type')}」应是数字", file=name, line=line, column="type") from None
        if not obj.get("isChatRoom", str(obj["talker"]).endswith("@chatroom")):
            continue
        sender = str(obj.get("sender") or "")
        content = str(obj.get("content") or "")
        kind = _chatlog_kind(mtype, sub, sender, content)
        quote_sender = quote_text = ""
        if kind == JIELONG and not content:
            content = str((obj.get("contents") or {}).get("title") or "")
        if kind == QUOTE:
            refer = (obj.get("contents") or {}).get("refer") or {}
            if isinstance(refer, dict):
                quote_sender = str(refer.get("sender") or refer.get("senderName") or "")
                quote_text = str(refer.get("content") or "")
        yield Message(
            time=_parse_time(obj["time"], tz, name, line, "time"),
            room=str(obj["talker"]),
            room_name=str(obj.get("talkerName") or obj["talker"]),
            sender=sender,
            sender_name=str(obj.get("senderName") or sender),
            is_self=bool(obj.get("isSelf")),
            kind=kind,
            text=content,
            msg_id=str(obj.get("seq") or ""),
            quote_sender=quote_sender,
            quote_text=quote_text,
            line=line,
        )


def _csv_records(text: str, name: str) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    start = 1
    try:
        for cells in reader:
            if header is None:
                header = [c.strip().lower() for c in cells]
            elif any(c.strip() for c in cells):
                if len(cells) < len(header):
                    raise InputError(
                        f"这一行只有 {len(cells)} 列，表头有 {len(header)} 列（可能是换行没加引号）",
                        file=name,
                        line=start,
                    )
                yield start, dict(zip(header, cells, strict=False))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"CSV 格式错误：{exc}", file=name, line=reader.line_num) from None


def _csv_kind_from_text(content: str, sender: str) -> str:
    if sender == "系统消息" or not sender:
        return RECALL if _RECALL.search(content) else SYSTEM
    if _PAT.search(content):
        return SYSTEM
    if content.startswith("![图片]") or content in ("[图片]", "[动画表情]", "[GIF表情]"):
        return IMAGE
    if content.startswith("> "):
        return QUOTE
    return TEXT


def read_chatlog_csv(text: str, name: str, tz: dt.tzinfo) -> Iterator[Message]:
    """sjzar/chatlog's CSV: Time,SenderName,Sender,TalkerName,Talker,Content (quotes as `> ` lines)."""
    for line, row in _csv_records(text, name):
        content = row.get("content", "")
        sender = row.get("sender", "").strip()
        kind = _csv_kind_from_text(content, sender)
        quote_sender = quote_text = ""
        if kind == QUOTE:
            quoted = [x[2:] for x in content.split("\n") if x.startswith("> ")]
            reply = [x for x in content.split("\n") if not x.startswith("> ")]
            m = _CSV_QUOTE_HEAD.match(quoted[0]) if quoted else None
            if m:
                quote_sender = m.group("id") or m.group("name")
                quote_text = "\n".join(quoted[1:])
            content = "\n".join(reply).strip()
        yield Message(
            time=_parse_time(row.get("time"), tz, name, line, "Time"),
            room=row.get("talker", ""),
            room_name=row.get("talkername") or row.get("talker", ""),
            sender=sender,
            sender_name=row.get("sendername") or sender,
            is_self=False,
            kind=kind,
            text=content,
            quote_sender=quote_sender,
            quote_text=quote_text,
            line=line,
        )


# ---------------------------------------------------------------- PyWxDump

_PYWX_KINDS = {"文本": TEXT, "图片": IMAGE, "动画表情": IMAGE, "引用回复": QUOTE, "接龙": JIELONG, "系统通知": SYSTEM}


def read_pywxdump(text: str, name: str, tz: dt.tzinfo) -> Iterator[Message]:
    """PyWxDump's CSV (msg/src columns, or the older JSON `content` column)."""
    for line, row in _csv_records(text, name):
        if "msg" in row:
            msg = row.get("msg", "")
        else:
            try:
                payload = json.loads(row.get("content") or "{}")
            except json.JSONDecodeError as exc:
                raise InputError(f"content 列不是 JSON：{exc.msg}", file=name, line=line, column="content") from None
            msg = str(payload.get("msg", "")) if isinstance(payload, dict) else str(payload)
        type_name = row.get("type_name", "").strip()
        if type_name.startswith("消息撤回") or (type_name == "系统通知" and _RECALL.search(msg)):
            kind = RECALL
        elif type_name == "拍一拍":
            kind = SYSTEM
        else:
            kind = _PYWX_KINDS.get(type_name, OTHER)
        is_self = row.get("is_sender", "").strip() == "1"
        talker = row.get("talker", "").strip()
        quote_sender = quote_text = ""
        if kind == QUOTE:
            m = _PY_QUOTE.search(msg)
            if m:
                quote_sender, quote_text = m.group("name").strip(), m.group("text").strip()
                msg = msg[: m.start()].strip()
        room = row.get("room_name", "").strip()
        if room and not room.endswith("@chatroom"):
            continue  # a one-to-one chat
        yield Message(
            time=_parse_time(row.get("createtime"), tz, name, line, "CreateTime"),
            room=room,
            room_name=room,
            sender="self" if is_self else talker,
            sender_name=talker,
            is_self=is_self,
            kind=kind,
            text=msg,
            msg_id=row.get("msgsvrid", "").strip(),
            quote_sender=quote_sender,
            quote_text=quote_text,
            line=line,
        )


# ---------------------------------------------------------------- LC044/WeChatMsg (留痕)


def _appmsg(xml: str) -> tuple[str, str, str]:
    """(title, quoted sender, quoted text) of a WeChat <appmsg> (quote replies carry a <refermsg>)."""
    try:
        root = ET.fromstring(xml.strip())
    except ET.ParseError:
        return xml, "", ""
    title = root.findtext(".//appmsg/title") or ""
    refer = root.find(".//refermsg")
    if refer is None:
        return title, "", ""
    who = refer.findtext("chatusr") or refer.findtext("displayname") or ""
    return title, who, refer.findtext("content") or ""


def read_wechatmsg(text: str, name: str, tz: dt.tzinfo) -> Iterator[Message]:
    """留痕's CSV: Type 1 text, 3 image, 49/57 quote, 10000 system; CreateTime in unix seconds."""
    for line, row in _csv_records(text, name):
        try:
            mtype, sub = int(row.get("type") or 0), int(row.get("subtype") or 0)
        except ValueError:
            raise InputError(f"Type「{row.get('type')}」应是数字", file=name, line=line, column="Type") from None
        content = row.get("strcontent", "")
        is_self = row.get("issender", "").strip() == "1"
        sender = row.get("sender", "").strip()
        kind = _chatlog_kind(mtype, sub, "系统消息" if mtype == 10000 else sender or "?", content)
        display = row.get("remark", "").strip() or row.get("nickname", "").strip() or sender
        quote_sender = quote_text = ""
        if mtype == 49 and content.lstrip().startswith("<"):
            content, quote_sender, quote_text = _appmsg(content)
        yield Message(
            time=_parse_time(row.get("createtime"), tz, name, line, "CreateTime"),
            room=row.get("talkerid", "").strip(),
            room_name=row.get("talkerid", "").strip(),
            sender="self" if is_self and not sender else sender,
            sender_name=display,
            is_self=is_self,
            kind=kind,
            text=content,
            msg_id=row.get("localid", "").strip(),
            quote_sender=quote_sender,
            quote_text=quote_text,
            line=line,
        )


# ---------------------------------------------------------------- WeCom 会话存档


def read_wecom(text: str, name: str, tz: dt.tzinfo) -> Iterator[Message]:
    """Decrypted WeCom 会话存档 records, one JSON object a line; group messages have a roomid."""
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InputError(f"JSON 格式错误：{exc.msg}（第 {exc.colno} 个字符）", file=name, line=number) from None
        if not isinstance(obj, dict) or "msgid" not in obj:
            raise InputError("每行应是一条会话存档记录（含 msgid）", file=name, line=number)
        if obj.get("action") == "switch" or not obj.get("roomid"):
            continue
        mtype = str(obj.get("msgtype") or "")
        content, recalls, quote_sender, quote_text = "", "", "", ""
        if mtype == "text":
            content = str((obj.get("text") or {}).get("content") or "")
            kind = TEXT
            m = _WECOM_QUOTE.match(content)
            if m:
                kind, quote_sender, quote_text, content = QUOTE, m.group("name"), m.group("text"), m.group("reply")
        elif mtype in ("image", "emotion"):
            kind = IMAGE
        elif mtype == "revoke" or obj.get("action") == "recall":
            kind, recalls = RECALL, str((obj.get("revoke") or {}).get("pre_msgid") or "")
        else:
            kind = OTHER
        sender = str(obj.get("from") or "")
        yield Message(
            time=_parse_time(obj.get("msgtime"), tz, name, number, "msgtime"),
            room=str(obj["roomid"]),
            room_name=str(obj["roomid"]),
            sender=sender,
            sender_name=sender,
            is_self=False,
            kind=kind,
            text=content,
            msg_id=str(obj["msgid"]),
            quote_sender=quote_sender,
            quote_text=quote_text,
            recalls=recalls,
            line=number,
        )


def read_messages(
    path: Path,
    fmt: str = "auto",
    *,
    tz: str = DEFAULT_TZ,
    max_bytes: int = 200 * 1024 * 1024,
    display_name: str | None = None,
    progress: LineProgress | None = None,
) -> tuple[str, list[Message]]:
    """(format, every group message) of an export; raises InputError naming file and line."""
    name = display_name or str(path)
    if not path.exists():
        raise InputError("文件不存在", file=name)
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(f"文件太大（{size / 1048576:.1f} MB），上限 {max_bytes / 1048576:.0f} MB", file=name)
    text = decode_bytes(path.read_bytes(), name)
    if not text.strip():
        raise InputError("文件是空的", file=name)
    zone = ZoneInfo(tz)
    found = detect_format(text)
    if fmt == "auto":
        if not found:
            raise InputError(
                "认不出这是哪个工具导出的聊天记录：支持 chatlog（JSON/CSV）、PyWxDump（CSV）、留痕（CSV）、"
                "企业微信会话存档（JSONL），请检查第一行（表头）",
                file=name,
                line=1,
            )
        fmt = found
    elif fmt not in FORMATS:
        raise InputError(f"不认识的格式「{fmt}」，可选：auto {' '.join(FORMATS)}", file=name)
    elif found and found != fmt:
        raise InputError(f"文件看起来是 {found} 导出的，不是 {fmt}；可以用 --format auto", file=name, line=1)
    stripped = text.lstrip()
    if fmt == "chatlog":
        reader = read_chatlog_json if stripped.startswith("[") else read_chatlog_csv
    else:
        reader = {"pywxdump": read_pywxdump, "wechatmsg": read_wechatmsg, "wecom": read_wecom}[fmt]
    messages: list[Message] = []
    total = text.count("\n") + 1
    for m in reader(text, name, zone):
        messages.append(m)
        if progress and len(messages) % 5000 == 0:
            progress(m.line, total)
    if progress:
        progress(total, total)
    if not messages:
        raise InputError("文件里没有任何群聊消息", file=name)
    return fmt, messages
