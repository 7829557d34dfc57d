"""End to end in real headless Chromium against `tongpin serve --demo` (gunicorn, SQLite), as a user would."""

import os
import shutil
import subprocess
import sys

import pytest

from .browser_support import (  # fixtures `server` and `browser` come from there too
    CHROMIUM,
    HOMES,
    fill_alert,
    login,
    logout,
    screenshot,
    submit_alert,
)

pytestmark = pytest.mark.browser

if not os.path.exists(CHROMIUM) and not os.environ.get("TONGPIN_REQUIRE_BROWSER"):
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)


def test_login_create_story_and_search_it_in_chinese(server, browser, tmp_path):
    page = browser.new_page()
    login(page, server, "reporter")
    page.click("text=新建稿件")
    page.fill("#id_title", "汛期应急演练走进社区")
    page.locator(".editable").click()
    page.keyboard.type("社区组织居民开展应急疏散演练，学习防汛避险知识。")
    page.fill("#id_tags", "防汛 演练")
    page.check("input[value=wechat]")
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=稿件已保存")
    assert "应急疏散演练" in page.inner_text("article.body")

    page.goto(f"{server}/stories/")
    page.fill("#id_q", "應急疏散")  # Traditional characters find the Simplified story
    page.keyboard.press("Enter")
    page.wait_for_selector(".result mark")
    first = page.locator(".result").first
    assert "汛期应急演练走进社区" in first.inner_text()
    assert "应急疏散" in first.locator(".snippet mark").all_inner_texts()
    screenshot(page, "search.png")


def test_phone_layout_and_liaison_sees_only_own_partner(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    login(page, server, "liaison_zone")
    page.goto(f"{server}/stories/")
    text = page.inner_text("#results")
    assert "高新区" in text and "应急管理厅" not in text
    # The menu folds away on a phone and opens with its button.
    assert not page.is_visible("nav.nav")
    page.click("label.nav-toggle-label")
    assert page.is_visible("nav.nav")
    screenshot(page, "phone.png")


def test_chromium_is_the_debian_one():
    assert shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)


def test_three_level_review_in_the_browser(server, browser):
    page = browser.new_page()
    login(page, server, "reporter")
    page.goto(f"{server}/stories/new/")
    page.fill("#id_title", "汛期转移避险演练圆满完成")
    page.locator(".editable").click()
    page.keyboard.type("全市组织山区群众开展转移避险演练，检验预案的可操作性。")
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=稿件已保存")
    page.click("text=审核与校对")
    page.click("button:has-text('送审')")
    page.wait_for_selector("text=已送审")
    story_url = page.url
    logout(page, server)

    for username, step in (("editor", "初审"), ("desk", "复审"), ("chief", "终审")):
        login(page, server, username)
        page.click("text=我的审核")
        page.click("text=汛期转移避险演练圆满完成")
        page.fill("#id_comment", f"{step}意见：同意")
        page.click(f"button:has-text('{step}通过')")
        page.wait_for_selector("text=已通过本步审核")
        logout(page, server)

    login(page, server, "reporter")
    page.goto(story_url)
    assert "已通过" in page.inner_text(".heading-row .badge")
    steps = page.inner_text("ol.steps")
    assert steps.count("通过") >= 3 and "终审意见：同意" in steps
    screenshot(page, "review.png")


def test_publish_an_approved_story_with_per_channel_preview(server, browser):
    page = browser.new_page()
    login(page, server, "desk")
    page.goto(f"{server}/stories/?status=approved")
    page.locator(".result a").first.click()
    page.click("a.button.primary:text-is('发布')")
    page.wait_for_selector("text=发布到渠道")
    boxes = page.locator("input[name=channels]")
    assert boxes.count() >= 5
    if not page.locator("input[name=channels]:checked").count():
        boxes.first.check()
    chosen = page.locator("input[name=channels]:checked").count()
    page.click("button[name=hold]")
    page.wait_for_selector(".renditions .rendition")
    assert page.locator(".renditions .rendition").count() == chosen  # one rendition per channel, side by side
    page.click("button:text-is('确认发布')")
    page.wait_for_selector("text=已提交发布")
    assert "排队中" in page.inner_text("table.table")  # the browser tests run without a worker
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.locator(".renditions .rendition").first.is_visible()
    screenshot(page, "publication.png")


def test_duty_console_receives_live_and_confirms_an_alert(server, browser):
    console = browser.new_page()
    login(console, server, "duty")
    console.goto(f"{server}/alerts/")
    console.wait_for_selector("text=预警值班台")
    composer = browser.new_page()
    login(composer, server, "duty")
    fill_alert(composer, server, "yellow", "大雾", "浏览器测试：大雾黄色预警",
               "预计今晚到明晨有能见度小于500米的浓雾。")  # fmt: skip
    submit_alert(composer)
    composer.wait_for_selector("text=待确认")  # yellow: the demo policy asks the duty officer
    # The console, untouched, shows it within its 2-second refresh.
    console.wait_for_selector("text=浏览器测试：大雾黄色预警", timeout=10000)
    assert "等待确认" in console.inner_text("#console")
    console.click("text=浏览器测试：大雾黄色预警")
    console.click("button:text-is('确认发布')")
    console.wait_for_selector("text=已确认发布")
    assert "已发布" in console.inner_text(".meta")
    assert "排队中" in console.inner_text("#deliveries")  # the browser tests run without a worker
    screenshot(console, "alert.png")


def test_liaison_files_a_request_and_an_editor_turns_it_into_an_assignment(server, browser):
    import datetime as dt

    liaison = browser.new_page(viewport={"width": 390, "height": 844})
    login(liaison, server, "liaison_em")
    assert liaison.url.endswith("/portal/")
    liaison.click("text=提交宣传需求")
    liaison.fill("#id_title", "全国防灾减灾日主题直播")
    liaison.fill("#id_description", "在防灾减灾日当天做一场应急科普直播，邀请专家讲解家庭应急包。")
    liaison.fill("#id_wanted_by", (dt.date.today() + dt.timedelta(days=20)).isoformat())
    liaison.check("input[name=channels][value=tv]")
    liaison.check("input[name=channels][value=douyin]")
    liaison.click("button:has-text('提交')")
    liaison.wait_for_selector("h1:has-text('全国防灾减灾日主题直播')")
    assert "已提交" in liaison.inner_text("h1")
    request_url = liaison.url

    editor = browser.new_page()
    login(editor, server, "editor")
    editor.goto(f"{server}/requests/?state=submitted")
    editor.click("text=全国防灾减灾日主题直播")
    editor.fill("#accept input[name=note]", "纳入防灾减灾日策划")
    editor.click("#accept button:has-text('纳入策划')")
    editor.wait_for_selector("text=可以派单了")
    editor.select_option("#id_assignee", label="林悦")
    editor.select_option("#id_role", "anchor")
    due = (dt.datetime.now() + dt.timedelta(days=10)).replace(hour=18, minute=0)
    editor.fill("#id_due_at", due.strftime("%Y-%m-%dT%H:%M"))
    editor.click("#assign button:has-text('派单')")
    editor.wait_for_selector("text=已派单给")
    assert "主播 林悦" in editor.inner_text("section.card")
    screenshot(editor, "assignment.png")

    liaison.goto(request_url)
    progress = liaison.inner_text("#progress")
    assert "已纳入策划" in liaison.inner_text("h1") and "主播 林悦" in progress
    screenshot(liaison, "request.png")


def test_partner_report_is_built_in_the_background_and_shown(server, browser):
    import datetime as dt

    page = browser.new_page()
    login(page, server, "desk")
    page.goto(f"{server}/reports/")
    page.select_option("#id_partner", label="清远高新区")
    page.select_option("#id_period", "month")
    page.fill("#id_date", dt.date.today().isoformat())
    page.click("button:has-text('生成报告')")
    page.wait_for_selector("#report-status")
    assert "正在生成" in page.inner_text("#report-status")
    # the server runs without a worker here: run one over the same home until the queue is empty
    env = {k: v for k, v in os.environ.items() if k != "TONGPIN_DATABASE_URL"}
    env["TONGPIN_HOME"] = str(HOMES[server])
    subprocess.run(
        [sys.executable, "-m", "tongpin", "worker", "--tasks-only", "--batch"], env=env, check=True, timeout=180
    )
    page.wait_for_selector("text=下载 PDF", timeout=15000)  # the page polls and swaps itself in
    body = page.inner_text("#report-status")
    assert "发布概况" in body and "合作事项完成情况" in body and "清远高新区" in body
    with page.expect_download() as download:
        page.click("text=下载 PDF")
    assert download.value.suggested_filename.endswith(".pdf")
    screenshot(page, "report.png")

    liaison = browser.new_page()
    login(liaison, server, "liaison_zone")
    liaison.goto(f"{server}/reports/")
    assert "清远高新区" in liaison.inner_text("main")
    other = browser.new_page()
    login(other, server, "liaison_em")
    other.goto(f"{server}/reports/")
    assert "清远高新区" not in other.inner_text("main")


def test_live_session_planned_checked_signed_off_and_started(server, browser):
    import datetime as dt

    page = browser.new_page()
    login(page, server, "desk")
    page.goto(f"{server}/live/sessions/new/")
    page.fill("#id_title", "浏览器测试·红茶上午场")
    page.select_option("#id_partner", label="红旗茶业")
    page.select_option("#id_platform", "douyin")
    page.fill("#id_account", "@清远台林悦")
    start = (dt.datetime.now() + dt.timedelta(days=3)).replace(hour=10, minute=0)
    page.fill("#id_starts_at", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_ends_at", (start + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_script", "全国第一的红茶，今天最低价！")
    page.check("#id_hosts input[type=checkbox] >> nth=0")  # 何小满 or 林悦: whoever is first, both are free then
    page.check("text=英德红茶（英红九号）礼盒")
    page.click("button:has-text('保存')")
    page.wait_for_selector("h1:has-text('浏览器测试·红茶上午场')")
    assert page.is_disabled("button:has-text('审核通过并签字')")
    assert "第一" in page.inner_text("#compliance")

    page.click("text=修改")
    page.fill("#id_script", "欢迎来到直播间，今天为大家介绍英德红茶。")
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=未发现禁用的广告用语")
    page.click("button:has-text('审核通过并签字')")
    page.wait_for_selector("text=合规审核已签字")
    # three days early: the page says so, and going live needs a confirmation
    assert "提前 30 分钟以上开播须确认" in page.inner_text("#early-warning")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('提前开播')")
    page.wait_for_selector("h1 .badge:has-text('直播中')")
    screenshot(page, "live.png")
