"""安全审计 (docs/security.md): the audit log as a hash chain — verification names the first broken link, the database
refuses UPDATE and DELETE except the anchored retention purge, retention is at least 180 days, several processes
writing at once never fork the chain (SQLite and PostgreSQL), and exports carry the hashes and are audited."""

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from tongpin.core import auditchain, audittriggers
from tongpin.core.audit import Actor, record
from tongpin.core.models import AuditAnchor, AuditEvent

ROOT = Path(__file__).resolve().parents[1]
WRITER = ROOT / "tests" / "audit_writer.py"
SOMEONE = Actor(user=None, ip="10.1.2.3", via="test")


def _event(number: int, at: dt.datetime | None = None) -> AuditEvent:
    event = AuditEvent(
        actor_name="tester", action="test.event", object_type="test", object_id=str(number),
        changes={"n": number, "on": dt.date(2026, 1, 1), "ratio": 1.0, "share": 0.25}, ip="10.0.0.1", via="test",
    )  # fmt: skip
    if at is not None:
        event.at = at
    event.save()
    return event


@contextmanager
def triggers_off():
    """Tamper as someone with direct database access would: past the triggers, then put them back."""
    audittriggers.drop(connection, updates=True)
    try:
        yield
    finally:
        audittriggers.install(connection)


def _sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.mark.django_db
def test_each_event_is_chained_to_the_one_before_and_the_chain_verifies():
    events = [_event(n) for n in range(3)]
    rows = list(AuditEvent.objects.order_by("seq"))
    assert [row.seq for row in rows] == [1, 2, 3]
    assert rows[0].prev_hash == auditchain.GENESIS
    assert [row.prev_hash for row in rows[1:]] == [row.hash for row in rows[:-1]]
    # The hash is SHA-256 over the canonical content of the row as read back (dates as text, 1.0 as 1).
    assert rows[1].hash == hashlib.sha256(auditchain.canonical(rows[1])).hexdigest() == events[1].hash
    assert rows[1].changes == {"n": 1, "on": "2026-01-01", "ratio": 1, "share": 0.25}
    result = auditchain.verify()
    assert result.ok and result.count == 3 and (result.first_seq, result.last_seq) == (1, 3)
    assert result.head_hash == rows[-1].hash


@pytest.mark.django_db
def test_verify_names_the_first_changed_event():
    events = [_event(n) for n in range(4)]
    with triggers_off():
        _sql("UPDATE core_auditevent SET object_repr = %s WHERE id = %s", ["改过", events[1].pk])
        _sql("UPDATE core_auditevent SET actor_name = %s WHERE id = %s", ["someone-else", events[2].pk])
    result = auditchain.verify()
    assert not result.ok
    assert (result.broken.seq, result.broken.id, result.broken.code) == (2, events[1].pk, "hash_mismatch")


@pytest.mark.django_db
def test_verify_finds_a_deleted_event_and_a_redirected_link():
    events = [_event(n) for n in range(4)]
    with triggers_off():
        _sql("DELETE FROM core_auditevent WHERE id = %s", [events[1].pk])
    result = auditchain.verify()
    assert (result.broken.seq, result.broken.code) == (3, "missing")
    with triggers_off():  # a link pointed elsewhere
        _sql("UPDATE core_auditevent SET prev_hash = %s WHERE id = %s", ["f" * 64, events[0].pk])
    assert (auditchain.verify().broken.seq, auditchain.verify().broken.code) == (1, "prev_mismatch")


@pytest.mark.django_db
def test_the_database_refuses_update_and_delete_but_the_anchored_purge():
    old = [_event(n, at=timezone.now() - dt.timedelta(days=200)) for n in range(2)]
    recent = _event(9)
    for statement, params in [
        ("UPDATE core_auditevent SET action = 'x' WHERE id = %s", [recent.pk]),
        ("DELETE FROM core_auditevent WHERE id = %s", [recent.pk]),
        ("DELETE FROM core_auditevent WHERE id = %s", [old[0].pk]),  # old enough, but no anchor covers it
    ]:
        with pytest.raises(DatabaseError), transaction.atomic():
            _sql(statement, params)
    # An anchor covering the recent row too still does not let it go: the window is the database's own.
    AuditAnchor.objects.create(upto_seq=recent.seq, hash=recent.hash, deleted=0, cutoff=timezone.now())
    with pytest.raises(DatabaseError), transaction.atomic():
        _sql("DELETE FROM core_auditevent WHERE id = %s", [recent.pk])
    anchor = AuditAnchor.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        _sql("DELETE FROM core_auditanchor WHERE id = %s", [anchor.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        _sql("UPDATE core_auditanchor SET hash = 'x' WHERE id = %s", [anchor.pk])
    assert AuditEvent.objects.count() == 3


@pytest.mark.django_db
def test_purge_deletes_only_outside_the_window_and_the_rest_still_verifies():
    now = timezone.now()
    for n in range(5):
        _event(n, at=now - dt.timedelta(days=400 - n))
    _event(5, at=now - dt.timedelta(days=100))  # inside any window of 180 days or more
    _event(6)
    with pytest.raises(auditchain.RetentionTooShort):
        auditchain.purge(SOMEONE, days=179)
    assert auditchain.purge(SOMEONE, days=0).deleted == 0  # 0: kept for ever
    assert auditchain.purge(SOMEONE, days=500).deleted == 0
    done = auditchain.purge(SOMEONE, days=180)
    assert (done.deleted, done.upto_seq) == (5, 5)
    assert sorted(AuditEvent.objects.filter(action="test.event").values_list("object_id", flat=True)) == ["5", "6"]
    anchor = AuditAnchor.objects.get()
    purge_event = AuditEvent.objects.get(action="audit.purge")
    assert purge_event.changes["upto_seq"] == anchor.upto_seq == 5 and purge_event.changes["anchor"] == anchor.hash
    result = auditchain.verify()
    assert result.ok and result.anchor_seq == 5 and result.first_seq == 6 and result.count == 3
    assert auditchain.purge(SOMEONE, days=180).deleted == 0  # nothing more is old enough
    # Rows deleted past the purge (no anchor for them) are found.
    with triggers_off():
        _sql("DELETE FROM core_auditevent WHERE seq = %s", [6])
    assert auditchain.verify().broken.code == "anchor_missing"


@pytest.mark.django_db
def test_the_worker_purges_only_when_retention_is_set(settings):
    from tongpin.web import tidy

    _event(1, at=timezone.now() - dt.timedelta(days=300))
    _event(2)
    settings.TONGPIN_KEEP_AUDIT_DAYS = 0
    assert tidy.tidy()["audit_events"] == 0
    settings.TONGPIN_KEEP_AUDIT_DAYS = 200
    assert tidy.tidy()["audit_events"] == 1
    assert auditchain.verify().ok


@pytest.mark.parametrize("days, refused", [("90", True), ("179", True), ("abc", True), ("180", False), ("0", False)])
def test_a_retention_below_180_days_stops_the_start(tmp_path, days, refused):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TONGPIN_", "DJANGO_"))}
    env |= {"TONGPIN_HOME": str(tmp_path), "PYTHONPATH": str(ROOT / "src"), "TONGPIN_KEEP_AUDIT_DAYS": days}
    started = subprocess.run([sys.executable, "-m", "tongpin", "check"], env=env, capture_output=True, text=True,
                             timeout=120)  # fmt: skip
    # A refused setting stops every command with status 2 naming it (`tongpin check` itself may answer 1 for an
    # unrelated finding, such as no worker running, in this fresh home).
    assert (started.returncode == 2) == refused, started.stderr[-500:]
    assert ("TONGPIN_KEEP_AUDIT_DAYS" in started.stderr) == refused


def test_canonical_content_is_stable_across_a_json_trip():
    changes = {"b": [1.0, 2.5, dt.date(2026, 5, 1)], "a": {"x": 1e20, "y": float("nan")}}
    stored = auditchain.normalise_changes(changes)
    assert stored == {"a": {"x": "1e+20", "y": "nan"}, "b": [1, 2.5, "2026-05-01"]}
    assert auditchain.normalise_changes(json.loads(json.dumps(stored))) == stored


# --- Several processes at once (SQLite file and PostgreSQL) -------------------------------------------------------


def _postgres_url() -> str | None:
    url = os.environ.get("TONGPIN_DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@contextmanager
def _scratch_database(kind: str, tmp_path: Path):
    """A database of its own (never the test run's): a SQLite home, or a PostgreSQL database made and dropped."""
    if kind == "sqlite":
        yield None
        return
    import psycopg

    base = _postgres_url()
    name = f"tongpin_chain_{uuid.uuid4().hex[:10]}"
    admin_url = base.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as server:
        server.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _tamper(kind: str, env: dict, home: Path, url: str | None) -> None:
    if kind == "sqlite":
        import sqlite3

        from tongpin.home import sqlite_path

        database = sqlite3.connect(sqlite_path(home))
        database.execute("DROP TRIGGER core_auditevent_no_update")
        database.execute("UPDATE core_auditevent SET object_id = 'forged' WHERE seq = 7")
        database.commit()
        database.close()
    else:
        import psycopg

        with psycopg.connect(url, autocommit=True) as database:
            database.execute("DROP TRIGGER core_auditevent_no_update ON core_auditevent")
            database.execute("UPDATE core_auditevent SET object_id = 'forged' WHERE seq = 7")


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_several_processes_writing_at_once_never_fork_the_chain(tmp_path, kind):
    if kind == "postgresql" and _postgres_url() is None:
        pytest.skip("the PostgreSQL run (TONGPIN_DATABASE_URL) tests PostgreSQL")
    with _scratch_database(kind, tmp_path) as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TONGPIN_", "DJANGO_"))}
        env |= {"TONGPIN_HOME": str(tmp_path), "PYTHONPATH": str(ROOT / "src"), "TONGPIN_LOG_LEVEL": "WARNING"}
        if url:
            env["TONGPIN_DATABASE_URL"] = url
        tongpin = [sys.executable, "-m", "tongpin"]
        migrated = subprocess.run([*tongpin, "migrate"], env=env, capture_output=True, text=True, timeout=600)
        assert migrated.returncode == 0, migrated.stderr[-1000:]
        processes, threads, events = 3, 3, 15
        writers = [
            subprocess.Popen([sys.executable, str(WRITER), f"p{n}", str(threads), str(events)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for n in range(processes)
        ]  # fmt: skip
        written = 0
        for writer in writers:
            out, err = writer.communicate(timeout=600)
            assert writer.returncode == 0, err[-2000:]
            written += int(out.split()[-1])
        assert written == processes * threads * (events + (events + 2) // 3)
        checked = subprocess.run([*tongpin, "audit", "verify", "--json"], env=env, capture_output=True, text=True,
                                 timeout=300)  # fmt: skip
        assert checked.returncode == 0, checked.stdout + checked.stderr[-1000:]
        report = json.loads(checked.stdout)
        assert report["ok"] and report["count"] == written and report["last_seq"] == written  # no gap, no fork
        _tamper(kind, env, tmp_path, url)
        for language, where in (("en", "seq 7"), ("zh_CN", "序号 7")):  # the verdict in the shell's language
            checked = subprocess.run([*tongpin, "audit", "verify"], env={**env, "LANGUAGE": language},
                                     capture_output=True, text=True, timeout=300)  # fmt: skip
            assert checked.returncode == 1
            assert where in checked.stdout and "hash_mismatch" in checked.stdout, checked.stdout


# --- Export --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_audit_administrators_export_a_range_with_its_hashes_and_the_export_is_audited(users, client_for):
    for n in range(3):
        _event(n)
    today = timezone.localdate().isoformat()
    response = client_for("auditor").post("/audit/export/", {"date_from": today, "date_to": today, "format": "jsonl"})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    rows = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert {"seq", "prev_hash", "hash", "changes"} <= set(rows[0])
    assert [row["action"] for row in rows][:3] == ["test.event"] * 3
    assert auditchain.verify_rows(rows) is None  # the archive verifies on its own
    rows[1]["object_repr"] = "改过"
    assert auditchain.verify_rows(rows).code == "hash_mismatch"
    exported = AuditEvent.objects.get(action="audit.export")
    assert exported.actor == users["auditor"] and exported.changes["format"] == "jsonl"
    assert exported.changes["from"] == today
    for name in ("admin", "secadmin", "editor"):
        assert client_for(name).post("/audit/export/", {"format": "jsonl"}).status_code == 403


@pytest.mark.django_db
def test_export_and_verify_through_the_api_and_the_command_line(users, token_for, tmp_path):
    _event(1)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for('auditor')}"}
    response = Client().get("/api/v1/audit/export", {"format": "csv"}, **headers)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].split(",") == auditchain.EXPORT_FIELDS
    assert Client().post("/api/v1/audit/verify", **headers).json()["ok"] is True
    for name in ("admin", "secadmin"):
        other = {"HTTP_AUTHORIZATION": f"Bearer {token_for(name)}"}
        assert Client().get("/api/v1/audit/export", **other).status_code == 403
        assert Client().post("/api/v1/audit/verify", **other).status_code == 403
    bad = Client().get("/api/v1/audit/export", {"date_from": "2026-02-01", "date_to": "2026-01-01"}, **headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["code"] == "invalid_range"
    target = tmp_path / "audit.jsonl"
    call_command("audit", "export", "--output", str(target))
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert auditchain.verify_rows(rows) is None and rows[-1]["action"] == "audit.export"  # itself recorded first
    assert AuditEvent.objects.filter(action="audit.export", via="cli").exists()
    assert AuditEvent.objects.filter(action="audit.verify", via="api").exists()


@pytest.mark.django_db
def test_the_audit_page_offers_export_and_verify_to_audit_administrators_only(users, client_for):
    page = client_for("auditor").get("/audit/").content.decode()
    assert 'action="/audit/export/"' in page and 'action="/audit/verify/"' in page
    answer = client_for("auditor").post("/audit/verify/", follow=True).content.decode()
    assert "哈希链完整" in answer
    record(SOMEONE, "test.event", object_type="test", object_id="x")
    with triggers_off():
        _sql("UPDATE core_auditevent SET object_id = 'y' WHERE object_id = 'x'", [])
    answer = client_for("auditor").post("/audit/verify/", follow=True).content.decode()
    assert "哈希链断裂" in answer and "内容在写入后被改动" in answer
    assert client_for("admin").post("/audit/verify/").status_code == 403
