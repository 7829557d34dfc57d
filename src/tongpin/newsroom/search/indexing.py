"""Keeping the index in step with stories: one story on every save, everything on reindex."""

from collections.abc import Iterable

from django.db import transaction

from tongpin.core.text import index_tokens

from ..models import Story
from .backends import IndexRow, backend_for


def index_row(story_id: int, title: str, summary: str, body_text: str, tags: Iterable[str]) -> IndexRow:
    body = "\n".join([summary, " ".join(tags), body_text])
    return IndexRow(story_id, index_tokens(title), index_tokens(body))


def index_story(story: Story) -> None:
    tags = [t.name for t in story.tags.all()]
    backend_for().upsert([index_row(story.pk, story.title, story.summary, story.body_text, tags)])


def unindex_stories(story_ids: Iterable[int]) -> None:
    backend_for().delete(list(story_ids))


def _tags_by_story(ids: list[int]) -> dict[int, list[str]]:
    through = Story.tags.through
    tags: dict[int, list[str]] = {}
    for story_id, name in through.objects.filter(story_id__in=ids).values_list("story_id", "tag__name"):
        tags.setdefault(story_id, []).append(name)
    return tags


def reindex_all(batch_size: int = 2000) -> int:
    """Rebuild the whole index in batches; returns the number of stories indexed."""
    backend = backend_for()
    count = 0
    last_id = 0
    with transaction.atomic():
        backend.clear()
    while True:
        rows = list(
            Story.objects.filter(pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", "title", "summary", "body_text")[:batch_size]
        )
        if not rows:
            return count
        tags = _tags_by_story([r[0] for r in rows])
        with transaction.atomic():
            backend.upsert(index_row(pk, title, summary, body, tags.get(pk, ())) for pk, title, summary, body in rows)
        count += len(rows)
        last_id = rows[-1][0]
