"""Back up and restore (docs/operations.md): a real round trip in subprocesses, while another process saves
stories, uploads files and sends deliveries; then the restored Tongpin serves and finds a story by search."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from tongpin.web import backups

from .conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
WRITER = ROOT / "tests" / "backup_writer.py"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"


def _env(home: Path, database_url: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TONGPIN_", "DJANGO_"))}
    env |= {"TONGPIN_HOME": str(home), "PYTHONPATH": str(ROOT / "src"), "TONGPIN_DELIVERY_THREADS": "2"}
    env["TONGPIN_LOG_LEVEL"] = "WARNING"
    if database_url:
        env["TONGPIN_DATABASE_URL"] = database_url
    return env


def _tongpin(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tongpin", *args], env=env, capture_output=True, text=True,
                          timeout=300, cwd=ROOT)  # fmt: skip


def _wait_for_line(process: subprocess.Popen, wanted) -> None:
    while True:
        line = process.stdout.readline()
        assert line, f"the writer stopped early (exit {process.poll()})"
        if wanted(line.strip()):
            return


def _rows_per_table(home: Path, database_url: str | None) -> dict[str, int]:
    """Counted here, independently of tongpin.web.backups (whose counting is under test)."""
    if database_url is None:
        with sqlite3.connect(home / "tongpin.sqlite3") as db:
            rows = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
            names = [n for n, sql in rows if not n.startswith("sqlite_") and "VIRTUAL" not in (sql or "").upper()]
            return {n: db.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    import psycopg

    with psycopg.connect(database_url) as db:
        names = [r[0] for r in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return {n: db.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def _hashes(media: Path) -> dict[str, str]:
    return {p.relative_to(media).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in media.rglob("*") if p.is_file()}  # fmt: skip


def _manifest(archive: Path) -> dict:
    with tarfile.open(archive) as tar:
        return json.loads(tar.extractfile("manifest.json").read())


def _get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310  (loopback only)
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _serves_and_finds(env: dict) -> None:
    """Start the restored Tongpin, check /healthz, then search for the story saved before the backup."""
    created = _tongpin(env, "token", "create", "reporter")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "tongpin", "serve", "--port", str(port), "--workers", "1",
                               "--no-worker"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                status, body = _get(f"{base}/healthz")
                break
            except OSError:
                assert server.poll() is None, "the restored Tongpin did not start"
                time.sleep(0.1)
        assert status == 200 and json.loads(body)["status"] == "ok"
        status, body = _get(f"{base}/api/v1/stories?q={urllib.parse.quote('鹭鸶洲水库')}", token)
        assert status == 200
        titles = [s["title"] for s in json.loads(body)["results"]]
        assert titles == ["备份之前保存的稿件"]
    finally:
        server.terminate()
        server.wait(timeout=30)


def _round_trip(tmp_path: Path, source_url: str | None = None, target_url: str | None = None) -> None:
    source, target, stop = tmp_path / "source", tmp_path / "target", tmp_path / "stop"
    source_env, target_env = _env(source, source_url), _env(target, target_url)
    writer = subprocess.Popen([sys.executable, str(WRITER), str(stop)], env=source_env, cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        _wait_for_line(writer, lambda line: line == "2")  # two rounds written: the writer is in full swing
        made = _tongpin(source_env, "backup", "--to", str(tmp_path / "archives"), "--json")
        assert made.returncode == 0, made.stderr
        done = json.loads(made.stdout.strip().splitlines()[-1])
        after = int(writer.stdout.readline()) + 2
        _wait_for_line(writer, lambda line: line == str(after))  # and it went on after the backup
        stop.touch()
        writer.wait(timeout=60)
    finally:
        if writer.poll() is None:
            writer.kill()
    assert writer.returncode == 0
    archive = Path(done["archive"])
    assert archive.parent == tmp_path / "archives" and archive.stat().st_mode & 0o077 == 0
    manifest = _manifest(archive)
    assert done["counts"] == manifest["counts"]
    # The snapshot is a moment within the writing: later stories are in the source, not in the archive.
    source_rows = _rows_per_table(source, source_url)
    assert 0 < manifest["counts"]["newsroom_story"] < source_rows["newsroom_story"]
    assert manifest["counts"]["publishing_delivery"] > 0 and "writer/before.bin" in manifest["files"]

    restored = _tongpin(target_env, "restore", str(archive), "--json")
    assert restored.returncode == 0, restored.stderr
    result = json.loads(restored.stdout.strip().splitlines()[-1])
    assert result["ok"] is True and result["archive"] == str(archive) and result["problems"] == []

    # Every table's rows and every file's hash equal the manifest, counted independently here.
    target_rows = _rows_per_table(target, target_url)
    assert {t: target_rows.get(t) for t in manifest["counts"]} == manifest["counts"]
    assert _hashes(target / "media") == {name: f["sha256"] for name, f in manifest["files"].items()}
    assert (target / "secret_key").read_text() == (source / "secret_key").read_text()

    # A second restore over the now non-empty home is refused, unless forced.
    again = _tongpin({**target_env, "LANGUAGE": "zh_CN"}, "restore", str(archive))
    assert again.returncode != 0 and "数据库不是空的" in again.stderr  # in the shell's language
    again = _tongpin({**target_env, "LANGUAGE": "en"}, "restore", str(archive))
    assert again.returncode != 0 and "not empty" in again.stderr
    forced = _tongpin(target_env, "restore", str(archive), "--force", "--json")
    assert forced.returncode == 0 and json.loads(forced.stdout.strip().splitlines()[-1])["ok"] is True

    _serves_and_finds(target_env)


def test_round_trip_on_sqlite_while_writing(tmp_path):
    _round_trip(tmp_path)


def _postgresql_available() -> bool:
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        return False
    try:
        import psycopg

        psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3).close()
    except Exception:  # noqa: BLE001  (no server: the test is skipped)
        return False
    return True


@pytest.mark.skipif(not _postgresql_available(), reason="needs pg_dump, pg_restore and PostgreSQL on 127.0.0.1")
def test_round_trip_on_postgresql_while_writing(tmp_path):
    import psycopg

    names = [f"backup_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("source", "target")]
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            _round_trip(tmp_path, f"{PG_SERVER}/{names[0]}", f"{PG_SERVER}/{names[1]}")
        finally:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_corrupt_archive_is_refused_before_anything_is_restored(tmp_path):
    source = tmp_path / "source"
    env = _env(source, None)
    assert _tongpin(env, "migrate").returncode == 0
    made = json.loads(_tongpin(env, "backup", "--json").stdout.strip().splitlines()[-1])
    archive = Path(made["archive"])
    assert archive.parent == source / "backups"
    with tarfile.open(archive) as tar:  # rewrite the archive with a changed database dump
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]
    with tarfile.open(archive, "w") as tar:
        for member, data in members:
            if member.name == "database.sqlite3":
                data = data[:-1] + bytes([data[-1] ^ 1])
            tar.addfile(member, io.BytesIO(data))
    target = tmp_path / "target"
    chinese, english = ({"LANG": lang, "LANGUAGE": "", "LC_ALL": ""} for lang in ("zh_CN.UTF-8", "en_US.UTF-8"))
    refused = _tongpin(_env(target, None) | chinese, "restore", str(archive))
    assert refused.returncode != 0 and "与清单中的哈希不符" in refused.stderr  # in the shell's language
    refused = _tongpin(_env(target, None) | english, "restore", str(archive))
    assert refused.returncode != 0 and "does not match its manifest hash" in refused.stderr
    assert not (target / "tongpin.sqlite3").exists() or _rows_per_table(target, None) == {}


# --- the schedule ---------------------------------------------------------------------------------------------


def test_schedule_values():
    assert backups.parse_schedule("off") is None and backups.parse_schedule("") is None
    assert backups.parse_schedule("daily") == dt.time(3, 0)
    assert backups.parse_schedule("daily@23:15") == backups.parse_schedule("daily 23:15") == dt.time(23, 15)
    with pytest.raises(ValueError):
        backups.parse_schedule("weekly")


@pytest.mark.django_db(transaction=True)
def test_the_days_backup_is_taken_by_one_worker_once(settings, monkeypatch):
    from tongpin.web.models import BackupRun

    ran = []
    monkeypatch.setattr(backups, "run_backup", ran.append)
    monkeypatch.setattr(backups, "_settled", {})
    settings.TONGPIN_BACKUP_SCHEDULE = "daily@02:30"
    early = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert backups.scheduled_backup(early, wait=True) is None and not BackupRun.objects.exists()
    later = early + dt.timedelta(hours=1)
    assert backups.scheduled_backup(later, wait=True) == "daily:2026-12-02"
    # The same worker five seconds on does not try again; another worker finds the day's row taken.
    assert backups.scheduled_backup(later + dt.timedelta(seconds=5), wait=True) is None
    monkeypatch.setattr(backups, "_settled", {})
    assert backups.scheduled_backup(later + dt.timedelta(seconds=10), wait=True) is None
    assert backups.claim_slot("daily:2026-12-02") is False
    assert ran == ["daily:2026-12-02"] and BackupRun.objects.count() == 1
    settings.TONGPIN_BACKUP_SCHEDULE = "off"
    assert backups.scheduled_backup(later + dt.timedelta(days=1), wait=True) is None


def test_list_and_prune_keep_the_newest(tmp_path):
    for day in range(1, 5):
        path = tmp_path / f"tongpin-backup-202612{day:02d}T030000Z.tar"
        path.write_bytes(b"x" * day)
        os.utime(path, (1_800_000_000 + day * 86400,) * 2)
    (tmp_path / ".tongpin-backup-20261205T030000Z.tar.partial").write_bytes(b"unfinished")
    listed = backups.list_backups(tmp_path)
    assert [b.size for b in listed] == [4, 3, 2, 1] and listed[0].created_at.tzinfo is not None
    removed = backups.prune_backups(2, tmp_path)
    assert sorted(p.name[15:23] for p in removed) == ["20261201", "20261202"]
    assert [b.size for b in backups.list_backups(tmp_path)] == [4, 3]


@pytest.mark.django_db
def test_the_backups_page_lists_archives_and_runs_for_admins(users, client_for, settings, tmp_path):
    from tongpin.web.models import BackupRun

    settings.TONGPIN_BACKUP_DIR = tmp_path
    settings.TONGPIN_BACKUP_SCHEDULE = "daily@02:30"
    (tmp_path / "tongpin-backup-20261202T023000Z.tar").write_bytes(b"x" * 2048)
    BackupRun.objects.create(slot="daily:2026-12-02", worker="vm:42", error="disk full")
    page = client_for("admin").get("/backups/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "tongpin-backup-20261202T023000Z.tar" in text and "02:30" in text and "disk full" in text
    assert client_for("reporter").get("/backups/").status_code == 403
