"""Back up and restore a whole Tongpin: the database, the uploaded files (MEDIA_ROOT), the secret-key file and the
data-key file (which opens the sealed channel secrets; not there when TONGPIN_DATA_KEY is used), in one tar
archive with a manifest (versions, rows per table, sha256 per file). See docs/operations.md.

The database is copied while Tongpin runs: SQLite through its online backup API (one step, so one consistent
snapshot), PostgreSQL through pg_dump's custom format on a snapshot exported from a REPEATABLE READ transaction,
the same one the row counts are read in. Either way the counts in the manifest describe exactly the rows dumped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import os
import platform
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import django
from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongpin import __version__

if TYPE_CHECKING:
    from .models import BackupRun

log = logging.getLogger(__name__)

FORMAT = 1
PREFIX = "tongpin-backup-"
SUFFIX = ".tar"
MANIFEST = "manifest.json"
SECRET_KEY = "secret_key"  # noqa: S105  (the key file's name, not a key)
DATA_KEY = "data_key"  # core/datakey.py: seals channel credentials; without it they cannot be opened
MEDIA = "media/"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why."""


@dataclass(frozen=True)
class BackupFile:
    path: Path
    created_at: dt.datetime
    size: int


# --- the database ---------------------------------------------------------------------------------------------


def _vendor() -> str:
    return connections["default"].vendor


def _pg_connect_args() -> dict:
    db = settings.DATABASES["default"]
    args = {"dbname": db["NAME"], "user": db.get("USER") or None, "password": db.get("PASSWORD") or None}
    args |= {"host": db.get("HOST") or None, "port": db.get("PORT") or None}
    return {key: value for key, value in args.items() if value not in (None, "")}


def _pg_env() -> dict:
    """libpq's variables for pg_dump / pg_restore, so no password appears on a command line."""
    names = {"dbname": "PGDATABASE", "user": "PGUSER", "password": "PGPASSWORD", "host": "PGHOST", "port": "PGPORT"}
    return os.environ | {names[key]: str(value) for key, value in _pg_connect_args().items()}


def _sqlite_counts(db: sqlite3.Connection) -> dict[str, int]:
    # Virtual (full-text) tables are counted through their shadow tables, which are ordinary tables.
    names = [
        name
        for name, sql in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name")
        if not name.startswith("sqlite_") and not (sql or "").upper().startswith("CREATE VIRTUAL")
    ]
    count = 'SELECT count(*) FROM "{}"'  # names from the catalogue, not from input
    return {name: db.execute(count.format(name)).fetchone()[0] for name in names}


def _pg_counts(cursor) -> dict[str, int]:
    from psycopg import sql

    cursor.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    names = [row[0] for row in cursor.fetchall()]
    counts = {}
    for name in names:
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name)))
        counts[name] = cursor.fetchone()[0]
    return counts


def _dump_sqlite(target: Path) -> tuple[dict[str, int], str]:
    source = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=60)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # all pages in one step: one read transaction, so one consistent snapshot
        copy.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
        return _sqlite_counts(copy), sqlite3.sqlite_version
    finally:
        copy.close()
        source.close()


def _dump_postgresql(target: Path) -> tuple[dict[str, int], str]:
    import psycopg

    if not shutil.which("pg_dump"):
        raise BackupError(_("没有安装 %(tool)s（Debian：apt-get install postgresql-client）") % {"tool": "pg_dump"})
    with psycopg.connect(**_pg_connect_args()) as snapshot:
        snapshot.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        snapshot.read_only = True
        with snapshot.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot_id, server_version = cursor.fetchone()
            # pg_dump reads the snapshot this transaction holds; the counts below are read in it too.
            # zlib level 1: 5× faster than pg_dump's default level on the story corpus, for a 20 % larger dump.
            command = ["pg_dump", "--format=custom", "--compress=1", "--no-owner", f"--snapshot={snapshot_id}",
                       f"--file={target}"]  # fmt: skip
            done = subprocess.run(command, env=_pg_env(), capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise BackupError(_("%(tool)s 失败：%(error)s") % {"tool": "pg_dump", "error": done.stderr.strip()})
            return _pg_counts(cursor), server_version


def current_counts() -> dict[str, int]:
    """Rows per table of the configured database, as the manifest counts them."""
    if _vendor() == "sqlite":
        with sqlite3.connect(settings.DATABASES["default"]["NAME"]) as db:
            return _sqlite_counts(db)
    import psycopg

    with psycopg.connect(**_pg_connect_args()) as db, db.cursor() as cursor:
        return _pg_counts(cursor)


def _database_is_empty() -> bool:
    if _vendor() == "sqlite":
        path = Path(settings.DATABASES["default"]["NAME"])
        if not path.exists():
            return True
        with sqlite3.connect(path) as db:
            return db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] == 0
    import psycopg

    with psycopg.connect(**_pg_connect_args()) as db:
        found = db.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchone()
        return found[0] == 0


def _load_database(dump: Path, vendor: str, force: bool) -> None:
    connections.close_all()  # nothing of ours may hold the database open while it is replaced
    if vendor == "sqlite":
        source = sqlite3.connect(dump)
        target = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=60)
        try:
            source.backup(target)  # replaces the whole target database, WAL or not
            target.execute("PRAGMA journal_mode=WAL")
        finally:
            target.close()
            source.close()
        return
    if not shutil.which("pg_restore"):
        raise BackupError(_("没有安装 %(tool)s（Debian：apt-get install postgresql-client）") % {"tool": "pg_restore"})
    if force:
        _replace_pg_database(dump)
        return
    command = ["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", f"--dbname={_pg_dbname()}"]
    done = subprocess.run([*command, str(dump)], env=_pg_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(_("%(tool)s 失败：%(error)s") % {"tool": "pg_restore", "error": done.stderr.strip()})


def _replace_pg_database(dump: Path) -> None:
    """Restore over a non-empty database: empty the schema and load the dump in one transaction, so a failure keeps
    what was there. (pg_restore --clean cannot drop the inherited constraints of the partitioned search index.)"""
    if not shutil.which("psql"):
        raise BackupError(_("没有安装 %(tool)s（Debian：apt-get install postgresql-client）") % {"tool": "psql"})
    script = subprocess.Popen(["pg_restore", "--no-owner", "--file=-", str(dump)], env=_pg_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    load = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", f"--dbname={_pg_dbname()}",
            "-c", "DROP SCHEMA public CASCADE", "-c", "CREATE SCHEMA public", "-f", "-"]  # fmt: skip
    done = subprocess.run(load, env=_pg_env(), stdin=script.stdout, capture_output=True, text=True, check=False)
    script.stdout.close()
    _out, problem = script.communicate()
    if script.returncode != 0:
        raise BackupError(
            _("%(tool)s 失败：%(error)s") % {"tool": "pg_restore", "error": problem.decode(errors="replace").strip()}
        )
    if done.returncode != 0:
        raise BackupError(_("%(tool)s 失败：%(error)s") % {"tool": "psql", "error": done.stderr.strip()})


def _pg_dbname() -> str:
    return str(settings.DATABASES["default"]["NAME"])


# --- files ----------------------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _HashingReader(io.RawIOBase):
    """Hashes what tarfile reads, so each file is read once: the hash is of the very bytes archived."""

    def __init__(self, handle):
        self.handle, self.digest = handle, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def _add_file(archive: tarfile.TarFile, path: Path, name: str) -> dict | None:
    try:
        handle = path.open("rb")
    except FileNotFoundError:  # deleted since the folder was listed
        return None
    with handle:
        info = archive.gettarinfo(fileobj=handle, arcname=name)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        reader = _HashingReader(handle)
        archive.addfile(info, reader)
        return {"sha256": reader.digest.hexdigest(), "size": info.size}


def _media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def _media_is_empty() -> bool:
    return not _media_files(Path(settings.MEDIA_ROOT))


# --- back up --------------------------------------------------------------------------------------------------


def backup_dir() -> Path:
    return Path(settings.TONGPIN_BACKUP_DIR)


def _archive_path(directory: Path) -> Path:
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    path, n = directory / f"{PREFIX}{stamp}{SUFFIX}", 1
    while path.exists():
        path, n = directory / f"{PREFIX}{stamp}-{n}{SUFFIX}", n + 1
    return path


def create_backup(directory: Path | None = None) -> tuple[Path, dict]:
    """Write one archive into `directory` (TONGPIN_BACKUP_DIR by default); return its path and manifest."""
    directory = Path(directory or backup_dir())
    directory.mkdir(parents=True, exist_ok=True)
    final = _archive_path(directory)
    partial = final.with_name(f".{final.name}.partial")  # never listed, never mistaken for a finished backup
    vendor = _vendor()
    started = timezone.now()
    with tempfile.TemporaryDirectory(dir=directory, prefix=".dump-") as scratch:
        dump = Path(scratch) / ("database.sqlite3" if vendor == "sqlite" else "database.pgdump")
        counts, db_version = _dump_sqlite(dump) if vendor == "sqlite" else _dump_postgresql(dump)
        try:
            handle = os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")  # holds the key
            with handle, tarfile.open(fileobj=handle, mode="w", format=tarfile.PAX_FORMAT) as archive:
                database = {"vendor": vendor, "version": db_version, "file": dump.name}
                database |= _add_file(archive, dump, dump.name) or {}
                key_file = Path(settings.HOME) / SECRET_KEY
                secret = _add_file(archive, key_file, SECRET_KEY) if key_file.exists() else None
                data_key_file = Path(settings.HOME) / DATA_KEY
                data_key = _add_file(archive, data_key_file, DATA_KEY) if data_key_file.exists() else None
                media_root = Path(settings.MEDIA_ROOT)
                files = {}
                for path in _media_files(media_root):
                    relative = path.relative_to(media_root).as_posix()
                    entry = _add_file(archive, path, MEDIA + relative)
                    if entry is not None:
                        files[relative] = entry
                manifest = {
                    "format": FORMAT,
                    "created_at": started.isoformat(),
                    "finished_at": timezone.now().isoformat(),
                    "versions": {"tongpin": __version__, "django": django.get_version(),
                                 "python": platform.python_version(), "database": db_version},  # fmt: skip
                    "database": database,
                    "counts": counts,
                    "secret_key": secret,
                    "data_key": data_key,
                    "files": files,
                }
                body = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime = len(body), int(started.timestamp())
                archive.addfile(info, io.BytesIO(body))
            os.replace(partial, final)
        finally:
            partial.unlink(missing_ok=True)
    return final, manifest


def summary(path: Path, manifest: dict) -> dict:
    return {
        "archive": str(path),
        "database": manifest["database"]["vendor"],
        "tables": len(manifest["counts"]),
        "rows": sum(manifest["counts"].values()),
        "files": len(manifest["files"]),
        "file_bytes": sum(f["size"] for f in manifest["files"].values()),
        "counts": manifest["counts"],
    }


# --- restore --------------------------------------------------------------------------------------------------


def read_manifest(archive_path: Path) -> dict:
    with tarfile.open(archive_path, "r:") as archive:
        try:
            handle = archive.extractfile(MANIFEST)
        except KeyError:
            raise BackupError(
                _("%(file)s 不是同频的备份（没有 %(manifest)s）") % {"file": archive_path, "manifest": MANIFEST}
            ) from None
        manifest = json.loads(handle.read())
    if manifest.get("format") != FORMAT:
        raise BackupError(_("未知的备份格式：%(format)r") % {"format": manifest.get("format")})
    return manifest


def _inside(root: Path, relative: str) -> Path:
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()):
        raise BackupError(_("拒绝目标目录之外的路径：%(path)s") % {"path": relative})
    return target


def _extract(archive: tarfile.TarFile, name: str, target: Path) -> None:
    member = archive.getmember(name)
    if not member.isfile():
        raise BackupError(_("归档中的 %(name)s 不是普通文件") % {"name": name})
    target.parent.mkdir(parents=True, exist_ok=True)
    with archive.extractfile(member) as source, target.open("wb") as out:
        shutil.copyfileobj(source, out, CHUNK)


def restore_backup(archive_path: Path, force: bool = False) -> dict:
    """Restore an archive into the configured home and database, then check rows and file hashes against the
    manifest. Refuses a database with tables or a MEDIA_ROOT with files unless `force`."""
    archive_path = Path(archive_path)
    manifest = read_manifest(archive_path)
    vendor = _vendor()
    if manifest["database"]["vendor"] != vendor:
        raise BackupError(
            _("归档中是 %(archived)s 数据库，而本同频用的是 %(vendor)s")
            % {"archived": manifest["database"]["vendor"], "vendor": vendor}
        )
    if not force:
        if not _database_is_empty():
            raise BackupError(_("数据库不是空的：请恢复到空数据库，或加 --force 覆盖。"))
        if not _media_is_empty():
            folder = {"folder": settings.MEDIA_ROOT}
            raise BackupError(_("%(folder)s 里已有文件：请恢复到空目录，或加 --force 覆盖。") % folder)
    media_root = Path(settings.MEDIA_ROOT)
    with tarfile.open(archive_path, "r:") as archive, tempfile.TemporaryDirectory(prefix="tongpin-restore-") as tmp:
        dump = Path(tmp) / manifest["database"]["file"]
        _extract(archive, manifest["database"]["file"], dump)
        if _sha256(dump) != manifest["database"]["sha256"]:
            raise BackupError(_("归档中的数据库转储与清单中的哈希不符"))
        _load_database(dump, vendor, force)
        for relative in manifest["files"]:
            _extract(archive, MEDIA + relative, _inside(media_root, relative))
        if manifest.get("secret_key"):
            key_file = Path(settings.HOME) / SECRET_KEY
            _extract(archive, SECRET_KEY, key_file)
            key_file.chmod(0o600)
        if manifest.get("data_key"):
            key_file = Path(settings.HOME) / DATA_KEY
            _extract(archive, DATA_KEY, key_file)
            key_file.chmod(0o600)
    return verify(manifest) | {"archive": str(archive_path)}


def verify(manifest: dict) -> dict:
    """Compare the configured database and MEDIA_ROOT with a manifest: rows per table, sha256 per file."""
    counts = current_counts()
    problems = []
    for table, expected in sorted(manifest["counts"].items()):
        found = counts.get(table)
        if found != expected:
            problems.append(f"table {table}: {found} rows, the manifest says {expected}")
    media_root = Path(settings.MEDIA_ROOT)
    for relative, entry in sorted(manifest["files"].items()):
        path = _inside(media_root, relative)
        if not path.is_file():
            problems.append(f"file {relative}: missing")
        elif _sha256(path) != entry["sha256"]:
            problems.append(f"file {relative}: sha256 differs")
    return {
        "ok": not problems,
        "problems": problems,
        "tables": len(manifest["counts"]),
        "rows": sum(manifest["counts"].values()),
        "files": len(manifest["files"]),
        "counts": counts,
    }


# --- listing, keeping, schedule -------------------------------------------------------------------------------


def list_backups(directory: Path | None = None) -> list[BackupFile]:
    """Finished archives in the backup folder, newest first (for the status page and pruning)."""
    directory = Path(directory or backup_dir())
    if not directory.is_dir():
        return []
    found = []
    for path in directory.glob(f"{PREFIX}*{SUFFIX}"):
        stat = path.stat()
        found.append(BackupFile(path, dt.datetime.fromtimestamp(stat.st_mtime, tz=dt.UTC), stat.st_size))
    return sorted(found, key=lambda b: (b.created_at, b.path.name), reverse=True)


def prune_backups(keep: int, directory: Path | None = None) -> list[Path]:
    """Delete all but the newest `keep` archives; return what was deleted."""
    removed = []
    for old in list_backups(directory)[max(keep, 0) :]:
        old.path.unlink(missing_ok=True)
        removed.append(old.path)
    return removed


def parse_schedule(value: str) -> dt.time | None:
    """`off` (or empty) → None; `daily` → 03:00; `daily@HH:MM` (or `daily HH:MM`) → that local time."""
    value = (value or "off").strip().lower()
    if value in {"off", "no", "none", "0", "false"}:
        return None
    kind, _, at = value.replace(" ", "@").partition("@")
    if kind != "daily":
        raise ValueError(f"TONGPIN_BACKUP_SCHEDULE: expected off, daily or daily@HH:MM, not {value!r}")
    return dt.time.fromisoformat(at) if at else dt.time(3, 0)


def claim_slot(slot: str) -> bool:
    """Take the backup slot (e.g. one day) for this worker: an INSERT that a unique key lets only one worker
    win, on any number of machines."""
    from .models import BackupRun

    try:
        with transaction.atomic():
            BackupRun.objects.create(slot=slot, worker=f"{platform.node()}:{os.getpid()}")
    except IntegrityError:
        return False
    return True


def run_backup(slot: str) -> BackupRun:
    """The scheduled backup itself: archive, record the outcome on its slot row, keep TONGPIN_BACKUP_KEEP."""
    from .models import BackupRun

    try:
        path, _manifest = create_backup()
        BackupRun.objects.filter(slot=slot).update(finished_at=timezone.now(), path=str(path),
                                                   size=path.stat().st_size)  # fmt: skip
        prune_backups(settings.TONGPIN_BACKUP_KEEP)
    except Exception as error:
        log.exception("scheduled backup %s failed", slot)
        BackupRun.objects.filter(slot=slot).update(finished_at=timezone.now(), error=str(error)[:500])
    finally:
        connections.close_all()
    return BackupRun.objects.get(slot=slot)


_settled: dict[str, str] = {}


def scheduled_backup(now: dt.datetime | None = None, wait: bool = False) -> str | None:
    """Periodic hook (tongpin worker): once the day's time has come, the one worker that claims the day backs
    up, in a thread of its own so escalations and other hooks are not held up. Returns the slot it took."""
    at = parse_schedule(settings.TONGPIN_BACKUP_SCHEDULE)
    if at is None:
        return None
    now = timezone.localtime(now or timezone.now())
    if now.time() < at:
        return None
    slot = f"daily:{now.date().isoformat()}"
    if _settled.get("slot") == slot:  # this process already saw the day's slot taken: no INSERT every 5 s
        return None
    _settled["slot"] = slot
    if not claim_slot(slot):
        return None
    thread = threading.Thread(target=run_backup, args=(slot,), name="tongpin-backup", daemon=True)
    thread.start()
    if wait:
        thread.join()
    return slot
