"""Two-step sign-in in headless Chromium, at phone width: set it up on 我的账户 (QR code loads under the CSP), keep
the recovery codes, sign in again with one of them. The demo server requires it of no role (docs/security.md)."""

from base64 import b32decode

import pytest
from django_otp.oath import TOTP

from .browser_support import login  # fixtures `server` and `browser` come from there too

pytestmark = pytest.mark.browser


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_set_up_on_my_account_then_sign_in_with_a_recovery_code(server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    login(page, server, "anchor")
    page.click("label.nav-toggle-label")  # the phone menu
    page.click("a.who")  # 我的账户
    page.wait_for_url(f"{server}/account/")
    page.click("text=启用两步验证")
    page.wait_for_url(f"{server}/account/two-factor/")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.querySelector('.qr img').naturalWidth") > 0  # the QR code loaded
    assert fits(page)
    secret = page.locator(".secret code").inner_text().replace(" ", "")
    page.fill("#id_code", f"{TOTP(b32decode(secret)).token():06d}")
    page.click("button:has-text('完成设置')")
    page.wait_for_selector(".codes")
    codes = page.locator(".codes code").all_inner_texts()
    assert len(codes) == 10 and fits(page)
    page.click("text=我已保存，继续")
    page.wait_for_url(f"{server}/account/")
    assert "剩余恢复码 10 个" in page.content()

    context.clear_cookies()  # signed out
    page.goto(f"{server}/login/")
    page.fill("#id_username", "anchor")
    page.fill("#id_password", "tongpin-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/login/verify/")
    assert fits(page)
    page.fill("#id_code", codes[0])
    page.click("button:has-text('验证')")
    page.wait_for_url(f"{server}/")
    assert "还剩 9 个" in page.content()
    assert violations == []
    context.close()
