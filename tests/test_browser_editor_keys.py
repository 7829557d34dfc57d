"""The story form from the keyboard in real headless Chromium: Tab from 摘要 into the body, Enter in the title."""

import os

import pytest

from .browser_support import CHROMIUM, login  # fixtures `server` and `browser` come from there too

pytestmark = pytest.mark.browser

if not os.path.exists(CHROMIUM) and not os.environ.get("TONGPIN_REQUIRE_BROWSER"):
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)


def test_tab_from_the_summary_reaches_the_body_and_enter_in_the_title_does_not_save(server, browser):
    page = browser.new_page()
    login(page, server, "reporter")
    page.goto(f"{server}/stories/new/")
    page.click("#id_title")
    page.keyboard.type("只有标题")
    page.keyboard.press("Enter")  # on to the body, no draft saved
    assert page.evaluate("document.activeElement.classList.contains('editable')")
    assert page.url.endswith("/stories/new/")
    page.keyboard.type("标题后回车，接着写正文。")
    page.click("#id_summary")
    page.keyboard.press("Tab")  # past the toolbar, straight into the body
    assert page.evaluate("document.activeElement.classList.contains('editable')")
    page.keyboard.press("Alt+F10")  # the toolbar is still there for the keyboard
    assert page.evaluate("document.activeElement.dataset.cmd") == "bold"
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.dataset.cmd") == "italic"
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.classList.contains('editable')")
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=稿件已保存")
    assert "标题后回车，接着写正文。" in page.inner_text("article.body")
