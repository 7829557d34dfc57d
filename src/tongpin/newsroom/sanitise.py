"""The HTML subset a story body may hold. Everything else is removed, never escaped into the text.

Before the subset is kept, the body's top level is put into paragraphs, so that nothing that arrives merges when
tags outside the subset are dropped: browsers' contenteditable editors, Word/WPS and web pages mark paragraphs
with `<div>`s (or `<section>` and the like) and with runs of `<br>`. A `<div>` holding only text becomes a `<p>`,
one holding blocks is unwrapped; text or inline tags between blocks become a `<p>`; two or more `<br>` in a row
end a paragraph. A single `<br>` inside a paragraph stays a line break (Shift+Enter: an address, a verse).
Paragraphs with nothing in them are dropped, and so are pictures whose address was refused (a Word paste's
`file:///C:/…`, `data:`).
"""

import re

import nh3
from lxml import etree
from lxml import html as lxml_html

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "s",
    "sub",
    "sup",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "blockquote",
    "a",
    "figure",
    "figcaption",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# Whole elements whose content is dropped with them (the rest keep their text when their tag goes).
CLEAN_CONTENT_TAGS = {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math"}
# Control characters have no place in a body (lxml refuses them); Word's vertical tab and form feed are breaks.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
BREAK_CHARACTERS = re.compile(r"[\x0b\x0c]")


def sanitise_html(html: str) -> str:
    """Keep the allowed subset in paragraphs; plain text without tags becomes paragraphs, one per non-blank line."""
    html = CONTROL_CHARACTERS.sub("", BREAK_CHARACTERS.sub("\n", html or "")).strip()
    if html and "<" not in html:
        paragraphs = [line.strip() for line in html.replace("\r\n", "\n").split("\n") if line.strip()]
        html = "".join(f"<p>{nh3.clean_text(p)}</p>" for p in paragraphs)
    elif html:
        html = paragraphed(_clean(html, ALLOWED_TAGS | SEPARATING_TAGS, DROPPED, link_rel=None))
    return _clean(html, ALLOWED_TAGS, CLEAN_CONTENT_TAGS).strip()


def _clean(html: str, tags: set[str], dropped: set[str], link_rel: str | None = "noopener noreferrer nofollow") -> str:
    return nh3.clean(
        html,
        tags=tags,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        clean_content_tags=dropped,
        link_rel=link_rel,
        strip_comments=True,
    )


HEADINGS = {"h2", "h3", "h4"}
# Headings outside the subset, kept as the nearest one inside it.
RENAMED_HEADINGS = {"h1": "h2", "h5": "h4", "h6": "h4"}
# Blocks kept as they are (nh3 tidies their content).
KEPT_BLOCKS = {"ul", "ol", "table", "figure", "hr"}
# Containers whose content is a sequence of blocks, like the top level.
BLOCK_CONTAINERS = {"blockquote"}
# Blocks outside the subset that still separate paragraphs: unwrapped into paragraphs of their own.
FOREIGN_BLOCKS = {
    "div", "section", "article", "header", "footer", "main", "aside", "nav", "address", "center", "pre",
    "dl", "dt", "dd", "details", "summary", "form", "fieldset", "hgroup", "li", "tr", "td", "th",
}  # fmt: skip
BLOCKS = {"p"} | HEADINGS | set(RENAMED_HEADINGS) | KEPT_BLOCKS | BLOCK_CONTAINERS | FOREIGN_BLOCKS
# What the first pass keeps besides the subset: the tags that separate paragraphs.
SEPARATING_TAGS = set(RENAMED_HEADINGS) | FOREIGN_BLOCKS
# Allowed tags that hold text inside a line, never a block.
INLINE_TAGS = ALLOWED_TAGS - BLOCKS - {"li", "figcaption", "thead", "tbody", "tr", "th", "td", "br", "img"}
# Tags that become line breaks where paragraphs cannot be (list items, table cells).
LINE_TAGS = SEPARATING_TAGS - ALLOWED_TAGS
# Whole elements the first pass drops, content and all, so that they do not count as paragraph text.
DROPPED = CLEAN_CONTENT_TAGS | {"head", "title", "xml"}
# libxml2 drops whatever lies deeper than 255 elements; no real body comes near, nh3 alone keeps such text.
MAX_DEPTH = 200


def paragraphed(html: str) -> str:
    """The body with its top level (and each quotation's) in paragraphs: see the module's docstring.

    `html` has been through nh3 (html5ever) keeping the subset and the separating tags: lxml reads it as a browser
    would, and nothing but tags that matter is left to walk."""
    try:
        root = lxml_html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return html  # nothing lxml can read: leave it to nh3 as it is
    if _deeper_than(root, MAX_DEPTH):
        return html
    for picture in list(root.iter("img")):
        if not picture.get("src"):  # its address was refused (file:, data:, javascript:): nothing to show
            picture.drop_tree()
    return "".join(lxml_html.tostring(block, encoding="unicode", with_tail=False) for block in _blocks(root))


def _deeper_than(root, limit: int) -> bool:
    depth = {root: 0}
    for element in root.iterdescendants():
        depth[element] = depth[element.getparent()] + 1
        if depth[element] > limit:
            return True
    return False


def _holds_blocks(element) -> bool:
    return any(isinstance(e.tag, str) and e.tag in BLOCKS for e in element.iterdescendants())


def _blocks(container) -> list:
    """The blocks of `container`'s content, inline runs gathered into `<p>`s."""
    blocks: list = []
    run: list = [container.text or ""]  # inline content waiting for a paragraph: strings and elements

    def end_run() -> None:
        blocks.extend(_paragraphs(run))
        run.clear()

    for child in list(container):
        tail = child.tail or ""
        child.tail = None
        tag = child.tag if isinstance(child.tag, str) else ""  # comments and processing instructions: ""
        if not tag:
            pass
        elif tag in HEADINGS or tag in RENAMED_HEADINGS:
            end_run()
            child.tag = RENAMED_HEADINGS.get(tag, tag)
            etree.strip_tags(child, *BLOCKS)  # a heading holds a line of text
            blocks.append(child)
        elif tag in KEPT_BLOCKS:
            end_run()
            blocks.append(_as_lines(child))
        elif tag in BLOCK_CONTAINERS:
            end_run()
            quote = lxml_html.Element(tag)
            quote.extend(_blocks(child))
            if len(quote):
                blocks.append(quote)
        elif tag == "p" or tag in FOREIGN_BLOCKS or _holds_blocks(child):
            end_run()  # an inline tag around blocks (<b><p>…</p></b>) is dropped so its paragraphs stay apart
            blocks.extend(_blocks(child))
        else:
            run.append(child)
        run.append(tail)
    end_run()
    return blocks


def _as_lines(block):
    """In a list or a table (an item, a cell), a separating tag outside the subset becomes a line break.

    An inline tag still around a block after that (`<li><b><p>…</p></b>`) is dropped, as at the top level: a
    browser, and lxml on the next pass, would close it before the block and the body would change each time."""
    for element in list(block.iterdescendants(*LINE_TAGS)):
        if element.getprevious() is not None or (element.getparent().text or "").strip():
            element.addprevious(lxml_html.Element("br"))
        if (element.tail or "").strip():
            element.append(lxml_html.Element("br"))
    etree.strip_tags(block, *LINE_TAGS)
    for element in list(block.iterdescendants(*INLINE_TAGS)):
        if _holds_blocks(element):
            element.drop_tag()
    return block


def _paragraphs(run: list) -> list:
    """Inline content into `<p>`s, split where two or more `<br>` follow each other."""
    paragraphs, current, breaks = [], [], 0
    for item in run:
        if isinstance(item, str) and not item.strip():
            if breaks == 0:
                current.append(item)
            continue
        if not isinstance(item, str) and item.tag == "br":
            breaks += 1
            if breaks == 2:
                paragraphs.append(current)
                current = []
            continue
        if breaks == 1 and any(not isinstance(i, str) or i.strip() for i in current):
            current.append(lxml_html.Element("br"))
        breaks = 0
        current.append(item)
    paragraphs.append(current)
    return [p for p in (_paragraph(items) for items in paragraphs) if p is not None]


def _paragraph(items: list):
    paragraph = lxml_html.Element("p")
    for item in items:
        if isinstance(item, str):
            if len(paragraph):
                paragraph[-1].tail = (paragraph[-1].tail or "") + item
            else:
                paragraph.text = (paragraph.text or "") + item
        else:
            paragraph.append(item)
    if not paragraph.text_content().strip() and not any(e.tag in ("img", "hr") for e in paragraph.iter()):
        return None
    return paragraph
