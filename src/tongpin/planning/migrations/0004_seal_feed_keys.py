"""iCal feed keys are stored sealed with the data key (docs/security.md, 数据保密性); those stored before are
sealed here (the data key is made in TONGPIN_HOME if there is none). Backwards, they are opened again."""

from django.db import migrations, models

CONTEXT = "ical-feed-key"


def _rewrite(apps, schema_editor, forwards: bool) -> None:
    from tongpin.core import datakey

    FeedKey = apps.get_model("planning", "FeedKey")
    rows = FeedKey.objects.using(schema_editor.connection.alias).exclude(secret="").order_by("pk")
    for row in rows:
        value = datakey.seal(row.secret, CONTEXT) if forwards else datakey.unseal(row.secret, CONTEXT)
        FeedKey.objects.using(schema_editor.connection.alias).filter(pk=row.pk).update(secret=value)


def seal(apps, schema_editor):
    _rewrite(apps, schema_editor, True)


def unseal(apps, schema_editor):
    _rewrite(apps, schema_editor, False)


class Migration(migrations.Migration):
    dependencies = [("planning", "0003_feedkey"), ("publishing", "0004_window_indexes")]

    operations = [
        migrations.AlterField(model_name="feedkey", name="secret", field=models.CharField(max_length=200)),
        migrations.RunPython(seal, unseal, elidable=False),
    ]
