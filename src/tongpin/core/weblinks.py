"""The one rule for user-supplied addresses (imported article links, channel destinations, rendition links,
addresses a far end sends back): only http:// and https:// URLs are stored or put in an href. Anything else
(`javascript:`, `data:`, `vbscript:`, protocol-relative `//host`) is refused on the way in and dropped on the
way out, so a value stored before this rule existed cannot run either."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

SCHEMES = ("http", "https")
MESSAGE = _("链接必须是以 http:// 或 https:// 开头的网址。")
# Whitespace, control characters, quotes and angle brackets have no place in a URL worth keeping.
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f\"'<>\\`]")


def is_web_url(value: str | None) -> bool:
    """True for an http(s) URL with a host (single-label intranet hosts included; what a browser may open
    from an href)."""
    if not value or not isinstance(value, str) or len(value) > 2000 or _UNSAFE.search(value):
        return False
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        return False
    return parts.scheme.lower() in SCHEMES and bool(host) and value.lower().startswith(("http://", "https://"))


def validate_web_url(value: str) -> None:
    """A Django validator: raises ValidationError with the Chinese message unless `value` is an http(s) URL."""
    if not is_web_url(value):
        raise ValidationError(MESSAGE, code="invalid_url")


def web_url(value: str | None) -> str:
    """`value` if it is an http(s) URL, else "" (for rendering: an unsafe stored value shows no link)."""
    return value if is_web_url(value) else ""


def local_next(request, value: str | None, fallback: str) -> str:
    """Where to go after a form: `value` (a `next` field) only if it stays on this site, else `fallback`;
    `//evil.example`, `https://evil.example` and `javascript:` are never followed (no open redirect)."""
    from django.utils.http import url_has_allowed_host_and_scheme

    if value and url_has_allowed_host_and_scheme(value, {request.get_host()}, require_https=request.is_secure()):
        return value
    return fallback
