from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("review", "0004_alter_workflowstep_role")]

    operations = [
        migrations.AddField(
            model_name="workflow",
            name="allow_author_review",
            field=models.BooleanField(
                default=False,
                help_text="开启后，作者或合著者审核本人稿件须填写理由，并记入审计日志",
                verbose_name="允许作者审核本人稿件",
            ),
        ),
    ]
