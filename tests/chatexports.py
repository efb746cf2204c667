"""One small two-group conversation, written out the way each export tool writes it (for the import tests)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

TZ8 = dt.timezone(dt.timedelta(hours=8))
ROOMS = {"A": ("111@chatroom", "茶友福利群"), "B": ("222@chatroom", "识茶营第9期")}
# key: (wxid / WeCom userid, group nickname); "fake" shares the IP's nickname.
PEOPLE = {
    "ip": ("wxid_ahe", "阿禾"),
    "xm": ("wxid_xiaoman", "成都-小满"),
    "dt": ("wxid_datou", "昆明-大头"),
    "fake": ("wxid_fake_he", "阿禾"),
    "sys": ("", ""),
}
NOTICE = "茶友们，今晚十点前接龙领试饮包，名额30个，先到先得～"
NIGHT = "好啦今天就到这，茶友们晚安🌙 明早见，睡前别喝浓茶哈，老白茶泡淡一点可以。"
HOMEWORK = "识茶营第3天作业：今晚喝一泡熟普，写下汤色和香气，明早8点前交～"

# (local time, room, who, kind, text, index of the quoted message)
CONVERSATION: list[tuple[str, str, str, str, str, int | None]] = [
    ("2026-11-20 21:50:00", "A", "ip", "text", NOTICE, None),
    ("2026-11-20 21:52:10", "A", "xm", "jielong", "#接龙\n领试饮包\n\n1. 成都-小满", None),
    ("2026-11-20 21:53:30", "A", "dt", "text", "+1", None),
    ("2026-11-20 21:55:00", "A", "sys", "system", "「成都-小满」邀请「杭州-阿宁」加入了群聊", None),
    ("2026-11-20 21:56:20", "A", "fake", "text", "我也要一份，地址还是上次那个", None),
    ("2026-11-20 21:57:05", "A", "sys", "recall", "「昆明-大头」撤回了一条消息", None),
    ("2026-11-20 21:57:30", "A", "dt", "pat", "「昆明-大头」拍了拍「阿禾」", None),
    ("2026-11-20 21:58:00", "A", "ip", "text", "收到～", None),
    ("2026-11-20 22:00:00", "A", "ip", "text", NIGHT, None),
    ("2026-11-20 22:05:00", "B", "ip", "text", HOMEWORK, None),
    ("2026-11-20 22:07:00", "B", "xm", "text", "收到，今晚就喝", None),
    ("2026-11-20 22:08:30", "B", "dt", "quote", "熟普要洗茶吗？", 9),
    ("2026-11-20 22:09:10", "B", "fake", "text", "第3天作业已交", None),
    ("2026-11-20 22:10:00", "A", "xm", "image", "", None),
    ("2026-11-20 22:40:00", "A", "dt", "text", "晚安阿禾", None),
    ("2026-11-20 23:30:00", "A", "xm", "quote", "还有名额吗？", 0),
    ("2026-11-21 00:20:00", "A", "xm", "text", "睡不着，泡了杯白茶", None),
    ("2026-11-21 00:40:00", "A", "ip", "quote", "白茶不影响睡觉，放心喝", 16),
]
# What the import must derive (IP = ip): posts by text.
EXPECTED = {
    NOTICE: {"replies": 4, "repliers": 3, "quotes": 1, "signups": 2},
    NIGHT: {"replies": 2, "repliers": 2, "quotes": 0, "signups": 0},
    HOMEWORK: {"replies": 3, "repliers": 3, "quotes": 1, "signups": 0},
}


def _when(local: str, offset: int = 8) -> dt.datetime:
    return dt.datetime.fromisoformat(local).replace(tzinfo=TZ8).astimezone(dt.timezone(dt.timedelta(hours=offset)))


def chatlog_json(path: Path, offset: int = 8) -> Path:
    """sjzar/chatlog JSON; `offset` writes the times in another time zone (same instants)."""
    items = []
    for n, (local, room, who, kind, text, ref) in enumerate(CONVERSATION):
        wxid, name = PEOPLE[who]
        mtype, sub, contents = 1, 0, None
        if kind == "system":
            mtype, wxid, name = 10000, "系统消息", ""
        elif kind == "recall":
            mtype, wxid, name = 10002, "系统消息", ""
        elif kind == "image":
            mtype, contents = 3, {"md5": "5f1c0a3e9d2b7c4e8a6f0b1d3c5e7a9b"}
        elif kind == "pat":
            mtype, sub = 49, 62
        elif kind == "jielong":
            mtype, sub, contents = 49, 53, {"title": text}
            text = ""
        elif kind == "quote":
            assert ref is not None
            q_local, _, q_who, _, q_text, _ = CONVERSATION[ref]
            mtype, sub = 49, 57
            contents = {
                "refer": {
                    "time": _when(q_local, offset).isoformat(),
                    "sender": PEOPLE[q_who][0],
                    "senderName": PEOPLE[q_who][1],
                    "type": 1,
                    "content": q_text,
                }
            }
        t = _when(local, offset)
        item = {
            "seq": int(t.timestamp()) * 1000 + n,
            "time": t.isoformat(),
            "talker": ROOMS[room][0],
            "talkerName": ROOMS[room][1],
            "isChatRoom": True,
            "sender": wxid,
            "senderName": name,
            "isSelf": who == "ip",
            "type": mtype,
            "subType": sub,
            "content": text,
        }
        if contents:
            item["contents"] = contents
        items.append(item)
    # a one-to-one chat in the same export is not a group and is skipped
    items.append({**items[0], "talker": "wxid_xiaoman", "talkerName": "成都-小满", "isChatRoom": False, "seq": 1})
    path.write_text(json.dumps(items, ensure_ascii=False, indent=2), "utf-8")
    return path


def _csv(path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8") -> Path:
    buf = io.StringIO()
    csv.writer(buf).writerows([header, *rows])
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def chatlog_csv(path: Path) -> Path:
    """sjzar/chatlog CSV: quotes as `> ` lines, images as Markdown links, system sender 系统消息."""
    rows = []
    for local, room, who, kind, text, ref in CONVERSATION:
        wxid, name = PEOPLE[who]
        if kind in ("system", "recall"):
            wxid, name = "系统消息", ""
        if kind == "image":
            text = "![图片](http://127.0.0.1:5030/image/5f1c0a3e9d2b7c4e8a6f0b1d3c5e7a9b)"
        elif kind == "jielong":
            text = "[分享]"
        elif kind == "quote":
            assert ref is not None
            q_local, _, q_who, _, q_text, _ = CONVERSATION[ref]
            head = f"{PEOPLE[q_who][1]}({PEOPLE[q_who][0]}) {q_local[5:10]} {q_local[11:]}"
            text = f"> {head}\n> {q_text}\n{text}"
        rows.append([local, name, wxid, ROOMS[room][1], ROOMS[room][0], text])
    return _csv(path, ["Time", "SenderName", "Sender", "TalkerName", "Talker", "Content"], rows)


_PYWX_TYPES = {
    "text": "文本",
    "image": "图片",
    "quote": "引用回复",
    "jielong": "接龙",
    "system": "系统通知",
    "pat": "拍一拍",
}


def pywxdump_csv(path: Path, old: bool = False, rooms: str = "AB") -> Path:
    """PyWxDump CSV (UTF-8 with BOM; the older `content`-JSON header as GB18030, re-saved by Excel on Windows)."""
    rows = []
    for n, (local, room, who, kind, text, ref) in enumerate(CONVERSATION, start=1):
        if room not in rooms:
            continue
        talker = "我" if who == "ip" else PEOPLE[who][1] or "系统"
        type_name = "消息撤回1" if kind == "recall" else _PYWX_TYPES[kind]
        src = ""
        if kind == "image":
            text, src = "图片", "FileStorage\\MsgAttach\\5f1c\\Image\\2026-11\\a.dat"
        elif kind == "quote":
            assert ref is not None
            q_local, _, q_who, _, q_text, _ = CONVERSATION[ref]
            text = f"{text}\n\n[引用]({q_local}){PEOPLE[q_who][1]}:{q_text}"
        base = [n, 7400000000000000000 + n, type_name, 1 if who == "ip" else 0, talker, ROOMS[room][0]]
        if old:
            rows.append([*base, json.dumps({"src": src, "msg": text}, ensure_ascii=False), local])
        else:
            rows.append([*base, text, src, local])
    header = ["id", "MsgSvrID", "type_name", "is_sender", "talker", "room_name"]
    header += ["content", "CreateTime"] if old else ["msg", "src", "CreateTime"]
    return _csv(path, header, rows, encoding="gb18030" if old else "utf-8-sig")


def wechatmsg_csv(path: Path, room: str = "A") -> Path:
    """留痕 CSV for one group (it exports a chat at a time): unix CreateTime, appmsg XML for quotes and 接龙."""
    rows = []
    for n, (local, r, who, kind, text, ref) in enumerate(CONVERSATION, start=1):
        if r != room:
            continue
        mtype, sub = {"text": (1, 0), "image": (3, 0), "system": (10000, 0), "recall": (10000, 0), "pat": (49, 62)}.get(
            kind, (49, 0)
        )
        if kind == "jielong":
            sub, text = 53, f"<msg><appmsg><title>{text}</title><type>53</type></appmsg></msg>"
        elif kind == "quote":
            assert ref is not None
            _, _, q_who, _, q_text, _ = CONVERSATION[ref]
            sub = 57
            text = (
                f"<msg><appmsg><title>{text}</title><type>57</type><refermsg><type>1</type>"
                f"<chatusr>{PEOPLE[q_who][0]}</chatusr><displayname>{PEOPLE[q_who][1]}</displayname>"
                f"<content>{q_text}</content></refermsg></appmsg></msg>"
            )
        elif kind == "image":
            text = ""
        t = _when(local)
        sender = "" if who in ("ip", "sys") else PEOPLE[who][0]
        rows.append(
            [n, 3, mtype, sub, 1 if who == "ip" else 0, int(t.timestamp()), 2, text, local, "", PEOPLE[who][1], sender]
        )
    header = "localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,Remark,NickName,Sender"
    return _csv(path, header.split(","), rows)


def wecom_jsonl(path: Path) -> Path:
    """企业微信会话存档 (decrypted) JSON lines; IP is userid `ahe`; a recall withdraws a message by msgid."""
    users = {"ip": "ahe", "xm": "wmXiaoman01", "dt": "wmDatou02", "fake": "wmAheFake03"}
    lines = []
    for n, (local, room, who, kind, text, ref) in enumerate(CONVERSATION):
        base = {
            "msgid": f"{10000 + n}_{int(_when(local).timestamp())}_external",
            "action": "send",
            "from": users.get(who, ""),
            "tolist": ["ahe"],
            "roomid": f"wr{ROOMS[room][0][:3]}Room",
            "msgtime": int(_when(local).timestamp() * 1000),
        }
        if kind in ("system", "pat"):
            continue  # 会话存档 has no system notices or 拍一拍
        if kind == "recall":
            lines.append(
                {**base, "action": "recall", "from": users["dt"], "msgtype": "revoke", "revoke": {"pre_msgid": "gone"}}
            )
            continue
        if kind == "image":
            lines.append({**base, "msgtype": "image", "image": {"md5sum": "5f1c", "filesize": 20480, "sdkfileid": "x"}})
            continue
        if kind == "quote":
            assert ref is not None
            q_text = CONVERSATION[ref][4]
            text = f"「{PEOPLE[CONVERSATION[ref][2]][1]}：{q_text}」\n- - - - - - - - - - - - - - -\n{text}"
        lines.append({**base, "msgtype": "text", "text": {"content": text}})
    # a member's message that was then recalled: it must not count
    lines.append(
        {
            "msgid": "gone",
            "action": "send",
            "from": users["dt"],
            "tolist": ["ahe"],
            "roomid": "wr111Room",
            "msgtime": int(_when("2026-11-20 21:54:00").timestamp() * 1000),
            "msgtype": "text",
            "text": {"content": "发错群了"},
        }
    )
    lines.append(
        {
            "msgid": "p2p1",
            "action": "send",
            "from": "ahe",
            "tolist": ["wmXiaoman01"],
            "roomid": "",
            "msgtime": 1,
            "msgtype": "text",
            "text": {"content": "私聊"},
        }
    )
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", "utf-8")
    return path
