"""Background work of the newsroom (run by `tongpin worker`)."""

from django_tasks import task

from tongpin.core.audit import SYSTEM, record

from .search.indexing import reindex_all


@task(queue_name="search")
def rebuild_search_index() -> int:
    count = reindex_all()
    record(SYSTEM, "search.reindexed", object_type="newsroom.story", changes={"stories": count})
    return count
