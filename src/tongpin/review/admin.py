from django.contrib import admin

from tongpin.core.admin_audit import AuditedModelAdmin

from .models import ProofRule, RosterEntry, Workflow, WorkflowStep


class WorkflowStepInline(admin.TabularInline):
    model = WorkflowStep
    extra = 0
    filter_horizontal = ("people",)


@admin.register(Workflow)
class WorkflowAdmin(AuditedModelAdmin):
    list_display = ("name", "partner", "is_default", "allow_same_person", "allow_author_review", "restart_on_revision")
    inlines = [WorkflowStepInline]


@admin.register(RosterEntry)
class RosterEntryAdmin(AuditedModelAdmin):
    list_display = ("name", "title", "rank", "former_titles")


@admin.register(ProofRule)
class ProofRuleAdmin(admin.ModelAdmin):
    """Read-only here: rules change on the 校对规则 page, which keeps the change log."""

    list_display = ("category", "term", "suggestion", "severity", "source", "enabled")
    list_filter = ("category", "severity", "enabled")
    search_fields = ("term",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
