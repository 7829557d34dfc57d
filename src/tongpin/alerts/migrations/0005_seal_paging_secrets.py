"""Seal the paging routes' secrets stored in plaintext before (docs/security.md, 数据保密性), as the channel
secrets were (publishing 0006). Backwards, they are opened again."""

from django.db import migrations, models

CONTEXT = "paging-route-secret"  # noqa: S105 — alerts.models.PAGING_SECRET_CONTEXT


def _rewrite(apps, schema_editor, forwards: bool) -> None:
    from tongpin.core import datakey

    PagingRoute = apps.get_model("alerts", "PagingRoute")
    rows = PagingRoute.objects.using(schema_editor.connection.alias).exclude(secret="").order_by("pk")
    for route in rows:
        value = datakey.seal(route.secret, CONTEXT) if forwards else datakey.unseal(route.secret, CONTEXT)
        if value != route.secret:
            PagingRoute.objects.using(schema_editor.connection.alias).filter(pk=route.pk).update(secret=value)


def seal(apps, schema_editor):
    _rewrite(apps, schema_editor, True)


def unseal(apps, schema_editor):
    _rewrite(apps, schema_editor, False)


class Migration(migrations.Migration):
    dependencies = [("alerts", "0004_duty_rosters_and_paging")]

    operations = [
        migrations.AlterField(
            model_name="pagingroute",
            name="secret",
            field=models.CharField(blank=True, max_length=600, verbose_name="密钥"),
        ),
        migrations.RunPython(seal, unseal, elidable=False),
    ]
