"""PostgreSQL: the search index table becomes partitioned by ranges of story ids (docs/search.md).

The rows are moved over as they are; SQLite keeps its FTS5 table."""

from django.db import migrations


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from tongpin.newsroom.search.backends import PARTITION_IDS, PG_TABLE, PostgresText

    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [PG_TABLE])
        row = cursor.fetchone()
        if row and row[0] == "p":
            return  # made partitioned by 0002 on a new installation
        cursor.execute(f"ALTER TABLE IF EXISTS {PG_TABLE} RENAME TO {PG_TABLE}_old")
        cursor.execute(f"ALTER INDEX IF EXISTS {PG_TABLE}_gin RENAME TO {PG_TABLE}_old_gin")
        cursor.execute(f"ALTER INDEX IF EXISTS {PG_TABLE}_pkey RENAME TO {PG_TABLE}_old_pkey")
        for statement in PostgresText.create_sql.split("; "):
            cursor.execute(statement)
        if row:
            cursor.execute(f"SELECT DISTINCT story_id / %s FROM {PG_TABLE}_old", [PARTITION_IDS])  # noqa: S608 (constant names)
            backend = PostgresText()
            backend.ensure_partitions([number * PARTITION_IDS for (number,) in cursor.fetchall()])
            cursor.execute(f"INSERT INTO {PG_TABLE} SELECT story_id, document FROM {PG_TABLE}_old")  # noqa: S608
            cursor.execute(f"DROP TABLE {PG_TABLE}_old")


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from tongpin.newsroom.search.backends import PG_TABLE

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {PG_TABLE}_flat (story_id bigint PRIMARY KEY, document tsvector NOT NULL)")
        cursor.execute(f"INSERT INTO {PG_TABLE}_flat SELECT story_id, document FROM {PG_TABLE}")  # noqa: S608
        cursor.execute(f"DROP TABLE {PG_TABLE}")
        cursor.execute(f"ALTER TABLE {PG_TABLE}_flat RENAME TO {PG_TABLE}")
        cursor.execute(f"ALTER INDEX {PG_TABLE}_flat_pkey RENAME TO {PG_TABLE}_pkey")
        cursor.execute(f"CREATE INDEX {PG_TABLE}_gin ON {PG_TABLE} USING gin(document)")


class Migration(migrations.Migration):
    dependencies = [("newsroom", "0004_revision_assets_channel_versions")]
    operations = [migrations.RunPython(partition, unpartition)]
