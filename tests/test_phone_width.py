"""On a 390 px phone, every page a role reaches from its dashboard fits the screen: the page never scrolls sideways
and no table squeezes its columns to a character per line (a wide table scrolls inside its own box instead).

Headless Chromium against `tongpin serve --demo`, plus two warnings for the duty console. The pages come from a
crawl in the browser (same-site links, one address per pattern: `/stories/N/` once, not thirteen times); a pattern
measured for one role is not measured again for the next, which keeps the run near a minute.
"""

import collections
import json
import os
import re
import subprocess
import sys
import urllib.request
from urllib.parse import urlsplit

import pytest

from .browser_support import CHROMIUM, HOMES, login  # fixtures `server` and `browser` come from there too
from .test_alerts_cap import cap
from .test_crawl import NEVER, OPAQUE, pattern

pytestmark = pytest.mark.browser

if not os.path.exists(CHROMIUM) and not os.environ.get("TONGPIN_REQUIRE_BROWSER"):
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)

PHONE = {"width": 390, "height": 844}
ROLES = ["admin", "duty", "editor", "reporter", "liaison_em"]
MAX_PAGES = 200  # per role
DOWNLOADS = re.compile(
    r"\.(csv|xlsx|pdf|xml|ics|json|atom)(\?|$)|[?&](export|template)=|/(scan|rest|pdf)$|/assets/|/audio/"
)
# Cells whose text runs down the cell, fewer than two characters a line over three lines or more.
SQUEEZED = """() => {
  const found = [];
  for (const cell of document.querySelectorAll('td, th')) {
    if (!cell.offsetParent) continue;
    const text = cell.innerText.replace(/\\s+/g, '');
    if (text.length < 3) continue;
    const range = document.createRange();
    range.selectNodeContents(cell);
    const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top))).size;
    if (lines >= 3 && text.length / lines < 2) found.push(text.slice(0, 12));
  }
  return found;
}"""
MEASURED: set[str] = set()  # patterns already measured by an earlier role
# The blue warning's protective guidance: two lines, the second with an address with no natural place to break.
GUIDANCE = "远离河道，暂停户外作业。\n详情：https://jxqx.example/a?id=JX2026002guidancefulltextforthepublicandpress"


@pytest.fixture(scope="module")
def warnings(server):
    """Two warnings from the demo weather office through the API, so the duty console has rows: orange-immediate
    (released at once by the demo policy) and blue with protective guidance (a card waiting for the duty officer)."""
    env = {k: v for k, v in os.environ.items() if k != "TONGPIN_DATABASE_URL"}
    env["TONGPIN_HOME"] = str(HOMES[server])
    made = subprocess.run([sys.executable, "-m", "tongpin", "token", "create", "jxqx"],
                          env=env, capture_output=True, text=True, check=True)  # fmt: skip
    token = made.stdout.strip().splitlines()[-1]
    blue = cap().replace(b"JX-2026-001", b"JX-2026-002").replace("橙色".encode(), "蓝色".encode())
    blue = blue.replace(b"Immediate", b"Expected").replace(b"Severe", b"Minor")
    blue = blue.replace(b"</description>", f"</description><instruction>{GUIDANCE}</instruction>".encode())
    for document in (cap(), blue):
        request = urllib.request.Request(  # noqa: S310  (loopback)
            f"{server}/api/v1/alerts/cap",
            data=document,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  (loopback)
            assert response.status in (200, 201), json.loads(response.read())


def _followable(server: str, href: str) -> str | None:
    target = urlsplit(href)
    if f"{target.scheme}://{target.netloc}" != server or target.path.startswith(NEVER + OPAQUE):
        return None
    address = target.path + ("?" + target.query if target.query else "")
    return None if DOWNLOADS.search(address) else address


@pytest.mark.parametrize("username", ROLES)
def test_pages_fit_a_phone(server, browser, warnings, username):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    login(page, server, username)
    waiting, queued = collections.deque(["/"]), {pattern("/")}
    problems, measured = [], 0
    while waiting and measured < MAX_PAGES:
        address = waiting.popleft()
        try:
            response = page.goto(server + address)
        except Exception as error:  # a link that turned out to be a download
            if "Download is starting" in str(error):
                continue
            raise
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        if pattern(address) not in MEASURED:
            MEASURED.add(pattern(address))
            measured += 1
            wide, screen = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if wide > screen:
                problems.append(f"{address}: the page is {wide} px wide on a {screen} px screen")
            if squeezed := page.evaluate(SQUEEZED):
                problems.append(f"{address}: table cells squeezed to a character a line: {squeezed[:4]}")
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            link = _followable(server, href)
            if link is not None and pattern(link) not in queued:
                queued.add(pattern(link))
                waiting.append(link)
    context.close()
    assert len(queued) > 5, "the crawl went nowhere"
    assert not problems, f"{username} on a 390 px phone:\n" + "\n".join(problems)


def test_the_squeeze_check_sees_a_squeezed_table(browser):
    page = browser.new_page(viewport=PHONE)
    cells = "".join(f"<td>江西应急管理第{n}号</td>" for n in range(12))
    page.set_content(f"<table style='width:100%'><tr>{cells}</tr></table>")
    assert page.evaluate(SQUEEZED)
    page.set_content(f"<div style='overflow-x:auto'><table style='width:max-content'><tr>{cells}</tr></table></div>")
    assert not page.evaluate(SQUEEZED)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.close()


# Each row's cell of a column (状态), and whether it is on the screen without scrolling: inside the window and
# inside every box that scrolls or clips around it. (A wide table scrolled its last column, the state, out of sight.)
STATE_CELLS = """(column) => {
  const found = [];
  for (const table of document.querySelectorAll('table')) {
    const at = [...table.querySelectorAll('thead th')].findIndex(th => th.textContent.trim() === column);
    if (at < 0) continue;
    for (const row of table.querySelectorAll('tbody tr')) {
      const cell = row.children[at];
      if (!cell) continue;  // a row spanning the table (nothing yet)
      let left = 0, right = window.innerWidth;
      for (let box = cell.parentElement; box; box = box.parentElement) {
        if (getComputedStyle(box).overflowX === 'visible') continue;
        const edge = box.getBoundingClientRect();
        left = Math.max(left, edge.left); right = Math.min(right, edge.right);
      }
      const r = cell.getBoundingClientRect();
      found.push([cell.innerText.trim(), r.width > 0 && r.left >= left - 1 && r.right <= right + 1]);
    }
  }
  return found;
}"""


@pytest.mark.parametrize(
    ("username", "address", "column"),
    [("duty", "/deliveries/", "状态"), ("admin", "/channels/", "状态"), ("admin", "channel", "状态"),
     ("secadmin", "/accounts/roles/", "状态"), ("admin", "/partners/jx-yjgl/", "状态"),
     ("admin", "/live/products/", "资质文件")],  # a product's licences decide whether it may be sold live
)  # fmt: skip
def test_a_tables_state_column_is_on_a_phones_screen(server, browser, username, address, column):
    """The duty officer's first question of a delivery, channel, account or commitment is its state: on a phone
    every row's 状态 is on the screen, not beyond a sideways scroll (the row stacks under its column names)."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    login(page, server, username)
    if address == "channel":  # a channel's page, with its recent deliveries
        page.goto(f"{server}/channels/")
        address = page.eval_on_selector_all(
            "a[href]", "links => links.map(a => a.getAttribute('href')).find(h => /^\\/channels\\/\\d+\\/$/.test(h))"
        )
    page.goto(server + address)
    cells = page.evaluate(STATE_CELLS, column)
    assert cells, f"{address}: no table with a {column} column"
    assert all(shown for _text, shown in cells), f"{address}: {cells}"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()


def test_an_alerts_deliveries_show_every_column_on_a_phone(server, browser, warnings):
    """The duty officer on a phone sees sent / received / reached for every channel without scrolling sideways:
    the delivery table stacks each row, each cell under its column's name."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    login(page, server, "duty")
    page.goto(f"{server}/alerts/")
    detail = page.eval_on_selector_all(  # the released warning's row (the blue one waits, with nothing sent)
        "tr:has(.al-released) a[href]",
        "links => links.map(a => a.getAttribute('href')).filter(h => /^\\/alerts\\/\\d+\\/$/.test(h))",
    )
    assert detail, "no released warning on the console"
    page.goto(server + detail[0])
    cells = page.eval_on_selector_all(
        "#deliveries table td[data-label]",
        "cells => cells.map(c => [c.dataset.label, c.getBoundingClientRect().right,"
        " getComputedStyle(c, '::before').content])",
    )
    screen = page.evaluate("window.innerWidth")
    labels = {label for label, _right, _before in cells}
    assert {"发出", "对方接收", "到达"} <= labels
    assert all(right <= screen for _label, right, _before in cells), cells
    assert all(label in before for label, _right, before in cells)  # the column's name shown before the value
    context.close()


def test_the_console_card_shows_the_protective_guidance_within_a_phone(server, browser, warnings):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    login(page, server, "duty")
    page.goto(f"{server}/alerts/")
    guidance = page.locator(".alerts-decide .alerts-instruction")
    assert guidance.count() == 1 and guidance.is_visible()
    text, right, inner, box = guidance.evaluate(
        "p => [p.innerText, p.getBoundingClientRect().right, p.scrollWidth, p.clientWidth]"
    )
    assert text.startswith("防御指南：远离河道") and "\n详情：" in text  # the line break kept
    screen, wide = page.evaluate("[window.innerWidth, document.documentElement.scrollWidth]")
    assert right <= screen and wide <= screen and inner <= box  # the long address wraps inside the card
    context.close()
