"""Reading activity-calendar files (YAML / JSON / CSV) under the same upload limits as posts files.

Size is checked before a byte is read; the bytes are decoded as posts files are (an undecodable byte refuses the
file with its line); JSON nesting is scanned and YAML anchors, aliases and nesting are refused before anything is
built; the number of activities is capped while reading. Every problem of a file is listed (up to the limit) with
its line, and the file is refused whole.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from copilot.calendar import Entry, entry_from_mapping
from copilot.config import Limits
from copilot.errors import FileErrors, InputError
from copilot.readers import check_size, decode_bytes, json_depth_exceeded_at

SUFFIXES = (".yaml", ".yml", ".json", ".csv")


@dataclass(frozen=True)
class _Item:
    """One activity as read, with the line it starts on."""

    line: int | None
    """1-based line of the activity in the file."""
    data: object
    """The raw mapping (or whatever the file held in its place)."""


class _Loader(yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader):  # type: ignore[misc]
    """Safe YAML without implicit timestamps: dates stay text, so 2026-11-31 gets the calendar's own message."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _too_many(limits: Limits) -> InputError:
    return InputError(f"活动超过 {limits.max_rows} 个的上限，请拆成几个文件导入")


def _csv_items(text: str, limits: Limits) -> list[_Item]:
    csv.field_size_limit(max(limits.max_cell_chars, limits.max_post_chars) + 1)
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    items: list[_Item] = []
    start = 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = [c.strip() for c in cells]
                continue
            items.append(_Item(line, {h: v for h, v in zip(header, cells, strict=False) if h}))
            if len(items) > limits.max_rows:
                raise _too_many(limits)
    except csv.Error as exc:
        reason = str(exc)
        if "field larger than field limit" in reason:
            reason = f"有一个单元格超过上限 {csv.field_size_limit() - 1} 字"
        raise InputError(f"CSV 格式错误：{reason}", line=start) from None
    return items


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _json_array(text: str, i: int, limits: Limits) -> tuple[list[_Item], int]:
    """Items of the JSON array starting at text[i] == '[' (one raw_decode each, stopping past the row limit), and
    the offset just past it."""
    decoder = json.JSONDecoder()
    items: list[_Item] = []
    line, counted = _line_of(text, i), i  # counted incrementally: a count from 0 per item is quadratic
    i = _skip_ws(text, i + 1)
    if text.startswith("]", i):
        return items, i + 1
    while True:
        value, end = decoder.raw_decode(text, i)
        line, counted = line + text.count("\n", counted, i), i
        items.append(_Item(line, value))
        if len(items) > limits.max_rows:
            raise _too_many(limits)
        i = _skip_ws(text, end)
        if text.startswith(",", i):
            i = _skip_ws(text, i + 1)
        elif text.startswith("]", i):
            return items, i + 1
        else:
            raise json.JSONDecodeError("数组里两项之间应有逗号", text, i)


def _json_items(text: str, limits: Limits) -> object:
    at = json_depth_exceeded_at(text, limits.max_json_depth)
    if at >= 0:
        raise InputError(f"JSON 嵌套超过 {limits.max_json_depth} 层，未读取这个文件", line=_line_of(text, at))
    decoder = json.JSONDecoder()
    i = _skip_ws(text, 0)
    items: object
    try:
        if text.startswith("[", i):
            items, end = _json_array(text, i, limits)
        elif text.startswith("{", i):  # {"activities": [...]}: walk the keys so each activity keeps its line
            items, end = _json_object_items(text, i, limits)
        else:
            items, end = decoder.raw_decode(text, i)  # not a list: refused below with what a calendar should be
        if _skip_ws(text, end) < len(text):
            raise json.JSONDecodeError("数据后面还有多余的内容", text, _skip_ws(text, end))
    except json.JSONDecodeError as exc:
        raise InputError(f"JSON 格式错误：{exc.msg}（第 {exc.colno} 个字符）", line=exc.lineno) from None
    return items


def _json_object_items(text: str, i: int, limits: Limits) -> tuple[object, int]:
    decoder = json.JSONDecoder()
    out: dict[str, object] = {}
    i = _skip_ws(text, i + 1)
    while not text.startswith("}", i):
        key, i = decoder.raw_decode(text, i)
        if not isinstance(key, str):
            raise json.JSONDecodeError("键应是带引号的文字", text, i)
        i = _skip_ws(text, i)
        if not text.startswith(":", i):
            raise json.JSONDecodeError("键后面应有冒号", text, i)
        i = _skip_ws(text, i + 1)
        if key == "activities" and text.startswith("[", i):
            out[key], i = _json_array(text, i, limits)
        else:
            out[key], i = decoder.raw_decode(text, i)
        i = _skip_ws(text, i)
        if text.startswith(",", i):
            i = _skip_ws(text, i + 1)
        elif not text.startswith("}", i):
            raise json.JSONDecodeError("对象里两项之间应有逗号", text, i)
    return out, i + 1


def _yaml_items(text: str, limits: Limits) -> object:
    """Refuse anchors/aliases (a billion-laughs file), deep nesting and too many activities from the event stream,
    before any node or object is built; then build the document with each activity's line."""
    depth = 0
    top_items = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            line = event.start_mark.line + 1 if event.start_mark else None
            if isinstance(event, yaml.AliasEvent):
                raise InputError("活动日历里不能用 YAML 锚点和别名（& 与 *），请把内容直接写出来", line=line)
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > limits.max_json_depth:
                    raise InputError(f"YAML 嵌套超过 {limits.max_json_depth} 层，未读取这个文件", line=line)
                if depth == 2:
                    top_items += 1
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            elif isinstance(event, yaml.ScalarEvent) and depth == 1:
                top_items += 1
            if top_items > limits.max_rows:
                raise _too_many(limits)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except RecursionError:
        raise InputError("YAML 嵌套太深，未读取这个文件") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            f"YAML 格式错误：{getattr(exc, 'problem', None) or exc}", line=mark.line + 1 if mark else None
        ) from None
    if isinstance(data, list) and isinstance(node, yaml.SequenceNode):
        return [_Item(child.start_mark.line + 1, value) for child, value in zip(node.value, data, strict=True)]
    if isinstance(data, dict) and isinstance(node, yaml.MappingNode) and isinstance(data.get("activities"), list):
        for key, value_node in node.value:
            if key.value == "activities" and isinstance(value_node, yaml.SequenceNode):
                lines = [child.start_mark.line + 1 for child in value_node.value]
                data["activities"] = [_Item(n, v) for n, v in zip(lines, data["activities"], strict=True)]
    return data


def _field_errors(item: _Item, n: int, limits: Limits) -> list[InputError]:
    """Values that are not text, or are longer than a cell (facts: longer than a post) may be."""
    if not isinstance(item.data, dict):
        return []
    errors = []
    for key, value in item.data.items():
        if key == "stages" and isinstance(value, dict):
            values = [v for rng in value.values() for v in (rng if isinstance(rng, list) else [rng])]
        elif key == "stages" and value:
            errors.append(_at(item, n, "stages", "阶段应写成「预热: [开始, 结束]」这样的键值"))
            continue
        else:
            values = [value]
        cap = limits.max_post_chars if key == "facts" else limits.max_cell_chars
        for v in values:
            if isinstance(v, (dict, list)):
                errors.append(_at(item, n, str(key), "应是一段文字或日期，不能是列表或对象"))
                break
            if v is not None and len(str(v)) > cap:
                errors.append(_at(item, n, str(key), f"有 {len(str(v))} 个字，超过上限 {cap} 字"))
                break
    return errors


def _at(item: _Item, n: int, field: str | None, reason: str) -> InputError:
    where = f"第 {n} 个活动" + (f"，字段「{field}」" if field else "")
    return InputError(f"{where}：{reason}", line=item.line)


def read_entries(
    path: Path,
    groups: Iterable[str] | None = None,
    *,
    limits: Limits | None = None,
    display_name: str | None = None,
) -> list[Entry]:
    """Every activity of a YAML / JSON / CSV file; any problem refuses the whole file, listing each (up to 20)."""
    limits = limits or Limits()
    name = display_name or str(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"活动日历只支持 YAML、JSON 或 CSV 文件（{' '.join(SUFFIXES)}）", file=name)
    if not path.exists():
        raise InputError("文件不存在", file=name)
    check_size(path, name, limits.max_bytes)
    raw = path.read_bytes()
    if not raw.strip():
        raise InputError("文件是空的", file=name)
    text = decode_bytes(raw, name, limits.max_errors)
    try:
        if suffix == ".csv":
            data: object = _csv_items(text, limits)
        elif suffix == ".json":
            data = _json_items(text, limits)
        else:
            data = _yaml_items(text, limits)
    except InputError as exc:
        raise exc.located(name) from None
    if isinstance(data, dict) and "activities" in data:
        data = data["activities"]
    if not isinstance(data, list):
        raise InputError("文件里应是一个活动列表（每个活动一组「键: 值」）", file=name)
    items = [i if isinstance(i, _Item) else _Item(None, i) for i in data]
    if len(items) > limits.max_rows:
        raise _too_many(limits).located(name)
    known = list(groups) if groups is not None else None
    entries: list[Entry] = []
    errors: list[InputError] = []
    for n, item in enumerate(items, 1):
        found = _field_errors(item, n, limits)
        if not found:
            try:
                entries.append(entry_from_mapping(item.data, known))
            except InputError as exc:
                found = [_at(item, n, exc.column, exc.reason)]
            except Exception as exc:  # noqa: BLE001 - a value of a shape nobody expected refuses the file, not the run
                found = [_at(item, n, None, f"读不懂这个活动（{type(exc).__name__}）")]
        errors.extend(found)
        if len(errors) > limits.max_errors:
            break
    if not errors and not entries:
        raise InputError("文件里没有任何活动", file=name)
    if len(errors) == 1:
        raise errors[0].located(name)
    if errors:
        more = len(errors) > limits.max_errors
        raise FileErrors(name, [e.located(name) for e in errors[: limits.max_errors]], more)
    return entries
