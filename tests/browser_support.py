"""Shared pieces of the browser tests: a demo server (`tongpin serve --demo`, gunicorn, SQLite), headless
Chromium, signing in and out. Test modules import the fixtures they use."""

import os
import subprocess
import sys
import time
import urllib.request

import pytest

from .conftest import free_port

CHROMIUM = os.environ.get("TONGPIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

HOMES: dict = {}  # server url -> its TONGPIN_HOME, for running a worker against it


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("tongpin-home")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "TONGPIN_DATABASE_URL"}
    env["TONGPIN_HOME"] = str(home)
    log = open(home / "serve.log", "w")  # noqa: SIM115  (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "tongpin", "serve", "--demo", "--port", str(port), "--workers", "1", "--no-worker"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    HOMES[url] = home
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310  (loopback)
                if response.status == 200:
                    break
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.3)
    else:
        process.kill()
    if process.poll() is not None:
        log.close()
        pytest.fail("tongpin serve did not start:\n" + (home / "serve.log").read_text()[-3000:])
    yield url
    process.terminate()
    process.wait(timeout=20)
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def login(page, url: str, username: str) -> None:
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "tongpin-demo")
    page.click("button[type=submit]")
    page.wait_for_url(lambda address: "/login/" not in address)  # staff land on the dashboard, liaisons on the portal


def logout(page, url: str) -> None:
    page.goto(f"{url}/")
    page.click("nav form button")  # 退出
    page.wait_for_url(f"{url}/login/")


def screenshot(page, name: str) -> None:
    """A picture of the whole page in the folder TONGPIN_SCREENSHOTS names (none when it is not set)."""
    folder = os.environ.get("TONGPIN_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, name), full_page=True)


def fill_alert(page, server: str, level: str, event: str, headline: str, description: str) -> None:
    """The compose page (/alerts/new/) filled in for Nanchang (360100) as an actual warning, not yet sent."""
    page.goto(f"{server}/alerts/new/")
    page.select_option("#level", level)
    page.select_option("#status", "Actual")  # chosen, like the level: the composer chooses neither for the officer
    page.fill("#event", event)
    page.fill("#headline", headline)
    page.fill("#description", description)
    page.fill("#area_codes", "360100")


def submit_alert(page) -> str:
    """Press the composer's 提交 and say yes to its question; answers the question asked."""
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.click("#composer-submit")
    page.wait_for_url(lambda address: "/alerts/new/" not in address)
    assert asked, "提交 sent without asking"
    return asked[0]
