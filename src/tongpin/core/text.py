"""Chinese text utilities: normalisation and word segmentation for search.

normalise() is length-preserving (one character in, one out), so a position found in the normalised text
is the same position in the original: snippets can quote what the author wrote. It folds full-width forms
to half-width, upper to lower case, and Traditional to Simplified characters.

Segmentation uses rjieba (jieba's dictionary and algorithm, in Rust): see docs/search.md for the figures
against jieba that chose it.
"""

import unicodedata
from functools import lru_cache

import opencc
import rjieba

_t2s = opencc.OpenCC("t2s")


@lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch).lower()
    return folded if len(folded) == 1 else ch


def normalise(text: str) -> str:
    if not text:
        return ""
    folded = "".join(_fold_char(ch) if ord(ch) > 0x7F or ch.isupper() else ch for ch in text)
    simplified = _t2s.convert(folded)
    # OpenCC may map a phrase to one of another length; keep positions aligned by falling back per char.
    if len(simplified) != len(folded):
        simplified = "".join(c if len(c := _t2s.convert(ch)) == 1 else ch for ch in folded)
    return simplified


def _is_word(token: str) -> bool:
    return any(ch.isalnum() for ch in token)


def index_tokens(text: str) -> list[str]:
    """Tokens to index: every word plus the shorter words inside long ones (jieba's search mode)."""
    return [t for t in rjieba.cut_for_search(normalise(text)) if _is_word(t)]


def query_words(text: str) -> list[str]:
    """The words of a query, in order, each a unit the user meant (precise mode)."""
    seen: list[str] = []
    for token in rjieba.cut(normalise(text)):
        token = token.strip()
        if _is_word(token) and token not in seen:
            seen.append(token)
    return seen


def sub_words(word: str) -> list[str]:
    """The dictionary words inside a long word, used to widen a query so differently segmented text matches."""
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
