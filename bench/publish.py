"""Publishing queue benchmark: deliveries through a real `tongpin worker` to a local webhook sink.

    python bench/publish.py --json [--deliveries 3000] [--paced 300 --rate 100] [--only sqlite|postgresql]

For each database (a fresh SQLite home; a fresh PostgreSQL database when 127.0.0.1:5432 answers) it starts
one worker process (`tongpin worker --deliveries-only`, as production runs it) and
  * burst: enqueues N deliveries in one transaction and measures deliveries_per_s from enqueue to the last
    receipt at the sink, and the burst's p99 (which is mostly queueing);
  * paced: enqueues deliveries one at a time at a steady rate and measures p50/p99 enqueue → receipt.
Each delivery is a signed webhook POST of the rendition's JSON; the sink answers 200 at once.
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
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = "postgresql://postgres@127.0.0.1:5432"


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
        data = json.loads(body)
        enqueued = datetime.fromisoformat(data["enqueued_at"]).timestamp()
        self.latencies.setdefault(data["id"], now - enqueued)

    def count(self) -> int:
        return len(self.latencies)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def run_one(database: str, deliveries: int, paced: int, rate: float) -> dict:
    """Runs inside a child process whose environment selects the database."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from tongpin.publishing.models import Channel, Delivery, Publication, Rendition

    call_command("migrate", verbosity=0)
    sink = Sink()
    channel = Channel.objects.create(
        name="sink", slug="sink", kind="app", transmitter="webhook", settings={"url": sink.url, "secret": "k"}
    )
    total = deliveries + paced
    publications = Publication.objects.bulk_create(
        [Publication(source_type="bench", source_id=i, title=f"第{i}条", state="sending") for i in range(total)]
    )
    fields = {"title": "防汛应急响应提升", "body": "请沿河群众注意安全，及时转移。", "link": ""}
    frozen = timezone.now()
    renditions = Rendition.objects.bulk_create(
        [Rendition(publication=p, channel=channel, kind="app", fields=fields, frozen_at=frozen) for p in publications]
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "tongpin", "worker", "--deliveries-only"], env=os.environ.copy(), cwd=ROOT
    )
    try:
        time.sleep(2.0)  # let the worker start (import, connect) before the clock runs
        started = time.time()
        with transaction.atomic():
            Delivery.objects.bulk_create(
                [Delivery(rendition=r, channel=channel, created_at=timezone.now()) for r in renditions[:deliveries]]
            )
        while sink.count() < deliveries:
            if time.time() - started > 300:
                raise SystemExit("burst did not finish in 300 s")
            time.sleep(0.01)
        burst_seconds = time.time() - started
        burst = list(sink.latencies.values())

        for rendition in renditions[deliveries:]:
            Delivery.objects.create(rendition=rendition, channel=channel, created_at=timezone.now())
            time.sleep(1.0 / rate)
        while sink.count() < total:
            time.sleep(0.01)
        paced_latencies = [v for k, v in sink.latencies.items()][deliveries:]
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    return {
        "database": database,
        "worker_threads": int(os.environ.get("TONGPIN_DELIVERY_THREADS", "8")),
        "deliveries": deliveries,
        "deliveries_per_s": round(deliveries / burst_seconds, 1),
        "burst_p99_ms": round(percentile(burst, 0.99) * 1000, 1),
        "paced": paced,
        "paced_rate_per_s": rate,
        "p50_ms": round(statistics.median(paced_latencies) * 1000, 1),
        "p99_ms": round(percentile(paced_latencies, 0.99) * 1000, 1),
    }


def child_env(database: str, home: Path) -> dict | None:
    # A clean Tongpin environment, except the worker's tuning knobs (TONGPIN_DELIVERY_*), which pass through.
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGPIN_") or k.startswith("TONGPIN_DELIVERY_")}
    env.update(DJANGO_SETTINGS_MODULE="tongpin.settings", TONGPIN_HOME=str(home), TONGPIN_LOG_LEVEL="WARNING")
    env["TONGPIN_OUTBOUND_ALLOW"] = "127.0.0.0/8"  # the sink listens on loopback (refused unless allow-listed)
    if database == "postgresql":
        try:
            import psycopg

            name = f"tongpin_bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(f"{PG}/postgres", autocommit=True, connect_timeout=2) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
        except Exception:  # noqa: BLE001
            return None
        env["TONGPIN_DATABASE_URL"] = f"{PG}/{name}"
    return env


def drop(env: dict) -> None:
    url = env.get("TONGPIN_DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--paced", type=int, default=300)
    parser.add_argument("--rate", type=float, default=100.0, help="paced deliveries per second")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, args.deliveries, args.paced, args.rate)))
        return
    results = []
    for database in [args.only] if args.only else ["sqlite", "postgresql"]:
        with tempfile.TemporaryDirectory(prefix="tongpin-bench-") as home:
            env = child_env(database, Path(home))
            if env is None:
                results.append({"database": database, "skipped": "not reachable"})
                continue
            try:
                done = subprocess.run(
                    [sys.executable, __file__, "--child", database, "--deliveries", str(args.deliveries),
                     "--paced", str(args.paced), "--rate", str(args.rate)],
                    env=env, capture_output=True, text=True, check=True,
                )  # fmt: skip
            except subprocess.CalledProcessError as error:
                sys.stderr.write(error.stderr[-3000:])
                raise
            finally:
                drop(env)
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
    else:
        for r in results:
            print(r)


if __name__ == "__main__":
    main()
