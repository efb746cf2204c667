"""Turn a group chat export into the IP's past posts, each with the engagement that followed it."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from copilot.chatlog import JIELONG, QUOTE, RECALL, SYSTEM, TEXT, Message, read_messages
from copilot.errors import InputError
from copilot.ingest import FileProgress
from copilot.profile import cjk_len
from copilot.records import Post

if TYPE_CHECKING:
    from copilot.rhythm import ActivityStore
    from copilot.store import KnowledgeStore

log = logging.getLogger(__name__)

DEFAULT_WINDOW = 60
# An IP message this short, sent while one of its posts is still collecting replies, is chatter, not a post.
FOLLOW_UP_CHARS = 20
# A quote reply credits the quoted post even after its window, up to this long after it.
QUOTE_HORIZON = dt.timedelta(days=7)
_SIGNUP = re.compile(
    r"^\s*(?:[+＋]\s*\d+|报名|我报名|我要报名|已报名|报名\s*[+＋]\s*\d|接龙|已接龙|我接龙|#接龙|\d{1,3}[.、．]\s*\S)"
)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class ChatPost:
    """One of the IP's messages in a group, with the engagement derived from what followed it."""

    id: str
    """Stable id: a hash of group, send time and text (the same post in a newer export keeps it)."""
    time: dt.datetime
    """When it was sent, timezone-aware."""
    text: str
    """The post as sent."""
    group: str
    """Group name."""
    content_type: str
    """Guessed from time and wording (one of CONTENT_TYPES)."""
    topic_type: str = ""
    """Guessed topic type for 话题 posts, or empty."""
    replies: int = 0
    """Members' messages that answered it (window or quote)."""
    repliers: int = 0
    """Distinct members among them."""
    quotes: int = 0
    """Quote replies to it."""
    signups: int = 0
    """Distinct members who signed up (接龙 entries, +1, 报名)."""

    def as_dict(self) -> dict:
        """The `import-chat --json` shape."""
        return {
            "id": self.id,
            "time": self.time.isoformat(),
            "text": self.text,
            "content_type": self.content_type,
            "group": self.group,
            "metrics": {
                "replies": self.replies,
                "repliers": self.repliers,
                "quotes": self.quotes,
                "signups": self.signups,
            },
        }

    def to_post(self, source: str = "") -> Post:
        """The knowledge-store record (reactions and clicks are not in a chat export)."""
        return Post(
            id=self.id,
            text=self.text,
            content_type=self.content_type,
            topic_type=self.topic_type,
            group=self.group,
            date=self.time.date().isoformat(),
            replies=self.replies,
            signups=self.signups,
            repliers=self.repliers,
            quotes=self.quotes,
            source=source,
        )


@dataclass
class _Open:
    """A post being built: its message and who answered it."""

    msg: Message
    group: str
    replies: int = 0
    quotes: int = 0
    members: set[str] = field(default_factory=set)
    signers: set[str] = field(default_factory=set)


def post_id(group: str, when: dt.datetime, text: str) -> str:
    """Stable across tools and re-exports: group, send second (UTC) and whitespace-free text."""
    key = f"{group}\x00{int(when.timestamp())}\x00{_SPACE.sub('', text)}"
    return "chat-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def guess_content_type(text: str, when: dt.datetime) -> str:
    """A content type from wording first, then the hour it was sent."""
    t = text[:80]
    if re.search(r"早安|早上好|早呀|早啊|^早[，,!！～~ ]", t):
        return "早安"
    if re.search(r"晚安|睡个好觉|早点睡|明早见", text):
        return "晚安"
    if "群规" in t:
        return "群规"
    if "群公告" in t or t.startswith("【公告】"):
        return "公告"
    if re.search(r"欢迎.{0,12}(新|进群|入群|加入)", t):
        return "欢迎"
    if "我是" in t and re.search(r"自我介绍|认识一下|介绍一下自己", t):
        return "自我介绍"
    if re.search(r"接龙|报名|直播|开抢|福利|秒杀|团购|拼团|优惠|限时|名额", text):
        return "活动提醒" if re.search(r"还有|马上|倒计时|最后|今晚|开始了|快来|截止|提醒", text) else "活动预告"
    if re.search(r"[？?]", text) and re.search(r"你们|大家|茶友们|家人们|聊聊|说说|有没有", text):
        return "话题"
    if cjk_len(text) >= 80:
        return "干货"
    hour = when.hour
    if 5 <= hour < 9:
        return "早安"
    if hour >= 22 or hour < 2:
        return "晚安"
    return "其他"


_TOPIC_WORDS: tuple[tuple[str, str], ...] = (
    ("情怀共鸣", r"小时候|以前|外婆|奶奶|老家|回忆|那时候|怀念"),
    ("成长经历", r"第一次|刚入行|那年|学会|成长|踩过的坑|当年"),
    ("行业大厂", r"品牌|大厂|行业|茶企|上市|价格战|新茶饮"),
    ("热点事件", r"热搜|新闻|刚刚|今天.{0,6}(发布|宣布)|刷屏"),
    ("八卦", r"明星|综艺|电视剧|八卦|追剧"),
    ("社会民生", r"房价|工资|上班|通勤|物价|菜价|孩子上学"),
    ("社群自带", r"群里|咱们群|茶友们|打卡|作业"),
)


def guess_topic_type(text: str, content_type: str) -> str:
    """A topic type for discussion posts, from a few telling words; empty when nothing fits."""
    if content_type != "话题":
        return ""
    for name, pattern in _TOPIC_WORDS:
        if re.search(pattern, text):
            return name
    return ""


def rooms_to_groups(messages: Sequence[Message], group: str = "") -> dict[str, str]:
    """Which rooms to import and the group name each gets (`--group` selects a room or names the only one)."""
    names: dict[str, str] = {}
    for m in messages:
        if m.room not in names or names[m.room] == m.room:
            names[m.room] = m.room_name or m.room
    if not group:
        return names
    chosen = {room: group for room, name in names.items() if group in (room, name)}
    if chosen:
        return chosen
    if len(names) == 1:
        return {next(iter(names)): group}
    listed = "、".join(f"{n}（{r}）" if n != r else r for r, n in names.items())
    raise InputError(f"导出里有 {len(names)} 个群，没有叫「{group}」的：{listed}。请用 --group 选其中一个")


def resolve_ip(messages: Sequence[Message], who: str) -> frozenset[str]:
    """The sender ids that are the IP: `self`, an exact sender id, or a display name only one sender uses."""
    who = who.strip()
    if not who:
        raise InputError("请用 --ip 指定 IP 本人：发送者编号、群昵称，或 self（导出者本人）")
    if who.lower() in ("self", "我"):
        ids = {m.sender for m in messages if m.is_self}
        if not ids:
            raise InputError("这份导出没有标出「本人发送」的消息，--ip self 用不了，请改用 IP 的发送者编号或群昵称")
        return frozenset(ids)
    if any(m.sender == who for m in messages):
        return frozenset({who})
    counts = Counter(m.sender for m in messages if m.sender_name == who and m.kind not in (SYSTEM, RECALL))
    if not counts:
        raise InputError(f"导出里找不到发送者「{who}」（按编号和群昵称都找过），请检查 --ip")
    if len(counts) > 1:
        selves = {m.sender for m in messages if m.is_self and m.sender in counts}
        if len(selves) == 1:
            return frozenset(selves)
        listed = "、".join(f"{s}（{n} 条）" for s, n in counts.most_common())
        raise InputError(f"有 {len(counts)} 个人的群昵称都是「{who}」：{listed}。请用 --ip 写发送者编号")
    return frozenset(counts)


def _same_send(a: Message, b: Message) -> bool:
    """The same text in the same second: a double send (or a duplicated export row), one post."""
    return int(a.time.timestamp()) == int(b.time.timestamp()) and _norm(a.text) == _norm(b.text)


def _norm(text: str) -> str:
    return _SPACE.sub("", text)


def _quoted(post: _Open, quote_text: str) -> bool:
    q, text = _norm(quote_text)[:30], _norm(post.msg.text)
    return bool(q) and (text == q or (len(q) >= 4 and (text.startswith(q) or (len(q) >= 8 and q in text))))


def derive_posts(
    messages: Iterable[Message],
    ip: frozenset[str],
    groups: dict[str, str],
    *,
    window: int = DEFAULT_WINDOW,
    since: dt.date | None = None,
) -> list[ChatPost]:
    """The IP's posts in each selected room with replies, repliers, quotes and sign-ups.

    A post collects members' messages until the IP's next post or `window` minutes; a quote reply
    always credits the post it quotes. System messages, recalls (and WeCom-recalled messages) and
    the IP's own follow-ups (quote replies, images, short chatter while a post is open) never count.
    """
    span = dt.timedelta(minutes=window)
    by_room: dict[str, list[Message]] = {}
    recalled = set()
    for m in messages:
        if m.recalls:
            recalled.add(m.recalls)
        if m.room in groups and (since is None or m.time.date() >= since):
            by_room.setdefault(m.room, []).append(m)
    posts: list[_Open] = []
    for room, items in by_room.items():
        items.sort(key=lambda m: m.time)  # stable: same-second messages keep export order
        group = groups[room]
        mine: list[_Open] = []
        current: _Open | None = None
        for m in items:
            if m.kind in (SYSTEM, RECALL) or (m.msg_id and m.msg_id in recalled):
                continue
            is_open = current is not None and m.time - current.msg.time <= span
            if m.sender in ip:
                starts = m.kind in (TEXT, JIELONG) and m.text.strip()
                if starts and is_open and cjk_len(m.text) < FOLLOW_UP_CHARS:
                    starts = False
                if starts and current is not None and _same_send(current.msg, m):
                    starts = False
                if starts:
                    current = _Open(m, group)
                    mine.append(current)
                continue
            target: _Open | None = None
            # Tools name the quoted sender differently (wxid, nickname, 我), and nicknames can be shared,
            # so the quoted text decides which of the IP's posts (if any) was answered.
            if m.kind == QUOTE and m.quote_text:
                for p in reversed(mine):
                    if m.time - p.msg.time > QUOTE_HORIZON:
                        break
                    if _quoted(p, m.quote_text):
                        target = p
                        target.quotes += 1
                        break
            if target is None and is_open:
                target = current
            if target is None:
                continue
            target.replies += 1
            target.members.add(m.sender)
            if m.kind == JIELONG or _SIGNUP.match(m.text):
                target.signers.add(m.sender)
        posts.extend(mine)
    out = []
    seen: set[str] = set()
    for p in posts:
        pid = post_id(p.group, p.msg.time, p.msg.text)
        if pid in seen:  # the same text sent twice within a second is one post
            continue
        seen.add(pid)
        ctype = guess_content_type(p.msg.text, p.msg.time)
        out.append(
            ChatPost(
                id=pid,
                time=p.msg.time,
                text=p.msg.text.strip(),
                group=p.group,
                content_type=ctype,
                topic_type=guess_topic_type(p.msg.text, ctype),
                replies=p.replies,
                repliers=len(p.members),
                quotes=p.quotes,
                signups=len(p.signers),
            )
        )
    out.sort(key=lambda c: (c.group, c.time))
    return out


def member_activity(
    messages: Iterable[Message], ip: frozenset[str], groups: dict[str, str], since: dt.date | None = None
) -> list[tuple[str, str, str, int, str]]:
    """(key, group, date, hour, sender hash) for every member message that counts, for the group's rhythm."""
    rows = []
    for m in messages:
        if m.room not in groups or m.sender in ip or m.kind in (SYSTEM, RECALL):
            continue
        if since is not None and m.time.date() < since:
            continue
        key = f"{groups[m.room]}\x00{int(m.time.timestamp())}\x00{m.sender}\x00{m.text[:40]}"
        digest = hashlib.blake2b(key.encode("utf-8"), digest_size=10).hexdigest()
        # only a hash of the sender: enough to count distinct members, no member ids in the workspace
        who = hashlib.blake2b(m.sender.encode("utf-8"), digest_size=8).hexdigest()
        rows.append((digest, groups[m.room], m.time.date().isoformat(), m.time.hour, who))
    return rows


@dataclass(frozen=True)
class ImportResult:
    """What one import-chat run did."""

    format: str
    """Which tool's export it was."""
    messages: int
    """Group messages read."""
    groups: tuple[str, ...]
    """Groups imported."""
    posts: tuple[ChatPost, ...]
    """The IP's posts with their metrics."""
    added: int = 0
    """Posts new to the knowledge base."""
    updated: int = 0
    """Posts already there whose metrics changed (a newer, overlapping export)."""
    unchanged: int = 0
    """Posts already there with the same metrics."""
    activity_added: int = 0
    """Members' messages new to the group's rhythm."""

    def summary(self) -> str:
        """One Chinese paragraph for the CLI and the UI."""
        return (
            f"读取 {self.messages} 条群消息（{self.format} 导出），群：{'、'.join(self.groups)}。"
            f"IP 的帖子 {len(self.posts)} 条：新增 {self.added}，更新互动数据 {self.updated}，"
            f"没有变化 {self.unchanged}；群活跃度新增 {self.activity_added} 条成员消息。"
        )


def import_chat(
    store: KnowledgeStore,
    activity: ActivityStore,
    path: Path,
    ip: str,
    *,
    fmt: str = "auto",
    group: str = "",
    window: int = DEFAULT_WINDOW,
    since: dt.date | None = None,
    max_bytes: int = 200 * 1024 * 1024,
    progress: FileProgress | None = None,
    display_name: str | None = None,
) -> ImportResult:
    """Read an export, derive the IP's posts, store new ones, refresh changed metrics, record the rhythm."""
    label = display_name or path.name
    if window <= 0:
        raise InputError(f"--window 应是正整数（分钟），实际是 {window}")

    def reading(done: int, total: int) -> None:
        if progress:
            progress(f"读取 {label}（行）", done, total)

    found, messages = read_messages(path, fmt, max_bytes=max_bytes, display_name=display_name, progress=reading)
    rooms = rooms_to_groups(messages, group)
    scoped = [m for m in messages if m.room in rooms]
    ids = resolve_ip(scoped, ip)
    posts = derive_posts(scoped, ids, rooms, window=window, since=since)
    records = [p.to_post(Path(label).name) for p in posts]
    stored = store.get_many(r.id for r in records)
    fresh = [r for r in records if r.id not in stored]

    def step(done: int, total: int) -> None:
        if progress:
            progress(f"写入 {label}", done, total)

    added, _ = store.add(fresh, progress=step) if fresh else (0, 0)
    # a newer export changes the numbers; the type an operator corrected (and the source) stays
    changed = [
        Post(**{**asdict(stored[r.id]), **r.metrics})
        for r in records
        if r.id in stored and stored[r.id].metrics != r.metrics
    ]
    store.update_metadata(changed)
    updated = len(changed)
    posts = [
        replace(p, content_type=stored[p.id].content_type, topic_type=stored[p.id].topic_type) if p.id in stored else p
        for p in posts
    ]
    recorded = activity.record(member_activity(scoped, ids, rooms, since))
    log.info("import-chat %s: %d messages, %d posts, %d new", label, len(messages), len(posts), added)
    return ImportResult(
        format=found,
        messages=len(messages),
        groups=tuple(sorted(set(rooms.values()))),
        posts=tuple(posts),
        added=added,
        updated=updated,
        unchanged=len(stored) - updated,
        activity_added=recorded,
    )
