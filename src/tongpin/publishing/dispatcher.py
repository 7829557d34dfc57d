"""The delivery worker loop: claim, send on a thread pool, record in batches.

Two pools: the priority lane (deliveries of priority HIGH and above) has threads of its own, so an urgent
send never waits behind a backlog of slow ordinary ones; the ordinary pool takes anything, highest first. One
claim a round fills both. Transmitters run in the pool threads and never touch the database; only this loop
does. An idle loop sleeps until a send finishes, work is queued on this machine (`wakeup`), or the poll is due.
"""

from __future__ import annotations

import logging
import os
import queue as stdlib_queue
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone
from django.utils.translation import gettext as _

from tongpin.core import datakey

from . import queue, secrets, wakeup, workers
from .models import Delivery, Priority
from .plugins import TRANSMITTERS, Image, Parcel, PermanentError, TemporaryError, TransmitError

log = logging.getLogger(__name__)

DEPTH = 16  # deliveries claimed per sending thread: keeps threads busy while the loop writes results
RECORD_BATCH = 64  # results written per transaction at most …
RECORD_DELAY = 0.01  # … or once the oldest has waited this long (seconds)
REPAIR_EVERY = 30.0  # seconds between sweeps for publications whose state fell behind their deliveries
WOKEN = object()  # put among the results by the wake-up listener: look for work now


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def parcel_for(delivery: Delivery) -> Parcel:
    rendition = delivery.rendition
    publication = rendition.publication
    chosen = set(rendition.fields.get("images") or [])
    # The publication's content (the whole snapshot) is read only when the rendition names images.
    images = [
        Image(
            path=default_storage.path(i["path"]), name=i["name"], caption=i.get("caption", ""), mime=i.get("mime", "")
        )
        for i in (publication.content.get("images", []) if chosen else [])
        if i.get("name") in chosen
    ]
    return Parcel(
        delivery_id=delivery.id,
        idempotency_key=delivery.idempotency_key,
        action=delivery.action,
        attempt=delivery.attempts,
        channel_id=delivery.channel_id,
        channel_slug=delivery.channel.slug,
        kind=rendition.kind,
        settings=dict(delivery.channel.settings),  # sealed: opened in the sending thread
        fields=dict(rendition.fields),
        source_type=publication.source_type,
        source_id=publication.source_id,
        source_version=publication.source_version,
        publication_id=publication.id,
        rendition_id=rendition.id,
        priority=delivery.priority,
        remote_ref=delivery.remote_ref,
        remote_url=delivery.remote_url,
        enqueued_at=delivery.created_at.isoformat(),
        images=images,
    )


def transmit(delivery: Delivery, parcel: Parcel, worker: str) -> queue.Result:
    started = timezone.now()
    result = queue.Result(delivery.id, delivery.attempts, worker, started, started, delivery=delivery)
    transmitter = TRANSMITTERS.get(delivery.channel.transmitter)
    try:
        if transmitter is None:
            raise PermanentError(
                _("渠道的发送方式“%(t)s”不存在。") % {"t": delivery.channel.transmitter}, "misconfigured"
            )
        parcel.settings = _opened(delivery, parcel.settings)
        if parcel.action == "withdraw":
            result.outcome = transmitter.withdraw(parcel)
        else:
            result.outcome = transmitter.send(parcel)
    except TransmitError as error:
        result.error = error
    except Exception as error:  # a plug-in bug must not kill the worker; the row is retried and logged
        log.exception("transmitter %s failed on delivery %s", delivery.channel.transmitter, delivery.id)
        result.error = TemporaryError(_("发送程序出错：%(e)s") % {"e": error.__class__.__name__}, "internal")
    result.finished_at = timezone.now()
    return result


def _opened(delivery: Delivery, values: dict) -> dict:
    """The channel's settings with its secrets opened, for this one send (docs/security.md, 数据保密性)."""
    try:
        return secrets.reveal_settings(delivery.channel.kind, delivery.channel.transmitter, values)
    except datakey.DataKeyError as error:
        log.error("channel %s: %s", delivery.channel.slug, error)
        message = _("渠道密钥无法解密：本机没有加密它的数据密钥，或密钥不符。请管理员运行 tongpin keys status 检查。")
        raise TemporaryError(message, "data_key", str(error)[:300]) from error


class Dispatcher:
    def __init__(self, threads: int | None = None, priority_threads: int | None = None, poll: float | None = None,
                 runs: str = "deliveries"):  # fmt: skip
        self.name = worker_name()
        self.runs = runs  # what this process does, for the status page: "deliveries" or "deliveries,tasks"
        self.threads = threads or settings.TONGPIN_DELIVERY_THREADS
        self.priority_threads = priority_threads or max(1, self.threads // 4)
        self.poll = poll if poll is not None else settings.TONGPIN_DELIVERY_POLL
        self.results: stdlib_queue.Queue[tuple[str, queue.Result, float] | object] = stdlib_queue.Queue()
        self.in_flight = {"lane": 0, "pool": 0}
        self.pending: list[tuple[queue.Result, float]] = []
        self.stop = threading.Event()
        # Whether this round should look for due work: when woken, when the poll came round, after writing
        # results (that frees room and may queue withdrawals) or when the last claim was full. Not on every
        # finished send: that looked six times for one warning.
        self.look = True

    def request_stop(self) -> None:
        """Finish what is in flight, then return from `run()` (at once, not at the next poll)."""
        self.stop.set()
        self.results.put(WOKEN)

    def _listen(self, listener: wakeup.Listener | wakeup.DatabaseListener) -> None:
        while listener.active:  # until run() closes it
            if listener.wait(1.0):
                self.results.put(WOKEN)

    def run(self, once: bool = False) -> None:
        """Work until `stop` is set (or, with `once`, until nothing is due and nothing is in flight)."""
        lane = ThreadPoolExecutor(self.priority_threads, thread_name_prefix="tongpin-lane")
        pool = ThreadPoolExecutor(self.threads, thread_name_prefix="tongpin-send")
        self.last_reclaim = self.last_tidy = self.last_repair = 0.0
        heartbeat = workers.Heartbeat(self.name, self.runs)
        heartbeat.start()
        # Datagrams from this machine and, on PostgreSQL, NOTIFY from any; without either the poll finds work.
        listeners = [wakeup.Listener(), wakeup.DatabaseListener()]
        listening = [
            threading.Thread(target=self._listen, args=(listener,), name="tongpin-wakeup", daemon=True)
            for listener in listeners
            if listener.active
        ]
        for thread in listening:
            thread.start()
        log.info("delivery worker %s started (%d + %d threads)", self.name, self.threads, self.priority_threads)
        try:
            failures = 0
            while True:
                try:
                    claimed = self._turn(lane, pool, once)
                    failures = 0
                except DatabaseError:
                    # A database blip (a restart, a lock held too long) must not stop the deliveries: retry.
                    # A run that is meant to end (once) gives up after a few tries rather than spin.
                    failures += 1
                    if once and failures > 5:
                        raise
                    log.exception("delivery worker %s: database trouble, retrying in a second", self.name)
                    if not connection.in_atomic_block:  # never close a connection mid-transaction
                        close_old_connections()
                    self.stop.wait(1.0)
                    continue
                if claimed is None:
                    break
                if not claimed and not any(self.in_flight.values()) and time.monotonic() - self.last_tidy > 30:
                    close_old_connections()  # when idle: drop connections the database has closed
                    self.last_tidy = time.monotonic()
        finally:
            for listener in listeners:
                listener.close()
            for thread in listening:  # within a second: each closes its own connection (NOTIFY) on the way out
                thread.join(timeout=2)
            lane.shutdown(wait=True)
            pool.shutdown(wait=True)
            self._collect()
            self._record(force=True)
            heartbeat.stop()
            log.info("delivery worker %s stopped", self.name)

    def _turn(self, lane: ThreadPoolExecutor, pool: ThreadPoolExecutor, once: bool) -> int | None:
        """One round: reclaim dead workers' rows now and then, record what finished and claim more (one
        transaction for both). None: stop."""
        self._collect()
        if self.stop.is_set() and not any(self.in_flight.values()):
            return None
        if time.monotonic() - self.last_reclaim > 1.0:
            if queue.reclaim_expired(self.name):
                self.look = True
            self.last_reclaim = time.monotonic()
        if time.monotonic() - self.last_repair > REPAIR_EVERY:
            queue.repair_publications()
            workers.forget_old()
            self.last_repair = time.monotonic()
        claimed = self._feed(lane, pool, self._writable())
        if once and not claimed and not any(self.in_flight.values()) and not self.pending:
            return None
        if not claimed:
            self._wait()
        return claimed

    def _free(self, slot: str, capacity: int) -> int:
        free = capacity - self.in_flight[slot]
        # Claim in batches while busy (one transaction for many rows); at once when idle (latency).
        return 0 if free <= 0 or (self.in_flight[slot] and free < capacity // 2) else free

    def _feed(self, lane: ThreadPoolExecutor, pool: ThreadPoolExecutor, finished: list[queue.Result]) -> int:
        """Write `finished` and make one claim for both pools: priority rows to the lane while it has room,
        everything else to the pool. (When the lane has room but little priority work is due, the pool may take
        up to the lane's share of ordinary rows beyond its own depth: they only wait in its queue, the lane stays
        for priority work.)"""
        looking = (self.look or bool(finished)) and not self.stop.is_set()
        lane_room = self._free("lane", self.priority_threads * 2) if looking else 0
        pool_room = self._free("pool", self.threads * DEPTH) if looking else 0
        if not finished and not lane_room and not pool_room:
            return 0
        try:
            rows = queue.record_and_claim(
                self.name, finished, lane_room + pool_room, None if pool_room else Priority.HIGH
            )
        except BaseException:
            self.pending = [(r, time.monotonic()) for r in finished] + self.pending  # written on the next try
            raise
        if lane_room + pool_room:
            self.look = len(rows) >= lane_room + pool_room  # a full claim: more may be due
        for delivery in rows:
            slot, executor = "pool", pool
            if delivery.priority >= Priority.HIGH and lane_room:
                slot, executor = "lane", lane
                lane_room -= 1
            self.in_flight[slot] += 1
            parcel = parcel_for(delivery)
            future = executor.submit(transmit, delivery, parcel, self.name)
            future.add_done_callback(lambda f, s=slot: self.results.put((s, f.result(), time.monotonic())))
        return len(rows)

    def _wait(self) -> None:
        timeout = self.poll
        if self.pending:  # wake in time to write what has gathered
            timeout = max(0.0, min(timeout, RECORD_DELAY - (time.monotonic() - self.pending[0][1])))
        try:
            item = self.results.get(timeout=timeout)
        except stdlib_queue.Empty:
            self.look = self.look or timeout >= self.poll
            return
        if item is WOKEN:
            self.look = True
        else:
            self.results.put(item)  # back in line: _collect() takes everything at once

    def _collect(self) -> None:
        while True:
            try:
                item = self.results.get_nowait()
            except stdlib_queue.Empty:
                return
            if item is WOKEN:
                self.look = True
                continue
            slot, result, finished = item
            self.in_flight[slot] -= 1
            self.pending.append((result, finished))

    def _writable(self, force: bool = False) -> list[queue.Result]:
        """The finished sends to write now: once enough have gathered, or the oldest has waited long enough
        (RECORD_DELAY), or nothing else is in flight. They leave `pending`."""
        if not self.pending:
            return []
        waited = time.monotonic() - self.pending[0][1]
        idle = not any(self.in_flight.values())
        if force or idle or len(self.pending) >= RECORD_BATCH or waited >= RECORD_DELAY:
            batch, self.pending = [r for r, _ in self.pending], []
            return batch
        return []

    def _record(self, force: bool = False) -> None:
        batch = self._writable(force)
        if batch:
            queue.record_results(self.name, batch)
