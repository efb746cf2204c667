"""The activity calendar (活动日历): the only source of dates, prices and events for drafts.

An entry runs from `start` to `end` (dates, inclusive) for one group or all groups, optionally in the three stages
of an activity (预热 → 拉升 → 爆破), and carries `facts` (copied verbatim into drafts) and `notes` (operator only).
Stored in the workspace SQLite file; imported from YAML / JSON / CSV, idempotent on (name, group, start).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from copilot.config import Limits
from copilot.errors import InputError

STAGES = ("预热", "拉升", "爆破")
STAGE_HINTS = {
    "预热": "预热造势：宣布活动、吊胃口、把日期定下来",
    "拉升": "进人拉升：报人数、讲紧迫感，早中晚反复提醒",
    "爆破": "集中爆破：就是今天，活动本身",
    "进行中": "活动进行中：提醒时间、参与方式和截止",
}
FIELDS = ("name", "group", "start", "end", "stages", "facts", "notes")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS calendar (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, group_name TEXT NOT NULL DEFAULT '', start TEXT NOT NULL,
    end TEXT NOT NULL, stages TEXT NOT NULL DEFAULT '{}', facts TEXT NOT NULL DEFAULT '', notes TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL, UNIQUE (name, group_name, start)
);
"""


@dataclass(frozen=True)
class Entry:
    """One activity on the calendar."""

    id: str
    """Stable id (kept when the same name + group + start is imported again)."""
    name: str
    """Activity name as members know it, e.g. 双十二直播专场."""
    group: str
    """Group name, or empty for every group."""
    start: dt.date
    """First day."""
    end: dt.date
    """Last day (inclusive)."""
    stages: tuple[tuple[str, dt.date, dt.date], ...] = ()
    """(stage, first, last) for 预热 / 拉升 / 爆破, in order."""
    facts: str = ""
    """Times, prices, perks, quota, link, place: copied verbatim into drafts."""
    notes: str = ""
    """For the operator only; never shown to members."""

    def stage_on(self, day: dt.date) -> str:
        """预热 / 拉升 / 爆破 on that day, 进行中 inside the entry without a stage, '' outside."""
        if not (self.start <= day <= self.end):
            return ""
        for stage, first, last in self.stages:
            if first <= day <= last:
                return stage
        return "进行中"

    def applies_to(self, group: str) -> bool:
        """True for the entry's own group, or for every group when it has none."""
        return not self.group or not group or self.group == group

    def as_dict(self) -> dict:
        """JSON form with ISO dates."""
        return {
            "id": self.id,
            "name": self.name,
            "group": self.group,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "stages": {s: [a.isoformat(), b.isoformat()] for s, a, b in self.stages},
            "facts": self.facts,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class Active:
    """An entry as it stands on one day."""

    entry: Entry
    """The calendar entry."""
    stage: str
    """预热 / 拉升 / 爆破 / 进行中."""
    days_left: int
    """Days until the entry's last day (0 on the last day)."""
    days_to_peak: int
    """Days until the 爆破 stage starts (0 inside it, -1 when there is no 爆破 stage or it has passed)."""


@dataclass(frozen=True)
class CalendarImport:
    """What importing some calendar files did."""

    added: int
    """New activities."""
    updated: int
    """Activities that were already there (same name, group and start) and were updated."""
    refused: tuple[str, ...] = ()
    """One Chinese message per refused file, naming the file, the lines and the fields."""
    files: tuple[str, ...] = ()
    """Files that were imported."""

    def summary(self) -> str:
        """活动日历已导入：新增 N 个，更新 M 个…, then one line per refused file."""
        head = f"活动日历已导入：新增 {self.added} 个，更新 {self.updated} 个"
        if self.refused:
            head += f"；拒收 {len(self.refused)} 个文件（整份未导入，其他文件照常导入）"
        return "\n".join([head + "。", *(f"  拒收：{r}" for r in self.refused)])


def parse_date(value: object, where: str = "") -> dt.date:
    """YYYY-MM-DD (or a YAML date) into a date; a Chinese error says whether the format or the day is wrong."""
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        parts = text.split("-")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            raise InputError(f"{where}「{text}」这一天不存在") from None
        raise InputError(f"{where}「{text}」格式不对，请写成 YYYY-MM-DD") from None


def _stage_range(value: object) -> tuple[object, object]:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return value[0], value[1]
    text = str(value or "").strip()
    for sep in ("..", "～", "~", "至"):
        if sep in text:
            a, b = text.split(sep, 1)
            return a.strip(), b.strip()
    if text:
        return text, text
    raise ValueError("阶段应写成 [开始, 结束] 或 YYYY-MM-DD..YYYY-MM-DD")


def entry_from_mapping(data: object, groups: Iterable[str] | None = None, entry_id: str = "") -> Entry:
    """Validate one entry (as read from a file or a form); InputError names the field."""
    if not isinstance(data, dict):
        raise InputError("每个活动应是一组「键: 值」")
    unknown = [k for k in data if k not in FIELDS and k not in STAGES and k != "id"]
    if unknown:
        raise InputError(f"不认识的字段「{unknown[0]}」，可用：{'、'.join(FIELDS)}", column=str(unknown[0]))
    name = str(data.get("name") or "").strip()
    if not name:
        raise InputError("缺少活动名称", column="name")
    group = str(data.get("group") or "").strip()
    known = list(groups) if groups is not None else None
    if group and known is not None and group not in known:
        raise InputError(f"群「{group}」不在人设文件里，可选：{'、'.join(known) or '（无）'}", column="group")
    start = _field_date(data, "start")
    end = _field_date(data, "end")
    if end < start:
        raise InputError(f"结束日期 {end} 早于开始日期 {start}", column="end")
    if data.get("stages") and not isinstance(data["stages"], dict):
        raise InputError("阶段应写成「预热: [开始, 结束]」这样的键值", column="stages")
    raw_stages = dict(data.get("stages") or {})
    for s in STAGES:  # CSV columns 预热 / 拉升 / 爆破
        if str(data.get(s) or "").strip():
            raw_stages[s] = data[s]
    stages = []
    for stage, rng in raw_stages.items():
        if stage not in STAGES:
            raise InputError(f"阶段「{stage}」不认识，可选：{'、'.join(STAGES)}", column="stages")
        try:
            a, b = _stage_range(rng)
        except ValueError as exc:
            raise InputError(str(exc), column=stage) from None
        first, last = parse_date(a, f"{stage}开始"), parse_date(b, f"{stage}结束")
        if last < first:
            raise InputError(f"{stage}的结束 {last} 早于开始 {first}", column=stage)
        if first < start or last > end:
            raise InputError(f"{stage} {first}～{last} 超出了活动日期 {start}～{end}", column=stage)
        stages.append((stage, first, last))
    stages.sort(key=lambda s: STAGES.index(s[0]))
    return Entry(
        id=entry_id or str(data.get("id") or "") or uuid.uuid4().hex[:10],
        name=name,
        group=group,
        start=start,
        end=end,
        stages=tuple(stages),
        facts=str(data.get("facts") or "").strip(),
        notes=str(data.get("notes") or "").strip(),
    )


def _field_date(data: dict, key: str) -> dt.date:
    if not str(data.get(key) or "").strip():
        raise InputError("缺少日期", column=key)
    try:
        return parse_date(data[key])
    except InputError as exc:
        raise InputError(exc.reason, column=key) from None


def read_entries(
    path: Path, groups: Iterable[str] | None = None, *, limits: Limits | None = None, display_name: str | None = None
) -> list[Entry]:
    """Entries of a YAML / JSON / CSV file under the upload limits; any problem refuses the whole file (file, line,
    entry number, field; every problem up to 20). See `copilot.calendar_file`."""
    from copilot.calendar_file import read_entries as read

    return read(path, groups, limits=limits, display_name=display_name)


class Calendar:
    """The workspace calendar in SQLite."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=10)
        conn.row_factory = sqlite3.Row
        try:
            with conn:
                yield conn
        finally:
            conn.close()

    @staticmethod
    def _entry(row: sqlite3.Row) -> Entry:
        stages = json.loads(row["stages"])
        return Entry(
            id=row["id"],
            name=row["name"],
            group=row["group_name"],
            start=dt.date.fromisoformat(row["start"]),
            end=dt.date.fromisoformat(row["end"]),
            stages=tuple(
                (s, dt.date.fromisoformat(a), dt.date.fromisoformat(b))
                for s, (a, b) in sorted(stages.items(), key=lambda kv: STAGES.index(kv[0]))
            ),
            facts=row["facts"],
            notes=row["notes"],
        )

    def save(self, entries: Iterable[Entry]) -> tuple[int, int]:
        """Insert or update entries in one transaction: (added, updated). Same name+group+start updates."""
        added = updated = 0
        now = dt.datetime.now().isoformat(timespec="seconds")
        with self._db() as db:
            for e in entries:
                row = db.execute(
                    "SELECT id FROM calendar WHERE (name=? AND group_name=? AND start=?) OR id=?",
                    (e.name, e.group, e.start.isoformat(), e.id),
                ).fetchone()
                values = (
                    e.name,
                    e.group,
                    e.start.isoformat(),
                    e.end.isoformat(),
                    json.dumps({s: [a.isoformat(), b.isoformat()] for s, a, b in e.stages}, ensure_ascii=False),
                    e.facts,
                    e.notes,
                    now,
                )
                if row:
                    db.execute(
                        "UPDATE calendar SET name=?, group_name=?, start=?, end=?, stages=?, facts=?, notes=?,"
                        " updated_at=? WHERE id=?",
                        (*values, row["id"]),
                    )
                    updated += 1
                else:
                    db.execute("INSERT INTO calendar VALUES (?,?,?,?,?,?,?,?,?)", (e.id, *values))
                    added += 1
        return added, updated

    def import_file(
        self,
        path: Path,
        groups: Iterable[str] | None = None,
        *,
        limits: Limits | None = None,
        display_name: str | None = None,
    ) -> tuple[int, int]:
        """Validate a whole file, then save it: (added, updated). Nothing is written from a refused file."""
        return self.save(read_entries(path, groups, limits=limits, display_name=display_name))

    def remove(self, entry_id: str) -> Entry:
        """Delete one entry; InputError when unknown."""
        entry = self.get(entry_id)
        with self._db() as db:
            db.execute("DELETE FROM calendar WHERE id=?", (entry_id,))
        return entry

    def get(self, entry_id: str) -> Entry:
        """One entry by id."""
        with self._db() as db:
            row = db.execute("SELECT * FROM calendar WHERE id=?", (entry_id,)).fetchone()
        if row is None:
            raise InputError(f"活动日历里没有编号为 {entry_id} 的活动")
        return self._entry(row)

    def list(self, since: dt.date | None = None, until: dt.date | None = None, group: str = "") -> list[Entry]:
        """Entries overlapping [since, until], for a group (entries for all groups included), by start date."""
        sql, args = "SELECT * FROM calendar WHERE 1=1", []
        if since:
            sql += " AND end >= ?"
            args.append(since.isoformat())
        if until:
            sql += " AND start <= ?"
            args.append(until.isoformat())
        sql += " ORDER BY start, name"
        with self._db() as db:
            rows = db.execute(sql, args).fetchall()
        return [e for e in map(self._entry, rows) if e.applies_to(group)]

    def on(self, day: dt.date, group: str = "") -> tuple[Active, ...]:
        """The entries running on a day for a group, each with its stage."""
        out = []
        for e in self.list(day, day, group):
            peak = next((first for s, first, _ in e.stages if s == "爆破"), None)
            to_peak = (peak - day).days if peak and peak >= day else (0 if e.stage_on(day) == "爆破" else -1)
            out.append(Active(e, e.stage_on(day), (e.end - day).days, to_peak))
        return tuple(out)


def month_grid(entries: list[Entry], year: int, month: int, groups: list[str]) -> list[list[str]]:
    """Rows [date, weekday, one cell per group] for a month view: which activity and stage runs that day."""
    import calendar as stdcal

    weekdays = "一二三四五六日"
    rows = []
    for d in range(1, stdcal.monthrange(year, month)[1] + 1):
        day = dt.date(year, month, d)
        row = [day.isoformat(), f"周{weekdays[day.weekday()]}"]
        for g in groups:
            cells = [f"{e.name}·{e.stage_on(day)}" for e in entries if e.applies_to(g) and e.stage_on(day)]
            row.append("；".join(cells))
        rows.append(row)
    return rows
