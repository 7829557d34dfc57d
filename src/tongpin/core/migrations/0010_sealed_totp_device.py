"""TOTP seeds sealed at rest (docs/security.md, 数据保密性): django-otp's `TOTPDevice` keeps the seed as hex, so
every device moves to `core.SealedTOTPDevice` with its seed sealed with the data key (made in TONGPIN_HOME if there
is none), keeping its state — last step used (no replay), drift, throttling — so people sign in with the app they
have. Backwards, the devices move back with their seeds opened."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

CONTEXT = "totp-device-key:{}"  # core.models.totp_key_context, bound to the account
STATE = ("name", "confirmed", "throttling_failure_timestamp", "throttling_failure_count", "last_used_at",
         "step", "t0", "digits", "tolerance", "drift", "last_t")  # fmt: skip


def _move(source, target, alias: str, rewrite) -> None:
    for old in source.objects.using(alias).order_by("pk"):
        fields = {name: getattr(old, name) for name in STATE}
        new = target.objects.using(alias).create(user_id=old.user_id, key=rewrite(old.key, CONTEXT.format(old.user_id)),
                                                 **fields)  # fmt: skip
        target.objects.using(alias).filter(pk=new.pk).update(created_at=old.created_at)  # not the migration's time
        old.delete()


def seal(apps, schema_editor) -> None:
    from tongpin.core import datakey

    plain, sealed = apps.get_model("otp_totp", "TOTPDevice"), apps.get_model("core", "SealedTOTPDevice")
    _move(plain, sealed, schema_editor.connection.alias, datakey.seal)


def unseal(apps, schema_editor) -> None:
    from tongpin.core import datakey

    plain, sealed = apps.get_model("otp_totp", "TOTPDevice"), apps.get_model("core", "SealedTOTPDevice")
    _move(sealed, plain, schema_editor.connection.alias, datakey.unseal)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0009_merge_passwords_and_audit_chain'),
        ('otp_totp', '0003_add_timestamps'),
    ]

    operations = [
        migrations.CreateModel(
            name='SealedTOTPDevice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(help_text='The human-readable name of this device.', max_length=64)),
                ('confirmed', models.BooleanField(default=True, help_text='Is this device ready for use?')),
                ('throttling_failure_timestamp', models.DateTimeField(blank=True, default=None, help_text='A timestamp of the last failed verification attempt. Null if last attempt succeeded.', null=True)),
                ('throttling_failure_count', models.PositiveIntegerField(default=0, help_text='Number of successive failed attempts.')),
                ('created_at', models.DateTimeField(auto_now_add=True, help_text='The date and time when this device was initially created in the system.', null=True)),
                ('last_used_at', models.DateTimeField(blank=True, help_text='The most recent date and time this device was used.', null=True)),
                ('key', models.CharField(max_length=200)),
                ('step', models.PositiveSmallIntegerField(default=30)),
                ('t0', models.BigIntegerField(default=0)),
                ('digits', models.PositiveSmallIntegerField(default=6)),
                ('tolerance', models.PositiveSmallIntegerField(default=1)),
                ('drift', models.SmallIntegerField(default=0)),
                ('last_t', models.BigIntegerField(default=-1)),
                ('user', models.ForeignKey(help_text='The user that this device belongs to.', on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '身份验证器',
                'verbose_name_plural': '身份验证器',
            },
        ),
        migrations.RunPython(seal, unseal, elidable=False),
    ]
