"""Work that must happen every few seconds whatever arrives (escalations, expiries). Apps register a callable
at start-up; `tongpin worker` runs them all in a thread of its own. Core imports no app: apps call in."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.db import close_old_connections

log = logging.getLogger(__name__)
HOOKS: dict[str, Callable[[], object]] = {}


def register(name: str, hook: Callable[[], object]) -> None:
    HOOKS[name] = hook


def run_once() -> None:
    for name, hook in list(HOOKS.items()):
        try:
            hook()
        except Exception:  # one failing hook must not stop the others (or the worker)
            log.exception("periodic hook %s failed", name)


def run_forever(stop: threading.Event, every: float = 5.0) -> None:
    while not stop.wait(every):
        run_once()
        close_old_connections()
