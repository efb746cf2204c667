"""The group's rhythm (群数据): members' messages by hour from chat imports, and slot times that fit it."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from copilot.records import Slot

# Active hours are the busiest hours that together hold this share of members' messages.
ACTIVE_SHARE = 0.8

_SCHEMA = """
CREATE TABLE IF NOT EXISTS activity (
    key TEXT PRIMARY KEY,
    grp TEXT NOT NULL,
    day TEXT NOT NULL,
    hour INTEGER NOT NULL,
    sender TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS activity_grp ON activity (grp, hour);
"""


class ActivityStore:
    """Members' messages (not their text: key, group, day, hour, hashed sender) in COPILOT_HOME/chat.sqlite3."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.executescript(_SCHEMA)

    def record(self, rows: Iterable[tuple[str, str, str, int, str]]) -> int:
        """Add (key, group, day, hour, sender) rows; a message seen before (same key) is ignored."""
        with self._lock, self._db:
            before = self._db.total_changes
            self._db.executemany("INSERT OR IGNORE INTO activity VALUES (?, ?, ?, ?, ?)", rows)
            return self._db.total_changes - before

    def groups(self) -> list[str]:
        """Groups with imported activity."""
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT DISTINCT grp FROM activity ORDER BY grp")]

    def summary(self, group: str) -> dict:
        """active_hours (0-23 → messages), messages_per_day, active_members, days, first/last day."""
        with self._lock:
            hours = dict(self._db.execute("SELECT hour, COUNT(*) FROM activity WHERE grp = ? GROUP BY hour", (group,)))
            total, members, first, last = self._db.execute(
                "SELECT COUNT(*), COUNT(DISTINCT sender), MIN(day), MAX(day) FROM activity WHERE grp = ?", (group,)
            ).fetchone()
        days = (dt.date.fromisoformat(last) - dt.date.fromisoformat(first)).days + 1 if first else 0
        return {
            "active_hours": {str(h): int(hours.get(h, 0)) for h in range(24)},
            "messages_per_day": round(total / days, 1) if days else 0.0,
            "active_members": int(members),
            "days": days,
            "first_day": first or "",
            "last_day": last or "",
        }


def active_hours(hours: dict[str, int], share: float = ACTIVE_SHARE) -> list[int]:
    """The busiest hours that together hold `share` of the messages (sorted); empty when there are none."""
    total = sum(hours.values())
    if not total:
        return []
    chosen, covered = [], 0
    for hour, n in sorted(((int(h), n) for h, n in hours.items()), key=lambda x: (-x[1], x[0])):
        if covered >= share * total or n == 0:
            break
        chosen.append(hour)
        covered += n
    return sorted(chosen)


def _distance(a: int, b: int) -> int:
    d = abs(a - b) % 24
    return min(d, 24 - d)


def suggest_slots(hours: dict[str, int], slots: Sequence[Slot]) -> list[dict]:
    """Each slot with whether members are around then, and the nearest busy hour when they are not."""
    active = active_hours(hours)
    out = []
    taken = {s.time for s in slots}
    for s in slots:
        hour, minute = int(s.time[:2]), s.time[3:]
        row = {"time": s.time, "content_type": s.content_type, "active": hour in active, "suggested": s.time}
        if active and hour not in active:
            best = min(active, key=lambda h: (_distance(h, hour), -hours.get(str(h), 0)))
            new = f"{best:02d}:{minute}"
            if new in taken:
                new = f"{best:02d}:{'30' if minute == '00' else '00'}"
            taken.add(new)
            row["suggested"] = new
            row["reason"] = (
                f"{s.time} 群里几乎没人说话（这一小时只占成员消息的 "
                f"{hours.get(str(hour), 0) / max(sum(hours.values()), 1):.0%}），"
                f"建议改到 {new}，{best} 点是最近的活跃时段"
            )
        out.append(row)
    return out
