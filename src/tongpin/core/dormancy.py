"""Accounts nobody uses (等保 2.0, docs/security.md): an account without a sign-in for TONGPIN_DORMANT_DAYS days
(counted from its last sign-in, its creation, or an admin re-enabling it, whichever is latest) is disabled, with
the reason kept and an audit event. Machine accounts (API tokens only) never sign in and are left alone.

`tongpin worker` runs `disable_dormant` at most once an hour (a periodic hook); `tongpin account
disable-dormant` runs it now. Admins re-enable an account in the Django admin (the 启用 box, or the action 重新启用
账号), through `POST /api/v1/users/{username}/enable`, or with `tongpin account enable NAME`.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .audit import SYSTEM, Actor, record
from .models import AccountState, User
from .roles import MACHINE_ROLES

RUN_EVERY = 3600  # seconds between the worker's passes
_last_run = {"at": 0.0}


def dormant(now: datetime | None = None) -> list[User]:
    """Active accounts with no sign-in within the dormancy period (none when TONGPIN_DORMANT_DAYS is 0)."""
    days = settings.TONGPIN_DORMANT_DAYS
    if not days or days <= 0:
        return []
    cutoff = (now or timezone.now()) - timedelta(days=days)
    candidates = (
        User.objects.filter(is_active=True, date_joined__lt=cutoff)
        .exclude(role__in=MACHINE_ROLES)
        .filter(Q(last_login__isnull=True) | Q(last_login__lt=cutoff))
        .exclude(account_state__active_since__gte=cutoff)
    )
    return list(candidates)


def disable_dormant(now: datetime | None = None, actor: Actor = SYSTEM) -> list[User]:
    """Disable every dormant account; returns them."""
    now = now or timezone.now()
    done = []
    for user in dormant(now):
        with transaction.atomic():
            if not User.objects.filter(pk=user.pk, is_active=True).update(is_active=False):
                continue  # another worker got there first
            AccountState.objects.update_or_create(
                user=user, defaults={"disabled_reason": AccountState.Disabled.DORMANT, "disabled_at": now}
            )
            last = user.last_login.isoformat() if user.last_login else ""
            days = settings.TONGPIN_DORMANT_DAYS
            record(actor, "user.disabled_dormant", user, {"last_login": last, "days": days})
        done.append(user)
    return done


def enable(actor: Actor, user: User) -> bool:
    """Switch an account back on; True if it was off. Its dormancy count starts again (core.signals)."""
    if user.is_active:
        return False
    with transaction.atomic():
        user.is_active = True
        user.save(update_fields=["is_active"])
        record(actor, "user.enabled", user)
    return True


def periodic_dormant() -> None:
    """The worker's hook: at most once per RUN_EVERY seconds in this process."""
    if time.monotonic() - _last_run["at"] < RUN_EVERY and _last_run["at"]:
        return
    _last_run["at"] = time.monotonic()
    disable_dormant()
