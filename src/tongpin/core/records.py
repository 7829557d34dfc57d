"""Saving and deleting plain records the same way everywhere: model rules checked and turned into field
errors, the change audited in the same transaction, and a delete refused (never cascaded) while others point
at the row."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from . import audit
from .audit import Actor
from .errors import Conflict, FieldError, ValidationFailed


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str | dict):
        return value
    return str(value)


def check(instance: models.Model, errors: list[FieldError] | None = None, exclude: list[str] | None = None) -> None:
    """Run the model's own validation (lengths, choices, required fields) plus `errors` found by the caller."""
    found = list(errors or [])
    try:
        instance.full_clean(exclude=exclude, validate_unique=True, validate_constraints=True)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            location = "" if field == "__all__" else field
            found.extend(FieldError("invalid", message, location) for message in messages)
    if found:
        raise ValidationFailed(found)


def apply(instance: models.Model, values: dict[str, Any]) -> dict[str, Any]:
    """Set `values` on the instance; answer what changed as {field: [old, new]} for the audit log."""
    changes = {}
    for name, value in values.items():
        field = instance._meta.get_field(name)
        if field.many_to_one or field.one_to_one:
            old, new = getattr(instance, field.attname), getattr(value, "pk", None)
        else:
            old, new = getattr(instance, name), value
        if old != new:
            changes[name] = [_plain(old), _plain(new)]
        setattr(instance, name, value)
    return changes


def save(actor: Actor, instance: models.Model, changes: dict[str, Any], action: str) -> models.Model:
    with transaction.atomic():
        instance.save()
        audit.record(actor, action, instance, changes)
    return instance


def delete(actor: Actor, instance: models.Model, action: str) -> None:
    """Delete, or refuse with a 409 naming what still points here (the caller may offer to archive instead)."""
    label = str(instance)
    try:
        with transaction.atomic():
            audit.record(actor, action, instance, {})
            instance.delete()
    except (ProtectedError, RestrictedError) as error:
        blockers = getattr(error, "protected_objects", None) or getattr(error, "restricted_objects", ())
        kinds = sorted({str(obj._meta.verbose_name) for obj in blockers})
        raise Conflict(
            FieldError(
                "still_referenced",
                _("“%(name)s”仍被其他记录引用（%(kinds)s），不能删除；可以改为归档或取消。")
                % {"name": label, "kinds": "、".join(kinds)},
            )
        ) from error
