"""`/metrics` in the Prometheus text format (docs/operations.md, "Watching it").

Several web processes answer scrapes in turn, so counters kept in one process would jump between scrapes. What
the database knows is therefore computed from it at scrape time (`DatabaseCollector`): queue depth, oldest due
delivery, workers alive, paused channels, alerts by state, and — over the last TONGPIN_METRICS_WINDOW seconds —
sends by outcome (DeliveryAttempt rows) and delivery latency (Delivery rows delivered in the window, as a gauge
histogram). Only request latency is measured in the web processes: under `tongpin serve` they share it through
prometheus-client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set by serve); elsewhere it is per process.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, DateTimeField, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce, Greatest
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from tongpin.alerts.models import Alert, AlertState
from tongpin.publishing import workers
from tongpin.publishing.models import Channel, Delivery, DeliveryAttempt, DeliveryState, Priority

from . import status

LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900)

REQUEST_LATENCY = Histogram(
    "tongpin_http_request_duration_seconds",
    "Time to answer a web or API request (per process unless served by `tongpin serve`, see docs).",
    ["method", "status"],
    registry=None,  # put into each scrape's registry (`_registry`), not the global one
)


class RequestLatencyMiddleware:
    """Times every request except the scrape itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        if request.path != "/metrics":
            REQUEST_LATENCY.labels(request.method, f"{response.status_code // 100}xx").observe(
                time.perf_counter() - started
            )
        return response


def _lane_gauges(now) -> list:
    depth = GaugeMetricFamily(
        "tongpin_delivery_queue_depth", "Deliveries due and waiting to be sent (pending or retrying).", labels=["lane"]
    )
    oldest = GaugeMetricFamily(
        "tongpin_delivery_oldest_due_seconds",
        "How long the oldest due delivery on an active, unpaused channel has waited (0: none).",
        labels=["lane"],
    )
    due = status.due_deliveries(now)
    priority_depth = due.filter(priority__gte=Priority.HIGH).count()
    depth.add_metric(["priority"], priority_depth)
    depth.add_metric(["normal"], due.count() - priority_depth)
    priority = status.oldest_due(now, min_priority=Priority.HIGH, sendable_only=True)
    oldest.add_metric(["priority"], priority["age_seconds"] if priority else 0.0)
    normal = _oldest_normal(now)
    oldest.add_metric(["normal"], normal["age_seconds"] if normal else 0.0)
    in_progress = GaugeMetricFamily("tongpin_delivery_in_progress", "Deliveries being sent right now.")
    in_progress.add_metric([], Delivery.objects.filter(state=DeliveryState.IN_PROGRESS).count())
    return [depth, oldest, in_progress]


def _oldest_normal(now) -> dict | None:
    first = (
        status.due_deliveries(now, sendable_only=True)
        .filter(priority__lt=Priority.HIGH)
        .order_by("due_at", "id")
        .values_list("due_at", flat=True)
        .first()
    )
    return {"age_seconds": round((now - first).total_seconds(), 1)} if first else None


def _latency(since) -> GaugeHistogramMetricFamily:
    """From queued (or its scheduled time) to delivered, for deliveries delivered since `since`, per channel kind."""
    scheduled = Coalesce(F("rendition__publication__scheduled_at"), F("created_at"))
    began = Greatest(F("created_at"), scheduled, output_field=DateTimeField())
    waited = ExpressionWrapper(F("delivered_at") - began, output_field=DurationField())
    buckets = {
        f"le_{n}": Count("id", filter=Q(waited__lte=timedelta(seconds=bound)))
        for n, bound in enumerate(LATENCY_BUCKETS)
    }
    rows = (
        Delivery.objects.filter(state=DeliveryState.SUCCESS, delivered_at__gte=since)
        .annotate(waited=waited)
        .order_by()
        .values("channel__kind")
        .annotate(total=Count("id"), waited_sum=Sum("waited"), **buckets)
    )
    family = GaugeHistogramMetricFamily(
        "tongpin_delivery_latency_seconds",
        "Queued (or scheduled) to delivered, of the deliveries delivered in the window, per channel kind.",
        labels=["kind"],
    )
    for row in rows:
        cumulative = [(str(float(bound)), row[f"le_{n}"]) for n, bound in enumerate(LATENCY_BUCKETS)]
        cumulative.append(("+Inf", row["total"]))
        spent = row["waited_sum"]
        family.add_metric([row["channel__kind"]], cumulative, spent.total_seconds() if spent else 0.0)
    return family


class DatabaseCollector(Collector):
    """Gauges read from the database at each scrape, identical whichever web process answers."""

    def collect(self):
        now = timezone.now()
        since = now - timedelta(seconds=settings.TONGPIN_METRICS_WINDOW)
        yield from _lane_gauges(now)

        sends = GaugeMetricFamily(
            "tongpin_delivery_sends_recent",
            "Send attempts finished in the last TONGPIN_METRICS_WINDOW seconds, by outcome.",
            labels=["outcome"],
        )
        counts = dict(
            DeliveryAttempt.objects.filter(finished_at__gte=since).order_by().values_list("outcome").annotate(n=Count("id"))
        )
        for outcome in ("success", "accepted", "error", "permanent"):
            sends.add_metric([outcome], counts.get(outcome, 0))
        yield sends
        yield _latency(since)

        alerts = GaugeMetricFamily("tongpin_alerts", "Alerts by state.", labels=["state"])
        by_state = dict(Alert.objects.order_by().values_list("state").annotate(n=Count("id")))
        for state in AlertState.values:
            alerts.add_metric([state], by_state.get(state, 0))
        yield alerts
        overdue = GaugeMetricFamily(
            "tongpin_alerts_overdue_confirmation", "Alerts waiting for confirmation past their escalation time."
        )
        overdue.add_metric([], len(status.overdue_confirmations(now)))
        yield overdue

        alive = GaugeMetricFamily(
            "tongpin_workers_alive", "Workers with a fresh heartbeat, by what they run.", labels=["runs"]
        )
        runs: dict[str, int] = {}
        for worker in workers.alive(now):
            runs[worker.runs] = runs.get(worker.runs, 0) + 1
        for name in sorted(runs | {"deliveries": 0}):
            alive.add_metric([name], runs.get(name, 0))
        yield alive

        paused = GaugeMetricFamily("tongpin_channel_paused", "1 when an active channel is paused.", labels=["channel"])
        for slug, is_paused in Channel.objects.filter(is_active=True).order_by("slug").values_list("slug", "paused"):
            paused.add_metric([slug], 1 if is_paused else 0)
        yield paused


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUEST_LATENCY)
    registry.register(DatabaseCollector())
    return registry


def _from_loopback(request) -> bool:
    if request.META.get("HTTP_X_FORWARDED_FOR"):  # came through a proxy: the proxy is local, the caller maybe not
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def _has_token(request) -> bool:
    token = settings.TONGPIN_METRICS_TOKEN
    given = request.META.get("HTTP_AUTHORIZATION", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@never_cache
def metrics(request):
    if not (_from_loopback(request) or _has_token(request)):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
