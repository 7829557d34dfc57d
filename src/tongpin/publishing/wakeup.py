"""Waking delivery workers the moment work is queued, so a warning does not wait for the next poll.

On one machine each worker listens on a datagram socket in Linux's abstract namespace, named after the database
it serves (one of `SLOTS` names, so several workers can share a machine); `wake()` sends one byte to every slot.
Nothing is kept on disk and a worker that dies leaves nothing behind. On PostgreSQL `wake()` also sends a
`NOTIFY`, which reaches workers on every machine (`DatabaseListener`). A wake-up only makes a worker look for
due deliveries sooner: without one (no free slot, another platform) its slow safety poll
(`TONGPIN_DELIVERY_POLL`) still finds the work. A stray wake-up costs one look.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import socket
import sys
import threading

from django.db import DatabaseError, connections

log = logging.getLogger(__name__)

SLOTS = 16
NOTIFY_CHANNEL = "tongpin_deliveries"
_sender: socket.socket | None = None
_sender_guard = threading.Lock()


def _names() -> list[bytes]:
    database = connections["default"].settings_dict
    return _names_for("|".join(str(database.get(key) or "") for key in ("ENGINE", "HOST", "PORT", "NAME")))


@functools.lru_cache(maxsize=8)
def _names_for(identity: str) -> list[bytes]:
    digest = hashlib.sha256(identity.encode()).hexdigest()[:20]
    return [f"\0tongpin-wake-{digest}-{slot}".encode() for slot in range(SLOTS)]


def supported() -> bool:
    """Whether this platform has abstract datagram sockets (Linux)."""
    return sys.platform.startswith("linux")


def wake() -> None:
    """Tell the workers on this machine that deliveries are due now (call after the transaction commits)."""
    global _sender
    if not supported():
        return
    with _sender_guard:
        if _sender is None:
            _sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            _sender.setblocking(False)
        sender = _sender
    for name in _names():
        try:
            sender.sendto(b"!", name)
        except OSError:  # no worker in that slot (refused), or its buffer is full (it is awake anyway)
            pass
    _notify()


def _notify() -> None:
    """Workers on other machines hear a PostgreSQL NOTIFY (sent after the commit, like the datagrams)."""
    database = connections["default"]
    if database.vendor != "postgresql":
        return
    try:
        with database.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [NOTIFY_CHANNEL])
    except DatabaseError:  # the work is committed; the workers' safety poll finds it
        log.warning("could not notify the delivery workers; they will find the work at their next poll")


class Listener:
    """A worker's end on this machine: `wait()` returns True when woken. Without a free slot it never wakes
    (the poll alone finds work)."""

    def __init__(self) -> None:
        self.socket: socket.socket | None = None
        if not supported():
            return
        for name in _names():
            candidate = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            try:
                candidate.bind(name)
            except OSError:
                candidate.close()
                continue
            self.socket = candidate
            return

    @property
    def active(self) -> bool:
        return self.socket is not None

    def wait(self, timeout: float) -> bool:
        """Block until woken or `timeout` seconds pass; every wake-up already waiting is taken at once."""
        listening = self.socket
        if listening is None:
            return False
        try:
            listening.settimeout(timeout)
            if not listening.recv(16):  # shut down by close()
                return False
            listening.setblocking(False)
            while listening.recv(16):
                pass
        except BlockingIOError:  # all taken
            return True
        except OSError:  # timed out, or closed meanwhile
            return False
        return True

    def close(self) -> None:
        listening, self.socket = self.socket, None
        if listening is not None:
            try:
                listening.shutdown(socket.SHUT_RDWR)  # wakes a wait() blocked in another thread
            except OSError:
                pass
            listening.close()


class DatabaseListener:
    """A worker's end of PostgreSQL's LISTEN/NOTIFY, on a connection of its own (used by one thread only).
    Inactive on other databases. A lost connection is opened again on the next wait, which then reports a
    wake-up: notifications sent meanwhile were missed, so the worker should look."""

    def __init__(self) -> None:
        self._stopped = threading.Event()
        self._wrapper = None
        if connections["default"].vendor != "postgresql":
            self._stopped.set()

    @property
    def active(self) -> bool:
        return not self._stopped.is_set()

    def _connect(self):
        if self._wrapper is None or self._wrapper.connection is None:
            self._wrapper = connections.create_connection("default")
            self._wrapper.ensure_connection()
            self._wrapper.connection.autocommit = True
            self._wrapper.connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
            return True
        return False

    def wait(self, timeout: float) -> bool:
        if not self.active:
            return False
        try:
            if self._connect():
                return True
            raw = self._wrapper.connection
            waiting = raw.notifies(timeout=timeout, stop_after=1)
            woken = any(True for _ in waiting)
            waiting.close()  # the generator holds the connection's lock until closed
            if woken:  # take whatever else is already waiting: a burst of releases costs one look
                for _ in raw.notifies(timeout=0.0):
                    pass
            return woken
        except Exception:  # noqa: BLE001  (psycopg and Django errors alike: drop the connection, retry later)
            self._drop()
            self._stopped.wait(min(timeout, 1.0))
            return False
        finally:
            if self._stopped.is_set():
                self._drop()

    def _drop(self) -> None:
        wrapper, self._wrapper = self._wrapper, None
        if wrapper is not None:
            try:
                wrapper.close()
            except Exception:  # noqa: BLE001  (already broken)
                log.debug("closing a broken listening connection failed", exc_info=True)

    def close(self) -> None:
        """Stop listening; the thread in `wait()` closes the connection within its timeout."""
        self._stopped.set()
