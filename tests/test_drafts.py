"""Drafts worth posting, on two brands: the output rules hold for every writer and every kind of draft."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from copilot.errors import InputError
from copilot.records import TOPIC_TYPES
from copilot.rules import enforce, member_word_violations, violations
from copilot.services import Services

ROOT = Path(__file__).resolve().parent.parent
BABY = "小满·宝妈共读群"
BABY_FLASH = "小满·年卡快闪群"
DATES = ("2026-11-26", "2026-11-30", "2026-12-03", "2026-12-07", "2027-01-05")


def _clean(svc: Services, text: str, group_type: str = "") -> list[str]:
    p = svc.persona()
    return violations(text, p) + member_word_violations(text, group_type)


@pytest.mark.parametrize("brand", ["demo", "baby"])
def test_every_day_keeps_the_rules_on_two_brands(brand: str, request: pytest.FixtureRequest) -> None:
    svc: Services = request.getfixturevalue(brand)
    p = svc.persona()
    fields = [p.industry, p.brand, *(g.positioning for g in p.groups), *p.internal]
    for date in DATES:
        for g in p.groups:
            for d, _ in svc.draft_day(g.name, dt.date.fromisoformat(date), save=False):
                if d.status == "skipped":
                    continue
                assert d.status == "ok", d.error
                assert _clean(svc, d.text, g.type) == [], (brand, date, g.name, d.slot_time, d.text)
                assert not d.warnings, (brand, date, g.name, d.slot_time, d.text, d.warnings)
                for f in fields:  # internal text never; persona fields only whole
                    assert not f or len(f) < 8 or f not in d.text or f in (p.industry, p.brand)


def test_fields_with_brackets_are_used_whole(baby: Services) -> None:
    drafter = baby.drafter()
    for t in ("八卦", "行业大厂"):
        for topic in drafter.topics(t, 3, group_name=BABY):
            text = "\n".join([topic.opening, *topic.follow_ups, topic.summary])
            assert "母婴（0-3岁）、早教「亲子共读」" in text or "（" not in text, text
            assert violations(text, baby.persona()) == [], text
    intro = drafter.intro(dt.date(2026, 11, 26), BABY)
    assert "「小满」早教（0-3岁）" in intro[2].text  # the card names the brand whole


@pytest.mark.parametrize("brand", ["demo", "baby"])
@pytest.mark.parametrize("topic_type", TOPIC_TYPES)
def test_topics_of_every_type_are_whole_and_distinct(
    brand: str, topic_type: str, request: pytest.FixtureRequest
) -> None:
    svc: Services = request.getfixturevalue(brand)
    event = "寒潮来了，北方多地一天降温超过十度"
    topics = svc.drafter().topics(topic_type, 3, event=event)
    assert len({t.opening for t in topics}) == len(topics) >= 2
    for t in topics:
        whole = "\n".join([t.opening, *t.follow_ups, t.summary])
        assert _clean(svc, whole) == [], whole
        assert "？" in t.opening and 2 <= len(t.follow_ups) <= 3
        assert "我先说说我的" not in whole
        if topic_type == "热点事件":
            assert event.split("，")[0] in t.opening


def test_conversion_groups_get_no_chit_chat(baby: Services) -> None:
    with pytest.raises(InputError, match="转化群"):
        baby.drafter().topics("八卦", 2, group_name=BABY_FLASH)
    assert baby.drafter().topics("社群自带", 2, group_name=BABY_FLASH)


def test_one_day_never_gives_two_groups_the_same_topic(demo: Services) -> None:
    for date in DATES:
        openings = []
        for g in demo.persona().groups:
            openings += [d.text for d, _ in demo.draft_day(g.name, dt.date.fromisoformat(date), save=False)
                         if d.content_type == "话题"]  # fmt: skip
        firsts = [o.splitlines()[1] if len(o.splitlines()) > 1 else o for o in openings]
        assert len(set(firsts)) == len(firsts), (date, firsts)


def test_group_lifetime_goodbye_and_closed_days(baby: Services) -> None:
    before = baby.draft_day(BABY_FLASH, dt.date(2026, 11, 30), save=False)
    assert all(d.status == "skipped" and "才开群" in d.error for d, _ in before)
    last = [d for d, _ in baby.draft_day(BABY_FLASH, dt.date(2026, 12, 7), save=False)]
    assert "小满·宝妈共读群" in last[-1].text and ("解散" in last[-1].text or "再见" in last[-1].text)
    after = baby.draft_day(BABY_FLASH, dt.date(2026, 12, 8), save=False)
    assert all(d.status == "skipped" and "解散" in d.error for d, _ in after)


@pytest.mark.parametrize("brand", ["demo", "baby"])
def test_intros_welcome_with_the_nickname_ritual_and_name_the_brand(brand: str, request: pytest.FixtureRequest) -> None:
    svc: Services = request.getfixturevalue(brand)
    p = svc.persona()
    full, welcome, card = svc.drafter().intro(dt.date(2026, 11, 26))
    assert "昵称" in welcome.text and "群规" in welcome.text
    assert p.brand in card.text
    assert violations(full.text, p) == [] and f"我是{p.name}" in full.text
    assert p.name not in full.text.replace(f"我是{p.name}", "").replace(p.signoff, "")  # first person throughout


REWRITES = [
    "亲爱的各位茶友，大家好！我们很高兴地宣布，本周六晚上8点，我们将举办一场别开生面的直播活动。届时，资深茶师将为大家带来精彩的分享，这是一个不容错过的绝佳机会！让我们一起开启一段温暖的品茶之旅！",
    "总之，冬季饮茶需要注意以下几点：首先，选择温性的茶类，如熟普和红茶；其次，注意控制饮茶量；最后，避免空腹饮茶。希望对大家有所帮助。",
    "尊敬的会员您好！感谢您一直以来的支持与信任。为了回馈广大茶友，我们特别推出冬季限定礼盒，敬请期待。祝您度过一个充实而有意义的周末！",
]


@pytest.mark.parametrize("brand", ["demo", "baby"])
@pytest.mark.parametrize("text", REWRITES)
def test_rewrites_drop_stock_phrases_and_keep_facts(brand: str, text: str, request: pytest.FixtureRequest) -> None:
    from copilot.rewrite import facts_preserved

    svc: Services = request.getfixturevalue(brand)
    out = svc.drafter().rewrite(text, dt.date(2026, 11, 26)).text
    for stock in (
        "我们很高兴地宣布",
        "届时",
        "不容错过",
        "绝佳机会",
        "之旅",
        "总之",
        "首先",
        "您",
        "充实而有意义",
        "一直以来的支持",
        "亲爱的各位",
    ):
        assert stock not in out, (stock, out)
    assert facts_preserved(text, out)
    p = svc.persona()
    assert violations(out, p) == [], out
    assert sum(out.count(a) for a in p.address_form) >= 1 and not any(c in out for c in p.catchphrases)


def test_enforce_mends_what_violations_reports(demo: Services) -> None:
    p = demo.persona()
    broken = "茶友们，新的一天开始啦😄\n茶友们早呀🌿 临沧下雨了。\n🌿\n喝茶不急，慢慢来\n——阿禾，在茶山\n——阿禾，在茶山"
    assert len(violations(broken, p)) >= 4
    mended = enforce(broken, p)
    assert violations(mended, p) == [] and mended.count("——阿禾，在茶山") == 1 and "临沧下雨了" in mended
