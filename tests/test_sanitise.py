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
