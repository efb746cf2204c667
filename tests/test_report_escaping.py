"""The eval HTML report escapes every field that comes from a suite file or a draft."""

from __future__ import annotations

import re
from pathlib import Path

from copilot.evaluate import Check, OutputResult, SuiteResult, assertion_label, write_report

XSS = "<script>alert('茶')</script>"


def test_every_field_of_the_html_report_is_escaped(tmp_path: Path) -> None:
    out = OutputResult(
        case=f"用例{XSS}",
        label="08:00<img src=x onerror=alert(1)>",
        text=f"草稿{XSS}",
        model="template",
        voice_score=40.0,
        ai_flavor=0.5,
        checks=(Check("contains", False, f"无{XSS}", "'\"><svg onload=alert(1)>"),),
    )
    result = SuiteResult(f"套件{XSS}", f"模型{XSS}", f"2026-11-26T08:00{XSS}", (out,), 5.0)
    paths = write_report(result, tmp_path, regressions=[f"回归{XSS}"])
    page = paths["html"].read_text("utf-8")
    assert not re.search(r"<(script|svg)\b", page, re.I)
    assert len(re.findall(r"<img\b", page)) == 1  # the chart, and nothing from the data
    assert page.count("&lt;script&gt;") >= 6
    assert "包含=" in page and assertion_label("contains") == "包含"
    md = paths["md"].read_text("utf-8")
    assert "<script>" not in md
