"""The database's own refusal to change the audit log (docs/security.md, 安全审计).

- `core_auditevent`: UPDATE refused; TRUNCATE refused (PostgreSQL); DELETE refused unless the row is a purge's:
  already chained, older than MIN_RETENTION_DAYS by the database's own clock, and at or below an anchor's
  `upto_seq` (`auditchain.purge` writes the anchor first, in the same transaction).
- `core_auditanchor` (the purges' anchors): UPDATE, DELETE and TRUNCATE refused.

No session setting switches any of this off. `install` is safe to run again (a migration that rebuilds a table on
SQLite loses its triggers and must call it); `drop` exists for the test suite's flush only (tests/conftest.py).
"""

from __future__ import annotations

from .auditchain import MIN_RETENTION_DAYS

# The triggers' window: the same as auditchain.MIN_RETENTION_DAYS (180), written out in the SQL below.
assert MIN_RETENTION_DAYS == 180

SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS core_auditevent_no_update BEFORE UPDATE ON core_auditevent
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS core_auditevent_no_delete BEFORE DELETE ON core_auditevent
    WHEN NOT (OLD.seq IS NOT NULL
              AND OLD.at < strftime('%Y-%m-%d %H:%M:%f', 'now', '-180 days')
              AND OLD.seq <= (SELECT COALESCE(MAX(upto_seq), 0) FROM core_auditanchor))
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS core_auditanchor_no_update BEFORE UPDATE ON core_auditanchor
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS core_auditanchor_no_delete BEFORE DELETE ON core_auditanchor
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION core_auditevent_refuse() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION core_auditevent_purge_only() RETURNS trigger AS $$
    BEGIN
      IF OLD.seq IS NOT NULL AND OLD.at < now() - interval '180 days'
         AND OLD.seq <= (SELECT COALESCE(MAX(upto_seq), 0) FROM core_auditanchor) THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION 'the audit log is append-only';
    END $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS core_auditevent_no_update ON core_auditevent",
    """CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION core_auditevent_refuse()""",
    "DROP TRIGGER IF EXISTS core_auditevent_no_delete ON core_auditevent",
    """CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION core_auditevent_purge_only()""",
    "DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent",
    """CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON core_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_refuse()""",
    "DROP TRIGGER IF EXISTS core_auditanchor_no_change ON core_auditanchor",
    """CREATE TRIGGER core_auditanchor_no_change BEFORE UPDATE OR DELETE ON core_auditanchor
    FOR EACH ROW EXECUTE FUNCTION core_auditevent_refuse()""",
    "DROP TRIGGER IF EXISTS core_auditanchor_no_truncate ON core_auditanchor",
    """CREATE TRIGGER core_auditanchor_no_truncate BEFORE TRUNCATE ON core_auditanchor
    FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_refuse()""",
]
SQLITE_NAMES = ["core_auditevent_no_update", "core_auditevent_no_delete", "core_auditanchor_no_update",
                "core_auditanchor_no_delete"]  # fmt: skip
POSTGRES_NAMES = [
    ("core_auditevent_no_update", "core_auditevent"),
    ("core_auditevent_no_delete", "core_auditevent"),
    ("core_auditevent_no_truncate", "core_auditevent"),
    ("core_auditanchor_no_change", "core_auditanchor"),
    ("core_auditanchor_no_truncate", "core_auditanchor"),
]


def install(connection) -> None:
    """Every trigger above (the DELETE one replaced by this version); safe to run again."""
    vendor = connection.vendor
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_delete")  # an older, stricter version
            for statement in SQLITE:
                cursor.execute(statement)
        elif vendor == "postgresql":
            for statement in POSTGRES:
                cursor.execute(statement)


def drop(connection, *, updates: bool = False) -> None:
    """Remove the DELETE and TRUNCATE triggers (and with `updates`, the UPDATE ones: a migration filling new
    columns); `install` puts them back."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in SQLITE_NAMES:
                if updates or "delete" in name:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        elif connection.vendor == "postgresql":
            for name, table in POSTGRES_NAMES:
                if updates or name != "core_auditevent_no_update":
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
