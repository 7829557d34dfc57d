"""The warning lane watching itself: when it cannot deliver, page the duty desk by the same routes as a warning.

Conditions, from the same checks as `/readyz` and the status page (status.py): no delivery worker with a fresh
heartbeat (`no_worker`), a priority delivery stuck past TONGPIN_READY_MAX_PRIORITY_AGE
(`priority_delivery_stuck`), an active channel that carries warnings (it has a coverage row) paused
(`channel_paused:<id>`). Each condition pages when it starts and again at most once per TONGPIN_LANE_PAGE_EVERY
while it lasts; a recovery message goes out when it clears. The `LaneCondition` rows make this hold across every
process that runs the watch (an atomic update decides who pages).

Who runs it: the worker's periodic hook (every 5 s) — but a lane with no worker has nobody there, so the web
processes run it too, at most every TONGPIN_LANE_WATCH_EVERY seconds, from `/readyz` (which monitoring polls) and
`tongpin lanewatch` (a cron job or systemd timer; `--loop N` keeps checking every N seconds).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tongpin.alerts import paging
from tongpin.alerts.models import Coverage, LaneCondition
from tongpin.core import audit

from . import status

log = logging.getLogger(__name__)
_last_run = 0.0
_guard = threading.Lock()


def conditions(now: datetime) -> dict[str, str]:
    """What is wrong with the lane now: {key: the sentence paged}."""
    found = {}
    ready = status.readiness(now)
    for reason in ready.reasons:
        if reason["code"] == "no_worker":
            found["no_worker"] = _("没有在线的投递工作进程，预警不会发出。")
        elif reason["code"] == "priority_delivery_stuck":
            found["priority_delivery_stuck"] = _("优先投递（预警）等待过久：%(m)s") % {"m": reason["message"]}
        elif reason["code"] == "database":
            return {}  # nothing can be recorded or paged without the database
    paused = Coverage.objects.filter(channel__paused=True, channel__is_active=True).select_related("channel")
    for coverage in paused:
        channel = coverage.channel
        found[f"channel_paused:{channel.pk}"] = _("预警渠道“%(c)s”已暂停：%(r)s") % {
            "c": channel.name, "r": channel.paused_reason or _("原因未记录")}  # fmt: skip
    return found


def watch(now: datetime | None = None) -> dict[str, int]:
    with translation.override(settings.LANGUAGE_CODE):  # pages speak the station's language
        return _watch(now)


def _watch(now: datetime | None = None) -> dict[str, int]:
    """Page new and long-lasting conditions, announce cleared ones. Returns counts (paged, repeated, recovered)."""
    now = now or timezone.now()
    every = timedelta(seconds=settings.TONGPIN_LANE_PAGE_EVERY)
    current = conditions(now)
    counts = {"paged": 0, "repeated": 0, "recovered": 0}
    for key, text in current.items():
        row, created = LaneCondition.objects.get_or_create(key=key, defaults={"text": text[:300], "since": now})
        if not created and row.cleared_at is not None:  # came back: a new episode
            if not LaneCondition.objects.filter(pk=row.pk, cleared_at=row.cleared_at).update(
                cleared_at=None, since=now, paged_at=None, text=text[:300]
            ):
                continue
            row.paged_at = None
        due = row.paged_at is None or row.paged_at <= now - every
        if not due:
            continue
        with transaction.atomic():
            taken = LaneCondition.objects.filter(pk=row.pk, cleared_at__isnull=True).filter(
                Q(paged_at__isnull=True) | Q(paged_at__lte=now - every)
            ).update(paged_at=now)
            if not taken:
                continue  # another process paged it
            paging.page_health(_("预警通道异常：%(t)s") % {"t": text}, now)
            audit.record(audit.SYSTEM, "lane.health_paged", row, {"condition": key, "text": text,
                                                                   "repeat": row.paged_at is not None})  # fmt: skip
        counts["repeated" if row.paged_at else "paged"] += 1
    for row in LaneCondition.objects.filter(cleared_at__isnull=True).exclude(key__in=list(current)):
        with transaction.atomic():
            if not LaneCondition.objects.filter(pk=row.pk, cleared_at__isnull=True).update(cleared_at=now):
                continue
            lasted = round((now - row.since).total_seconds())
            if row.paged_at is not None:
                paging.page_health(_("预警通道已恢复：%(t)s（持续 %(s)d 秒）") % {"t": row.text, "s": lasted}, now)
            audit.record(audit.SYSTEM, "lane.health_recovered", row, {"condition": row.key, "lasted_seconds": lasted})
        counts["recovered"] += 1
    return counts


def watch_throttled() -> None:
    """From a web process (/readyz): at most every TONGPIN_LANE_WATCH_EVERY seconds per process, in a thread."""
    global _last_run
    if settings.TONGPIN_LANE_WATCH_EVERY <= 0:
        return
    with _guard:
        if time.monotonic() - _last_run < settings.TONGPIN_LANE_WATCH_EVERY:
            return
        _last_run = time.monotonic()

    def run() -> None:
        try:
            watch()
        except Exception:  # noqa: BLE001  (a probe must not fail because paging did)
            log.exception("lane watch failed")
        finally:
            connection.close()

    threading.Thread(target=run, name="tongpin-lane-watch", daemon=True).start()
