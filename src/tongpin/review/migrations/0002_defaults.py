"""The default workflow (初审 → 复审 → 终审) and the starter rule lists."""

from django.db import migrations


def forwards(apps, schema_editor):
    Workflow = apps.get_model("review", "Workflow")
    WorkflowStep = apps.get_model("review", "WorkflowStep")
    ProofRule = apps.get_model("review", "ProofRule")
    ProofRuleChange = apps.get_model("review", "ProofRuleChange")
    if not Workflow.objects.filter(is_default=True).exists():
        workflow = Workflow.objects.create(name="三审（初审 → 复审 → 终审）", is_default=True)
        for order, (name, role, final) in enumerate(
            [("初审", "editor", False), ("复审", "desk_chief", False), ("终审", "chief_editor", True)], start=1
        ):
            WorkflowStep.objects.create(workflow=workflow, order=order, name=name, role=role, is_final=final)
    from tongpin.review.proofreading import starter_rules

    for rule in starter_rules():
        _, created = ProofRule.objects.get_or_create(
            category=rule.category,
            term=rule.term,
            defaults={
                "suggestion": rule.suggestion,
                "severity": rule.severity,
                "source": rule.source,
                "note": rule.note,
            },
        )
        if created:
            ProofRuleChange.objects.create(
                rule_key=f"{rule.category}:{rule.term}",
                action="import",
                after={"suggestion": rule.suggestion, "severity": rule.severity, "source": rule.source},
            )


class Migration(migrations.Migration):
    dependencies = [("review", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
