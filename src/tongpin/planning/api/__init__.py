"""REST endpoints for planning, one module per resource: publicity requests, key dates, campaigns, topics,
assignments, events (with their tasks) and the calendar. Staff see all planning; a liaison sees their own
partner's requests, campaigns and events only (core/resources.py, docs/architecture.md)."""

from ninja import Router

from . import assignments, calendar, campaigns, events, keydates, requests, topics

router = Router(tags=["planning"])
for module in (requests, keydates, campaigns, topics, assignments, events, calendar):
    router.add_router("", module.router)
