"""Chinese text utilities: normalisation and word segmentation for search.

normalise() is length-preserving (one character in, one out), so a position found in the normalised text
is the same position in the original: snippets can quote what the author wrote. It folds full-width forms
to half-width, upper to lower case, and Traditional to Simplified characters.

Segmentation uses rjieba (jieba's dictionary and algorithm, in Rust): see docs/search.md for the figures
against jieba that chose it.
"""

import re

import opencc
import rjieba

_t2s = opencc.OpenCC("t2s")


# Full-width digits and Latin letters fold to their half-width twins. Chinese punctuation (，。！) stays:
# search drops it anyway, and nearly every sentence has some, which would make this fold run always.
_FULL_WIDTH_RANGES = [(0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)]
_HALF_WIDTH = {code: code - 0xFEE0 for low, high in _FULL_WIDTH_RANGES for code in range(low, high + 1)}
_HAS_FULL_WIDTH = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


def normalise(text: str) -> str:
    if not text:
        return ""
    # str.translate is slow on Chinese text, so it runs only where a full-width form is present.
    folded = text.translate(_HALF_WIDTH) if _HAS_FULL_WIDTH.search(text) else text
    lowered = folded.lower()
    if len(lowered) != len(folded):  # a rare letter whose lower case is longer: keep it as it was
        lowered = "".join(c if len(c := ch.lower()) == 1 else ch for ch in folded)
    folded = lowered
    simplified = _t2s.convert(folded)
    # OpenCC may map a phrase to one of another length; keep positions aligned by falling back per char.
    if len(simplified) != len(folded):
        simplified = "".join(c if len(c := _t2s.convert(ch)) == 1 else ch for ch in folded)
    return simplified


def _is_word(token: str) -> bool:
    return any(ch.isalnum() for ch in token)


def index_tokens(text: str) -> list[str]:
    """Tokens to index: every word plus the shorter words inside long ones (jieba's search mode)."""
    # A cheap test that drops whitespace and lone punctuation marks, written inline: this is the hot path of a
    # rebuild (every token of every story).
    return [t for t in rjieba.cut_for_search(normalise(text)) if t.isalnum() or (len(t) > 1 and not t.isspace())]


def query_words(text: str) -> list[str]:
    """The words of a query, in order, each a unit the user meant (precise mode)."""
    seen: list[str] = []
    for token in rjieba.cut(normalise(text)):
        token = token.strip()
        if _is_word(token) and token not in seen:
            seen.append(token)
    return seen


def sub_words(word: str) -> list[str]:
    """The dictionary words inside a long word the dictionary does not know (a name, a new term).

    Text may segment such a word differently depending on its neighbours, so a query widens it to
    "the word, or all its parts". A dictionary word is segmented the same way everywhere: no widening.
    """
    if rjieba.has_word(word):
        return []
    return [t for t in rjieba.cut_for_search(word) if t != word and len(t) > 1]


_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "li", "blockquote", "pre", "tr", "figcaption", "br"}


def html_to_text(html: str) -> str:
    """Plain text of sanitised HTML, one block per line (for search, diff and lengths)."""
    from lxml import html as lxml_html  # imported lazily: only writers need it

    if not html or not html.strip():
        return ""
    root = lxml_html.fragment_fromstring(html, create_parent="div")
    for element in root.iter():
        if element.tag in _BLOCKS:
            element.text = "\n" + (element.text or "")
            element.tail = "\n" + (element.tail or "")
    lines = (line.strip() for line in root.text_content().split("\n"))
    return "\n".join(line for line in lines if line)
