"""Layout checks in headless Chromium at desktop and phone width: the login button keeps clear of the password
field, and the review page's priority select and 送审 button stay on one line."""

import pytest

from .browser_support import login  # fixtures `server` and `browser` come from there too

pytestmark = pytest.mark.browser

WIDTHS = [(1280, 800), (390, 844)]


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_the_login_button_keeps_clear_of_the_password_field(server, browser, width, height):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(f"{server}/login/")
    field = page.locator("#id_password").bounding_box()
    button = page.locator("button[type=submit]").bounding_box()
    assert button["y"] - (field["y"] + field["height"]) >= 12, (field, button)
    page.close()


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_the_submit_button_stays_beside_its_priority(server, browser, width, height):
    page = browser.new_page(viewport={"width": width, "height": height})
    login(page, server, "reporter")
    page.goto(f"{server}/stories/new/")
    page.fill("#id_title", f"版式检查稿件 {width}")
    page.locator(".editable").click()
    page.keyboard.type("正文一段。")
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=稿件已保存")
    story_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    page.goto(f"{server}/review/stories/{story_id}/")
    select = page.locator("select[name=priority]").bounding_box()
    button = page.locator("button:has-text('送审')").bounding_box()
    assert button["x"] >= select["x"] + select["width"], (select, button)  # beside, not under
    assert abs((button["y"] + button["height"] / 2) - (select["y"] + select["height"] / 2)) < 4
    assert button["x"] + button["width"] <= width  # and still on the screen
    page.close()
