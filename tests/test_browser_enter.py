"""Typing a reason and pressing Enter, as people do, in a real browser: the keystroke must never pick a decision.
(The station trial: a desk chief typed why a topic was rejected, pressed Enter, and the topic was approved.)"""

import os

import pytest

from .browser_support import CHROMIUM, login  # fixtures `server` and `browser` come from there too

pytestmark = pytest.mark.browser

if not os.environ.get("TONGPIN_REQUIRE_BROWSER") and not os.path.exists(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)

PROPOSED = "无人机火情监测新技术"  # a topic the demo leaves 待审批


def test_enter_in_the_topic_note_is_a_new_line_not_an_approval(server, browser):
    page = browser.new_page()
    login(page, server, "desk")
    page.goto(f"{server}/planning/topics/")
    page.get_by_role("link", name=PROPOSED).first.click()
    topic_page = page.url
    note = page.locator("#topic-state [name=note]")
    note.click()
    page.keyboard.type("角度不新，暂不安排")
    page.keyboard.press("Enter")
    page.keyboard.type("下月再议")
    page.wait_for_timeout(500)  # had Enter submitted, the page would be loading by now
    assert page.url == topic_page
    assert note.input_value() == "角度不新，暂不安排\n下月再议"
    page.goto(topic_page)
    assert page.locator("h1 .badge").inner_text() == "待审批"
    assert page.locator(".summary").count() == 0  # no 审批意见 saved
    page.close()
