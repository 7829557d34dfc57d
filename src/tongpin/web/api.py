"""`GET /api/v1/status`: the status page's data, for scripts and other dashboards (docs/operations.md)."""

from __future__ import annotations

from typing import Any

from ninja import Router

from tongpin.core.roles import SYSTEM_STATUS, require_any
from tongpin.core.schemas import ERRORS

from . import status

router = Router(tags=["status"])


@router.get("/status", response={200: dict[str, Any], **ERRORS}, summary="System status: workers, queue, alerts, disk")
def system_status(request):
    require_any(request.auth, SYSTEM_STATUS)
    return status.snapshot()
