"""Watching it: the status page (系统状态), GET /api/v1/status, /readyz, /metrics, log lines and formats.

The last tests run the real thing: `tongpin serve` and `tongpin worker` processes on a temporary home, a worker
killed with -9, and /readyz turning 503 because its heartbeat stopped.
"""

import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from tongpin.alerts import release
from tongpin.alerts.models import Alert, AlertState
from tongpin.core.audit import SYSTEM
from tongpin.publishing import channels_admin
from tongpin.publishing.models import Channel, Delivery, DeliveryAttempt, DeliveryState, Priority, WorkerBeat
from tongpin.publishing.plugins import Content
from tongpin.publishing.services import prepare

from .conftest import actor, free_port
from .publishing_support import Sink, drain, make_channel

ROOT = Path(__file__).resolve().parent.parent


def queue(channel: Channel, count: int, priority: int = Priority.NORMAL, title: str = "稿件") -> list:
    return [
        prepare(SYSTEM, Content(source_type="test", source_id=n, version=1, title=f"{title}{n}", summary="摘要"),
                [channel.pk], priority=priority)  # fmt: skip
        for n in range(count)
    ]


def scrape(client, **headers) -> dict:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    return samples[(name, tuple(sorted((k, str(v)) for k, v in labels.items())))]


def fresh_worker(name: str = "w1", runs: str = "deliveries", beat_ago: float = 0.0) -> WorkerBeat:
    now = timezone.now()
    return WorkerBeat.objects.create(
        name=name, host="host1", pid=4321, runs=runs, started_at=now - timedelta(minutes=5),
        beat_at=now - timedelta(seconds=beat_ago),
    )  # fmt: skip


def make_alert(state: str, **fields) -> Alert:
    number = Alert.objects.count() + 1
    defaults = dict(
        identifier=f"id-{number}", sender="cma@example.cn", sent=f"2026-12-02T10:0{number}:00+08:00",
        msg_type="Alert", status="Actual", scope="Public", source_format="cap", headline=f"暴雨预警{number}",
        cap_xml="<alert/>", sha256="0" * 64, validation={}, state=state,
    )  # fmt: skip
    return Alert.objects.create(**{**defaults, **fields})


@pytest.fixture(autouse=True)
def _patient(settings):
    """A loaded test machine must not make a fresh heartbeat look dead: dead here means an hour old."""
    settings.TONGPIN_WORKER_DEAD_AFTER = 3600


@pytest.fixture
def sink_channel(users, allow_loopback):
    with Sink() as sink:
        channel = make_channel(users["admin"], "app", "webhook", url=sink.url, secret="k", timeout=5)
        yield channel, sink


# --- /metrics ---


def test_metrics_report_queue_depth_per_lane_workers_alerts_and_paused_channels_from_the_database(
    client, users, sink_channel
):
    channel, _sink = sink_channel
    queue(channel, 3)
    queue(channel, 2, priority=Priority.HIGH, title="快讯")
    fresh_worker("w1")
    fresh_worker("w2", beat_ago=7200)  # dead: not counted
    make_alert(AlertState.PENDING)
    make_alert(AlertState.RELEASED)
    make_alert(AlertState.RELEASED)

    samples = scrape(client)

    assert value(samples, "tongpin_delivery_queue_depth", lane="normal") == 3
    assert value(samples, "tongpin_delivery_queue_depth", lane="priority") == 2
    assert value(samples, "tongpin_workers_alive", runs="deliveries") == 1
    assert value(samples, "tongpin_alerts", state="released") == 2
    assert value(samples, "tongpin_alerts", state="pending") == 1
    assert value(samples, "tongpin_channel_paused", channel=channel.slug) == 0

    Delivery.objects.filter(priority__gte=Priority.HIGH).update(due_at=timezone.now() - timedelta(seconds=90))
    channels_admin.set_paused(actor(users["admin"]), channel.pk, True, "维护")
    samples = scrape(client)
    assert value(samples, "tongpin_channel_paused", channel=channel.slug) == 1
    # A paused channel's deliveries still count as queued, but not as stuck: nobody may send them.
    assert value(samples, "tongpin_delivery_queue_depth", lane="priority") == 2
    assert value(samples, "tongpin_delivery_oldest_due_seconds", lane="priority") == 0
    channels_admin.set_paused(actor(users["admin"]), channel.pk, False)
    assert value(scrape(client), "tongpin_delivery_oldest_due_seconds", lane="priority") >= 90


def test_metrics_count_sends_by_outcome_and_latency_per_kind_once_delivered(client, users, sink_channel):
    channel, sink = sink_channel
    queue(channel, 3)
    drain()
    assert len(sink.received) == 3

    samples = scrape(client)

    assert value(samples, "tongpin_delivery_queue_depth", lane="normal") == 0
    assert value(samples, "tongpin_delivery_sends_recent", outcome="success") == 3
    assert value(samples, "tongpin_delivery_sends_recent", outcome="error") == 0
    assert value(samples, "tongpin_delivery_latency_seconds_bucket", kind="app", le="+Inf") == 3
    assert value(samples, "tongpin_delivery_latency_seconds_bucket", kind="app", le="900.0") == 3
    assert value(samples, "tongpin_delivery_latency_seconds_gcount", kind="app") == 3
    assert 0 < value(samples, "tongpin_delivery_latency_seconds_gsum", kind="app") < 3 * 900  # seconds, not µs

    # Outside the window they are no longer counted.
    DeliveryAttempt.objects.update(finished_at=timezone.now() - timedelta(hours=1))
    Delivery.objects.update(delivered_at=timezone.now() - timedelta(hours=1))
    samples = scrape(client)
    assert value(samples, "tongpin_delivery_sends_recent", outcome="success") == 0
    assert not any(name == "tongpin_delivery_latency_seconds_bucket" for name, _labels in samples)


def test_metrics_measure_request_latency(client, users):
    client.get("/healthz")
    client.get("/healthz")
    samples = scrape(client)
    assert value(samples, "tongpin_http_request_duration_seconds_count", method="GET", status="2xx") >= 2


def test_metrics_are_open_to_loopback_only_unless_the_bearer_token_is_given(client, db, settings):
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403
    # Through a reverse proxy on this machine the caller may be anyone: the loopback address proves nothing.
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403

    settings.TONGPIN_METRICS_TOKEN = "scrape-secret-1"
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403
    wrong = client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 403
    right = client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer scrape-secret-1")
    assert right.status_code == 200
    assert b"tongpin_delivery_queue_depth" in right.content


# --- /readyz ---


def test_readyz_needs_a_delivery_worker_a_moving_priority_lane_and_the_database(client, users, sink_channel, settings):
    channel, _sink = sink_channel
    response = client.get("/readyz")
    assert response.status_code == 503
    assert [r["code"] for r in response.json()["reasons"]] == ["no_worker"]

    fresh_worker("tasks-only", runs="tasks")  # runs no deliveries: does not count
    assert client.get("/readyz").status_code == 503
    fresh_worker("w1")
    assert client.get("/readyz").json() == {"status": "ready", "version": response.json()["version"], "reasons": []}

    settings.TONGPIN_READY_MAX_PRIORITY_AGE = 30
    queue(channel, 1, priority=Priority.URGENT)
    queue(channel, 1)  # normal lane: never makes it unready
    Delivery.objects.update(due_at=timezone.now() - timedelta(seconds=10))
    assert client.get("/readyz").status_code == 200
    Delivery.objects.update(due_at=timezone.now() - timedelta(seconds=45))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert [r["code"] for r in response.json()["reasons"]] == ["priority_delivery_stuck"]
    Delivery.objects.filter(priority=Priority.NORMAL).update(due_at=timezone.now() - timedelta(hours=2))
    Delivery.objects.filter(priority=Priority.URGENT).update(state=DeliveryState.SUCCESS)
    assert client.get("/readyz").status_code == 200


def test_readyz_answers_503_when_the_database_is_unreachable(client, db, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def broken(self, sql, params=None):
        raise RuntimeError("database gone")

    with monkeypatch.context() as patched:
        patched.setattr(CursorWrapper, "execute", broken)
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["reasons"][0]["code"] == "database"


# --- the status page and the API ---


def test_status_page_shows_workers_queue_paused_channels_alerts_and_disk(client, users, sink_channel):
    channel, _sink = sink_channel
    fresh_worker("delivery-1@host1")
    queue(channel, 2)
    Delivery.objects.update(due_at=timezone.now() - timedelta(seconds=120))
    channels_admin.set_paused(actor(users["admin"]), channel.pk, True, "对方接口维护")
    publication = queue(channel, 1, priority=Priority.HIGH, title="预警")[0]
    undelivered = make_alert(AlertState.RELEASED, publication=publication, released_at=timezone.now())
    overdue = make_alert(AlertState.PENDING, escalate_after=60, received_at=timezone.now() - timedelta(seconds=200))
    make_alert(AlertState.PENDING, escalate_after=600)  # not yet due for escalation

    client.force_login(users["duty"])
    page = client.get("/status/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "delivery-1@host1" in html and "4321" in html
    assert "对方接口维护" in html
    assert undelivered.headline in html
    assert overdue.headline in html and "暴雨预警3" not in html
    assert "数据目录" in html
    assert 'href="/status/"' in html  # in the 更多 menu

    data = client.get("/api/v1/status").json()
    assert [w["name"] for w in data["workers"]] == ["delivery-1@host1"]
    assert data["oldest_due"]["age_seconds"] >= 120 and data["oldest_due"]["channel_paused"] is True
    assert data["paused_channels"][0]["reason"] == "对方接口维护"
    assert [a["id"] for a in data["alerts_released_not_delivered"]] == [undelivered.pk]
    assert data["alerts_released_not_delivered"][0]["deliveries"] == {"pending": 1}
    assert [a["id"] for a in data["alerts_overdue_confirmation"]] == [overdue.pk]
    assert data["alerts_overdue_confirmation"][0]["overdue_seconds"] >= 140
    assert data["disk"][0]["free_bytes"] > 0


def test_deliveries_of_the_last_hour_per_channel(client, users, sink_channel):
    channel, _sink = sink_channel
    queue(channel, 4)
    drain()
    ids = list(Delivery.objects.values_list("id", flat=True))
    Delivery.objects.filter(id=ids[0]).update(state=DeliveryState.FAILED)
    Delivery.objects.filter(id=ids[1]).update(state=DeliveryState.RETRYING)
    Delivery.objects.filter(id=ids[2]).update(finished_at=timezone.now() - timedelta(hours=2))  # too old
    client.force_login(users["admin"])
    rows = client.get("/api/v1/status").json()["deliveries_last_hour"]
    assert rows == [
        {"channel_id": channel.pk, "channel": channel.name, "kind": "app", "success": 1, "retrying": 1, "failed": 1}
    ]


def test_status_is_for_admins_and_duty_officers_only(client, users):
    for username in ("reporter", "editor", "chief", "liaison_em"):
        client.force_login(users[username])
        assert client.get("/status/").status_code == 403, username
        assert client.get("/api/v1/status").status_code == 403, username
        assert 'href="/status/"' not in client.get("/").content.decode(), username
    for username in ("admin", "duty"):
        client.force_login(users[username])
        assert client.get("/status/").status_code == 200, username
    client.logout()
    assert client.get("/api/v1/status").status_code == 401


# --- log lines ---


def test_log_lines_for_failed_sends_pauses_and_alert_state_changes(users, caplog, settings):
    settings.TONGPIN_CHANNEL_PAUSE_AFTER = 2
    channel = make_channel(users["admin"], "app", "webhook", url="http://127.0.0.1:9/", secret="k", timeout=1)
    Channel.objects.filter(pk=channel.pk).update(max_attempts=1)
    queue(channel, 2)
    Delivery.objects.update(max_attempts=1)
    with caplog.at_level(logging.INFO):
        drain()
        channels_admin.set_paused(actor(users["admin"]), channel.pk, False)
        alert = make_alert(AlertState.PENDING, escalate_after=1, received_at=timezone.now() - timedelta(seconds=5))
        assert release.escalate_overdue() == 1
        release.reject(actor(users["duty"]), alert.pk, "演练")
    lines = [r.getMessage() for r in caplog.records]
    failed = [line for line in lines if line.startswith("delivery ") and " failed " in line]
    assert len(failed) == 2 and all(channel.slug in line and "given up" in line for line in failed)
    assert f"channel {channel.slug} paused after 2 failures in a row" in lines
    assert f"channel {channel.slug} resumed by admin" in lines
    assert any(line.startswith(f"alert {alert.pk} ") and "escalated" in line for line in lines)
    assert any(line.startswith(f"alert {alert.pk} ") and "pending → rejected" in line for line in lines)
    assert any(line.startswith("delivery worker ") and line.endswith(" stopped") for line in lines)


def test_json_log_format_writes_one_json_object_a_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGPIN_")}
    env.update(TONGPIN_HOME=str(tmp_path), TONGPIN_LOG_FORMAT="json", PYTHONPATH=str(ROOT / "src"),
               DJANGO_SETTINGS_MODULE="tongpin.settings")  # fmt: skip
    code = "import django, logging; django.setup(); logging.getLogger('tongpin.test').warning('频道 %s 已暂停', 'wx')"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True)
    entry = json.loads(done.stderr.strip().splitlines()[-1])
    assert entry["message"] == "频道 wx 已暂停"
    assert entry["level"] == "WARNING" and entry["logger"] == "tongpin.test" and entry["time"]


# --- the real thing: a server, a worker, kill -9 ---


def _get(url: str) -> tuple[int, dict | str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (a loopback URL built here)
            body = response.read().decode()
            status = response.status
    except urllib.error.HTTPError as error:
        body, status = error.read().decode(), error.code
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body


def _wait(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def test_readyz_turns_503_when_the_real_worker_is_killed(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TONGPIN_", "PROMETHEUS_"))}
    env.update(TONGPIN_HOME=str(tmp_path / "home"), TONGPIN_WORKER_DEAD_AFTER="2", TONGPIN_LOG_LEVEL="WARNING",
               PYTHONPATH=str(ROOT / "src"))  # fmt: skip
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_log, worker_log = (tmp_path / "server.log").open("w"), (tmp_path / "worker.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "tongpin", "serve", "--port", str(port), "--workers", "1", "--no-worker",
         "--access-log"],
        env=env, cwd=ROOT, stdout=server_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    worker = None
    try:
        assert _wait(lambda: _get(f"{base}/healthz")[0] == 200, 60), (tmp_path / "server.log").read_text()
        version = _get(f"{base}/healthz")[1]["version"]
        reasons = [{"code": "no_worker", "message": "no delivery worker has a fresh heartbeat"}]
        assert _get(f"{base}/readyz") == (503, {"status": "not_ready", "version": version, "reasons": reasons})
        worker = subprocess.Popen(
            [sys.executable, "-m", "tongpin", "worker", "--deliveries-only", "--threads", "2"],
            env=env, cwd=ROOT, stdout=worker_log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        assert _wait(lambda: _get(f"{base}/readyz")[0] == 200, 30), (tmp_path / "worker.log").read_text()
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        killed = time.monotonic()
        assert _wait(lambda: _get(f"{base}/readyz")[0] == 503, 10)
        assert time.monotonic() - killed < 6
        assert [r["code"] for r in _get(f"{base}/readyz")[1]["reasons"]] == ["no_worker"]

        # Request latency is shared by the web processes (multiprocess mode under serve) and readable here.
        status, text = _get(f"{base}/metrics")
        assert status == 200
        families = {f.name: f for f in text_string_to_metric_families(text)}
        counted = [s for s in families["tongpin_http_request_duration_seconds"].samples if s.name.endswith("_count")]
        assert sum(s.value for s in counted) >= 3
        assert (tmp_path / "home" / "prometheus").is_dir()
    finally:
        for process in (worker, server):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        server_log.close()
        worker_log.close()
    assert "GET /readyz" in (tmp_path / "server.log").read_text()  # --access-log


def test_the_status_page_links_the_backups_for_admins_only(client, users):
    client.force_login(users["admin"])
    assert 'href="/backups/"' in client.get("/status/").content.decode()
    client.force_login(users["duty"])
    assert 'href="/backups/"' not in client.get("/status/").content.decode()  # duty officers cannot open it


def test_the_status_page_says_what_each_worker_does_in_words(client, users):
    fresh_worker("w1")
    client.force_login(users["admin"])
    page = client.get("/status/").content.decode()
    assert "投递" in page.split("工作进程")[1] and "deliveries" not in page.split("工作进程")[1].split("</table>")[0]
    assert '<option value="en" >English</option>' in page.replace("  ", " ")  # each language in its own name
