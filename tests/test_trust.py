"""Facts you can trust: the activity calendar, masked examples, the freshness check, and approval that respects it."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from copilot.calendar import Calendar, read_entries
from copilot.config import Settings
from copilot.errors import InputError
from copilot.evaluate import check_fixture, load_suite
from copilot.fresh import Sources, check_text, conflicts
from copilot.mask import mask
from copilot.services import Services
from copilot.workflow import Workflow
from tests.conftest import llm_settings

ROOT = Path(__file__).resolve().parent.parent
FLASH = "山茶小院·双十二快闪群"
WELFARE = "山茶小院·茶友福利群"
CAMP = "山茶小院·21天识茶营"
DATES = ("2026-11-26", "2026-12-03", "2026-12-12", "2027-01-05")


def d(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


# ---------------------------------------------------------------- calendar


def test_calendar_import_is_idempotent_and_refuses_a_bad_file_whole(tmp_path: Path) -> None:
    cal = Calendar(tmp_path / "db.sqlite3")
    groups = [WELFARE, FLASH]
    assert cal.import_file(ROOT / "knowledge" / "calendar.yaml", [*groups, CAMP]) == (5, 0)
    assert cal.import_file(ROOT / "knowledge" / "calendar.yaml", [*groups, CAMP]) == (0, 5)
    assert len(cal.list()) == 5
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump(
            [
                {"name": "好活动", "start": "2027-01-01", "end": "2027-01-03", "facts": "1 月 2 日晚上 8 点"},
                {"name": "坏活动", "group": FLASH, "start": "2027-02-10", "end": "2027-02-05", "facts": "x"},
            ],
            allow_unicode=True,
        ),
        "utf-8",
    )
    with pytest.raises(InputError) as err:
        cal.import_file(bad, groups)
    assert "第 2 个活动" in str(err.value) and "end" in str(err.value) and "bad.yaml" in str(err.value)
    assert len(cal.list()) == 5  # nothing from the refused file, not even its good first entry


@pytest.mark.parametrize(
    ("entry", "field", "words"),
    [
        ({"group": "不存在的群"}, "group", "不在人设文件里"),
        ({"start": "2026-11-31"}, "start", "这一天不存在"),
        ({"start": "26/11/2026"}, "start", "格式不对"),
        ({"stages": {"预热": ["2026-11-01", "2026-11-02"]}}, "预热", "超出了活动日期"),
        ({"stages": {"开场": "2026-12-01"}}, "stages", "不认识"),
        ({"colour": "红"}, "colour", "不认识的字段"),
    ],
)
def test_bad_entries_name_entry_and_field(tmp_path: Path, entry: dict, field: str, words: str) -> None:
    base = {"name": "活动", "group": FLASH, "start": "2026-12-01", "end": "2026-12-05", "facts": "晚上 8 点"}
    f = tmp_path / "c.json"
    f.write_text(json.dumps([{**base, **entry}], ensure_ascii=False), "utf-8")
    with pytest.raises(InputError) as err:
        read_entries(f, [FLASH])
    assert "第 1 个活动" in str(err.value) and field in str(err.value) and words in str(err.value)


def test_csv_calendar_with_stage_columns(tmp_path: Path) -> None:
    f = tmp_path / "c.csv"
    f.write_text(
        "name,group,start,end,预热,拉升,爆破,facts,notes\n"
        f"年货节,{WELFARE},2027-01-10,2027-01-20,2027-01-10..2027-01-14,2027-01-15..2027-01-19,2027-01-20..2027-01-20,"
        "1 月 20 日晚上 8 点直播；满 299 元包邮,内部目标 300 单\n",
        "utf-8",
    )
    (e,) = read_entries(f, [WELFARE])
    assert [s for s, _, _ in e.stages] == ["预热", "拉升", "爆破"]
    assert e.stage_on(d("2027-01-12")) == "预热" and e.stage_on(d("2027-01-20")) == "爆破"
    assert e.stage_on(d("2027-01-21")) == "" and e.notes == "内部目标 300 单"


def test_calendar_cli_add_list_remove(demo_copy: Path) -> None:
    env = {"COPILOT_HOME": str(demo_copy), "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "copilot", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )

    out = run(
        "calendar", "add", "--name", "元旦小福利", "--start", "2026-12-30", "--end", "2027-01-01",
        "--stage", "爆破=2027-01-01..2027-01-01", "--facts", "1 月 1 日上午 10 点群里抽 5 位送茶",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    listed = json.loads(run("calendar", "list", "--from", "2026-12-25", "--json").stdout)
    entry = next(e for e in listed if e["name"] == "元旦小福利")
    assert entry["group"] == "" and entry["stages"] == {"爆破": ["2027-01-01", "2027-01-01"]}
    bad = run("calendar", "add", "--name", "x", "--start", "2026-12-30", "--end", "2026-12-01", "--facts", "y")
    assert bad.returncode == 1 and "end" in bad.stderr and "早于" in bad.stderr
    assert run("calendar", "remove", entry["id"]).returncode == 0
    assert all(e["name"] != "元旦小福利" for e in json.loads(run("calendar", "list", "--json").stdout))


# ---------------------------------------------------------------- masking


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("早鸟到 11 月 25 日结束，想要的别等到最后一天哈", "11 月 25 日"),
        ("下周四（9 月 17 号）晚上 8 点开播", "8 点"),
        ("凤庆古树滇红 250 克罐装，日常价 198，早鸟到手 158", "158"),
        ("9.9 元小院尝鲜包，每个微信号限 1 份", "9.9 元"),
        ("识茶营第 8 期今晚 22:00 截止报名，还剩 12 个位置", "第 8 期"),
        ("昨天一天订出去 43 个，谢谢大家", "43"),
        ("中秋茶礼直播，只在今晚", "中秋"),
        ("明天 Day 21，咱们营就要结营啦", "Day 21"),
        ("茶友们早呀🌿 九月头一天，临沧还在下雨", "九月"),
    ],
)
def test_mask_removes_time_bound_facts_and_keeps_the_voice(text: str, gone: str) -> None:
    masked = mask(text)
    assert gone not in masked and "〔" in masked


def test_mask_leaves_evergreen_knowledge_alone() -> None:
    text = "白茶别用滚开的水冲，85 度左右就够了，嫩芽怕烫。生普叶底偏绿，捏着有弹性。"
    assert mask(text) == text


# ---------------------------------------------------------------- the check


def src(day: str, facts: str = "", internal: tuple[str, ...] = (), names: tuple[str, ...] = ()) -> Sources:
    return Sources(d(day), facts, names, internal)


@pytest.mark.parametrize(
    ("text", "kind", "span"),
    [
        ("早鸟到 11 月 25 日结束，想要的别等到最后一天哈", "stale_date", "11 月 25 日"),
        ("早鸟到 25 号，下了定再来晒也算", "stale_date", "到 25 号"),
        ("截止 11.20，抓紧", "stale_date", "11.20"),
        ("活动 11/24 已经开始", "stale_date", "11/24"),
        ("直播定在 12月5日（周五）晚上", "weekday", "12月5日（周五）"),
        ("12 月 5 日 星期五 见", "weekday", "12 月 5 日 星期五"),
        ("明天周四，别忘了", "weekday", "明天周四"),
        ("中秋茶礼直播，只在今晚", "season", "中秋"),
        ("九月头一天，临沧还在下雨", "season", "九月"),
        ("双十一的订单都发完了吗", "season", "双十一"),
        ("秋老虎真是不讲道理", "season", "秋老虎"),
        ("今晚 8 点开播", "unknown_fact", "今晚 8 点"),
        ("99 元 3 泡装，前 100 单送杯", "unknown_fact", "99 元"),
        ("还剩 23 个名额", "unknown_fact", "名额"),
        ("谢谢第 8 期的同学们", "unknown_fact", "第 8 期"),
        ("昨天一天订出去 43 个", "unknown_fact", "订出去 43 个"),
        ("〔某天〕讲水", "unknown_fact", "〔某天〕"),
        ("（以上活动信息沿用往期帖子 p105，发之前请改成本次的：20 元）", "internal", "沿用往期帖子"),
        ("阿禾每天讲茶，攒下信任后再推荐识茶营和正价茶", "internal", "攒下信任后再推荐识茶营和正价茶"),
    ],
)
def test_check_flags_what_an_operator_would_reject(text: str, kind: str, span: str) -> None:
    internal = ("阿禾每天在这里讲茶知识、聊茶山日常，攒下信任后再推荐识茶营和正价茶。",)
    found = check_text(text, src("2026-11-26", "识茶营已开到第 9 期", internal))
    assert any(w.kind == kind and span in w.text for w in found), found
    assert all(w.message and any("\u4e00" <= c <= "\u9fff" for c in w.message) for w in found)


@pytest.mark.parametrize(
    "text",
    [
        "白茶别用滚开的水冲，85 度左右就够了，一泡 5 克，闷 3 分钟。",
        "把 1～4 号样茶各泡一杯，排成一排，试试光喝能不能认出谁是谁～",
        "付过早鸟定金的茶友，12 月 1 日至 12 月 3 日在原订单里付尾款，20 元定金抵 60 元。",
        "今天（11月26日周四）天气不错。明天周五，后天周六。",
        "冬至快到了，记得吃顿热乎的。双十二的直播 12 月 12 日晚上 8 点见。",
        "识茶营已经开到第 9 期了，带过的同学说，一点点来就好，两点建议记住。",
        "小时候过年，家里一定会准备的东西是什么？",
    ],
)
def test_check_leaves_fresh_text_alone(text: str) -> None:
    facts = "12 月 1 日至 12 月 3 日在原订单里付尾款，20 元定金抵 60 元；12 月 12 日晚上 8 点直播；识茶营第 9 期"
    assert check_text(text, src("2026-11-26", facts, names=("双十二尾款",))) == []


def test_solar_terms_fit_about_two_weeks_after_them() -> None:
    text = "立冬过了，早晚凉，出门加件外套。"
    assert check_text(text, src("2026-11-15")) == []
    assert [w.kind for w in check_text(text, src("2026-11-30"))] == ["season"]


def test_conflicting_times_across_one_days_drafts() -> None:
    texts = ["直播今晚 8 点开始，大家泡好茶", "直播 7 点半准时开，别迟到", "直播 8 点见～"]
    found = conflicts(texts)
    assert found[0] == [] and found[1][0].kind == "conflict" and found[2][0].kind == "conflict"
    assert conflicts(["直播今晚 8 点开始", "直播 8:00 开始，7 点 55 分发链接"]) == [[], []]


def test_check_cli_reads_lines_in_order_and_exits_nonzero(demo_copy: Path, tmp_path: Path) -> None:
    f = tmp_path / "t.jsonl"
    rows = [{"text": "早鸟到 11 月 25 日结束"}, {"text": "白茶别用滚开的水冲，85 度左右就够了。"}]
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    env = {"COPILOT_HOME": str(demo_copy), "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-m", "copilot", "check", "--date", "2026-11-26", "--json", "-f", str(f)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    data = json.loads(out.stdout)
    assert out.returncode == 1 and [r["text"] for r in data] == [r["text"] for r in rows]
    assert data[0]["warnings"][0]["kind"] == "stale_date" and data[1]["warnings"] == []


# ---------------------------------------------------------------- drafting


@pytest.mark.parametrize("date", DATES)
def test_template_days_of_every_demo_group_carry_no_warning(demo_copy: Path, date: str) -> None:
    svc = Services(Settings(home=demo_copy))
    internal = [g.positioning for g in svc.persona().groups]
    for g in svc.persona().groups:
        for draft, _ in svc.draft_day(g.name, d(date), save=False):
            assert draft.status in ("ok", "skipped"), draft.error
            assert draft.warnings == (), (g.name, draft.slot_time, draft.text, draft.warnings)
            assert "〔" not in draft.text and "沿用往期" not in draft.text
            for pos in internal:
                assert pos[:12] not in draft.text


def test_flash_group_activity_slots_follow_the_calendar_stages(demo_copy: Path) -> None:
    svc = Services(Settings(home=demo_copy))
    facts = {e.name: e.facts for e in svc.calendar.list()}

    def day(date: str) -> list:
        return [dr for dr, _ in svc.draft_day(FLASH, d(date), save=False)]

    warmup = day("2026-12-08")  # 预热: one tease a day; the morning-noon-evening reminders wait for 拉升
    assert warmup[0].title == "双十二直播专场" and "离 12 月 12 日还有" in warmup[0].text
    assert all(x.status == "skipped" and "预热" in x.error for x in warmup[1:])
    clauses = [c for c in re.split(r"[；。]", facts["双十二直播专场"]) if c.strip()]
    assert clauses and all(c in warmup[0].text for c in clauses)  # facts verbatim, one clause a line
    build = day("2026-12-10")
    assert "离 12 月 12 日还有 2 天" in build[0].text
    peak = day("2026-12-12")
    assert "就是今天，晚上 8 点开始" in peak[0].text and all(c in peak[0].text for c in clauses)
    gap = day("2026-12-05")  # nothing on the calendar: a 转化群 posts nothing that day, each slot says why
    assert all(x.status == "skipped" and "活动日历里今天没有" in x.error for x in gap)
    assert all(x.text == "" for x in gap if x.status == "skipped")


def test_operator_notes_still_win_over_the_calendar(demo_copy: Path) -> None:
    svc = Services(Settings(home=demo_copy))
    drafts = [dr for dr, _ in svc.draft_day(FLASH, d("2026-12-10"), save=False, notes="今晚 9 点加开一场返场直播")]
    assert all("今晚 9 点加开一场返场直播" in x.text for x in drafts if x.title)
    assert all(not x.warnings for x in drafts)


def test_welfare_activity_slot_without_calendar_stays_quiet_and_says_why(demo_copy: Path) -> None:
    svc = Services(Settings(home=demo_copy))
    drafts = [dr for dr, _ in svc.draft_day(WELFARE, d("2026-11-26"), save=False)]
    evening = next(x for x in drafts if x.slot_time == "19:30")
    assert evening.status == "skipped" and "活动日历" in evening.error and not evening.text
    assert [x.content_type for x in drafts if x.status == "ok"] == ["早安", "干货", "话题", "晚安"]


def test_scripts_never_copy_group_positioning(demo_copy: Path) -> None:
    svc = Services(Settings(home=demo_copy))
    drafter = svc.drafter()
    for g in svc.persona().groups:
        for kind in ("群规", "群公告", "欢迎语"):
            draft = drafter.script(kind, g.name, day=d("2026-11-26"))
            assert not [w for w in draft.warnings if w.kind == "internal"], (kind, draft.text)
            for clause in g.positioning.replace("，", "。").split("。"):
                assert len(clause) < 8 or clause not in draft.text


# ---------------------------------------------------------------- LLM path


def test_llm_prompt_has_masked_examples_calendar_facts_and_no_internal_task(demo_copy: Path, stub) -> None:  # noqa: ANN001
    def stale_answer(request: dict) -> str:
        return "茶友们，早鸟到 11 月 25 日结束，今晚 9 点直播见🍵\n——阿禾，在茶山"

    stub.responder = stale_answer
    svc = Services(llm_settings(demo_copy, stub))
    svc.calendar.import_file(ROOT / "knowledge" / "calendar.yaml", [g.name for g in svc.persona().groups])
    drafts = [dr for dr, _ in svc.draft_day(FLASH, d("2026-12-10"), save=False)]
    users = stub.user_prompts()
    entry = next(e for e in svc.calendar.list() if e.name == "双十二直播专场")
    assert all(entry.facts in u and "拉升" in u for u in users)
    assert all(entry.notes not in u for u in users)  # operator notes never reach the model
    task = [u.strip().splitlines()[-1] for u in users]
    positioning = svc.persona().group(FLASH).positioning
    assert all(t.startswith("任务：") and positioning[:10] not in t for t in task)
    assert all("攒下信任" not in t for t in task)
    # the stub's stale answer is caught on every slot
    assert all(any(w.kind == "stale_date" for w in x.warnings) for x in drafts)
    assert all(any(w.kind == "unknown_fact" and "9 点" in w.text for w in x.warnings) for x in drafts)


def test_llm_examples_arrive_masked(demo_copy: Path, stub) -> None:  # noqa: ANN001
    svc = Services(llm_settings(demo_copy, stub))
    svc.draft_day(WELFARE, d("2026-11-26"), save=False)
    users = "\n".join(stub.user_prompts())
    assert "〔" in users and "已遮成" in users
    assert "九月头一天" not in users and "22:00 截止" not in users


# ---------------------------------------------------------------- review


def test_editor_notes_live_beside_the_text_and_never_export(demo_copy: Path, tmp_path: Path) -> None:
    from copilot.records import Draft

    svc = Services(Settings(home=demo_copy))
    wf = Workflow(svc)
    raw = Draft(
        "day",
        "活动预告",
        "茶友们，这周末有活动🍵\n（以上活动信息沿用往期帖子 p105，发之前请改成本次的：20 元）",
        "x",
        "x",
    )
    from copilot.writers import Written, finish

    w = finish(Written(raw.text, "x"))
    assert "沿用往期" not in w.text and "沿用往期" in w.note
    rec = svc.queue(Draft("day", "活动预告", w.text, "x", "x", group=WELFARE, date="2026-11-26", note=w.note), "运营")
    assert rec.note and "沿用往期" not in rec.text
    wf.approve(rec.id, rec.version, "运营", ack_warnings=True)
    for fmt in ("md", "csv"):
        path = wf.export(fmt, tmp_path / fmt, date="2026-11-26")
        assert "沿用往期" not in path.read_text("utf-8-sig")


def test_approval_needs_acknowledged_warnings_and_bulk_skips_them(demo_copy: Path) -> None:
    from copilot.records import Draft

    svc = Services(Settings(home=demo_copy))
    wf = Workflow(svc)
    stale = Draft(
        "day",
        "活动提醒",
        "茶友们，早鸟到 11 月 25 日结束哈",
        "x",
        "x",
        group=FLASH,
        date="2026-11-26",
        slot_time="12:30",
    )
    stale = stale.__class__(**{**stale.__dict__, "warnings": tuple(svc.check(stale.text, d("2026-11-26"), FLASH))})
    clean = Draft(
        "day", "干货", "茶友们，白茶别用滚开的水冲，85 度左右就够了。", "x", "x", group=FLASH, date="2026-11-26"
    )
    a, b = svc.queue(stale, "运营"), svc.queue(clean, "运营")
    assert a.needs_ack and not b.needs_ack
    with pytest.raises(InputError, match="过期日期"):
        wf.approve(a.id, a.version, "运营")
    done, messages = wf.bulk_approve([a.id, b.id], "运营")
    assert done == [b.id] and "跳过了 1 条" in messages[0]
    with pytest.raises(InputError, match="没有选中"):
        wf.bulk_approve([], "运营")
    assert wf.approve(a.id, a.version, "运营", ack_warnings=True).state == "approved"
    # an edit that fixes the text clears its warnings, so it can be approved plainly
    c = svc.queue(stale.__class__(**{**stale.__dict__, "slot_time": "19:30"}), "运营")
    fixed = wf.edit(c.id, "茶友们，尾款 12 月 1 日开始付，别忘了哈", c.version, "运营")
    assert not fixed.needs_ack and wf.approve(fixed.id, fixed.version, "运营").state == "approved"


# ---------------------------------------------------------------- evals that can fail


def test_shipped_suites_fail_on_the_bad_drafts_fixture(demo_copy: Path) -> None:
    svc = Services(Settings(home=demo_copy))
    items = yaml.safe_load((ROOT / "evals" / "fixtures" / "trust_bad.yaml").read_text("utf-8"))
    for suite in ("day_plan", "trust"):
        spec = load_suite(Path(suite))
        result = check_fixture(spec, items, svc.drafter(), svc.scorer())
        passed = [
            o.case for o in result.outputs if o.passed and any(c.type in ("fresh", "no_internal") for c in o.checks)
        ]
        scoped = [o for o in result.outputs if any(c.type in ("fresh", "no_internal") for c in o.checks)]
        assert scoped and not passed, (suite, passed)


def test_trust_suite_passes_on_template_output(demo_copy: Path) -> None:
    data, _, _ = Services(Settings(home=demo_copy)).run_eval("trust")
    failed = [(o["case"], o["label"], o["text"][:60], o["checks"]) for o in data["outputs"] if not o["passed"]]
    assert data["summary"]["pass_rate"] == 100.0, failed


# ---------------------------------------------------------------- UI handlers


def test_calendar_handlers_month_view_form_and_import(demo_copy: Path, tmp_path: Path) -> None:
    from copilot import handlers as h

    svc = Services(Settings(home=demo_copy))
    headers, rows, title = h.calendar_month(svc, "2026-12")
    assert headers[:2] == ["日期", "星期"] and FLASH in headers and len(rows) == 31
    row12 = next(r for r in rows if r[0] == "2026-12-12")
    assert row12[1] == "周六" and "双十二直播专场·爆破" in row12[2 + headers[2:].index(FLASH)]
    assert "格式不对" in h.calendar_month(svc, "2026/12")[2]
    msg = h.calendar_save(svc, "", "冬至茶会", "所有群", "2026-12-20", "2026-12-21", "", "", "2026-12-21..2026-12-21",
                          "12 月 21 日晚上 8 点群里围炉煮茶", "内部：试水")  # fmt: skip
    assert msg.startswith("已添加")
    bad = h.calendar_save(
        svc, "", "坏", "所有群", "2026-12-20", "2026-12-31", "2027-01-01..2027-01-02", "", "", "x", ""
    )
    assert bad.startswith("没有保存") and "预热" in bad
    entry_id = next(r[0] for r in h.calendar_rows(svc) if r[1] == "冬至茶会")
    assert "已删除" in h.calendar_remove(svc, entry_id)
    assert "请先选择" in h.calendar_import(svc, None)


def test_cards_show_warnings_note_and_need_the_ack_box(demo_copy: Path) -> None:
    from copilot import handlers as h
    from copilot.records import Draft

    svc = Services(Settings(home=demo_copy))
    text = "茶友们，早鸟到 11 月 25 日结束哈"
    draft = Draft("day", "活动提醒", text, "x", "x", group=FLASH, date="2026-11-26", note="沿用往期帖子 p105")
    draft = draft.__class__(**{**draft.__dict__, "warnings": tuple(svc.check(text, d("2026-11-26"), FLASH))})
    rec = svc.queue(draft, "运营")
    c = h.card(svc, rec)
    assert c["needs_ack"] and "过期日期" in c["meta"] and "沿用往期帖子 p105" in c["meta"]
    refused, msg = h.card_action(svc, "approve", rec.id, rec.text, rec.version, "", "运营", ack=False)
    assert refused is None and "已核对提示" in msg
    done, msg = h.card_action(svc, "approve", rec.id, rec.text, rec.version, "", "运营", ack=True)
    assert done is not None and done["state"] == "approved"
    assert "请先勾选" in h.bulk_approve(svc, [], "运营")


def test_queue_cli_approve_needs_ack_warnings(demo_copy: Path) -> None:
    from copilot.records import Draft

    svc = Services(Settings(home=demo_copy))
    text = "茶友们，早鸟到 11 月 25 日结束哈"
    draft = Draft("day", "活动提醒", text, "x", "x", group=FLASH, date="2026-11-26", slot_time="12:30")
    draft = draft.__class__(**{**draft.__dict__, "warnings": tuple(svc.check(text, d("2026-11-26"), FLASH))})
    rec = svc.queue(draft, "运营")
    env = {"COPILOT_HOME": str(demo_copy), "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "copilot", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )

    listed = json.loads(run("queue", "list", "--date", "2026-11-26", "--json").stdout)
    row = next(r for r in listed if r["id"] == rec.id)
    assert row["warnings"][0]["kind"] == "stale_date" and row["status"] == "draft"
    refused = run("queue", "approve", rec.id)
    assert refused.returncode == 1 and "已核对提示" in refused.stderr
    assert run("queue", "approve").returncode == 2  # no id: refused by the parser
    ok = run("queue", "approve", rec.id, "--ack-warnings")
    assert ok.returncode == 0 and svc.review.get(rec.id).state == "approved"


def test_check_on_the_labelled_set_keeps_its_floor() -> None:
    """evals/freshness.jsonl was written blind by a separate author; the bench reports the exact numbers."""
    from copilot.fresh import score_labelled

    items = [json.loads(x) for x in (ROOT / "evals" / "freshness.jsonl").read_text("utf-8").splitlines() if x.strip()]
    scores = score_labelled(items)
    assert scores["stale"] >= 70 and scores["fresh"] >= 60
    assert scores["recall"] >= 0.95, scores["missed"]
    assert scores["false_alarm_rate"] <= 0.05, scores["false_alarms"]


def test_shipped_suites_fail_on_broken_topics_rewrites_and_operator_words(demo_copy: Path) -> None:
    """Fixture of outputs an operator would reject (issues of whole posts and member words): every one must fail."""
    svc = Services(Settings(home=demo_copy))
    items = yaml.safe_load((ROOT / "evals" / "fixtures" / "drafts_bad.yaml").read_text("utf-8"))
    suites = {"topics": "topics", "day": "day_plan", "rewrite": "rewrite"}
    for task, suite in suites.items():
        mine = [i for i in items if i["task"] == task]
        result = check_fixture(load_suite(Path(suite)), mine, svc.drafter(), svc.scorer())
        structural = {"whole", "no_lifted_clause", "on_event", "member_words", "not_contains", "fresh", "no_internal"}
        # each must fail for what is wrong with it, not only because its voice score happens to be low
        missed = [o.case for o in result.outputs if not any(c.type in structural and not c.passed for c in o.checks)]
        assert len(result.outputs) == len(mine) >= 3 and not missed, (suite, missed)
