"""`GET /api/v1/status`: the status page's data, for scripts and other dashboards; `GET /api/v1/status/check`:
`tongpin check`'s lines (docs/operations.md)."""

from __future__ import annotations

from typing import Any

from ninja import Router

from tongpin.core.roles import SYSTEM_STATUS, require_any
from tongpin.core.schemas import ERRORS

from . import doctor, status

router = Router(tags=["status"])


@router.get("/status", response={200: dict[str, Any], **ERRORS}, summary="System status: workers, queue, alerts, disk")
def system_status(request):
    require_any(request.auth, SYSTEM_STATUS)
    return status.snapshot()


@router.get("/status/check", response={200: dict[str, Any], **ERRORS}, summary="Self-check, as `tongpin check --json`")
def system_check(request):
    require_any(request.auth, SYSTEM_STATUS)
    found = doctor.run()
    return {"status": doctor.overall(found), "checks": [f.as_dict() for f in found]}
