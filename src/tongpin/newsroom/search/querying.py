"""Answering a search: parse the query, ask the backend for ranked ids, then highlight snippets."""

import re
from dataclasses import dataclass
from html import escape

from django.db.models import QuerySet
from django.utils.safestring import SafeString, mark_safe

from tongpin.core.text import normalise, query_words, sub_words

from .backends import Hits, Query, backend_for

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 12


def parse_query(text: str) -> Query | None:
    """None when the text holds no searchable word."""
    words = query_words((text or "")[:MAX_QUERY_CHARS])[:MAX_QUERY_WORDS]
    if not words:
        return None
    groups = [(w, sub_words(w) if len(w) >= 3 else []) for w in words]
    return Query(groups=groups)


def highlight_terms(query: Query) -> list[str]:
    terms = {w for w, _ in query.groups} | {s for _, subs in query.groups for s in subs}
    return sorted(terms, key=len, reverse=True)


def ranked_ids(query: Query, scoped: QuerySet, filtered: bool, limit: int, offset: int) -> Hits:
    """Story ids in relevance order among `scoped` (passed to the backend only when it narrows anything)."""
    within = scoped.values("pk").query.sql_with_params() if filtered else None
    return backend_for().search(query, within, limit, offset)


@dataclass(frozen=True)
class Snippet:
    title: SafeString
    excerpt: SafeString


def _marked(original: str, normalised: str, pattern: re.Pattern, start: int, end: int) -> str:
    # normalise() keeps length, so a match in the normalised text marks the same span of the original.
    source = original if len(original) == len(normalised) else normalised
    spans: list[list[int]] = []
    for match in pattern.finditer(normalised, start, end):
        if spans and match.start() <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], match.end())  # adjacent words read as one highlight
        else:
            spans.append([match.start(), match.end()])
    out, cursor = [], start
    for span_start, span_end in spans:
        out.append(escape(source[cursor:span_start]))
        out.append(f"<mark>{escape(source[span_start:span_end])}</mark>")
        cursor = span_end
    out.append(escape(source[cursor:end]))
    return "".join(out)


SNIPPET_SCAN_CHARS = 1000  # look for the best passage in the opening of a story only


def _best_start(hits: list[tuple[int, str]], width: int) -> int:
    """Start of the window of `width` characters holding the most different words (earliest on ties)."""
    best_start, best_score, left = hits[0][0], 0, 0
    in_window: dict[str, int] = {}
    for position, term in hits:
        in_window[term] = in_window.get(term, 0) + 1
        while position - hits[left][0] >= width:
            gone = hits[left][1]
            in_window[gone] -= 1
            if not in_window[gone]:
                del in_window[gone]
            left += 1
        if len(in_window) > best_score:
            best_score, best_start = len(in_window), hits[left][0]
    return best_start


def snippet(query: Query, title: str, text: str, width: int = 90) -> Snippet:
    terms = highlight_terms(query)
    pattern = re.compile("|".join(re.escape(t) for t in terms))
    norm_title = normalise(title)
    head = text[:SNIPPET_SCAN_CHARS]
    norm_head = normalise(head)
    hits = [(m.start(), m.group()) for _, m in zip(range(40), pattern.finditer(norm_head), strict=False)]
    start = max(0, _best_start(hits, width) - width // 4) if hits else 0
    end = min(len(head), start + width)
    excerpt = _marked(head, norm_head, pattern, start, end)
    excerpt = ("…" if start else "") + excerpt + ("…" if end < len(text) else "")
    return Snippet(
        title=mark_safe(_marked(title, norm_title, pattern, 0, len(title))),  # noqa: S308  (escaped above)
        excerpt=mark_safe(excerpt.replace("\n", " ")),  # noqa: S308  (escaped above)
    )
