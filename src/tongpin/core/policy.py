"""The sign-in and session policy per role, read from settings (docs/security.md, docs/configuration.md).

One small table keyed by role name, so a role added later (the security and audit administrators) is covered by
naming it in the settings, before or after it exists:

- `TONGPIN_TWO_FACTOR_ROLES`: roles that must sign in with a second factor (TOTP or a recovery code);
- `TONGPIN_SESSION_IDLE_MINUTES`: {"*": minutes, role: minutes}: how long a session may go without a request;
- `TONGPIN_SESSION_MAX_HOURS`: how long a session may last at all, from its sign-in.

Machine accounts (API tokens) have no sessions and no second factor: none of this applies to them.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from .roles import MACHINE_ROLES


def two_factor_required(user) -> bool:
    """True when the user's role must sign in with a second factor."""
    role = getattr(user, "role", "")
    return role not in MACHINE_ROLES and role in set(settings.TONGPIN_TWO_FACTOR_ROLES)


def idle_limit(user) -> timedelta | None:
    """How long the user's session may stay without a request; None: no limit (0 minutes configured)."""
    table = settings.TONGPIN_SESSION_IDLE_MINUTES
    minutes = table.get(getattr(user, "role", ""), table.get("*", 30))
    return timedelta(minutes=minutes) if minutes and minutes > 0 else None


def absolute_limit() -> timedelta | None:
    """How long any session may last from its sign-in; None: no limit of ours (the cookie's age still applies)."""
    hours = settings.TONGPIN_SESSION_MAX_HOURS
    return timedelta(hours=hours) if hours and hours > 0 else None
