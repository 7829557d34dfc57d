"""Newsroom journeys in real headless Chromium against `tongpin serve --demo`, typed as people type: Enter between
paragraphs, pasting, uploading a picture, three reviewers, the partner's journal as a PDF, the liaison's portal,
a partner report with the form's defaults. Each step checks what the person sees on the page."""

import io
import os
import re
import subprocess
import sys
from urllib.parse import urljoin, urlsplit

import pytest
from django.utils import timezone

from .browser_support import (  # fixtures `server` and `browser` come from there too
    CHROMIUM,
    HOMES,
    login,
    logout,
    screenshot,
)

pytestmark = pytest.mark.browser

if not os.environ.get("TONGPIN_REQUIRE_BROWSER") and not os.path.exists(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)

TITLE = "山洪灾害防御演练进村入户"
TYPED = [
    "汛期来临前，乡镇组织山区群众开展山洪灾害防御演练。",
    "演练模拟强降雨引发山洪，村干部敲锣示警，群众沿转移路线撤离到安置点。",
    "应急管理部门现场讲解了预警信号的含义和避险要点。",
]
PASTED = ["各村还检查了预警广播和转移路线标识。", "下一步将在全县推广演练经验。"]
OTHER_PARTNER = ("清远高新区", "高新区管委会")  # liaison_em must never see the other partner's things


def run_worker(server: str, *options: str) -> None:
    """The demo server runs without a worker: run one over the same home until its queues are empty."""
    env = {k: v for k, v in os.environ.items() if k != "TONGPIN_DATABASE_URL"}
    env["TONGPIN_HOME"] = str(HOMES[server])
    command = [sys.executable, "-m", "tongpin", "worker", "--batch", *options]
    subprocess.run(command, env=env, check=True, timeout=180, capture_output=True)


def picture(path) -> str:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 320), (30, 90, 160))
    ImageDraw.Draw(image).rectangle((60, 60, 420, 260), fill=(240, 200, 40))
    image.save(path, "PNG")
    return str(path)


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_a_story_typed_and_pasted_goes_through_review_into_the_partner_journal_pdf(server, browser, tmp_path):
    from pypdf import PdfReader

    page = browser.new_page()
    page.set_default_timeout(15000)
    login(page, server, "reporter")
    page.click("text=新建稿件")
    page.fill("#id_title", TITLE)
    page.locator(".editable").click()
    for i, paragraph in enumerate(TYPED):
        if i:
            page.keyboard.press("Enter")
        page.keyboard.type(paragraph)
    page.keyboard.press("Enter")
    page.keyboard.insert_text(f"{PASTED[0]}\n\n{PASTED[1]}\n")  # what pasting plain text does in Chromium
    # The editor itself makes paragraphs (Chromium alone makes a bare first line and <div>s).
    assert page.locator(".editable > div").count() == 0
    assert [compact(t) for t in page.locator(".editable > p").all_inner_texts() if t.strip()] == TYPED + PASTED
    page.select_option("#id_partner", label="省应急管理厅")
    page.check("input[name=channel_intentions][value=print]")
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=稿件已保存")
    assert page.locator("article.body p").all_inner_texts() == TYPED + PASTED
    assert "拟发渠道：合作方刊物" in page.inner_text("main") and "· 拟发渠道" not in page.inner_text("main")
    story_url = page.url
    screenshot(page, "story.png")

    page.set_input_files("input[name=file]", picture(tmp_path / "yanlian.png"))
    page.fill("input[name=caption]", "群众沿转移路线撤离")
    page.click("form.upload button:has-text('上传')")
    page.wait_for_selector("ul.assets img")
    assets = page.inner_text("ul.assets")
    assert "yanlian.png" in assets and "群众沿转移路线撤离" in assets and "480×320" in assets

    page.click("text=审核与校对")
    page.click("button:has-text('送审')")
    page.wait_for_selector("text=已送审")
    logout(page, server)

    for username, step in (("editor", "初审"), ("desk", "复审"), ("chief", "终审")):
        login(page, server, username)
        page.click("text=我的审核")
        page.click(f"text={TITLE}")
        assert TYPED[1] in page.inner_text("main")  # the reviewer reads the story on the review page
        assert "群众沿转移路线撤离" in page.inner_text("#assets")  # and sees the picture going out with it
        page.fill("#id_comment", f"{step}：同意")
        page.click(f"button:has-text('{step}通过')")
        page.wait_for_selector("text=已通过本步审核")
        logout(page, server)

    # The desk chief publishes it to the partner's journal only, then lays out an issue holding it.
    login(page, server, "desk")
    page.goto(story_url)
    assert "已通过" in page.inner_text(".meta .badge")
    page.click("a.button.primary:text-is('发布')")
    page.wait_for_selector("text=发布到渠道")
    for box in page.locator("input[name=channels]").all():
        box.uncheck()
    page.check("label:has-text('《应急管理通讯》') input[name=channels]")
    page.click("button[name=send]")
    page.wait_for_selector("text=已提交发布")
    run_worker(server)  # delivers to the journal's pool (and makes the thumbnails, the search index)

    page.goto(f"{server}/channels/")
    page.click("text=《应急管理通讯》")
    page.click("a:text-is('刊物组版')")
    page.wait_for_selector("h1:has-text('刊物组版')")
    page.fill("#number", "2026年第12期")
    assert page.input_value("#issue_date") == timezone.localdate().isoformat()  # starts as today: leave it
    page.check(f"label:has-text('{TITLE}') input[name=renditions]")
    page.click("button:has-text('组版并生成 PDF')")
    page.wait_for_selector("text=期刊已组版")
    assert TITLE in page.inner_text("main ol")
    with page.expect_download() as download:
        page.click("text=下载印刷 PDF")
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    text = compact("".join(p.extract_text() for p in reader.pages))
    assert TITLE in text
    for paragraph in TYPED + PASTED:
        assert compact(paragraph) in text
    pictures = [
        name
        for p in reader.pages
        for name, xobject in (p["/Resources"].get_object().get("/XObject") or {}).items()
        if xobject.get_object().get("/Subtype") == "/Image"
    ]
    assert pictures, "the story's picture is not in the journal PDF"
    screenshot(page, "journal.png")
    if os.environ.get("TONGPIN_SCREENSHOTS"):
        download.value.save_as(os.path.join(os.environ["TONGPIN_SCREENSHOTS"], "journal.pdf"))


WORD_HTML = (  # what Word puts on the clipboard, shortened; WPS and web pages look alike
    '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><style>p.MsoNormal{margin:0}</style></head>'
    '<body><!--StartFragment--><p class=MsoNormal style="text-indent:2em"><span style="font-weight:bold">'
    "会议要求</span>，各地要压实防汛责任。<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p>"
    '<div class="article">要加强值班值守。<img src="file:///C:/Users/a/image001.png"></div><!--EndFragment--></body></html>'
)


def test_pasting_from_the_clipboard_gives_clean_paragraphs(server, browser):
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page = context.new_page()
    page.set_default_timeout(15000)
    login(page, server, "reporter")
    page.goto(f"{server}/stories/new/")
    page.fill("#id_title", "防汛会议要求压实责任")
    page.locator(".editable").click()
    page.keyboard.type("导语。")
    page.keyboard.press("Enter")
    page.evaluate("text => navigator.clipboard.writeText(text)", "第一行\r\n\r\n第二行\n第三行")
    page.keyboard.press("Control+V")
    page.keyboard.press("Enter")
    page.evaluate(
        """html => navigator.clipboard.write([new ClipboardItem({
             'text/html': new Blob([html], {type: 'text/html'}),
             'text/plain': new Blob(['会议要求，各地要压实防汛责任。'], {type: 'text/plain'})})])""",
        WORD_HTML,
    )
    page.keyboard.press("Control+V")
    editable = page.inner_html(".editable")
    assert not re.search(r"<(div|span|img|o:p)|style=|class=", editable), editable
    expected = ["导语。", "第一行", "第二行", "第三行", "会议要求，各地要压实防汛责任。", "要加强值班值守。"]
    assert page.locator(".editable > p").all_inner_texts() == expected
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=稿件已保存")
    assert page.locator("article.body p").all_inner_texts() == expected
    assert page.inner_text("article.body strong") == "会议要求"  # Word's bold (a styled span) stays bold
    context.close()


def test_the_liaison_walks_every_link_of_the_portal_and_sees_only_their_partner(server, browser):
    run_worker(server, "--deliveries-only")  # the demo's stories count as published once delivered
    page = browser.new_page()
    page.set_default_timeout(15000)
    failures = []
    page.on("response", lambda r: r.status >= 400 and failures.append(f"{r.status} {r.url}"))
    login(page, server, "liaison_em")
    assert page.url == f"{server}/portal/"
    portal = page.inner_text("main")
    assert "江西省应急管理厅" in portal and "合作协议与履约情况" in portal
    links = sorted(
        {
            urljoin(page.url, href).split("#")[0]
            for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
            if not href.startswith(("mailto:", "tel:", "javascript:"))
        }
    )
    links = [link for link in links if urlsplit(link).netloc == urlsplit(server).netloc]
    assert len(links) >= 10  # the menu, the report list, requests, commitments, published stories
    assert any(re.search(r"/stories/\d+/$", link) for link in links)
    for link in links:
        response = page.goto(link)
        assert response is not None and response.status < 400, f"{link}: {response and response.status}"
        shown = page.inner_text("body")
        for other in OTHER_PARTNER:
            assert other not in shown, f"{link} shows {other}"
    assert not failures, failures


def test_a_report_is_requested_with_the_forms_defaults_and_built(server, browser):
    page = browser.new_page()
    page.set_default_timeout(15000)
    login(page, server, "desk")
    page.goto(f"{server}/reports/")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", page.input_value("#id_date"))  # a date the input can show
    page.select_option("#id_partner", label="省应急管理厅")  # the one choice without a default
    page.click("button:has-text('生成报告')")
    page.wait_for_selector("#report-status", timeout=10000)
    assert "正在生成" in page.inner_text("#report-status")
    run_worker(server, "--tasks-only")
    page.wait_for_selector("text=下载 PDF", timeout=15000)  # the page polls and swaps itself in
    status = page.inner_text("#report-status")
    assert "发布概况" in status and "合作事项完成情况" in status
    # The partner's name heads the report (the body named it only while the demo's stories fell in this month).
    assert "省应急管理厅" in page.inner_text("h1")
    with page.expect_download() as download:
        page.click("text=下载 PDF")
    assert download.value.path().read_bytes().startswith(b"%PDF-")
