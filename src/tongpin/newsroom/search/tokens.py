"""Turning story text into index rows. Pure functions with no database access, so a reindex can run
them in worker processes on every core while the main process writes."""

from collections.abc import Iterable, Sequence

from tongpin.core.text import index_tokens

from .backends import IndexRow, backend_for

StoryText = tuple[int, str, str, str, Sequence[str]]  # id, title, summary, body text, tag names


def index_row(story_id: int, title: str, summary: str, body_text: str, tags: Iterable[str]) -> IndexRow:
    body = "\n".join([summary, " ".join(tags), body_text])
    return IndexRow(story_id, index_tokens(title), index_tokens(body))


def prepare_rows(vendor: str, stories: Sequence[StoryText]) -> list[tuple]:
    """What the backend of `vendor` writes for each story (segmented, joined, ready to insert)."""
    backend = backend_for(vendor)
    return [backend.prepare(index_row(*story)) for story in stories]
