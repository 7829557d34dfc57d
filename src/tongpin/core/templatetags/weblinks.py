"""`{{ value|web_url }}`: an href only for http(s) URLs (tongpin.core.weblinks)."""

from django import template

from tongpin.core.weblinks import web_url as _web_url

register = template.Library()


@register.filter
def web_url(value) -> str:
    return _web_url(value if isinstance(value, str) else "")
