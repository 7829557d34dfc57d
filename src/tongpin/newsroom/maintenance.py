"""Maintenance an admin may start from the UI or the API; the work itself runs in the background."""

from django.utils.translation import gettext as _

from tongpin.core import audit, roles
from tongpin.core.audit import Actor
from tongpin.core.errors import FieldError, Forbidden

from .tasks import rebuild_search_index


def request_reindex(actor: Actor) -> str:
    """Queue a full rebuild of the search index; returns the task id."""
    if not roles.can(actor.user, roles.SEARCH_REINDEX):
        raise Forbidden(FieldError("forbidden", _("只有管理员可以重建检索索引。")))
    result = rebuild_search_index.enqueue()
    audit.record(actor, "search.reindex_requested", object_type="newsroom.story", changes={"task": str(result.id)})
    return str(result.id)
