"""`{% load access %}` … `{% if user|can:"live.manage" %}`: a page shows a link only when its reader may open it."""

from django import template

from tongpin.core import roles

register = template.Library()


@register.filter
def can(user, capability: str) -> bool:
    """The role check of `roles.can()`; an empty capability means the link needs none."""
    return not capability or roles.can(user, capability)
