"""Compliance checks: 广告法 absolute terms with offsets, exemptions, taboo and sensitive words, alternatives."""

from __future__ import annotations

from pathlib import Path

import pytest

from copilot.checks import ABSOLUTE_TERMS, Flag, check, flag_labels, load_sensitive_words, workspace_sensitive_words
from copilot.errors import InputError


def _terms(flags: tuple[Flag, ...]) -> list[tuple[str, str, int, int]]:
    return [(f.kind, f.term, f.start, f.end) for f in flags]


def test_absolute_terms_found_with_offsets() -> None:
    text = "这款熟普是我们最好的茶，全网最低价，还是国家级非遗工艺。"
    flags = check(text)
    assert _terms(flags) == [
        ("广告法", "最好", 7, 9),
        ("广告法", "全网最低", 12, 16),
        ("广告法", "国家级", 20, 23),
    ]
    for f in flags:
        assert text[f.start : f.end] == f.term


def test_longest_term_wins() -> None:
    flags = check("采用最先进的杀青工艺")
    assert _terms(flags) == [("广告法", "最先进", 2, 5)]


@pytest.mark.parametrize("text", ["最香", "今年的春茶最甜了", "这一款最划算"])
def test_bare_zui_before_an_adjective_is_flagged(text: str) -> None:
    flags = check(text)
    assert len(flags) == 1
    f = flags[0]
    assert (f.kind, f.term) == ("广告法", "最")
    assert text[f.start] == "最"
    assert f.suggestion == "很"


def test_bare_zui_message_rewrites_the_phrase() -> None:
    (flag,) = check("这一款最划算，快来")
    assert "「最划算」" in flag.message
    assert "「很划算」" in flag.message


@pytest.mark.parametrize(
    "text",
    [
        "这饼生普的最佳食用时间是开封后半年内。",
        "白茶的最佳赏味期比你想的长，最佳饮用期也不用太纠结。",
        "第一次喝熟普的茶友，第一泡记得倒掉，第一天少喝点。",
        "最近山里一直下雨，最后一批春茶还在晒。",
        "每人最多 2 份，最少也要 1 份，最终以到账时间为准，最初我们也没想到。",
        "最好别用滚开的水，最好先温杯。",
        "到货后第一时间通知大家，这是第一手资料。",
    ],
)
def test_exemptions_are_not_flagged(text: str) -> None:
    assert check(text) == ()


def test_exemption_does_not_hide_a_later_violation() -> None:
    text = "最佳食用时间内喝，口感最好。"
    assert _terms(check(text)) == [("广告法", "最好", 11, 13)]


def test_ranking_uses_of_first_are_flagged_but_ordinals_are_not() -> None:
    text = "第一次参加的茶友注意：我们是临沧销量第一，比赛拿过第一名。"
    assert [(f.term, f.start) for f in check(text)] == [("第一", 18), ("第一", 25)]


def test_weiyi_is_always_flagged() -> None:
    # Documented choice: 唯一 cannot be told apart from a product claim without reading the sentence.
    assert _terms(check("唯一的要求是按时打卡")) == [("广告法", "唯一", 0, 2)]


def test_percentage_variants() -> None:
    terms = [f.term for f in check("100%纯料，百分百古树，100％好喝")]
    assert terms == ["100%", "百分百", "100％"]


def test_alternatives_are_suggested() -> None:
    by_term = {f.term: f for f in check("最好的茶，行业第一，顶级工艺，万能茶具")}
    assert by_term["最好"].suggestion == "很好"
    assert "「更适合」" in by_term["最好"].message
    assert by_term["第一"].suggestion == "领先"
    assert "「头一批」" in by_term["第一"].message
    assert by_term["顶级"].suggestion
    assert by_term["万能"].suggestion
    assert all("绝对化用语" in f.message for f in by_term.values())


def test_term_without_alternative_explains_what_to_do() -> None:
    (flag,) = check("国家级大师监制")
    assert flag.suggestion == ""
    assert "官方认定" in flag.message


def test_taboo_words_flagged_with_exemptions() -> None:
    text = "宝子们，首先说一下，第一次来的别急。"
    flags = check(text, taboo=("宝子们", "首先", "第一"))
    assert _terms(flags) == [("人设禁用词", "宝子们", 0, 3), ("人设禁用词", "首先", 4, 6)]
    assert "人设禁用词" in flags[0].message


def test_taboo_overlapping_absolute_term_reported_once_as_ad_law() -> None:
    flags = check("这是最好的白茶", taboo=("最好",))
    assert _terms(flags) == [("广告法", "最好", 2, 4)]


def test_single_character_taboo_only_when_standalone() -> None:
    text = "亲，这是我亲自给母亲泡的茶，亲们尝尝。"
    flags = check(text, taboo=("亲",))
    assert [f.start for f in flags] == [0, 14]


def test_sensitive_words_flagged() -> None:
    text = "加我微信号领红包，稳赚不赔。"
    flags = check(text, sensitive=("微信号", "稳赚不赔"))
    assert _terms(flags) == [("敏感词", "微信号", 2, 5), ("敏感词", "稳赚不赔", 9, 13)]
    assert all("敏感词表" in f.message for f in flags)


def test_load_sensitive_words(tmp_path: Path) -> None:
    path = tmp_path / "敏感词.txt"
    path.write_text("\ufeff# 平台敏感词\n稳赚不赔\n\n  加微信  # 引流\n稳赚不赔\n", encoding="utf-8")
    words = load_sensitive_words(path)
    assert words == ("稳赚不赔", "加微信")
    assert _terms(check("加微信领取", sensitive=words)) == [("敏感词", "加微信", 0, 3)]


def test_load_sensitive_words_rejects_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "gbk.txt"
    path.write_bytes("第一行\n稳赚不赔\n".encode("gbk"))
    with pytest.raises(InputError) as err:
        load_sensitive_words(path)
    assert "UTF-8" in str(err.value)
    assert err.value.file == str(path)


def test_missing_sensitive_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="读不了敏感词文件"):
        load_sensitive_words(tmp_path / "没有这个文件.txt")


def test_workspace_sensitive_words(tmp_path: Path) -> None:
    assert workspace_sensitive_words(tmp_path) == ()
    (tmp_path / "sensitive_words.txt").write_text("秒杀\n", encoding="utf-8")
    assert workspace_sensitive_words(tmp_path) == ("秒杀",)


def test_flag_labels_are_short_and_deduplicated() -> None:
    flags = check("最好的茶，最好的水，国家级", taboo=("首先",))
    assert flag_labels(flags) == ("广告法：最好（建议改为「很好」）", "广告法：国家级")


def test_clean_text_and_every_listed_term() -> None:
    assert check("茶友们早上好呀🍵 今天山里下了一夜雨，喝茶不急，慢慢来。") == ()
    for term in ABSOLUTE_TERMS:
        flags = check(f"这款茶{term}。")
        assert flags and flags[0].start == 3 and flags[0].kind == "广告法", term


def test_flagged_text_never_raises() -> None:
    assert check("") == ()
    assert check("最", taboo=("",), sensitive=("  ",))[0].term == "最"
