from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("core", "0006_audit_no_delete")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(blank=True, help_text="留空则不过期", null=True, verbose_name="到期时间"),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="scope",
            field=models.CharField(
                choices=[("read", "只读"), ("alerts", "仅预警"), ("full", "全部")],
                default="full",
                max_length=8,
                verbose_name="范围",
            ),
        ),
    ]
