"""The full-text index: an FTS5 table on SQLite, a tsvector table with a GIN index on PostgreSQL."""

from django.db import migrations


def create_index(apps, schema_editor):
    from tongpin.newsroom.search.backends import backend_for

    backend = backend_for(schema_editor.connection.vendor)
    with schema_editor.connection.cursor() as cursor:
        for statement in backend.create_sql.split("; "):
            cursor.execute(statement)


def drop_index(apps, schema_editor):
    from tongpin.newsroom.search.backends import backend_for

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(backend_for(schema_editor.connection.vendor).drop_sql)


class Migration(migrations.Migration):
    dependencies = [("newsroom", "0001_initial")]
    operations = [migrations.RunPython(create_index, drop_index)]
