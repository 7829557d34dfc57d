"""The Content-Security-Policy in real Chromium (issue 20, item 4): an editor's main pages load without a single
violation, and the behaviours that used to be inline handlers (confirm, auto-submit, select-all) still work."""

import os

import pytest

from .browser_support import CHROMIUM, login  # fixtures `server` and `browser` come from there too

pytestmark = pytest.mark.browser

if not os.path.exists(CHROMIUM) and not os.environ.get("TONGPIN_REQUIRE_BROWSER"):
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)

EDITOR_PAGES = [
    "/", "/stories/", "/stories/new/", "/planning/", "/planning/week/", "/planning/mine/", "/planning/topics/",
    "/planning/campaigns/", "/planning/keydates/", "/partners/", "/requests/", "/analytics/", "/analytics/rankings/",
    "/analytics/accounts/", "/reports/", "/live/", "/live/products/", "/channels/", "/deliveries/", "/review/",
    "/notifications/",
]  # fmt: skip

# Reported by the page itself, in case a violation ever stops being logged to the console.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


def _watched(browser):
    page = browser.new_page()
    violations: list[str] = []
    page.add_init_script(REPORT_VIOLATIONS)
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text
            or "CSP violation" in m.text else None)  # fmt: skip
    return page, violations


def test_an_editors_main_pages_load_without_a_csp_violation(server, browser):
    page, violations = _watched(browser)
    page.goto(f"{server}/admin/login/")
    login(page, server, "editor")
    visited = []
    for path in EDITOR_PAGES:
        answer = page.goto(f"{server}{path}")
        assert "script-src 'self';" in answer.headers.get("content-security-policy", "") + ";", path
        visited.append((path, answer.status))
        page.wait_for_load_state("networkidle")
    # a story and a partner, through the links a person would follow
    page.goto(f"{server}/stories/")
    page.locator("a.result-title").first.click()
    page.wait_for_load_state("networkidle")
    page.goto(f"{server}/partners/")
    page.locator("a.result-title").first.click()
    page.wait_for_load_state("networkidle")
    page.goto(f"{server}/stories/?q=应急")  # the search page swaps results in with htmx
    page.wait_for_load_state("networkidle")
    assert all(status == 200 for _path, status in visited), visited
    assert violations == []


def test_confirm_auto_submit_and_select_all_still_work(server, browser):
    page, violations = _watched(browser)
    login(page, server, "desk")

    # auto-submit: choosing a state filters the delivery log at once
    page.goto(f"{server}/deliveries/")
    page.select_option("#state", "failed")
    page.wait_for_url("**state=failed**")

    # select-all: a click selects the whole subscription address
    page.goto(f"{server}/planning/")
    field = page.locator("input[data-select-all]").first
    field.click()
    assert page.evaluate("() => { const f = document.querySelector('input[data-select-all]');"
                         " return f.selectionStart === 0 && f.selectionEnd === f.value.length && f.value.length > 0 }")

    # confirm: cancelling keeps the agreement, accepting deletes it
    page.goto(f"{server}/partners/")
    partner_links = [a.get_attribute("href") for a in page.locator("a.result-title").all()]
    asked: list[str] = []
    target = None
    for href in partner_links:
        page.goto(f"{server}{href}")
        if page.locator("form[data-confirm] button").count():
            target = href
            break
    assert target, "no partner with an agreement to delete in the demo data"
    forms = page.locator("form[data-confirm]")
    before = forms.count()
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    forms.first.locator("button").click()
    page.evaluate("() => fetch('/healthz').then(r => r.status)")  # a round trip after the (cancelled) submit
    assert asked and "确定删除" in asked[0] and posted == []
    page.goto(f"{server}{target}")
    assert page.locator("form[data-confirm]").count() == before
    action = forms.first.get_attribute("action")
    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        forms.first.locator("button").click()
    assert [url for url in posted if url.endswith(action)]  # accepted: the deletion was asked for

    # the language switch in the footer submits itself
    page.select_option("footer select[name=language]", "en")
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    page.select_option("footer select[name=language]", "zh-hans")
    page.wait_for_function("() => document.documentElement.lang === 'zh-hans'")
    assert violations == []
