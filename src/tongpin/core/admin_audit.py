"""Django admin changes go to Tongpin's audit log too (the admin's own LogEntry is not append-only), with the
old and new value of every changed field. Secrets are never written: a password (or other secret) field that
changed is recorded as "changed", never with its value or hash."""

from typing import Any

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models, router, transaction

from .audit import actor_from_request, record

SECRET_WORDS = ("password", "secret", "digest", "private")
CHANGED = "changed"


def is_secret(name: str) -> bool:
    return any(word in name for word in SECRET_WORDS)


def loggable(value: Any) -> Any:
    """A value as the audit log keeps it: model rows by name, files by path, long text shortened."""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, models.QuerySet | list | tuple | set):
        return sorted(str(item) for item in value)
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or ""
    if isinstance(value, str) and len(value) > 200:
        return value[:200] + "…"
    if value is None or isinstance(value, bool | int | float | str | dict):
        return value
    return str(value)


def _stored(instance: models.Model | None, name: str) -> Any:
    """A field's value as stored (None for a new row or a field the model does not have)."""
    if instance is None:
        return None
    try:
        field = instance._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if field.many_to_many:
        return loggable(list(getattr(instance, name).all()))
    return loggable(getattr(instance, field.name))


def _new(form, obj: models.Model, name: str) -> Any:
    try:
        field = obj._meta.get_field(name)
    except FieldDoesNotExist:
        return loggable(form.cleaned_data.get(name))
    if field.many_to_many:  # saved after save_model: the form holds the new set
        return loggable(list(form.cleaned_data.get(name) or []))
    return loggable(getattr(obj, field.name))


def changed_values(form, before: models.Model | None, obj: models.Model) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in sorted(form.changed_data):
        if is_secret(name):
            values["password" if "password" in name else name] = CHANGED
        else:
            values[name] = [_stored(before, name), _new(form, obj, name)]
    return values


class AuditedModelAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        before = type(obj)._default_manager.filter(pk=obj.pk).first() if change and obj.pk else None
        super().save_model(request, obj, form, change)
        fields = sorted(form.changed_data) if form is not None else []
        changes = {
            "fields": [f for f in fields if not is_secret(f)],
            "values": changed_values(form, before, obj) if form is not None else {},
        }
        record(actor_from_request(request), f"admin.{'change' if change else 'add'}", obj, changes)

    def delete_model(self, request, obj):
        record(actor_from_request(request), "admin.delete", obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        actor = actor_from_request(request)
        for obj in queryset:
            record(actor, "admin.delete", obj)
        super().delete_queryset(request, queryset)


class AuditedPasswordChange:
    """For a user admin: a password set (or disabled) on the admin's password page is recorded, with no hash,
    in the same transaction as the change."""

    def user_change_password(self, request, id, form_url=""):
        with transaction.atomic(using=router.db_for_write(self.model)):
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:  # saved (a refused form renders again)
                user = self.get_object(request, admin.utils.unquote(id))
                record(actor_from_request(request), "admin.password_change", user, {"password": CHANGED})
        return response
