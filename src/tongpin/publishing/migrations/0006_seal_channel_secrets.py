"""Seal the channel secrets stored in plaintext before (docs/security.md, 数据保密性). The data key is made in
TONGPIN_HOME if there is none (or taken from TONGPIN_DATA_KEY); which settings are secret is what the installed
plug-ins declare now. Backwards, the secrets are opened again."""

from django.db import migrations


def _rewrite(apps, schema_editor, forwards: bool) -> None:
    from tongpin.core import datakey
    from tongpin.publishing.secrets import context, secret_names

    Channel = apps.get_model("publishing", "Channel")
    for channel in Channel.objects.using(schema_editor.connection.alias).order_by("pk"):
        names = secret_names(channel.kind, channel.transmitter)
        values = dict(channel.settings or {})
        for name in names:
            value = values.get(name)
            if isinstance(value, str) and value:
                values[name] = datakey.seal(value, context(name)) if forwards else datakey.unseal(value, context(name))
        if values != channel.settings:
            Channel.objects.using(schema_editor.connection.alias).filter(pk=channel.pk).update(settings=values)


def seal(apps, schema_editor):
    _rewrite(apps, schema_editor, True)


def unseal(apps, schema_editor):
    _rewrite(apps, schema_editor, False)


class Migration(migrations.Migration):
    dependencies = [("publishing", "0005_delivery_reach"), ("planning", "0004_seal_feed_keys")]  # every store exists

    operations = [migrations.RunPython(seal, unseal, elidable=False)]
