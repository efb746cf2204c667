"""End to end: the real app in headless Chromium — generate a day, edit and approve, queue, export CSV."""

from __future__ import annotations

import csv
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TABS = [
    ("今日内容", "today"),
    ("IP自我介绍", "intro"),
    ("话题工坊", "topics"),
    ("人设改写", "rewrite"),
    ("审核队列", "queue"),
    ("活动日历", "calendar"),
    ("知识库", "knowledge"),
    ("评测", "eval"),
    ("设置", "settings"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app(demo_home: Path, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: `make test` installs it (apt-get install chromium)")
    home = tmp_path_factory.mktemp("browser") / "home"
    shutil.copytree(demo_home, home)
    port = _free_port()
    env = {**os.environ, "COPILOT_HOME": str(home), "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("COPILOT_LLM_BASE_URL", None)
    log = (home / "app.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"app exited: {(home / 'app.log').read_text('utf-8')[-2000:]}")
            time.sleep(0.2)
    else:
        proc.terminate()
        pytest.fail("app did not answer within 90 s")
    yield url, home
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.fixture(scope="module")
def browser():  # noqa: ANN201
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def page(app, browser):  # noqa: ANN001, ANN201
    pg = browser.new_page(viewport={"width": 1280, "height": 1000}, accept_downloads=True, locale="zh-CN")
    pg.set_default_timeout(60_000)
    pg.goto(app[0])
    pg.wait_for_selector("#day-generate")
    yield pg
    pg.close()


def test_generate_edit_approve_queue_export(app, page) -> None:  # noqa: ANN001
    _, home = app
    page.fill("#day-date textarea, #day-date input", "2026-11-24")
    page.click("#day-generate")
    text = page.locator("#card-0-text textarea")
    text.wait_for(state="visible")
    page.wait_for_function("document.querySelector('#day-note').innerText.includes('已生成')")
    assert "茶友们" in text.input_value()
    assert "模板起草" in page.locator("#card-0").first.inner_text()
    page.screenshot(path=str(SHOTS / "today.png"))

    edited = text.input_value() + "\n（运营补充：有问题随时问）"
    text.fill(edited)
    page.click("#card-0-approve")
    page.wait_for_function("document.querySelector('#card-0-status').innerText.includes('已通过')")

    page.get_by_role("tab", name="审核队列").click()
    page.click("#queue-refresh")
    page.wait_for_function("document.querySelector('#queue-table').innerText.includes('运营补充')")
    table = page.locator("#queue-table").inner_text()
    assert "已通过" in table and "待审核" in table
    page.click("#queue-export")
    page.wait_for_function("document.querySelector('#queue-msg').innerText.includes('已导出')")
    files = list((home / "exports").glob("*.csv"))
    assert len(files) == 1
    with files[0].open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 1
    assert rows[0]["内容"] == edited and rows[0]["时间"] == "08:00" and rows[0]["日期"] == "2026-11-24"
    assert rows[0]["群"] == "山茶小院·茶友福利群"
    assert page.locator("#queue-file a").count() >= 1  # the browser got a download link
    page.screenshot(path=str(SHOTS / "queue.png"))


def test_every_tab_works_in_chinese(page) -> None:  # noqa: ANN001
    def tab(label: str) -> None:
        page.get_by_role("tab", name=label).click()
        page.wait_for_timeout(300)

    tab("IP自我介绍")
    page.click("#intro-generate")
    page.wait_for_function("[...document.querySelectorAll('#intro-full textarea')].some(t => t.value.includes('阿禾'))")
    page.screenshot(path=str(SHOTS / "intro.png"))

    tab("话题工坊")
    page.click("#topics-generate")
    page.wait_for_function("document.querySelector('#topics-out').innerText.includes('总结帖')")
    assert "追问" in page.locator("#topics-out").inner_text()
    page.screenshot(path=str(SHOTS / "topics.png"))

    tab("人设改写")
    page.fill("#rewrite-input textarea", "大家好！首先，本周四晚上8点直播，99元3泡装。总之，希望对大家有所帮助。")
    page.click("#rewrite-go")
    page.wait_for_function("document.querySelector('#rewrite-output textarea').value.includes('茶友们')")
    out = page.locator("#rewrite-output textarea").input_value()
    assert "99元3泡装" in out and "首先" not in out
    page.screenshot(path=str(SHOTS / "rewrite.png"))

    tab("活动日历")
    page.fill("#cal-month textarea, #cal-month input", "2026-12")
    page.click("#cal-show")
    page.wait_for_function("document.querySelector('#cal-grid').innerText.includes('双十二直播专场·爆破')")
    assert "21 天识茶营第 10 期报名" in page.locator("#cal-table").inner_text()
    page.screenshot(path=str(SHOTS / "calendar.png"))

    tab("知识库")
    page.wait_for_function("document.body.innerText.includes('互动最高的帖子')")
    page.screenshot(path=str(SHOTS / "knowledge.png"))

    tab("评测")
    page.locator("#eval-suite input").fill("intro")
    page.keyboard.press("Enter")
    page.click("#eval-run")
    page.wait_for_function("document.querySelector('#eval-summary').innerText.includes('通过率')")
    page.wait_for_selector("#eval-chart img")
    page.wait_for_function("!document.querySelector('#eval-run').disabled")
    page.wait_for_timeout(800)  # let the pending-state fade finish before the picture
    page.screenshot(path=str(SHOTS / "eval.png"))

    tab("设置")
    assert "模板起草器" in page.locator("body").inner_text()
    page.screenshot(path=str(SHOTS / "settings.png"))
    body = page.locator("body").inner_text()
    assert "Traceback" not in body
    assert all((SHOTS / f"{slug}.png").stat().st_size > 10_000 for _, slug in TABS)


def test_login_is_required_and_the_author_is_the_logged_in_user(demo_home: Path, tmp_path: Path, browser) -> None:  # noqa: ANN001
    from copilot.config import Settings
    from copilot.review import ReviewStore

    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    port = _free_port()
    env = {**os.environ, "COPILOT_HOME": str(home), "COPILOT_AUTH": "xiaowang:tea-2026,laoli:pw"}
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        pg = browser.new_page(locale="zh-CN")
        pg.set_default_timeout(60_000)
        pg.goto(f"http://127.0.0.1:{port}/")
        pg.wait_for_selector("input[type=password]")
        assert pg.locator("#day-generate").count() == 0  # nothing of the app before logging in
        pg.locator("input[type=text], input:not([type])").first.fill("xiaowang")
        pg.fill("input[type=password]", "tea-2026")
        pg.locator("button").filter(has_text="登录").or_(pg.locator("button[type=submit]")).first.click()
        pg.wait_for_selector("#day-generate")
        pg.fill("#day-date textarea, #day-date input", "2026-11-25")
        pg.click("#day-generate")
        pg.wait_for_function("document.querySelector('#day-note').innerText.includes('已生成')")
        pg.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    records = ReviewStore(Settings(home=home).db_path).list(date="2026-11-25")
    assert records and {r.author for r in records} == {"xiaowang"}


def test_group_data_and_persona_tabs(page) -> None:  # noqa: ANN001
    page.get_by_role("tab", name="群数据").click()
    page.locator("#chat-file input[type=file]").set_input_files(str(ROOT / "knowledge" / "chat_export.json"))
    page.wait_for_timeout(500)
    page.click("#chat-import")
    page.wait_for_function("document.querySelector('#chat-result textarea').value.includes('IP 的帖子 12 条')")
    page.wait_for_function("document.querySelector('#chat-summary').innerText.includes('每天')")
    assert "活跃时段" in page.locator("#chat-summary").inner_text()
    page.click("#chat-draft")
    page.wait_for_function("(document.querySelector('#chat-draft-yaml')?.innerText || '').includes('待填写')")
    assert "喝茶不急，慢慢来" in page.locator("#chat-draft-yaml").inner_text()
    page.wait_for_timeout(800)
    page.screenshot(path=str(SHOTS / "chat.png"), full_page=True)

    page.get_by_role("tab", name="人设编辑", exact=True).click()
    page.wait_for_function("document.querySelector('#persona-name textarea, #persona-name input').value === '阿禾'")
    page.click("#persona-save")
    page.wait_for_function("document.querySelector('#persona-msg').innerText.includes('已保存人设「阿禾」')")
    page.screenshot(path=str(SHOTS / "persona.png"))
    assert "Traceback" not in page.locator("body").inner_text()


def test_two_tabs_edit_in_a_approve_in_b_keeps_as_text(app, browser) -> None:  # noqa: ANN001
    import re as _re
    import sqlite3

    url, home = app
    a = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
    a.set_default_timeout(60_000)
    a.goto(url)
    a.fill("#day-date textarea, #day-date input", "2026-11-25")
    a.click("#day-generate")
    a.wait_for_function("document.querySelector('#day-note').innerText.includes('已生成')")
    rid = _re.search(r"编号 ([0-9a-f]{12})", a.locator("#card-0").first.inner_text()).group(1)
    mine = a.locator("#card-0-text textarea").input_value() + "\n（A 标签里还没保存的一句）"
    a.locator("#card-0-text textarea").fill(mine)

    b = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
    b.set_default_timeout(60_000)
    b.goto(url)
    b.get_by_role("tab", name="审核队列").click()
    b.get_by_label("批量通过：草稿编号").fill(rid)
    b.get_by_role("button", name="批量通过").click()
    b.wait_for_function("document.querySelector('#queue-msg').innerText.includes('已通过 1 条')")

    a.click("#card-0-save")
    a.wait_for_function("document.querySelector('#card-0-status').innerText.includes('没有丢')")
    assert "已通过" in a.locator("#card-0-status").inner_text()
    assert a.locator("#card-0-text textarea").input_value() == mine  # the refused save kept A's text
    a.click("#card-0-reopen")
    a.wait_for_function("document.querySelector('#card-0-status').innerText.includes('还在框里')")
    assert a.locator("#card-0-text textarea").input_value() == mine
    a.click("#card-0-save")
    a.wait_for_function("document.querySelector('#card-0-status').innerText.includes('已保存')")
    with sqlite3.connect(home / "copilot.sqlite3") as db:
        assert db.execute("SELECT text FROM drafts WHERE id=?", (rid,)).fetchone()[0] == mine
    a.close()
    b.close()


def test_edit_after_reload_from_the_queue(app, browser) -> None:  # noqa: ANN001
    import sqlite3

    url, home = app
    with sqlite3.connect(home / "copilot.sqlite3") as db:
        rid = db.execute("SELECT id FROM drafts WHERE state='draft' ORDER BY date, slot_time").fetchone()[0]
    page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
    page.set_default_timeout(60_000)
    page.goto(url)
    page.reload()
    page.get_by_role("tab", name="审核队列").click()
    page.fill("#queue-open-id textarea, #queue-open-id input", rid)
    page.click("#queue-open")
    box = page.locator("#card-90-text textarea")
    box.wait_for(state="visible")
    edited = box.input_value() + "\n（刷新之后改的）"
    box.fill(edited)
    page.click("#card-90-save")
    page.wait_for_function("document.querySelector('#card-90-status').innerText.includes('已保存')")
    with sqlite3.connect(home / "copilot.sqlite3") as db:
        assert db.execute("SELECT text FROM drafts WHERE id=?", (rid,)).fetchone()[0] == edited
    page.close()
