from hypothesis import example, given, settings
from hypothesis import strategies as st

from tongpin.newsroom.sanitise import sanitise_html


def test_script_and_handlers_are_removed():
    html = sanitise_html('<p onclick="x()">好<script>alert(1)</script></p><img src="javascript:alert(1)">')
    assert "script" not in html and "onclick" not in html and "javascript" not in html
    assert "<p>好</p>" in html


def test_allowed_subset_survives():
    html = sanitise_html('<h3>小标题</h3><p><strong>粗</strong><a href="https://example.org">链</a></p>')
    assert "<h3>小标题</h3>" in html and "<strong>粗</strong>" in html
    assert 'href="https://example.org"' in html and "noopener" in html


def test_plain_text_becomes_escaped_paragraphs():
    assert sanitise_html("第一段\n\n第二段 a&b") == "<p>第一段</p><p>第二段 a&amp;b</p>"


def test_iframe_and_style_content_dropped():
    html = sanitise_html("<style>p{}</style><iframe src='x'>内</iframe><p>留</p>")
    assert html == "<p>留</p>"


# -- paragraphs: what browsers, Word/WPS and API clients send must not merge ---------------------------------


def test_chromium_editor_divs_become_paragraphs():
    # Chromium's contenteditable: the first line bare, every Enter a <div>, a blank line <div><br></div>
    html = sanitise_html("第一段<div>第二段</div><div><br></div><div>第三段</div>")
    assert html == "<p>第一段</p><p>第二段</p><p>第三段</p>"


def test_runs_of_br_end_paragraphs_and_a_single_br_stays_a_line_break():
    assert sanitise_html("一<br><br>二<br>二续<br><br><br>三<br>") == "<p>一</p><p>二<br>二续</p><p>三</p>"
    assert sanitise_html("<p>甲<br> <br>乙</p><p><br></p>") == "<p>甲</p><p>乙</p>"
    assert sanitise_html("<p><br>地址：清远市<br>邮编：511500<br></p>") == "<p>地址：清远市<br>邮编：511500</p>"


def test_word_and_wps_html_becomes_clean_paragraphs():
    word = (
        "<html><head><style>p.MsoNormal{margin:0}</style></head><body>"
        '<!--[if gte mso 9]><xml><w:WordDocument></w:WordDocument></xml><![endif]-->'
        '<div class="WordSection1"><p class="MsoNormal" style="text-indent:2em">'
        '<span lang="ZH-CN">第一段<o:p></o:p></span></p>'
        '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
        '<p class="MsoNormal"><b>第二段</b>正文</p></div></body></html>'
    )
    assert sanitise_html(word) == "<p>第一段</p><p><b>第二段</b>正文</p>"


def test_pictures_without_an_allowed_address_are_dropped_with_their_empty_paragraph():
    html = sanitise_html('<p>甲<img src="file:///C:/a.png"></p><p><img src="data:image/png;base64,AA=="></p>')
    assert html == "<p>甲</p>"
    kept = '<img src="https://e.org/a.png" alt="图">'
    assert sanitise_html(kept) == f"<p>{kept}</p>"


def test_web_page_blocks_become_paragraphs_and_headings_stay_headings():
    html = sanitise_html(
        "<article><h1>标题</h1><section>导语</section>正文<em>强调</em>"
        "<div><div><p>深一</p>深二</div></div><blockquote>引一<div>引二</div></blockquote><h6>小注</h6></article>"
    )
    assert html == (
        "<h2>标题</h2><p>导语</p><p>正文<em>强调</em></p><p>深一</p><p>深二</p>"
        "<blockquote><p>引一</p><p>引二</p></blockquote><h4>小注</h4>"
    )


def test_plain_text_lines_become_paragraphs():
    assert sanitise_html("一\r\n\r\n二\n三\x0b四") == "<p>一</p><p>二</p><p>三</p><p>四</p>"


def test_control_characters_and_deep_nesting_lose_no_text():
    assert sanitise_html("甲\x00<div>乙</div>") == "<p>甲</p><p>乙</p>"
    deep = "<div>" * 300 + "深" + "</div>" * 300 + "<div>浅</div>"
    assert "深" in sanitise_html(deep) and "浅" in sanitise_html(deep)


TOKENS = ["<div>", "</div>", "<p>", "</p>", "<br>", "<b>", "</b>", "<blockquote>", "</blockquote>",
          "<h1>", "</h1>", "<ul><li>", "</li></ul>", "<section>", "</section>", " ", "甲", "乙", "\n"]  # fmt: skip


# A sanitiser pass takes a fraction of a millisecond: thousands of examples cost a few seconds, and 100 (the default)
# left a case that breaks stability in about one body in 150 to be met by chance in CI, once.
@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=30))
@example(["<ul><li>", "<b>", "<div>", "</p>", "<blockquote>"])  # a CI run found it: <p> inside <b> in a list item
def test_paragraphing_keeps_every_character_and_is_stable(tokens):
    html = "".join(tokens)
    once = sanitise_html(html)
    assert once.count("甲") == html.count("甲") and once.count("乙") == html.count("乙")
    assert sanitise_html(once) == once


def test_inline_markup_around_a_paragraph_in_a_list_item_is_dropped_as_at_the_top_level():
    once = sanitise_html("<ul><li><b><div>甲<p>乙</p></div></b></li></ul>")
    assert once == "<ul><li>甲<p>乙</p></li></ul>"
    assert sanitise_html(once) == once
    assert sanitise_html("<ul><li><b>粗</b>细</li></ul>") == "<ul><li><b>粗</b>细</li></ul>"


def test_divs_in_list_items_and_table_cells_become_line_breaks():
    html = sanitise_html("<table><tr><td>甲<div>乙</div><div>丙</div></td></tr></table><ul><li><div>一</div>二</ul>")
    assert html == "<table><tbody><tr><td>甲<br>乙<br>丙</td></tr></tbody></table><ul><li>一<br>二</li></ul>"
