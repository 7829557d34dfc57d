"""The audit log becomes a hash chain (core/auditchain.py) and its DELETE trigger lets a retention purge through
below an anchor (core/audittriggers.py); 三员分立: the security and audit administrator roles. Existing events are
chained in id order. Existing admins become system administrators and stop being Django superusers (break-glass
accounts are made with `tongpin createsuperuser`, docs/security.md)."""

import django.utils.timezone
from django.db import migrations, models

from tongpin.core import auditchain, audittriggers


def chain_existing(apps, schema_editor):
    connection = schema_editor.connection
    AuditEvent = apps.get_model("core", "AuditEvent")
    audittriggers.drop(connection, updates=True)
    previous, seq = auditchain.GENESIS, 0
    for event in AuditEvent.objects.filter(seq__isnull=True).order_by("id").iterator(chunk_size=2000):
        seq += 1
        event.changes = auditchain.normalise_changes(event.changes)
        event.seq, event.prev_hash = seq, previous
        event.hash = previous = auditchain.digest(event)
        AuditEvent.objects.filter(pk=event.pk).update(
            seq=event.seq, prev_hash=event.prev_hash, hash=event.hash, changes=event.changes
        )
    audittriggers.install(connection)


def unchain(apps, schema_editor):
    audittriggers.drop(schema_editor.connection, updates=True)


def previous_triggers(apps, schema_editor):
    """Unapplying: the table rebuilt without the chain's columns lost its triggers on SQLite; 0006's come back."""
    import importlib

    importlib.import_module("tongpin.core.migrations.0006_audit_no_delete").install(schema_editor.connection)


def admins_are_system_administrators(apps, schema_editor):
    User = apps.get_model("core", "User")
    User.objects.filter(role="admin").update(is_superuser=False, is_staff=True, duty_role="admin")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_apitoken_expiry_scope"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, previous_triggers),
        migrations.CreateModel(
            name="AuditAnchor",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("upto_seq", models.BigIntegerField(unique=True, verbose_name="清理至链序号")),
                ("hash", models.CharField(max_length=64, verbose_name="哈希")),
                ("deleted", models.PositiveIntegerField(verbose_name="清理条数")),
                ("cutoff", models.DateTimeField(verbose_name="清理此前的记录")),
                ("at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="时间")),
                ("actor_name", models.CharField(blank=True, max_length=150, verbose_name="操作人名称")),
            ],
            options={
                "verbose_name": "审计日志清理锚点",
                "verbose_name_plural": "审计日志清理锚点",
                "ordering": ["-upto_seq"],
            },
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name="哈希"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name="前一条哈希"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(editable=False, null=True, unique=True, verbose_name="链序号"),
        ),
        migrations.AddField(
            model_name="user",
            name="duty_role",
            field=models.CharField(blank=True, editable=False, max_length=32, verbose_name="三员角色"),
        ),
        migrations.AlterField(
            model_name="user",
            name="role",
            field=models.CharField(
                choices=[
                    ("reporter", "记者"),
                    ("editor", "编辑"),
                    ("desk_chief", "部门主任"),
                    ("chief_editor", "总编辑"),
                    ("duty_officer", "值班员"),
                    ("anchor", "主播"),
                    ("partner_liaison", "合作方联络员"),
                    ("alert_sender", "预警发布单位"),
                    ("admin", "系统管理员"),
                    ("security_admin", "安全管理员"),
                    ("audit_admin", "审计管理员"),
                ],
                default="reporter",
                max_length=32,
                verbose_name="角色",
            ),
        ),
        migrations.RunPython(chain_existing, unchain),
        migrations.RunPython(admins_are_system_administrators, migrations.RunPython.noop),
    ]
