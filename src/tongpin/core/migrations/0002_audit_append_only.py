"""The database itself refuses to change an audit row (deleting is refused by the model; see docs)."""

from django.db import migrations

SQLITE = """
CREATE TRIGGER IF NOT EXISTS core_auditevent_no_update BEFORE UPDATE ON core_auditevent
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END
"""
POSTGRES = [
    """CREATE OR REPLACE FUNCTION core_auditevent_refuse() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS core_auditevent_no_update ON core_auditevent",
    """CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION core_auditevent_refuse()""",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = [SQLITE] if vendor == "sqlite" else POSTGRES if vendor == "postgresql" else []
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_update")
        elif vendor == "postgresql":
            cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_update ON core_auditevent")
            cursor.execute("DROP FUNCTION IF EXISTS core_auditevent_refuse()")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
