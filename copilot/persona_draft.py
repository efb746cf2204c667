"""Draft a persona YAML from the IP's own messages in a chat export; what a chat cannot tell is marked 待填写."""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import yaml

from copilot.chatimport import ChatPost, derive_posts, resolve_ip, rooms_to_groups
from copilot.chatlog import JIELONG, QUOTE, TEXT, Message, read_messages
from copilot.errors import InputError
from copilot.persona import persona_from_mapping
from copilot.profile import ADDRESS_CANDIDATES, EMOJI, PARTICLES, cjk_len, sentences

TODO = "待填写"
_WECHAT_EMOJI = re.compile(r"\[[\u4e00-\u9fff]{1,4}\]")
_ADDRESS = re.compile(r"([\u4e00-\u9fff]{1,3}们)")
_NOT_ADDRESS = {"我们", "你们", "他们", "她们", "咱们", "它们", "人们", "大家们"}
_PUNCT = "，。！？～…、；：,.!?~ \n「」“”（）()《》"
_SLOT_TYPES = ("早安", "干货", "话题", "活动预告", "活动提醒", "晚安")


def _address_forms(texts: Sequence[str]) -> list[str]:
    counts: Counter[str] = Counter()
    for t in texts:
        found = set(_ADDRESS.findall(t)) | {a for a in ADDRESS_CANDIDATES if a.endswith("们") and a in t}
        # the regex also catches the characters before 「茶友们」; keep the shortest form that is a word of its own
        counts.update(f for f in found if f not in _NOT_ADDRESS)
    keep = [a for a, n in counts.most_common() if n >= 2]
    return [a for a in keep if not any(b != a and a.endswith(b) and counts[b] >= counts[a] for b in keep)][:3]


def _catchphrases(mine: Sequence[str], members: Sequence[str], minimum: int, address: Sequence[str] = ()) -> list[str]:
    """Phrases (4-12 characters) the IP repeats across messages and members hardly ever say.

    Phrases with digits are facts of the day (times, prices), and ones holding an address form are
    greetings the address form already covers."""
    seen: Counter[str] = Counter()
    strip = re.compile("|".join(map(re.escape, address))) if address else None
    for t in mine:
        t = strip.sub("\n", t) if strip else t
        grams = set()
        for n in range(4, 13):
            for i in range(len(t) - n + 1):
                g = t[i : i + n]
                if g[0] in _PUNCT or g[-1] in _PUNCT or "\n" in g or cjk_len(g) < 4:
                    continue
                grams.add(g)
        seen.update(grams)
    candidates = [g for g, n in seen.items() if n >= minimum and not re.search(r"\d", g)]
    joined = "\n".join(members)
    candidates = [g for g in candidates if joined.count(g) <= max(1, len(members) // 200)]
    # longest first; a phrase inside a kept longer one that is used about as often is the same phrase
    candidates.sort(key=lambda g: (-len(g), -seen[g]))
    kept: list[str] = []
    for g in candidates:
        if any(g in k and seen[g] <= seen[k] + 1 for k in kept):
            continue
        kept.append(g)
    kept.sort(key=lambda g: (-seen[g], -len(g)))
    return kept[:5]


def _emoji(texts: Sequence[str]) -> tuple[list[str], float]:
    counts: Counter[str] = Counter()
    with_emoji = 0
    for t in texts:
        found = [e.rstrip("\ufe0f") for e in EMOJI.findall(t)] + _WECHAT_EMOJI.findall(t)
        counts.update(found)
        with_emoji += bool(found)
    return [e for e, n in counts.most_common(5) if n >= 2], with_emoji / max(len(texts), 1)


def _signoff(texts: Sequence[str]) -> str:
    last = Counter(t.strip().splitlines()[-1].strip() for t in texts if t.strip())
    for line, n in last.most_common():
        if n >= 2 and line.startswith(("——", "—", "--")) and len(line) <= 30:
            return line
    tails = Counter(sentences(t)[-1] for t in texts if sentences(t))
    line, n = tails.most_common(1)[0] if tails else ("", 0)
    return line if n >= 3 and n >= len(texts) * 0.3 and len(line) <= 20 else ""


def _slots(posts: Sequence[ChatPost]) -> list[dict[str, str]]:
    days = len({p.time.date() for p in posts}) or 1
    by_type: dict[str, list[int]] = {}
    for p in posts:
        if p.content_type in _SLOT_TYPES:
            by_type.setdefault(p.content_type, []).append(p.time.hour * 60 + p.time.minute)
    slots: dict[str, str] = {}
    for ctype, minutes in by_type.items():
        if len(minutes) < max(2, round(days * 0.3)):
            continue
        m = int(30 * round(statistics.median(minutes) / 30)) % (24 * 60)
        time = f"{m // 60:02d}:{m % 60:02d}"
        while time in slots:
            m = (m + 30) % (24 * 60)
            time = f"{m // 60:02d}:{m % 60:02d}"
        slots[time] = ctype
    return [{"time": t, "content_type": c} for t, c in sorted(slots.items())]


def _q(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)  # JSON scalars and lists are valid YAML


def draft_persona(messages: Sequence[Message], ip: frozenset[str], groups: dict[str, str], name: str = "") -> str:
    """The persona YAML text (loads with the persona loader); unknowns are empty and commented 待填写."""
    mine = [m.text.strip() for m in messages if m.sender in ip and m.kind in (TEXT, JIELONG, QUOTE) and m.text.strip()]
    members = [m.text for m in messages if m.sender not in ip and m.kind in (TEXT, QUOTE)]
    if not mine:
        return ""
    posts = derive_posts(messages, ip, groups)
    names = Counter(m.sender_name for m in messages if m.sender in ip and m.sender_name not in ("", "我", "self"))
    ip_name = name or (names.most_common(1)[0][0] if names else "")
    address = _address_forms(mine)
    phrases = _catchphrases(mine, members, minimum=3 if len(mine) >= 20 else 2, address=address)
    emoji, emoji_share = _emoji(mine)
    signoff = _signoff(mine)
    lengths = [cjk_len(s) for t in mine for s in sentences(t)]
    mean_len = statistics.mean(lengths) if lengths else 0
    particles = Counter(p for t in mine for p in PARTICLES for _ in range(t.count(p)))
    tone = [f"句子{'偏短' if mean_len < 15 else '中等' if mean_len < 25 else '偏长'}（平均每句 {mean_len:.0f} 字）"]
    if particles:
        tone.append("常用语气词：" + "、".join(p for p, _ in particles.most_common(3)))
    tone.append(f"约 {emoji_share:.0%} 的消息带表情")
    lines = [
        f"# 由 copilot persona draft 从 {len(mine)} 条 IP 消息起草；标了「{TODO}」的请运营补全后再用。",
        f"name: {_q(ip_name or TODO)}" + ("" if ip_name else f"  # {TODO}：IP 的名字"),
        f'brand: ""  # {TODO}：品牌名（聊天记录里看不出来）',
        f'industry: ""  # {TODO}：行业',
        f'archetype: ""  # {TODO}：亲民 或 专业',
        f"address_form: {_q(address)}" + ("" if address else f"  # {TODO}：怎么称呼群成员"),
        f"catchphrases: {_q(phrases)}  # IP 反复说、成员很少说的话，请删掉不是口头禅的",
        f"emoji: {_q(emoji)}",
        f"signoff: {_q(signoff)}" + ("" if signoff else "  # 没找到固定落款"),
        f"tone: {_q(tone)}  # 从消息统计出来的，可改成「实在、温和」这样的性格词",
        f"taboo: []  # {TODO}：人设绝不说的词",
        "intro:",
        f'  who: ""  # {TODO}：我是谁',
        f'  brand: ""  # {TODO}：我的品牌',
        f'  value: ""  # {TODO}：我能给你什么',
        f'  trust: ""  # {TODO}：为什么信我',
        "groups:",
    ]
    for group in sorted(set(groups.values())):
        slots = _slots([p for p in posts if p.group == group])
        lines += [
            f"  - name: {_q(group)}",
            f"    type: 引流群  # {TODO}：引流群 | 活动群 | 转化群 | 学习群",
            f'    positioning: ""  # {TODO}：这个群为什么存在、给谁',
            "    slots:" + ("" if slots else " []  # IP 发帖时间不规律，没能推出时段"),
        ]
        lines += [f"      - {{time: {_q(s['time'])}, content_type: {s['content_type']}}}" for s in slots]
    text = "\n".join(lines) + "\n"
    persona_from_mapping(yaml.safe_load(text), "persona draft")  # the draft must load as it is
    return text


def draft_from_file(path: Path, ip: str, *, fmt: str = "auto", group: str = "", name: str = "") -> str:
    """Read an export and draft the persona YAML of the IP's messages in it."""
    _, messages = read_messages(path, fmt)
    rooms = rooms_to_groups(messages, group)
    scoped = [m for m in messages if m.room in rooms]
    ids = resolve_ip(scoped, ip)
    text = draft_persona(scoped, ids, rooms, name)
    if not text:
        raise InputError("IP 在这份导出里没有发过文字消息，起草不了人设", file=str(path))
    return text
