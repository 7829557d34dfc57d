"""The duty officer's journeys through the warning pages, in real headless Chromium against `tongpin serve --demo`."""

import os
import shutil

import pytest

from .browser_support import (  # the `server` and `browser` fixtures come from there too
    CHROMIUM,
    fill_alert,
    login,
    screenshot,
    submit_alert,
)

pytestmark = pytest.mark.browser

if not os.path.exists(CHROMIUM) and not os.environ.get("TONGPIN_REQUIRE_BROWSER"):
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)

NOTE = "已与省气象台电话核实，同意发布"
# Loads the element's media and answers its duration (NaN-free), or the media error code.
DURATION = """audio => new Promise((done, failed) => {
  audio.addEventListener('loadedmetadata', () => done(audio.duration), {once: true});
  const fail = () => failed(new Error('media error ' + (audio.error && audio.error.code)));
  audio.addEventListener('error', fail, {once: true});
  audio.load();
})"""
# Resolves after the console's next htmx refresh has been swapped in.
NEXT_REFRESH = """() => new Promise(done => document.body.addEventListener('htmx:afterSettle', event => {
  if (event.detail.target.id === 'console') done(true);
}))"""
ONE_LINE = "badge => badge.getBoundingClientRect().height < 1.5 * parseFloat(getComputedStyle(badge).lineHeight)"


def compose_pending_alert(page, server: str) -> int:
    """Orange and 'expected' goes to the duty officer in the demo's policy; radio carries orange."""
    fill_alert(page, server, "orange", "暴雨", "赣江南昌段水位将超警戒",
               "预计未来6小时南昌市降雨量将达50mm以上，赣江南昌段水位将超过警戒水位。")  # fmt: skip
    page.select_option("#urgency", "Expected")
    submit_alert(page)
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def assert_playable(page, audio) -> None:
    """What the player points at is a WAV the browser can load and that lasts."""
    src = audio.evaluate("a => a.currentSrc || a.src")
    fetched = page.request.get(src)
    assert fetched.status == 200 and fetched.headers["content-type"].startswith("audio/")
    assert fetched.body()[:4] == b"RIFF"
    assert audio.evaluate(DURATION) > 1


@pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng is not installed: no spoken warnings")
def test_duty_officer_listens_then_confirms_with_a_note_from_the_console(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, server, "duty")
    alert_id = compose_pending_alert(page, server)

    page.goto(f"{server}/alerts/")
    card = page.locator(f"#decide-{alert_id}")
    audio = card.locator("audio")
    assert "/preview.wav" in audio.get_attribute("src")  # not released yet: a preview of the radio audio
    assert_playable(page, audio)
    audio.evaluate("a => a.play()")
    page.wait_for_function("a => a.currentTime > 0", arg=audio.element_handle())

    card.locator("textarea[name=note]").click()
    page.keyboard.insert_text(NOTE)
    # The console refreshes every 2 seconds; the note being typed and the audio playing survive it.
    page.evaluate(NEXT_REFRESH)
    assert card.locator("textarea[name=note]").input_value() == NOTE
    assert audio.evaluate("a => !a.paused && a.currentTime > 0")

    card.locator("button:has-text('确认发布')").click()
    page.wait_for_selector("text=已确认发布。")
    assert page.url.rstrip("/").endswith("/alerts")  # still on the console
    assert page.locator(f"#decide-{alert_id}").count() == 0
    row = page.locator("table.alerts tbody tr", has=page.locator(f"a[href='/alerts/{alert_id}/']"))
    badge = row.locator(".alerts-state .badge")
    assert badge.inner_text() == "已发布"
    assert badge.evaluate(ONE_LINE)

    page.goto(f"{server}/alerts/{alert_id}/")
    history = page.locator("#history").inner_text()
    assert "确认发布预警" in history and NOTE in history and "周航" in history
    assert page.locator(".meta .badge").evaluate(ONE_LINE)
    on_air = page.locator(".alerts-audio audio")
    assert on_air.get_attribute("src").endswith(f"/alerts/{alert_id}/audio.wav")  # what went to radio
    assert_playable(page, on_air)

    page.set_viewport_size({"width": 390, "height": 844})
    for path in (f"/alerts/{alert_id}/", "/alerts/"):
        page.goto(f"{server}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        badges = page.locator(".badge").all()
        assert badges and all(each.evaluate(ONE_LINE) for each in badges), path
    screenshot(page, "alert-console-phone.png")


def test_pending_alert_on_a_phone_decides_without_sideways_scrolling(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    login(page, server, "duty")
    alert_id = compose_pending_alert(page, server)
    for path in ("/alerts/", f"/alerts/{alert_id}/", "/alerts/new/"):
        page.goto(f"{server}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        for badge in page.locator(".badge.al-pending").all():
            assert badge.evaluate(ONE_LINE), path
    page.goto(f"{server}/alerts/{alert_id}/")
    page.fill(f"#note-{alert_id}", "与省台核对，属误报")
    page.click("#decide button:has-text('不发布')")
    page.wait_for_selector("text=已驳回，不发布。")
    assert "与省台核对，属误报" in page.locator("#history").inner_text()


def test_duty_officer_cancels_a_warning_from_its_page_without_retyping_it(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, server, "duty")
    fill_alert(page, server, "orange", "暴雨", "江西省气象台发布暴雨橙色预警",
               "预计未来6小时南昌、九江降雨量将达50毫米以上。")  # fmt: skip
    page.fill("#area_desc", "南昌市、九江市")
    page.fill("#area_codes", "360100, 360400")
    page.fill("#sender_name", "江西省气象台")
    asked = submit_alert(page)  # orange and immediate: released at once by the demo's policy, so it asks first
    assert "公开渠道发布正式预警" in asked and "级别：橙色" in asked and "事件：暴雨" in asked
    original = page.url
    assert "已发布" in page.locator(".meta .badge").inner_text()
    screenshot(page, "alert-follow-buttons.png")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "alert-follow-buttons-phone.png")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.click("#compose-cancel")
    page.wait_for_url(lambda address: "original=" in address)
    assert page.input_value("#msg_type") == "Cancel" and page.input_value("#sender_name") == "江西省气象台"
    assert page.input_value("#area_codes") == "360100, 360400" and page.input_value("#area_desc") == "南昌市、九江市"
    assert page.input_value("#event") == "暴雨" and page.input_value("#level") == "orange"
    assert page.input_value("#headline") == "解除：江西省气象台发布暴雨橙色预警"
    screenshot(page, "alert-cancel-composer.png")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "alert-cancel-composer-phone.png")

    assert "类型：解除" in submit_alert(page)
    assert "江西省气象台" in page.locator(".meta").inner_text() and "解除" in page.locator(".meta").inner_text()
    page.goto(original)
    assert "已解除" in page.locator(".meta .badge").inner_text()
    assert page.locator("#compose-cancel").count() == 0  # nothing left to cancel
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_enter_in_the_composer_asks_before_an_actual_warning_and_never_fills_from_the_original(server, browser):
    """A station trial: Enter in 事件 or 标题 pressed 从原预警填入 (请先选择原预警。), and 提交 sent at once."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    login(page, server, "duty")
    page.goto(f"{server}/alerts/new/")
    assert page.input_value("#level") == "" and page.input_value("#status") == ""  # nothing chosen for the officer
    posted: list[str] = []
    page.on("request", lambda request: posted.append(request.url) if request.method == "POST" else None)
    asked: list[str] = []
    answer = {"yes": False}

    def reply(dialog) -> None:
        asked.append(dialog.message)
        dialog.accept() if answer["yes"] else dialog.dismiss()

    page.on("dialog", reply)
    page.click("#event")
    page.keyboard.type("暴雨")
    page.keyboard.press("Enter")  # the form is not complete: the browser says what is missing, nothing is asked
    page.evaluate("() => fetch('/healthz').then(r => r.status)")  # a round trip after whatever Enter did
    assert posted == [] and asked == [] and page.locator("text=请先选择原预警").count() == 0

    page.select_option("#level", "orange")
    page.select_option("#status", "Actual")
    page.click("#headline")
    page.keyboard.type("江西省气象台发布暴雨橙色预警")
    page.fill("#description", "预计未来6小时南昌降雨量将达50毫米以上。")
    page.fill("#area_codes", "360100")
    page.keyboard.press("Enter")  # in 区划代码, a one-line field: the normal 提交, which asks first
    page.evaluate("() => fetch('/healthz').then(r => r.status)")
    assert len(asked) == 1 and posted == []  # said no: nothing sent
    assert "公开渠道发布正式预警" in asked[0] and "级别：橙色" in asked[0] and "事件：暴雨" in asked[0]
    assert page.locator("text=请先选择原预警").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "alert-composer-phone.png")

    answer["yes"] = True
    page.click("#headline")
    page.keyboard.press("Enter")  # asked again; yes: it goes, as 提交 would
    page.wait_for_url(lambda address: "/alerts/new/" not in address)
    assert len(asked) == 2 and len(posted) == 1
    assert "已发布" in page.locator(".meta .badge").inner_text()  # orange and immediate: the demo policy releases
    area = page.locator("#alert-areas span").first
    assert area.inner_text() == "江西省 南昌市" and area.get_attribute("title") == "360100"
