"""Publishing queue benchmark: publications queued through the services, sent by real `tongpin worker`s.

    python bench/publish.py --json [--database sqlite|postgresql] [--workers 2] [--channels 6]
                                   [--publications 1500] [--batch 50] [--paced 100 --rate 20]

In a fresh SQLite home (or a fresh PostgreSQL database on 127.0.0.1:5432, dropped afterwards) it creates C
webhook channels posting to a local sink, starts K worker processes (`tongpin worker --deliveries-only`, as
production runs them) and
  * burst: releases N publications × C channels through `publishing.services` (drafts rendered beforehand,
    stored `--batch` a transaction), scheduled an hour ahead; then makes them all due at once and wakes the
    workers (`bring_due`), so queueing (10–60 ms a publication here) neither limits nor shares the CPU with
    the sending. `deliveries_per_s` = N × C ÷ (that moment → last receipt at the sink);
  * paced: releases publications one per transaction at `--rate` per second; `woken_p50_ms`/`woken_p99_ms`
    are commit → the first of its deliveries claimed (the wake-up), `p50_ms`/`p99_ms` commit → the last of its
    deliveries received.
The sink counts by idempotency key: `lost` (keys queued, never received), `repeats` (receipts beyond the first
per key); `stuck_publications`: publications not final 15 s after the last delivery arrived.
`load_1min` is the machine's load average when the run ended: on the shared 2-core machine read figures beside it.
During the burst it also counts where the cores went (`machine_busy_cores`, `workers_cores`, `postgres_cores`,
`bench_cores`): a second worker can add only what one worker's run left idle.
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = "postgresql://postgres@127.0.0.1:5432"
KINDS = ["tv", "sms", "app", "wechat", "weibo", "web"]
FINAL = ("done", "partial", "failed", "withdrawn", "cancelled")
BODY = (
    "<p>记者从市应急管理局获悉，受强降雨影响，今天上午全市启动防汛四级应急响应。各区已组织人员对沿河低洼地带、"
    "地质灾害隐患点开展巡查，转移群众一千二百余人。</p><p>气象部门提醒，未来三天仍有分散性强降雨，请市民减少"
    "不必要的外出，注意交通安全。</p>"
)


class Sink:
    """A minimal asyncio HTTP/1.1 receiver (keep-alive, Content-Length bodies), in a thread of this process:
    cheap enough per request that the worker, not the sink, is what gets measured."""

    def __init__(self):
        self.latencies: dict[str, float] = {}
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run():
            asyncio.set_event_loop(self.loop)
            server = self.loop.run_until_complete(asyncio.start_server(self.handle, "127.0.0.1", 0))
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            self.loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        ready.wait()
        self.url = f"http://127.0.0.1:{self.port}/hook"

    async def handle(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                body = await reader.readexactly(length) if length else b""
                self.received(body, time.time())
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    def received(self, body: bytes, now: float) -> None:
        """One delivery arrived (subclasses keep other figures)."""


class KeySink(Sink):
    """Receipts by idempotency key (every arrival kept, so repeats show) and by publication."""

    def __init__(self):
        self.by_key: dict[str, list[float]] = {}
        self.sent_at: dict[str, list[float]] = {}  # the sender's own stamp: who sent it, before or after a kill
        self.by_publication: dict[int, list[float]] = {}
        super().__init__()

    def received(self, body: bytes, now: float) -> None:
        data = json.loads(body)
        self.by_key.setdefault(data["id"], []).append(now)
        self.sent_at.setdefault(data["id"], []).append(datetime.fromisoformat(data["sent_at"]).timestamp())
        self.by_publication.setdefault(int(data["publication"]), []).append(now)

    def distinct(self) -> int:
        return len(self.by_key)

    def last(self) -> float:
        return max(max(times) for times in self.by_key.values())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


# --- inside the child process (its environment selects the database) ---------------------------------------


def setup(sink_url: str, channels: int) -> list:
    """Migrate and create `channels` webhook channels (kinds cycle through KINDS) posting to the sink."""
    from django.core.management import call_command

    from tongpin.core.audit import Actor
    from tongpin.core.models import User
    from tongpin.publishing.channels_admin import ChannelInput, create_channel

    call_command("migrate", verbosity=0)
    admin = Actor(user=User.objects.create(username="bench-admin", role="admin"))
    made = []
    for number in range(channels):
        kind = KINDS[number % len(KINDS)]
        extra = {"default_cover_media_id": "COVER"} if kind == "wechat" else {}
        settings = {"url": sink_url, "secret": "k", **extra}
        data = ChannelInput(name=f"{kind}-{number}", slug=f"bench-{number}", kind=kind, transmitter="webhook",
                            settings=settings)  # fmt: skip
        made.append(create_channel(admin, data))
    return made


def drafts(channels: list, count: int, first_id: int, at=None) -> list:
    """Publications worked out (rendered, checked) but not written: the untimed part of a release."""
    from tongpin.core.audit import Actor
    from tongpin.publishing.plugins import Content
    from tongpin.publishing.services import draft

    ids = [c.id for c in channels]
    planned = []
    for source_id in range(first_id, first_id + count):
        content = Content(source_type="bench", source_id=source_id, version=1, title=f"防汛应急响应（第{source_id}条）",
                          summary="转移群众一千二百余人。", body_html=BODY, body_text=BODY,
                          link="https://example.cn/n")  # fmt: skip
        planned.append(draft(Actor(user=None), content, ids, at=at, proofread=False, channels=channels))
    return planned


def store(planned: list) -> float:
    """Write and release drafts in one transaction (the workers are woken after its commit): commit time."""
    from django.db import transaction

    from tongpin.core.audit import Actor
    from tongpin.publishing.services import store as store_draft

    committed = []
    with transaction.atomic():
        transaction.on_commit(lambda: committed.append(time.time()))  # runs before the wake-up the release asks for
        for one in planned:
            store_draft(Actor(user=None), one)
    return committed[0]


def bring_due() -> float:
    """Make every scheduled publication due now (as if its time had come) and wake the workers: the burst's
    start. Queueing (10–60 ms a publication in this process, by load) is then neither timed nor competing
    with the sending for the CPU."""
    from django.db import transaction
    from django.utils import timezone

    from tongpin.publishing import wakeup
    from tongpin.publishing.models import Delivery, Publication

    with transaction.atomic():
        now = timezone.now()
        Publication.objects.filter(state="scheduled").update(scheduled_at=now)
        Delivery.objects.filter(state="pending").update(due_at=now)
    started = time.time()
    wakeup.wake()
    return started


def start_workers(count: int) -> list[subprocess.Popen]:
    return [
        subprocess.Popen([sys.executable, "-m", "tongpin", "worker", "--deliveries-only"], env=os.environ.copy(),
                         cwd=ROOT)  # fmt: skip
        for _ in range(count)
    ]


def tree_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a process and all its descendants (Linux /proc), or None elsewhere."""
    try:
        total, todo = 0.0, [pid]
        tick = os.sysconf("SC_CLK_TCK")
        while todo:
            current = todo.pop()
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
        return total
    except (OSError, ValueError, IndexError):
        return None


def _machine_busy() -> tuple[float, float]:
    """All cores' busy and total jiffies so far (Linux /proc/stat: everything but idle and iowait is busy)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values) - values[3] - values[4], sum(values)


def _postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL process on this machine (the server and its backends)."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, rest = stat.read_text().split(") ", 1)
        except OSError:
            continue
        if name.endswith("(postgres"):
            fields = rest.split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


class CpuMeter:
    """Where the cores went during a run: the machine as a whole, the workers, PostgreSQL and this process (the
    bench's sink and enqueueing), each in cores (CPU seconds per second of wall time). On 2 cores, a second worker
    can add only what the first run left idle."""

    def __init__(self, workers: list[subprocess.Popen]):
        self.pids = [w.pid for w in workers]
        self.start = self._read()

    def _read(self) -> dict:
        busy, total = _machine_busy()
        workers = [tree_cpu(pid) for pid in self.pids]
        return {"wall": time.time(), "busy": busy, "total": total, "workers": sum(w or 0.0 for w in workers),
                "postgres": _postgres_cpu(), "bench": time.process_time()}  # fmt: skip

    def cores(self) -> dict:
        end, start = self._read(), self.start
        wall = max(end["wall"] - start["wall"], 1e-9)
        share = (end["busy"] - start["busy"]) / max(end["total"] - start["total"], 1)
        return {
            "machine_busy_cores": round(share * (os.cpu_count() or 1), 2),
            "workers_cores": round((end["workers"] - start["workers"]) / wall, 2),
            "postgres_cores": round((end["postgres"] - start["postgres"]) / wall, 2),
            "bench_cores": round((end["bench"] - start["bench"]) / wall, 2),
        }


def wait_for(sink: KeySink, expected: int, quiet: float = 30.0, limit: float = 600.0) -> None:
    """Until the sink has `expected` distinct keys, or nothing new arrived for `quiet` seconds."""
    begin, seen, seen_at = time.time(), -1, time.time()
    while sink.distinct() < expected and time.time() - begin < limit:
        if sink.distinct() != seen:
            seen, seen_at = sink.distinct(), time.time()
        elif time.time() - seen_at > quiet:
            return
        time.sleep(0.01)


def outcome(sink: KeySink) -> dict:
    """lost / repeats by idempotency key, and publications not final 15 s after the last receipt."""
    from tongpin.publishing.models import Delivery, Publication

    keys = set(Delivery.objects.filter(action="publish").values_list("idempotency_key", flat=True))
    deadline = (sink.last() if sink.by_key else time.time()) + 15.0
    while True:
        stuck = Publication.objects.exclude(state__in=FINAL).count()
        if not stuck or time.time() >= deadline:
            break
        time.sleep(0.2)
    return {
        "queued": len(keys),
        "received": sink.distinct(),
        "lost": len(keys - set(sink.by_key)),
        "repeats": sum(len(times) - 1 for times in sink.by_key.values()),
        "stuck_publications": stuck,
    }


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()
    for worker in workers:
        worker.wait(timeout=60)


def run_publish(args) -> dict:
    import django

    django.setup()
    from django.utils import timezone

    from tongpin.publishing.models import Delivery

    sink = KeySink()
    channels = setup(sink.url, args.channels)
    burst = drafts(channels, args.publications, 0, at=timezone.now() + timedelta(hours=1))
    workers = start_workers(args.workers)
    try:
        time.sleep(3.0)  # the workers import, connect and beat before the clock runs
        begin = time.time()
        for offset in range(0, len(burst), args.batch):
            store(burst[offset : offset + args.batch])
        enqueue_s = time.time() - begin
        meter = CpuMeter(workers)
        started = bring_due()
        total = args.publications * args.channels
        wait_for(sink, total)
        burst_seconds = sink.last() - started
        cores = meter.cores()  # the burst alone
        paced = drafts(channels, args.paced, args.publications)
        committed: dict[int, float] = {}
        for one in paced:
            at = store([one])
            committed[one.renditions[0].publication_id] = at
            time.sleep(max(0.0, 1.0 / args.rate - (time.time() - at)))
        wait_for(sink, total + args.paced * args.channels)
        result = outcome(sink)
    finally:
        stop_workers(workers)
    first_claims: dict[int, float] = {}
    for publication_id, claimed in Delivery.objects.filter(rendition__publication_id__in=committed).values_list(
        "rendition__publication_id", "started_at"
    ):
        if claimed is not None:
            value = claimed.timestamp()
            first_claims[publication_id] = min(first_claims.get(publication_id, value), value)
    woken = [first_claims[p] - at for p, at in committed.items() if p in first_claims]
    whole = [max(sink.by_publication[p]) - at for p, at in committed.items() if p in sink.by_publication]
    return {
        "database": args.database,
        "workers": args.workers,
        "worker_threads": int(os.environ.get("TONGPIN_DELIVERY_THREADS", "8")),
        "channels": args.channels,
        "publications": args.publications,
        "deliveries": total,
        "enqueue_s": round(enqueue_s, 2),
        "deliveries_per_s": round(total / burst_seconds, 1),
        **result,
        **cores,
        "paced": args.paced,
        "paced_rate_per_s": args.rate,
        "woken_p50_ms": ms(statistics.median(woken)) if woken else None,
        "woken_p99_ms": ms(percentile(woken, 0.99)) if woken else None,
        "p50_ms": ms(statistics.median(whole)) if whole else None,
        "p99_ms": ms(percentile(whole, 0.99)) if whole else None,
        "load_1min": round(os.getloadavg()[0], 2),
    }


# --- in the parent: a fresh home and database per run --------------------------------------------------------


def child_env(database: str, home: Path) -> dict:
    """A clean Tongpin environment (the worker's knobs, TONGPIN_DELIVERY_* and TONGPIN_WORKER_*, pass through),
    with a new PostgreSQL database when asked for one."""
    keep = ("TONGPIN_DELIVERY_", "TONGPIN_WORKER_")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGPIN_") or k.startswith(keep)}
    env.update(DJANGO_SETTINGS_MODULE="tongpin.settings", TONGPIN_HOME=str(home), TONGPIN_LOG_LEVEL="WARNING")
    env["TONGPIN_OUTBOUND_ALLOW"] = "127.0.0.0/8"  # the sink listens on loopback (refused unless allow-listed)
    if database == "postgresql":
        import psycopg

        name = f"tongpin_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{PG}/postgres", autocommit=True, connect_timeout=2) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        env["TONGPIN_DATABASE_URL"] = f"{PG}/{name}"
    return env


def drop(env: dict) -> None:
    url = env.get("TONGPIN_DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def run_in_child(script: str, database: str, argv: list[str]) -> dict:
    """Run `script --child …` in a fresh home (and database), return the JSON object it prints last."""
    with tempfile.TemporaryDirectory(prefix="tongpin-bench-") as home:
        env = child_env(database, Path(home))
        try:
            done = subprocess.run([sys.executable, script, "--child", *argv], env=env, capture_output=True,
                                  text=True, check=True, cwd=ROOT)  # fmt: skip
        except subprocess.CalledProcessError as error:
            sys.stderr.write(error.stderr[-3000:])
            raise
        finally:
            drop(env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--channels", type=int, default=6)
    parser.add_argument("--publications", type=int, default=500)
    parser.add_argument("--batch", type=int, default=50, help="publications stored per transaction (burst)")
    parser.add_argument("--paced", type=int, default=100, help="publications released one at a time afterwards")
    parser.add_argument("--rate", type=float, default=20.0, help="paced publications per second")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_publish(args)))
        return
    argv = [a for a in sys.argv[1:] if a != "--json"]
    result = run_in_child(__file__, args.database, argv)
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else result)


if __name__ == "__main__":
    main()
