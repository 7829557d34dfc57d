"""Audit hash chain benchmark: appends (one event per transaction, one thread and several at once) and a full
`verify()` walk, on a scratch SQLite home or a scratch PostgreSQL database (created and dropped here).

    python bench/audit_chain.py --database sqlite --events 5000 --threads 8 --json
    python bench/audit_chain.py --database postgresql --events 5000 --threads 8 --json
"""

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

SERVER = "postgresql://postgres@127.0.0.1:5432"
# TONGPIN_BENCH_SRC=/path/to/other/src times another checkout (e.g. main, before the chain; no verify there).
sys.path.insert(0, os.environ.get("TONGPIN_BENCH_SRC") or str(Path(__file__).resolve().parent.parent / "src"))


def _admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(statement)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ["TONGPIN_HOME"] = tempfile.mkdtemp(prefix="tongpin-bench-audit-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "tongpin.settings"
    os.environ["TONGPIN_LOG_LEVEL"] = "WARNING"
    name = None
    if args.database == "postgresql":
        name = f"tongpin_bench_audit_{uuid.uuid4().hex[:8]}"
        _admin(f'CREATE DATABASE "{name}"')
        os.environ["TONGPIN_DATABASE_URL"] = f"{SERVER}/{name}"
    try:
        print(json.dumps(run(args)) if args.json else run(args))
    finally:
        if name:
            from django.db import connections

            connections.close_all()
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(args) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from tongpin.core.audit import Actor, record

    try:
        from tongpin.core import auditchain
    except ImportError:  # a checkout before the chain
        auditchain = None

    call_command("migrate", verbosity=0)
    actor = Actor(user=None, ip="127.0.0.1", via="bench")
    changes = {"status": ["draft", "in_review"], "fields": ["title", "body"], "version": [3, 4]}

    def write(count: int, tag: str) -> None:
        try:
            for number in range(count):
                with transaction.atomic():
                    record(actor, "story.update", object_type="newsroom.story", object_id=f"{tag}{number}",
                           object_repr="汛期将至：山洪地质灾害防御要点请收好", changes=changes)  # fmt: skip
        finally:
            connection.close()

    started = time.perf_counter()
    write(args.events, "a")
    single = time.perf_counter() - started
    per_thread = args.events // args.threads
    workers = [threading.Thread(target=write, args=(per_thread, f"t{n}-")) for n in range(args.threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    concurrent = time.perf_counter() - started
    figures = {}
    if auditchain is not None:
        started = time.perf_counter()
        result = auditchain.verify()
        walked = time.perf_counter() - started
        figures = {"verify_events": result.count, "verify_ok": result.ok,
                   "verify_events_per_s": round(result.count / walked)}  # fmt: skip
    return {
        "database": args.database,
        "single_thread_events_per_s": round(args.events / single),
        "threads": args.threads,
        "concurrent_events_per_s": round(per_thread * args.threads / concurrent),
        **figures,
    }


if __name__ == "__main__":
    main()
