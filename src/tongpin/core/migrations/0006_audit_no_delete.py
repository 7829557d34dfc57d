"""The database refuses to delete audit rows too (until now it refused only UPDATE; deleting was refused by the
model alone). PostgreSQL also refuses TRUNCATE. No session setting switches this off: only the test suite's
flush of a `transactional_db` test drops and reinstalls the triggers around it (tests/conftest.py), using
`drop` and `forwards` below. On SQLite a migration that rebuilds this table loses its triggers: such a
migration must run this `forwards` again (it installs the UPDATE trigger as well)."""

import importlib

from django.db import migrations

append_only = importlib.import_module("tongpin.core.migrations.0002_audit_append_only")

SQLITE = """
CREATE TRIGGER IF NOT EXISTS core_auditevent_no_delete BEFORE DELETE ON core_auditevent
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END
"""
POSTGRES = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_delete ON core_auditevent",
    """CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION core_auditevent_refuse()""",
    "DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent",
    """CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON core_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_refuse()""",
]


def forwards(apps, schema_editor):
    install(schema_editor.connection)


def install(connection) -> None:
    """Every append-only trigger (UPDATE, DELETE, and TRUNCATE on PostgreSQL); safe to run again."""
    append_only.forwards(None, _Editor(connection))
    vendor = connection.vendor
    statements = [SQLITE] if vendor == "sqlite" else POSTGRES if vendor == "postgresql" else []
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def drop(connection) -> None:
    """Remove the DELETE and TRUNCATE triggers (the test suite's flush only; `install` puts them back)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_delete")
        elif connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_delete ON core_auditevent")
            cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent")


def backwards(apps, schema_editor):
    drop(schema_editor.connection)


class _Editor:
    """What 0002's forwards reads of a schema editor: its connection."""

    def __init__(self, connection):
        self.connection = connection


class Migration(migrations.Migration):
    dependencies = [("core", "0005_alter_user_role")]
    operations = [migrations.RunPython(forwards, backwards)]
