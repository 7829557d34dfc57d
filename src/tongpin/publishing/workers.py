"""Heartbeats of the delivery workers: who is alive, and whose claimed deliveries must go to someone else.

Each worker writes its row (`WorkerBeat`) when it starts and about every second from a thread of its own, so a
busy sending loop never delays it. Another worker that sees a claimer's beat older than
`TONGPIN_WORKER_DEAD_AFTER` hands that claimer's deliveries back to the queue (`queue.reclaim_expired`): a worker
killed with `kill -9` is replaced within a few seconds instead of after its 90-second lease.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from .models import WorkerBeat

log = logging.getLogger(__name__)
FORGET_AFTER = timedelta(days=1)  # rows of workers stopped or dead this long ago are deleted


def dead_before(now: datetime | None = None) -> datetime:
    """Beats older than this belong to dead workers."""
    return (now or timezone.now()) - timedelta(seconds=settings.TONGPIN_WORKER_DEAD_AFTER)


def beat(name: str, runs: str, started_at: datetime, create: bool = True) -> None:
    """Write the worker's beat; its row is created by the first beat only (`create`): the beating thread just
    updates it, so it never inserts a second row beside one it cannot see yet (the first beat still uncommitted,
    as inside a test's transaction) or waits on that row's lock."""
    now = timezone.now()
    updated = WorkerBeat.objects.filter(name=name).update(beat_at=now, stopped_at=None)
    if not updated and create:
        WorkerBeat.objects.create(
            name=name, host=socket.gethostname()[:80], pid=os.getpid(), runs=runs, started_at=started_at, beat_at=now
        )


def stopped(name: str) -> None:
    WorkerBeat.objects.filter(name=name).update(stopped_at=timezone.now())


def alive(now: datetime | None = None) -> list[WorkerBeat]:
    """Workers that beat recently and have not stopped."""
    return list(WorkerBeat.objects.filter(beat_at__gte=dead_before(now), stopped_at__isnull=True))


def forget_old(now: datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - FORGET_AFTER
    return WorkerBeat.objects.filter(beat_at__lt=cutoff).delete()[0]


class Heartbeat:
    """Beats for one worker from a daemon thread until `stop()`; the first beat is written before `start()`
    returns, so the worker is known before it claims anything (if the database refuses it then, the thread writes
    it at its first chance; until then the worker's claims fall under the lease, as for one that never beat)."""

    def __init__(self, name: str, runs: str) -> None:
        self.name, self.runs = name, runs
        self.started_at = timezone.now()
        self.finished = threading.Event()
        self.thread: threading.Thread | None = None
        self.created = False  # whether this worker's row exists (its first beat was written)

    def start(self) -> None:
        try:
            beat(self.name, self.runs, self.started_at)
            self.created = True
        except DatabaseError:  # the database is busy or away: the thread writes the first beat when it can
            log.warning("worker %s: first heartbeat not written (database trouble), retrying", self.name)
            close_old_connections()
        self.thread = threading.Thread(target=self._run, name="tongpin-heartbeat", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while not self.finished.wait(settings.TONGPIN_WORKER_BEAT):
                try:
                    beat(self.name, self.runs, self.started_at, create=not self.created)
                    self.created = True
                except DatabaseError:
                    log.warning("worker %s: heartbeat not written (database trouble), retrying", self.name)
                    close_old_connections()
        finally:
            connection.close()

    def stop(self) -> None:
        self.finished.set()
        if self.thread is not None:
            self.thread.join(timeout=10)
        try:
            stopped(self.name)
        except DatabaseError:
            log.warning("worker %s: could not record its stop", self.name)
