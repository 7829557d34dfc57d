from django.db import migrations, models


def snapshot_current_assets(apps, schema_editor):
    """Each story's latest revision takes the assets it has now (what its approval covered until today)."""
    Story = apps.get_model("newsroom", "Story")
    Revision = apps.get_model("newsroom", "Revision")
    for story in Story.objects.filter(assets__isnull=False).distinct().iterator():
        assets = [
            {"key": a.key.hex, "name": a.original_name, "sha256": a.sha256, "caption": a.caption}
            for a in story.assets.order_by("uploaded_at", "id")
        ]
        Revision.objects.filter(story=story, number=story.version).update(assets=assets)


class Migration(migrations.Migration):
    dependencies = [("newsroom", "0003_story_assignment")]

    operations = [
        migrations.AddField(model_name="revision", name="assets", field=models.JSONField(blank=True, default=list)),
        migrations.AddField(
            model_name="revision", name="channel_versions", field=models.JSONField(blank=True, default=list)
        ),
        migrations.RunPython(snapshot_current_assets, migrations.RunPython.noop),
    ]
