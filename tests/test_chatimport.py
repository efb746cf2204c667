"""Chat exports in every tool's format become the IP's posts with engagement derived from what followed."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from copilot.chatimport import derive_posts, guess_content_type, resolve_ip, rooms_to_groups
from copilot.chatlog import detect_format, read_messages
from copilot.errors import InputError
from copilot.readers import decode_bytes
from copilot.services import Services
from tests import chatexports as cx
from tests.conftest import ROOT

WRITERS = {
    "chatlog-json": (cx.chatlog_json, "chatlog"),
    "chatlog-csv": (cx.chatlog_csv, "chatlog"),
    "pywxdump": (cx.pywxdump_csv, "pywxdump"),
    "pywxdump-old": (lambda p: cx.pywxdump_csv(p, old=True), "pywxdump"),
    "wechatmsg": (cx.wechatmsg_csv, "wechatmsg"),
    "wecom": (cx.wecom_jsonl, "wecom"),
}
IP = {"wecom": "ahe"}  # 会话存档 has no "sent by me" flag: the IP is named by userid
SUFFIX = {"chatlog-json": ".json", "wecom": ".jsonl"}


def _write(tmp_path: Path, kind: str) -> Path:
    writer, _ = WRITERS[kind]
    return writer(tmp_path / f"{kind}{SUFFIX.get(kind, '.csv')}")


def _derive(path: Path, ip: str = "self", group: str = "") -> dict[str, dict]:
    _, messages = read_messages(path)
    rooms = rooms_to_groups(messages, group)
    posts = derive_posts(messages, resolve_ip(messages, ip), rooms)
    return {p.text: p.as_dict() for p in posts}


@pytest.mark.parametrize("kind", list(WRITERS))
def test_every_format_is_detected_and_gives_the_same_metrics(tmp_path: Path, kind: str) -> None:
    path = _write(tmp_path, kind)
    assert detect_format(decode_bytes(path.read_bytes(), path.name)) == WRITERS[kind][1]
    posts = _derive(path, IP.get(kind, "self" if kind != "chatlog-csv" else "wxid_ahe"))
    expected = dict(cx.EXPECTED)
    if kind == "wechatmsg":
        expected.pop(cx.HOMEWORK)  # 留痕 exports one chat at a time
    if kind == "chatlog-csv":
        # chatlog's CSV writes a 接龙 card as 「[分享]」, so only the 「+1」 shows as a sign-up
        expected[cx.NOTICE] = {**expected[cx.NOTICE], "signups": 1}
    assert {t: p["metrics"] for t, p in posts.items()} == expected
    notice = posts[cx.NOTICE]
    assert notice["time"] == "2026-11-20T21:50:00+08:00"
    assert notice["content_type"] == "活动提醒" and posts[cx.NIGHT]["content_type"] == "晚安"


def test_same_post_gets_the_same_id_across_tools_and_time_zones(tmp_path: Path) -> None:
    a = _derive(cx.chatlog_json(tmp_path / "a.json"))
    tokyo = _derive(cx.chatlog_json(tmp_path / "tokyo.json", offset=9))
    b = _derive(cx.pywxdump_csv(tmp_path / "b.csv"), group="")
    assert {p["id"] for p in a.values()} == {p["id"] for p in tokyo.values()}
    assert tokyo[cx.NIGHT]["time"] == "2026-11-20T22:00:00+08:00"  # shown in the group's zone
    # PyWxDump has no group names: the room id is the group, so ids differ until --group names it
    named = _derive(cx.pywxdump_csv(tmp_path / "c.csv", rooms="A"), group="茶友福利群")
    assert named[cx.NOTICE]["id"] == a[cx.NOTICE]["id"]
    assert b[cx.NOTICE]["group"] == "111@chatroom"


def test_ip_by_nickname_shared_with_a_member_needs_an_id(tmp_path: Path) -> None:
    path = cx.chatlog_json(tmp_path / "e.json")
    _, messages = read_messages(path)
    # the IP exported the chat, so the nickname resolves to the exporter rather than the namesake member
    assert resolve_ip(messages, "阿禾") == frozenset({"wxid_ahe"})
    with pytest.raises(InputError, match="群昵称都是「阿禾」"):
        resolve_ip([dataclasses.replace(m, is_self=False) for m in messages], "阿禾")
    assert resolve_ip(messages, "wxid_fake_he") == frozenset({"wxid_fake_he"})
    with pytest.raises(InputError, match="找不到"):
        resolve_ip(messages, "不存在的人")


def test_group_option_selects_a_room_or_is_refused(tmp_path: Path) -> None:
    path = cx.chatlog_json(tmp_path / "g.json")
    only_b = _derive(path, group="识茶营第9期")
    assert list(only_b) == [cx.HOMEWORK]
    with pytest.raises(InputError, match="有 2 个群"):
        _derive(path, group="别的群")


def test_window_and_since_limit_what_counts(tmp_path: Path) -> None:
    path = cx.chatlog_json(tmp_path / "w.json")
    _, messages = read_messages(path)
    rooms = rooms_to_groups(messages)
    ip = resolve_ip(messages, "self")
    short = {p.text: p for p in derive_posts(messages, ip, rooms, window=4)}
    # 4 minutes: only the 接龙 and +1 fall inside; the quote still credits the notice
    assert (short[cx.NOTICE].replies, short[cx.NOTICE].quotes, short[cx.NOTICE].signups) == (3, 1, 2)
    import datetime as dt

    late = derive_posts(messages, ip, rooms, since=dt.date(2026, 11, 21))
    assert late == []  # the IP's only message after midnight is a quote reply: a follow-up, not a post


@pytest.mark.parametrize(
    ("content", "suffix", "line", "needle"),
    [
        (
            '[\n  {"time": "2026-11-20T08:00:00+08:00", "talker": "1@chatroom", "type": 1},\n  {"talker": "1@chatroom"}\n]',
            ".json",
            3,
            "缺少 time",
        ),
        ('[\n  {"time": "昨天早上", "talker": "1@chatroom", "isChatRoom": true}\n]', ".json", 2, "昨天早上"),
        ('[\n  {"time": "2026-11-20T08:00:00+08:00", "talker": "1@chatroom"},\n  {"time": \n', ".json", 3, "JSON"),
        (
            "id,MsgSvrID,type_name,is_sender,talker,room_name,msg,src,CreateTime\n1,2,文本,0,小满,1@chatroom,早,,2026-11-20 08:00:00\n2,3,文本,0,小满,1@chatroom,早\n",
            ".csv",
            3,
            "只有 7 列",
        ),
        (
            '{"msgid": "1", "roomid": "r", "msgtime": 1, "msgtype": "text", "text": {"content": "早"}}\n{"msgid": \n',
            ".jsonl",
            2,
            "JSON",
        ),
        ("时间,发言人,内容\n08:00,小满,早\n", ".csv", 1, "认不出"),
    ],
)
def test_bad_files_are_refused_with_file_and_line(
    tmp_path: Path, content: str, suffix: str, line: int, needle: str
) -> None:
    path = tmp_path / f"坏文件{suffix}"
    path.write_text(content, "utf-8")
    with pytest.raises(InputError) as err:
        read_messages(path)
    assert err.value.file == str(path) and err.value.line == line
    assert needle in str(err.value) and f"第 {line} 行" in str(err.value)


def test_content_type_guess_uses_wording_then_hour() -> None:
    import datetime as dt

    at = lambda h: dt.datetime(2026, 11, 20, h, 0, tzinfo=cx.TZ8)  # noqa: E731
    assert guess_content_type("茶友们早上好呀", at(9)) == "早安"
    assert guess_content_type("你们小时候喝什么茶？聊聊", at(12)) == "话题"
    assert guess_content_type("12月12日晚8点直播，群里专属福利价", at(12)) == "活动预告"
    assert guess_content_type("直播还有10分钟开始了，快来", at(19)) == "活动提醒"
    assert guess_content_type("嗯嗯", at(6)) == "早安" and guess_content_type("嗯嗯", at(15)) == "其他"


def test_import_is_idempotent_and_a_newer_export_updates_metrics(services: Services, tmp_path: Path) -> None:
    first = tmp_path / "first.json"
    items = json.loads(cx.chatlog_json(tmp_path / "full.json").read_text("utf-8"))
    # the first export stops before the late quote reply to the notice
    first.write_text(json.dumps([i for i in items if i["time"] < "2026-11-20T23:00"], ensure_ascii=False), "utf-8")
    r1 = services.import_chat(first, "self")
    assert (r1.added, r1.updated) == (3, 0) and r1.groups == ("茶友福利群", "识茶营第9期")
    notice_id = next(p.id for p in r1.posts if p.text == cx.NOTICE)
    assert services.store.get(notice_id).quotes == 0  # type: ignore[union-attr]
    again = services.import_chat(first, "self")
    assert (again.added, again.updated, again.unchanged, again.activity_added) == (0, 0, 3, 0)
    newer = services.import_chat(tmp_path / "full.json", "self")
    assert (newer.added, newer.updated, newer.unchanged) == (0, 1, 2)
    stored = services.store.get(notice_id)
    assert stored is not None and (stored.quotes, stored.replies, stored.repliers, stored.signups) == (1, 4, 3, 2)
    assert stored.content_type == "活动提醒" and stored.date == "2026-11-20" and stored.group == "茶友福利群"
    assert services.store.count() == 3
    rhythm = services.activity.summary("茶友福利群")
    assert rhythm["active_hours"]["21"] == 3 and rhythm["active_hours"]["0"] == 1  # system + recall excluded
    assert rhythm["active_members"] == 3


def test_cli_import_chat_json_and_errors(home: Path, tmp_path: Path) -> None:
    path = cx.wecom_jsonl(tmp_path / "会话存档.jsonl")
    env = {"COPILOT_HOME": str(home), "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "copilot", "import-chat", str(path), "--ip", "ahe", "--group", "wr111Room", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout)
    assert [r["metrics"] for r in rows] == [cx.EXPECTED[cx.NOTICE], cx.EXPECTED[cx.NIGHT]]
    assert set(rows[0]) == {"id", "time", "text", "content_type", "group", "metrics"}
    bad = subprocess.run(
        [sys.executable, "-m", "copilot", "import-chat", str(path), "--ip", "self"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1 and "self" in bad.stderr and "Traceback" not in bad.stderr


def test_ip_jielong_card_is_a_post_and_a_double_send_is_one(tmp_path: Path) -> None:
    items = json.loads(cx.chatlog_json(tmp_path / "a.json").read_text("utf-8"))
    card = {**items[0], "seq": 99, "type": 49, "subType": 53, "content": "", "time": "2026-11-20T21:00:00+08:00"}
    card["contents"] = {"title": "#接龙\n周六茶山徒步，想去的接\n\n1. 阿禾"}
    twice = {**items[0], "seq": 98}  # the notice pasted twice in the same second
    path = tmp_path / "b.json"
    path.write_text(json.dumps([card, *items, twice], ensure_ascii=False), "utf-8")
    _, messages = read_messages(path)
    posts = derive_posts(messages, resolve_ip(messages, "self"), rooms_to_groups(messages))
    assert len({p.id for p in posts}) == len(posts) == 4
    assert any(p.text.startswith("#接龙\n周六茶山徒步") for p in posts)
    notice = next(p for p in posts if p.text == cx.NOTICE)
    assert notice.as_dict()["metrics"] == cx.EXPECTED[cx.NOTICE]  # the replies stay with the one post
