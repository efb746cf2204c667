"""What a demanding operator caught in blind reads, replayed on two brands: repeats, cut openings, rituals the group
does not have, a programme's day, an activity's start."""

from __future__ import annotations

import datetime as dt

import pytest

from copilot import template as tpl
from copilot import timefacts as tf
from copilot.mask import mask
from copilot.services import Services

WELFARE, CAMP, FLASH = "山茶小院·茶友福利群", "山茶小院·21天识茶营", "山茶小院·双十二快闪群"


def test_small_amounts_are_no_clock_times_and_weeks_are_masked() -> None:
    assert mask("但汤薄一点，苦涩停留得久一些。还有一点，水别反复烧开。") == (
        "但汤薄一点，苦涩停留得久一些。还有一点，水别反复烧开。"
    )
    assert "〔时间〕" in mask("晚上 8 点开播") and "〔时间〕" in mask("八点半见")
    assert "Week" not in mask("Week 3 开始讲选茶避坑")
    assert tf.start_minutes("12 月 12 日（周六）晚上 8 点，视频号直播") == 20 * 60
    assert tf.start_minutes("12 月 7 日晚上 9 点前下单送 4 本绘本") is None  # a deadline, not a start


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("〔某天〕讲水，泡茶的水比茶叶还容易被忽略🍵", "讲讲水，泡茶的水比茶叶还容易被忽略🍵"),
        ("〔某天〕聊绘本，宝宝撕书其实是在探索", "聊聊绘本，宝宝撕书其实是在探索"),
        ("〔某天〕的小课：盖碗怎么拿才不烫手？", "盖碗怎么拿才不烫手？"),
        ("〔数量〕 开始讲选茶避坑，〔某天〕说老茶🌿", "说说老茶🌿"),
        (
            "〔某天〕好几个茶友私信说家里茶饼上冒了白点点，问是不是坏了。",
            "好几个茶友私信说家里茶饼上冒了白点点，问是不是坏了。",
        ),
        ("〔某天〕〔时间〕开播", ""),
    ],
)
def test_an_opening_line_keeps_its_topic_without_the_old_day(line: str, kept: str) -> None:
    assert tpl.opening_without_time(line) == kept


def test_a_line_about_homework_stays_only_where_the_group_has_homework() -> None:
    core = "讲讲水，泡茶的水比茶叶还容易被忽略\n· 日常喝：纯净水就够了；\n作业：同一款茶用两种水泡，对比一下～"
    assert "作业" not in tpl.evergreen_core(core, frozenset())
    assert "作业" in tpl.evergreen_core(core, frozenset({"作业"}))


def _run(svc: Services, start: str, days: int) -> dict[str, list]:
    out: dict[str, list] = {}
    d0 = dt.date.fromisoformat(start)
    for i in range(days):
        day = d0 + dt.timedelta(days=i)
        for g in svc.persona().groups:
            out.setdefault(g.name, []).extend(
                (day, d) for d, _ in svc.draft_day(g.name, day, save=True) if d.status == "ok"
            )
    return out


@pytest.mark.parametrize("brand", ["demo", "baby"])
def test_two_weeks_of_days_repeat_no_post_and_no_wording(brand: str, request: pytest.FixtureRequest) -> None:
    svc: Services = request.getfixturevalue(brand)
    start = "2026-11-16" if brand == "demo" else "2026-11-20"
    by_group = _run(svc, start, 14)
    for group, drafts in by_group.items():
        lessons = [(day, d) for day, d in drafts if d.content_type == "干货"]
        for i, (day, d) in enumerate(lessons):  # a lesson is not built on a post this group had in the last week
            for day2, d2 in lessons[i + 1 :]:
                if (day2 - day).days < 7:
                    assert not set(d.sources) & set(d2.sources), (group, day, day2, d.sources)
        texts = {}
        for day, d in drafts:  # and no post is said twice in two weeks, word for word
            body = d.text.replace(svc.persona().signoff, "").strip()
            assert body not in texts, (group, day, texts.get(body), d.text)
            texts[body] = day
    days = {day for drafts in by_group.values() for day, _ in drafts}
    for day in days:  # members sit in several groups: no two groups get the same post on one day
        bodies = [d.text for drafts in by_group.values() for dd, d in drafts if dd == day]
        assert len(bodies) == len(set(bodies)), day


def test_a_running_programme_shows_its_day_in_the_morning_the_night_and_the_notice(demo: Services) -> None:
    drafts = {d.content_type: d for d, _ in demo.draft_day(CAMP, dt.date(2026, 11, 26), save=False)}
    assert "第 11 天（一共 21 天）" in drafts["早安"].text and "第 11 天" not in drafts["晚安"].text  # said once
    assert drafts["公告"].status == "skipped" and "刷屏" in drafts["公告"].error  # nothing new to announce
    noted = {
        d.content_type: d for d, _ in demo.draft_day(CAMP, dt.date(2026, 11, 26), save=False, notes="今晚点评改到 9 点")
    }
    assert "今晚点评改到 9 点" in noted["公告"].text and "@阿禾" not in noted["公告"].text  # 有问题直接@我
    eve = {d.content_type: d for d, _ in demo.draft_day(CAMP, dt.date(2026, 12, 5), save=False)}
    assert "明天是最后一天" in eve["公告"].text and "明天是最后一天" in eve["晚安"].text
    last = {d.content_type: d for d, _ in demo.draft_day(CAMP, dt.date(2026, 12, 6), save=False)}
    assert "最后一天" in last["早安"].text and "最后一天" in last["公告"].text


def test_between_two_cohorts_a_class_gets_no_homework(demo: Services) -> None:
    for day in ("2026-12-28", "2026-12-29", "2026-12-30", "2027-01-01"):
        for d, _ in demo.draft_day(CAMP, dt.date.fromisoformat(day), save=True):
            assert d.status == "skipped" and "两期之间" in d.error, (day, d.slot_time, d.text)


def test_a_one_day_activity_leaves_the_slots_after_its_start_to_the_live_and_counts_down_before(
    demo: Services,
) -> None:
    drafts = {d.slot_time: d for d, _ in demo.draft_day(FLASH, dt.date(2026, 12, 12), save=False)}
    assert drafts["21:30"].status == "skipped" and "20:00 已经开始" in drafts["21:30"].error
    assert "还有半小时就开始了" in drafts["19:30"].text
    assert "晚上 8 点开始" in drafts["10:00"].text


def test_a_deadline_is_no_start_time(baby: Services) -> None:
    group = "小满·年卡快闪群"
    drafts = [d for d, _ in baby.draft_day(group, dt.date(2026, 12, 7), save=False)]
    assert all(d.status == "ok" for d in drafts), [(d.slot_time, d.error) for d in drafts]
    assert not any("就开始了" in d.text for d in drafts)


def test_outside_a_class_a_post_speaks_to_members_not_students(demo: Services) -> None:
    for day in ("2026-11-24", "2026-11-28", "2026-12-02", "2026-12-09", "2026-12-16"):
        for d, _ in demo.draft_day(WELFARE, dt.date.fromisoformat(day), save=True):
            assert "同学" not in d.text and "作业" not in d.text, (day, d.slot_time, d.text)


def test_a_cohorts_numbered_items_do_not_travel() -> None:
    assert "2 号" not in mask("喝 2 号样茶凤庆滇红，好几位同学问：金毫是啥？")
    assert tpl.opening_without_time(mask("喝 2 号样茶凤庆滇红，好几位同学问：金毫是啥？")) == "好几位同学问：金毫是啥？"
    assert (
        tpl.opening_without_time(mask("今天喝 4 号样茶，是一款勐库的生普。来，把苦和涩分清楚～"))
        == "来，把苦和涩分清楚～"
    )


def test_the_night_before_the_big_day_pins_what_to_do_tomorrow(demo: Services) -> None:
    drafts = {d.slot_time: d for d, _ in demo.draft_day(FLASH, dt.date(2026, 11, 30), save=False)}
    notice = drafts["21:30"]
    assert notice.status == "ok" and "明天（12 月 1 日）就到了" in notice.text and "在原订单里付尾款" in notice.text
    assert drafts["12:30"].status == "skipped"  # still one tease a day otherwise


def test_a_class_between_cohorts_stays_quiet_and_announces_the_next_the_night_before() -> None:
    from copilot.calendar import Active, Entry
    from copilot.dayplan import plan_day
    from copilot.records import Group, Slot

    g = Group("读书营", "学习群", slots=(Slot("08:00", "早安"), Slot("20:00", "干货"), Slot("21:30", "公告")))
    nxt = Entry("n", "读书营第 3 期", "读书营", dt.date(2027, 3, 2), dt.date(2027, 3, 22), facts="3 月 2 日开营")
    eve = plan_day(g, dt.date(2027, 3, 1), (), (Active(nxt, "进行中", 21, -1),), between=True)
    assert [p.skip != "" for p in eve] == [True, True, False] and eve[-1].preview and eve[-1].activity
    quiet = plan_day(g, dt.date(2027, 2, 20), (), (), between=True)
    assert all("两期之间" in p.skip for p in quiet)


def test_a_lesson_never_sends_members_to_someone_the_persona_file_does_not_know(demo: Services) -> None:
    for day in ("2026-12-10", "2026-12-11", "2026-12-12", "2026-12-13", "2026-12-14", "2026-12-15"):
        for g in (WELFARE, CAMP):
            for d, _ in demo.draft_day(g, dt.date.fromisoformat(day), save=True):
                assert "私信阿果" not in d.text, (day, g, d.slot_time)


def test_the_last_reminder_before_a_start_lists_how_to_join_and_no_line_says_the_time_twice(demo: Services) -> None:
    drafts = {d.slot_time: d for d, _ in demo.draft_day(FLASH, dt.date(2026, 12, 12), save=False)}
    assert "主页点「预约」" in drafts["19:30"].text
    noon = drafts["12:30"].text
    assert noon.count("晚上 8 点") == 1, noon


def test_a_groups_last_post_before_a_deadline_is_the_last_call_and_says_goodbye(baby: Services) -> None:
    drafts = {d.slot_time: d for d, _ in baby.draft_day("小满·年卡快闪群", dt.date(2026, 12, 7), save=False)}
    last = drafts["20:00"].text
    assert "还有 1 小时就截止了" in last and "解散" in last and "「小满·宝妈共读群」" in last


def test_a_cohort_never_gets_the_same_lesson_twice(demo: Services) -> None:
    seen: dict[str, str] = {}
    d0 = dt.date(2026, 11, 16)  # 第 9 期 runs 11-16 … 12-06
    for i in range(21):
        day = d0 + dt.timedelta(days=i)
        for d, _ in demo.draft_day(CAMP, day, save=True):
            if d.content_type == "干货" and d.status == "ok":
                for s in d.sources:
                    assert s not in seen, (s, seen[s], day)
                    seen[s] = day.isoformat()
            elif d.content_type == "干货":
                assert d.status == "skipped" and "导入更多往期帖" in d.error  # says why, never repeats


def test_a_lesson_that_opens_itself_gets_no_second_opening() -> None:
    from copilot.template_writer import _one_opening

    assert (
        _one_opening("茶友们，小课堂开讲🍵\n说说老茶🌿\n常见的套路是……", "茶友们")
        == "茶友们，说说老茶🌿\n常见的套路是……"
    )
    long = "茶友们，小课堂开讲🍵\n讲讲水，泡茶的水比茶叶还容易被忽略🍵\n……"
    assert _one_opening(long, "茶友们") == long  # a whole topic sentence keeps the opening above it


def test_a_lesson_does_not_close_on_its_own_last_words(demo: Services) -> None:
    for day in ("2027-02-16", "2027-02-17", "2027-02-18", "2027-02-19"):
        for d, _ in demo.draft_day(WELFARE, dt.date.fromisoformat(day), save=True):
            if d.content_type == "干货" and d.status == "ok":
                body = [ln for ln in d.text.splitlines() if ln.strip()][:-1]  # without the sign-off
                assert not tpl.grams(body[-1], 3) & tpl.grams(body[-2], 3), (day, body[-2:])
