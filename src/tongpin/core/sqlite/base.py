"""SQLite with writers queued on locks that wake the next one at once.

SQLite lets one writer at a time; another waits in SQLite's busy handler, which sleeps in growing steps (up to
100 ms) between tries. With several processes and threads writing at once (gunicorn threads, the delivery
worker), those sleeps, not the work, made the latency (docs/benchmarks.md). Here a write transaction first
takes a lock shared by the threads of the process, then an exclusive `flock` on a file beside the database
shared by the processes; both hand over the moment the holder commits. SQLite's own lock stays the guarantee;
these only decide who goes next, quickly.
"""

import os
import threading

from django.db.backends.sqlite3 import base

try:
    import fcntl
except ImportError:  # not on POSIX: threads still queue; processes fall back to SQLite's busy handler
    fcntl = None

_writer = threading.Lock()
_files: dict[str, int] = {}
_files_guard = threading.Lock()


def _lock_file(database: str) -> int | None:
    if fcntl is None or not database or database == ":memory:" or database.startswith("file:"):
        return None
    with _files_guard:
        if database not in _files:
            _files[database] = os.open(f"{database}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
        return _files[database]


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_writer = False
    _holds_file = None

    def _start_transaction_under_autocommit(self):
        _writer.acquire()
        self._holds_writer = True
        try:
            descriptor = _lock_file(str(self.settings_dict["NAME"]))
            if descriptor is not None:
                fcntl.flock(descriptor, fcntl.LOCK_EX)
                self._holds_file = descriptor
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self):
        if self._holds_file is not None:
            descriptor, self._holds_file = self._holds_file, None
            fcntl.flock(descriptor, fcntl.LOCK_UN)
        if self._holds_writer:
            self._holds_writer = False
            _writer.release()

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_writer()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_writer()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_writer()
