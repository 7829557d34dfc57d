"""Notification.about: what a notice asks someone to do, so that it is closed for everyone once it is done."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0010_sealed_totp_device"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="about",
            field=models.CharField(blank=True, db_index=True, max_length=80),
        ),
    ]
