"""Is it alive? What the status page (系统状态), `GET /api/v1/status`, `/readyz` and `/metrics` report.

Everything is read from the database at the moment of asking, so every web process answers the same. This module
sits in `web` because it looks across apps (publishing, alerts); the apps themselves never import each other.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tongpin.alerts.models import Alert, AlertState
from tongpin.publishing import workers
from tongpin.publishing.models import Channel, Delivery, DeliveryState, Priority

WAITING = (DeliveryState.PENDING, DeliveryState.RETRYING)
RECENT = timedelta(hours=1)


def alive_workers(now: datetime) -> list[dict]:
    return [
        {
            "name": w.name,
            "host": w.host,
            "pid": w.pid,
            "runs": w.runs,
            "started_at": w.started_at,
            "beat_at": w.beat_at,
            "beat_age_seconds": round((now - w.beat_at).total_seconds(), 1),
        }
        for w in sorted(workers.alive(now), key=lambda w: (w.host, w.name))
    ]


def due_deliveries(now: datetime, min_priority: int | None = None, sendable_only: bool = False) -> QuerySet[Delivery]:
    """Pending or retrying deliveries past their due time (`sendable_only`: on channels a worker would send to)."""
    rows = Delivery.objects.filter(state__in=WAITING, due_at__lte=now)
    if min_priority is not None:
        rows = rows.filter(priority__gte=min_priority)
    if sendable_only:  # what the workers would claim: paused and disabled channels wait for a person
        rows = rows.filter(channel__paused=False, channel__is_active=True)
    return rows


def oldest_due(now: datetime, min_priority: int | None = None, sendable_only: bool = False) -> dict | None:
    """The delivery that has waited longest past its due time, or None when nothing is due."""
    row = (
        due_deliveries(now, min_priority, sendable_only)
        .select_related("channel")
        .order_by("due_at", "id")
        .only("id", "due_at", "priority", "state", "channel__name", "channel__paused")
        .first()
    )
    if row is None:
        return None
    return {
        "id": row.id,
        "channel": row.channel.name,
        "channel_paused": row.channel.paused,
        "priority": row.priority,
        "state": row.state,
        "due_at": row.due_at,
        "age_seconds": round((now - row.due_at).total_seconds(), 1),
    }


def deliveries_last_hour(now: datetime) -> list[dict]:
    """Per channel: sent and failed in the last hour (by when they finished), and those waiting for a retry now."""
    since = now - RECENT
    counts: dict[int, dict[str, int]] = {}
    finished = (
        Delivery.objects.filter(state__in=[DeliveryState.SUCCESS, DeliveryState.FAILED], finished_at__gte=since)
        .order_by()
        .values_list("channel_id", "state")
        .annotate(n=Count("id"))
    )
    retrying = (
        Delivery.objects.filter(state=DeliveryState.RETRYING).order_by().values_list("channel_id").annotate(n=Count("id"))
    )
    for channel_id, state, n in finished:
        counts.setdefault(channel_id, {})[state] = n
    for channel_id, n in retrying:
        counts.setdefault(channel_id, {})[DeliveryState.RETRYING] = n
    channels = Channel.objects.in_bulk(list(counts))
    rows = [
        {
            "channel_id": channel_id,
            "channel": channels[channel_id].name,
            "kind": channels[channel_id].kind,
            "success": by_state.get(DeliveryState.SUCCESS, 0),
            "retrying": by_state.get(DeliveryState.RETRYING, 0),
            "failed": by_state.get(DeliveryState.FAILED, 0),
        }
        for channel_id, by_state in counts.items()
        if channel_id in channels
    ]
    return sorted(rows, key=lambda r: (-r["failed"], -r["retrying"], r["channel"]))


def paused_channels() -> list[dict]:
    return [
        {"id": c.id, "name": c.name, "kind": c.kind, "reason": c.paused_reason, "since": c.updated_at}
        for c in Channel.objects.filter(paused=True, is_active=True).order_by("name")
    ]


def released_not_delivered() -> list[dict]:
    """Released alerts with a delivery that has not arrived (still waiting, sending, or failed)."""
    unsent = Delivery.objects.filter(rendition__publication_id=OuterRef("publication_id")).exclude(
        state__in=[DeliveryState.SUCCESS, DeliveryState.CANCELLED]
    )
    rows = (
        Alert.objects.filter(state=AlertState.RELEASED, publication__isnull=False)
        .filter(Exists(unsent))
        .order_by("released_at")
        .only("id", "headline", "event", "identifier", "level", "released_at", "publication_id")[:50]
    )
    result = []
    for alert in rows:
        states = dict(
            Delivery.objects.filter(rendition__publication_id=alert.publication_id)
            .order_by()
            .values_list("state")
            .annotate(n=Count("id"))
        )
        result.append(
            {
                "id": alert.id,
                "title": str(alert),
                "level": alert.level,
                "released_at": alert.released_at,
                "deliveries": {state: states[state] for state in sorted(states)},
            }
        )
    return result


def overdue_confirmations(now: datetime) -> list[dict]:
    """Alerts still waiting for a duty officer after their policy's escalation time."""
    result = []
    for alert in Alert.objects.filter(state=AlertState.PENDING).order_by("received_at").only(
        "id", "headline", "event", "identifier", "level", "received_at", "escalate_after", "escalated_at"
    ):
        deadline = alert.received_at + timedelta(seconds=alert.escalate_after)
        if deadline <= now:
            result.append(
                {
                    "id": alert.id,
                    "title": str(alert),
                    "level": alert.level,
                    "received_at": alert.received_at,
                    "overdue_seconds": round((now - deadline).total_seconds()),
                    "escalated": alert.escalated_at is not None,
                }
            )
    return result


def disk_space() -> list[dict]:
    """Free space where the data lives: the home folder (database, outbox) and the media folder if elsewhere."""
    places = [(_("数据目录"), Path(settings.HOME)), (_("媒体文件"), Path(settings.MEDIA_ROOT))]
    seen, result = set(), []
    for label, path in places:
        existing = next((p for p in (path, *path.parents) if p.exists()), Path("/"))
        try:
            usage = shutil.disk_usage(existing)
            device = existing.stat().st_dev
        except OSError:
            continue
        if device in seen:  # the same file system: one line is enough
            continue
        seen.add(device)
        result.append(
            {
                "label": label,
                "path": str(path),
                "total_bytes": usage.total,
                "free_bytes": usage.free,
                "used_percent": round(100 * (usage.total - usage.free) / usage.total, 1) if usage.total else 0.0,
            }
        )
    return result


def snapshot(now: datetime | None = None) -> dict:
    """Everything the status page and `GET /api/v1/status` show."""
    now = now or timezone.now()
    return {
        "checked_at": now,
        "workers": alive_workers(now),
        "oldest_due": oldest_due(now),
        "oldest_due_priority": oldest_due(now, min_priority=Priority.HIGH),
        "deliveries_last_hour": deliveries_last_hour(now),
        "paused_channels": paused_channels(),
        "alerts_released_not_delivered": released_not_delivered(),
        "alerts_overdue_confirmation": overdue_confirmations(now),
        "disk": disk_space(),
        "paging": paging_status(now),
        "data_key": data_key(),
    }


def paging_status(now: datetime) -> dict:
    """Waking the duty officer: routes, the routes that are down, who is on duty, the lane conditions that paged."""
    from tongpin.alerts import duty
    from tongpin.alerts.models import LaneCondition, PagingRoute

    active = list(PagingRoute.objects.filter(is_active=True))
    return {
        "routes": len(active),
        "routes_down": [{"id": r.pk, "name": r.name, "kind": r.kind, "last_error": r.last_error,
                         "last_error_at": r.last_error_at} for r in active if r.down],  # fmt: skip
        "on_duty": [str(s.officer) for s in duty.shifts_at(now)],
        "conditions": [{"key": c.key, "text": c.text, "since": c.since, "paged_at": c.paged_at}
                       for c in LaneCondition.objects.filter(cleared_at__isnull=True).order_by("since")],  # fmt: skip
    }


def data_key() -> dict:
    """The data key that seals stored secrets (docs/security.md, 数据保密性): key ids and counts, never a key."""
    from tongpin.core import datakey

    found = datakey.status()
    held = set(found["keys"])
    sealed = sum(n for counts in found["stores"].values() for kid, n in counts.items() if kid != "plaintext")
    plaintext = sum(counts.get("plaintext", 0) for counts in found["stores"].values())
    missing = sorted({kid for counts in found["stores"].values() for kid in counts if kid != "plaintext"} - held)
    return {
        "cipher": found["cipher"],
        "source": "env" if found["source"] == "env" else ("file" if found["source"] else ""),
        "current": found["current"],
        "keys": found["keys"],
        "sealed": sealed,
        "plaintext": plaintext,
        "missing": missing,
    }


@dataclass
class Readiness:
    ready: bool
    reasons: list[dict]


def readiness(now: datetime | None = None) -> Readiness:
    """Ready to serve: the database answers, some delivery worker beats, and no priority delivery that a worker
    could send has waited longer than TONGPIN_READY_MAX_PRIORITY_AGE seconds."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001  (any database failure means not ready)
        return Readiness(False, [{"code": "database", "message": error.__class__.__name__}])
    now = now or timezone.now()
    reasons = []
    if not any("deliveries" in w.runs for w in workers.alive(now)):
        reasons.append({"code": "no_worker", "message": "no delivery worker has a fresh heartbeat"})
    stuck = oldest_due(now, min_priority=Priority.HIGH, sendable_only=True)
    limit = settings.TONGPIN_READY_MAX_PRIORITY_AGE
    if stuck is not None and stuck["age_seconds"] > limit:
        reasons.append(
            {
                "code": "priority_delivery_stuck",
                "message": f"priority delivery {stuck['id']} has waited {stuck['age_seconds']:.0f} s"
                f" (limit {limit:g} s)",
            }
        )
    return Readiness(not reasons, reasons)
