"""Django admin changes go to Tongpin's audit log too (the admin's own LogEntry is not append-only)."""

from django.contrib import admin

from .audit import actor_from_request, record


class AuditedModelAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        fields = sorted(form.changed_data) if form is not None else []
        changes = {"fields": [f for f in fields if "password" not in f]}
        record(actor_from_request(request), f"admin.{'change' if change else 'add'}", obj, changes)

    def delete_model(self, request, obj):
        record(actor_from_request(request), "admin.delete", obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        actor = actor_from_request(request)
        for obj in queryset:
            record(actor, "admin.delete", obj)
        super().delete_queryset(request, queryset)
