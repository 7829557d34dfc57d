"""Real worker processes on a real database: kill -9 mid-batch loses and duplicates nothing; two workers share.

Each test gets a database of its own (a temporary SQLite home, or a fresh PostgreSQL database when
127.0.0.1:5432 answers), fills the queue with `tests.queue_scenario`, and runs `python -m tongpin worker`.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from .publishing_support import Sink

ROOT = Path(__file__).resolve().parent.parent
PG = "postgresql://postgres@127.0.0.1:5432"


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", connect_timeout=2):
            return True
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGPIN_")}
    env.update(TONGPIN_HOME=str(tmp_path / "home"), TONGPIN_DELIVERY_LEASE="2", TONGPIN_DELIVERY_POLL="0.02",
               TONGPIN_LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))  # fmt: skip
    env["TONGPIN_OUTBOUND_ALLOW"] = "127.0.0.0/8"  # the sink listens on loopback, refused unless allow-listed
    if request.param == "sqlite":
        yield env
        return
    if not _pg_available():
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    import psycopg

    name = f"tongpin_q_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    env["TONGPIN_DATABASE_URL"] = f"{PG}/{name}"
    try:
        yield env
    finally:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def scenario(env: dict, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "tests.queue_scenario", *args], env=env, cwd=ROOT, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    handle = log.open("a")
    return subprocess.Popen(
        [sys.executable, "-m", "tongpin", "worker", "--deliveries-only", "--threads", "4"],
        env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT,
    )  # fmt: skip


def wait_for(condition, timeout: float, every: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(database, tmp_path):
    count = 120
    with Sink(delay=0.02) as sink:  # a little slow, so the kill lands with sends in flight
        scenario(database, "setup", str(count), sink.url)
        first = start_worker(database, tmp_path / "worker.log")
        assert wait_for(lambda: len(sink.received) >= 20, 60), (tmp_path / "worker.log").read_text()
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed_at = len(sink.received)
        assert killed_at < count  # it died mid-batch
        second = start_worker(database, tmp_path / "worker.log")
        try:
            assert wait_for(lambda: len(sink.unique) >= count, 90), (tmp_path / "worker.log").read_text()
            assert wait_for(lambda: scenario(database, "report")["states"] == {"success": count}, 30, every=0.5)
        finally:
            stop(second)
    # Every delivery reached the receiver under its own key; a send the dead worker had in flight may arrive
    # twice, with the same key, so a receiver that honours keys publishes it once.
    assert len(sink.unique) == count
    repeats = len(sink.received) - count
    assert 0 <= repeats <= 8 * 2  # at most what one worker holds in flight (threads × 2)
    keys = [e["headers"]["Idempotency-Key"] for e in sink.received]
    assert set(keys) == set(sink.unique)


def test_two_workers_at_once_share_the_queue_and_send_each_delivery_once(database, tmp_path):
    count = 200
    with Sink(delay=0.005) as sink:
        scenario(database, "setup", str(count), sink.url)
        workers = [start_worker(database, tmp_path / f"worker{i}.log") for i in range(2)]
        try:
            assert wait_for(lambda: len(sink.received) >= count, 90)
            assert wait_for(lambda: scenario(database, "report")["states"] == {"success": count}, 30, every=0.5)
        finally:
            for worker in workers:
                stop(worker)
    report = scenario(database, "report")
    assert len(sink.received) == count == len(sink.unique)  # nobody sent anything twice
    assert report["attempts"] == count
    assert len(report["workers"]) == 2  # both took part


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_sharing_multi_channel_publications_leave_none_of_them_sending(database, tmp_path, workers):
    """Each publication goes to six channels, so its deliveries finish in different workers' transactions;
    every publication must still end 已发布 (done), whoever recorded its last delivery."""
    count, channels = 100, 6
    with Sink(delay=0.002) as sink:
        scenario(database, "setup", str(count), sink.url, str(channels))
        running = [start_worker(database, tmp_path / f"worker{i}.log") for i in range(workers)]
        try:
            assert wait_for(lambda: len(sink.unique) >= count * channels, 90)
            assert wait_for(lambda: scenario(database, "report")["publications"] == {"done": count}, 30, every=0.5)
        finally:
            for worker in running:
                stop(worker)
    report = scenario(database, "report")
    assert report["states"] == {"success": count * channels}
    assert len(report["workers"]) >= 2


def test_an_idle_worker_is_woken_the_moment_work_is_queued(database, tmp_path):
    """The worker polls only once a minute here: what arrives within seconds came through the wake-up that
    another process (the queue_scenario script, as a web process would) sends when its transaction commits."""
    env = {**database, "TONGPIN_DELIVERY_POLL": "60"}
    log = tmp_path / "worker.log"
    with Sink() as sink:
        scenario(env, "setup", "1", sink.url)
        worker = start_worker(env, log)
        try:
            assert wait_for(lambda: len(sink.received) == 1, 30), log.read_text()  # its first look, at start
            time.sleep(0.5)  # idle now, until its next poll a minute away
            scenario(env, "enqueue", "3")
            assert wait_for(lambda: len(sink.received) == 4, 20), log.read_text()
        finally:
            started = time.monotonic()
            stop(worker)
            stopping = time.monotonic() - started
    assert worker.returncode == 0
    assert stopping < 10  # SIGTERM ends the wait at once, not at the next poll


def test_a_killed_workers_deliveries_are_sent_by_the_other_within_seconds_not_its_lease(database, tmp_path):
    """The lease is 90 s here: the survivor takes the dead worker's rows because its heartbeat stopped."""
    env = {**database, "TONGPIN_DELIVERY_LEASE": "90", "TONGPIN_WORKER_DEAD_AFTER": "2"}
    count = 150
    with Sink(delay=0.02) as sink:
        scenario(env, "setup", str(count), sink.url)
        doomed = start_worker(env, tmp_path / "doomed.log")
        assert wait_for(lambda: len(sink.received) >= 10, 60), (tmp_path / "doomed.log").read_text()
        survivor = start_worker(env, tmp_path / "survivor.log")
        try:
            assert wait_for(lambda: len(sink.received) >= 30, 60)
            doomed.send_signal(signal.SIGKILL)
            doomed.wait()
            assert wait_for(lambda: len(sink.unique) >= count, 40), (tmp_path / "survivor.log").read_text()
            assert wait_for(lambda: scenario(env, "report")["states"] == {"success": count}, 20, every=0.5)
        finally:
            stop(survivor)
    assert len(sink.unique) == count
    assert len(sink.received) - count <= 8 * 2  # repeats: at most what the dead worker held in flight


def test_a_worker_on_another_machine_is_woken_by_postgresql_notify(database, tmp_path):
    """All of this machine's wake-up slots are taken (as if the worker ran elsewhere) and it polls once a minute:
    work queued by another process reaches it within seconds only through LISTEN/NOTIFY."""
    if "TONGPIN_DATABASE_URL" not in database:
        pytest.skip("NOTIFY is PostgreSQL's")
    import socket

    from tongpin.publishing import wakeup

    name = database["TONGPIN_DATABASE_URL"].rsplit("/", 1)[1]
    taken = []
    for address in wakeup._names_for(f"django.db.backends.postgresql|127.0.0.1|5432|{name}"):
        held = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        held.bind(address)
        taken.append(held)
    env = {**database, "TONGPIN_DELIVERY_POLL": "60"}
    log = tmp_path / "worker.log"
    try:
        with Sink() as sink:
            scenario(env, "setup", "1", sink.url)
            worker = start_worker(env, log)
            try:
                assert wait_for(lambda: len(sink.received) == 1, 30), log.read_text()  # its first look
                time.sleep(1.5)  # idle now, listening
                scenario(env, "enqueue", "3")
                assert wait_for(lambda: len(sink.received) == 4, 20), log.read_text()
            finally:
                stop(worker)
        assert sum(len(held.recv(16)) for held in taken if _readable(held)) > 0  # the datagrams went nowhere useful
    finally:
        for held in taken:
            held.close()


def _readable(sock) -> bool:
    import select

    return bool(select.select([sock], [], [], 0)[0])


def test_connections_killed_mid_burst_cost_no_delivery_and_the_worker_carries_on(database, tmp_path):
    """PostgreSQL only: every backend of the test's own database (the worker's claim, heartbeat and LISTEN
    connections) is ended with pg_terminate_backend three times while a burst is being sent. The same worker
    process, never restarted, sends everything, each delivery once more at most within the documented bound,
    and its heartbeat beats again after the last kill."""
    if "TONGPIN_DATABASE_URL" not in database:
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    import psycopg

    from tongpin.publishing.dispatcher import DEPTH

    name = database["TONGPIN_DATABASE_URL"].rsplit("/", 1)[1]
    threads = 4  # start_worker's --threads; the lane gets a quarter of them, at least one
    bound = threads * DEPTH + max(1, threads // 4) * 2  # docs/publishing.md: every row a worker can hold
    count = 150
    log = tmp_path / "worker.log"

    def kill_backends() -> int:
        """End every backend of the database; between two rounds a worker may hold none for a moment (its
        threads are sending over HTTP), so try again for a few seconds until at least one is ended."""
        deadline = time.monotonic() + 10
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
            while True:
                ended = admin.execute(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    [name],
                ).fetchone()[0]
                if ended or time.monotonic() > deadline:
                    return ended
                time.sleep(0.01)

    killed, last_kill = [], None
    with Sink(delay=0.01) as sink:
        scenario(database, "setup", str(count), sink.url)
        worker = start_worker(database, log)
        try:
            for share in (0.15, 0.4, 0.7):
                assert wait_for(lambda s=share: len(sink.unique) >= count * s, 90), (share, log.read_text())
                killed.append(kill_backends())
                with psycopg.connect(f"{PG}/{name}") as own:
                    last_kill = own.execute("SELECT now()").fetchone()[0]
            assert wait_for(lambda: len(sink.unique) >= count, 90), ("all sent", len(sink.unique), log.read_text())
            assert wait_for(lambda: scenario(database, "report")["states"] == {"success": count}, 30, every=0.5)
            with psycopg.connect(f"{PG}/{name}") as own:
                beats_again = lambda: own.execute(  # noqa: E731
                    "SELECT max(beat_at) > %s FROM publishing_workerbeat WHERE stopped_at IS NULL", [last_kill]
                ).fetchone()[0]
                assert wait_for(beats_again, 15), ("beats again", log.read_text())
            assert worker.poll() is None, log.read_text()  # the same process all along
        finally:
            stop(worker)
    assert all(n >= 1 for n in killed)  # each time the worker had connections to end
    assert "database trouble" in log.read_text()  # the kills did land mid-work
    assert len(sink.unique) == count
    keys = [e["headers"]["Idempotency-Key"] for e in sink.received]
    assert set(keys) == set(sink.unique)
    assert len(sink.received) - count <= bound
