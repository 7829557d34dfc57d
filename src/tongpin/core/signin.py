"""Slowing down password and token guessing, with django-axes and its database handler: counts survive restarts
and are shared by every process and machine on the same database.

Every sign-in goes through Django's `authenticate()` (the login page, the admin's login), where axes' backend
refuses a locked name or address; bearer tokens are counted here (`token_allowed`, `token_failed`). Limits in a
15-minute window: 5 failures for one account name (counted case-insensitively, whether or not it exists, so the
answer is the same for both), 30 from one client address, 10 bad API tokens from one address. Settings in
settings.py (AXES_*) point here.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.signals import user_login_failed
from django.db.models import Sum
from django.utils import timezone

COOL_OFF = timedelta(minutes=15)
NAME_LIMIT = 5
ADDRESS_LIMIT = 30
TOKEN_LIMIT = 10
API_TOKEN = "api_token"  # noqa: S105  (the credentials key that marks a bearer-token attempt)
SECOND_FACTOR = "second_factor"  # marks a wrong code at the second sign-in step: counted like a wrong password


def _is_token(credentials: dict | None) -> bool:
    return bool(credentials and credentials.get(API_TOKEN))


def username(request, credentials: dict | None) -> str | None:
    """The name failures are counted under (AXES_USERNAME_CALLABLE): trimmed and lower-cased, so 'Admin' and
    'admin ' share one count; None for token attempts."""
    if _is_token(credentials):
        return None
    name = (credentials or {}).get("username")
    if name is None and request is not None and request.method == "POST":
        name = request.POST.get("username")
    return str(name).strip().lower()[:150] if name else None


def lockout_parameters(request, credentials: dict | None) -> list:
    """Passwords are counted per name and per address; bad tokens per address (AXES_LOCKOUT_PARAMETERS)."""
    return ["ip_address"] if _is_token(credentials) else ["username", "ip_address"]


def failure_limit(request, credentials: dict | None) -> int:
    """AXES_FAILURE_LIMIT. Axes compares one number, the larger of the name's and the address's counts, with
    this limit; answering 5 once the name alone has 5 failures and 30 otherwise gives each count its own limit."""
    if _is_token(credentials):
        return TOKEN_LIMIT
    name = username(request, credentials)
    return NAME_LIMIT if name and name_failures(name) >= NAME_LIMIT else ADDRESS_LIMIT


def name_failures(name: str) -> int:
    from axes.models import AccessAttempt

    recent = AccessAttempt.objects.filter(username=name, attempt_time__gte=timezone.now() - COOL_OFF)
    return recent.aggregate(n=Sum("failures_since_start"))["n"] or 0


def forget_name(name: str) -> None:
    """A successful sign-in clears that name's failures (not the address's)."""
    from axes.models import AccessAttempt

    AccessAttempt.objects.filter(username=name.strip().lower()).delete()


def token_allowed(request) -> bool:
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.is_allowed(request, {API_TOKEN: True})


def token_failed(request) -> bool:
    """Count a bad bearer token from this address; True if the address is now locked out."""
    user_login_failed.send(sender=__name__, credentials={API_TOKEN: True, "username": ""}, request=request)
    return bool(getattr(request, "axes_locked_out", False))


def second_factor_allowed(request, name: str) -> bool:
    """May this name (and address) try a code now? False while axes has it locked out."""
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.is_allowed(request, {"username": name})


def second_factor_failed(request, name: str) -> bool:
    """Count a wrong second-factor code against the account's name and the address, as a wrong password is
    counted; True if that locked them out."""
    user_login_failed.send(sender=__name__, credentials={SECOND_FACTOR: True, "username": name}, request=request)
    return bool(getattr(request, "axes_locked_out", False))
