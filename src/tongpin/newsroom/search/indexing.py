"""Keeping the index in step with stories: one story on every save, everything on reindex."""

import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from django.db import connection, transaction

from ..models import Story
from .backends import backend_for
from .tokens import StoryText, index_row, prepare_rows

PARALLEL_FROM = 5000  # below this, starting worker processes costs more than it saves


def index_story(story: Story) -> None:
    tags = [t.name for t in story.tags.all()]
    backend = backend_for()
    backend.write([backend.prepare(index_row(story.pk, story.title, story.summary, story.body_text, tags))])


def unindex_stories(story_ids: Iterable[int]) -> None:
    backend_for().delete(list(story_ids))


def _batches(batch_size: int) -> Iterator[list[StoryText]]:
    last_id = 0
    through = Story.tags.through
    while True:
        rows = list(
            Story.objects.filter(pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", "title", "summary", "body_text")[:batch_size]
        )
        if not rows:
            return
        tags: dict[int, list[str]] = {}
        pairs = through.objects.filter(story_id__gte=rows[0][0], story_id__lte=rows[-1][0])
        for story_id, name in pairs.values_list("story_id", "tag__name"):
            tags.setdefault(story_id, []).append(name)
        yield [(pk, title, summary, body, tags.get(pk, ())) for pk, title, summary, body in rows]
        last_id = rows[-1][0]


def reindex_all(batch_size: int = 1000, workers: int | None = None) -> int:
    """Rebuild the whole index; returns the number of stories indexed.

    Segmenting is the costly part and needs no database, so large rebuilds spread it over worker
    processes (one per core) while this process reads stories and writes the index.
    """
    backend = backend_for()
    vendor = connection.vendor
    with transaction.atomic():
        backend.begin_rebuild()
    try:
        return _rebuild(backend, vendor, batch_size, workers)
    finally:
        # Outside a transaction when the caller holds none, so PostgreSQL can VACUUM the new index table.
        backend.end_rebuild()


def _rebuild(backend, vendor: str, batch_size: int, workers: int | None) -> int:
    if workers is None:
        workers = (os.cpu_count() or 1) if Story.objects.count() >= PARALLEL_FROM else 0
    count = 0
    if workers <= 1:
        for stories in _batches(batch_size):
            with transaction.atomic():
                backend.write(prepare_rows(vendor, stories), replace=False)
            count += len(stories)
        return count
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        pending: deque = deque()
        for stories in _batches(batch_size):
            pending.append(pool.submit(prepare_rows, vendor, stories))
            if len(pending) > workers * 2:  # bounded look-ahead keeps memory flat
                count += _write(backend, pending.popleft().result())
        while pending:
            count += _write(backend, pending.popleft().result())
    return count


def _write(backend, prepared: list[tuple]) -> int:
    with transaction.atomic():
        backend.write(prepared, replace=False)
    return len(prepared)
