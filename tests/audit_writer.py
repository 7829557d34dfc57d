"""Writes audit events from several threads at once, for tests/test_audit_chain.py's concurrency test (several of
these processes run together on one database). Usage: python tests/audit_writer.py NAME THREADS EVENTS
(TONGPIN_HOME or TONGPIN_DATABASE_URL from the env). Each thread writes EVENTS events, each in its own
transaction, every third one with a second event batched beside it; prints "done N" at the end."""

import os
import sys
import threading

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongpin.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from tongpin.core.audit import Actor, batched, record  # noqa: E402


def work(name: str, thread: int, events: int, written: list) -> None:
    actor = Actor(user=None, ip="127.0.0.1", via="test")
    try:
        for number in range(events):
            with transaction.atomic(), batched():
                record(actor, "test.concurrent", object_type="test", object_id=f"{name}-{thread}-{number}")
                if number % 3 == 0:
                    record(actor, "test.concurrent", object_type="test", object_id=f"{name}-{thread}-{number}b",
                           changes={"ratio": 1.0, "big": 2.5})  # fmt: skip
                    written.append(1)
            written.append(1)
    finally:
        connection.close()


def main(name: str, threads: int, events: int) -> None:
    written: list = []
    workers = [threading.Thread(target=work, args=(name, t, events, written)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print("done", len(written), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
