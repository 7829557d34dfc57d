"""`{{ alert.severity|cap_label:"severity" }}`: CAP codes shown by their readable names (see alerts/labels.py)."""

from django import template

from .. import labels

register = template.Library()


@register.filter
def cap_label(value: str, field: str):
    return labels.label(field, value)


@register.filter
def action_label(action: str):
    return labels.action_label(action)
