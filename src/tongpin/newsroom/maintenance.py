"""Maintenance an admin may start from the UI or the API; the work itself runs in the background. The page
shows how the last rebuild of the search index is doing: queued, running (stories indexed so far), finished
(how many, how long) or failed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks.base import TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist

from tongpin.core import audit, roles
from tongpin.core.audit import Actor
from tongpin.core.models import AuditEvent

from .models import Story
from .search.backends import backend_for
from .tasks import rebuild_search_index

REQUESTED = "search.reindex_requested"


@dataclass
class ReindexStatus:
    task_id: str
    state: str  # queued, running, done, failed
    requested_at: dt.datetime
    total: int  # stories in the pool now
    indexed: int = 0  # so far, or at the end
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None

    @property
    def busy(self) -> bool:
        return self.state in ("queued", "running")

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.indexed / self.total)) if self.total else 100

    @property
    def seconds(self) -> int | None:
        if self.started_at is None:
            return None
        return round(((self.finished_at or timezone.now()) - self.started_at).total_seconds())


def reindex_status() -> ReindexStatus | None:
    """The last requested rebuild, as the task store and the index tell it (None if none was ever asked for)."""
    asked = AuditEvent.objects.filter(action=REQUESTED).order_by("-at", "-id").first()
    if asked is None:
        return None
    task_id = str(asked.changes.get("task", ""))
    status = ReindexStatus(task_id, "queued", asked.at, Story.objects.count())
    try:
        result = rebuild_search_index.get_result(task_id)
    except (TaskResultDoesNotExist, ValueError):  # pruned from the task store: the audit log says the rest
        done = AuditEvent.objects.filter(action="search.reindexed", at__gte=asked.at).order_by("at").first()
        if done is None:
            return None
        status.state, status.finished_at, status.indexed = "done", done.at, done.changes.get("stories", 0)
        return status
    status.started_at, status.finished_at = result.started_at, result.finished_at
    if result.status == TaskResultStatus.SUCCESSFUL:
        status.state, status.indexed = "done", result.return_value
    elif result.status == TaskResultStatus.FAILED:
        status.state = "failed"
    elif result.status == TaskResultStatus.RUNNING:
        status.state, status.indexed = "running", backend_for().indexed()
    return status


def request_reindex(actor: Actor) -> str:
    """Queue a full rebuild of the search index; returns the task id."""
    roles.require(actor.user, roles.SEARCH_REINDEX, _("只有管理员可以重建检索索引。"))
    result = rebuild_search_index.enqueue()
    audit.record(actor, REQUESTED, object_type="newsroom.story", changes={"task": str(result.id)})
    return str(result.id)
