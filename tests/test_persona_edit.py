"""The persona editor: form values round-trip, Chinese validation, every save a restorable version."""

from __future__ import annotations

from pathlib import Path

from copilot import handlers_group as h
from copilot.persona_edit import list_versions
from copilot.services import Services
from tests.conftest import ROOT


def _workspace(services: Services) -> Services:
    assert services.ingest([], persona=ROOT / "knowledge" / "persona.yaml").refused == ()
    return services


def test_unchanged_form_round_trips(services: Services) -> None:
    svc = _workspace(services)
    before = svc.persona()
    form = h.persona_form(svc)
    assert form["address_form"] == "茶友们、家人们" and form["groups"][0][3].startswith("08:00 早安；10:30 干货")
    msg, versions = h.save_persona(svc, form, "小王")
    assert msg.startswith("✅") and len(versions) == 1
    assert svc.persona() == before
    assert "小王" in svc.settings.persona_path.read_text("utf-8").splitlines()[0]


def test_edit_then_restore_the_old_version(services: Services) -> None:
    svc = _workspace(services)
    form = h.persona_form(svc)
    form["catchphrases"] = "喝茶不急，慢慢来\n叶底不会骗人\n新口头禅来一句"
    form["groups"] = [
        *form["groups"],
        ["山茶小院·冬茶快闪群", "转化群", "冬茶三天快闪", "09:00 活动预告；20:00 活动提醒"],
    ]
    msg, versions = h.save_persona(svc, form, "小王")
    assert msg.startswith("✅") and "4 个群" in msg
    persona = svc.persona()
    assert persona.catchphrases[-1] == "新口头禅来一句"
    assert [(s.time, s.content_type) for s in persona.group("山茶小院·冬茶快闪群").slots] == [
        ("09:00", "活动预告"),
        ("20:00", "活动提醒"),
    ]
    text, restored = h.restore_persona(svc, versions[0])
    assert text.startswith("✅") and "新口头禅来一句" not in restored["catchphrases"]
    assert len(svc.persona().groups) == 3
    assert len(list_versions(svc.settings.persona_path)) == 2  # the edited one was kept too


def test_bad_values_are_refused_in_chinese_and_nothing_changes(services: Services) -> None:
    svc = _workspace(services)
    path: Path = svc.settings.persona_path
    original = path.read_text("utf-8")
    cases = [
        ({"name": "  "}, "名字不能为空"),
        ({"groups": [["茶友群", "引流群", "", "8点 早安"]]}, "「08:00 早安」"),
        ({"groups": [["茶友群", "引流群", "", "08:00 早饭"]]}, "内容类型只能是"),
        ({"groups": [["茶友群", "聊天群", "", ""]]}, "群类型「聊天群」不认识"),
        ({"groups": [["茶友群", "引流群", "", ""], ["茶友群", "学习群", "", ""]]}, "出现了两次"),
        ({"archetype": "高冷"}, "只能是 亲民 或 专业"),
    ]
    for change, needle in cases:
        form = {**h.persona_form(svc), **change}
        msg, versions = h.save_persona(svc, form, "小王")
        assert msg.startswith("❌") and needle in msg, msg
        assert versions == []
    assert path.read_text("utf-8") == original
    assert h.restore_persona(svc, "")[0] == "请先选择要恢复的版本"
    assert "没有这个版本" in h.restore_persona(svc, "persona-19990101.yaml")[0]


def test_sample_posts_in_the_persona_file_are_kept(services: Services, tmp_path: Path) -> None:
    src = tmp_path / "p.yaml"
    src.write_text("name: 周老师\nposts:\n  - {text: 各位同学，今天讲阅读题}\n", "utf-8")
    assert services.ingest([], persona=src).refused == ()
    form = h.persona_form(services)
    form["address_form"] = "各位同学"
    assert h.save_persona(services, form, "")[0].startswith("✅")
    text = services.settings.persona_path.read_text("utf-8")
    assert "各位同学，今天讲阅读题" in text and services.persona().address_form == ("各位同学",)
