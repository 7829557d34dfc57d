"""Waking delivery workers the moment work is queued, so a warning does not wait for the next poll.

Each worker listens on a datagram socket in Linux's abstract namespace, named after the database it serves
(one of `SLOTS` names, so several workers can share a machine); `wake()` sends one byte to every slot. Nothing
is kept on disk and a worker that dies leaves nothing behind. A wake-up only makes a worker look for due
deliveries sooner: where the platform has no abstract sockets, or a worker runs on another machine, its own
poll (`TONGPIN_DELIVERY_POLL`) still finds the work, a little later. A stray datagram costs one look.
"""

from __future__ import annotations

import functools
import hashlib
import socket
import sys
import threading

from django.db import connections

SLOTS = 16
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


class Listener:
    """A worker's end: `wait()` returns True when woken. Without a free slot it never wakes (polling only)."""

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
