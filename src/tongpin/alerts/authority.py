"""Who may decide (确认发布 / 不发布) an alert waiting for confirmation.

Two sources of authority, checked in this order:
- the role: `ALERT_DECIDE` (duty officers, system administrators), at any time;
- the roster: whoever stands on a shift running now — duty officer, backup (备班) or chief (带班领导) — for the
  alerts waiting during that shift. The lane pages exactly these people (paging.py), so the person woken at 3 a.m.
  can act on what they were woken for. It needs a role that may see alerts (`ALERT_VIEW`): rostering a 三员
  administrator or a newsroom account grants nothing, and the roster refuses them (duty.save_shift).

Everything else about a decision is the same whichever authority made it (release.confirm / reject); the audit entry
names the authority (`role`, or `roster:officer|backup|chief`).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from tongpin.core import roles
from tongpin.core.errors import FieldError, Forbidden
from tongpin.core.models import User
from tongpin.core.roles import ALERT_DECIDE, ALERT_VIEW

from . import duty
from .models import CallStep

ROLE = "role"
ROSTER_FIELDS = ((CallStep.OFFICER, "officer"), (CallStep.BACKUP, "backup"), (CallStep.CHIEF, "chief"))


def roster_step(user, moment: dt.datetime | None = None) -> str | None:
    """The step (officer, backup, chief) `user` holds on a shift running at `moment`, None when on none."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    for shift in duty.shifts_at(moment or timezone.now()):
        for step, field in ROSTER_FIELDS:
            if getattr(shift, f"{field}_id") == user.pk:
                return step
    return None


def authority(user, moment: dt.datetime | None = None) -> str | None:
    """Why `user` may decide waiting alerts now: `role`, `roster:<step>`, or None when they may not."""
    if roles.can(user, ALERT_DECIDE):
        return ROLE
    if not roles.can(user, ALERT_VIEW):
        return None  # a person who may not see alerts decides none, rostered or not
    step = roster_step(user, moment)
    return f"roster:{step}" if step else None


def may_decide(user, moment: dt.datetime | None = None) -> bool:
    return authority(user, moment) is not None


def require_decide(user, moment: dt.datetime | None = None) -> str:
    """The authority `user` decides with; 403 when they have none."""
    how = authority(user, moment)
    if how is None:
        message = _("只有值班员，或当班排班中的值班员、备班、带班领导，可以确认或驳回预警。")
        raise Forbidden(FieldError("forbidden", message))
    return how


def deciders(moment: dt.datetime | None = None, limit: int = 8) -> list[tuple[str, User]]:
    """Who can decide now, for a page whose reader cannot: the people on the running shifts who may (by their
    shift's step), then — nobody rostered — the active holders of the role, named by role."""
    steps = dict(CallStep.choices)
    found: dict[int, tuple[str, User]] = {}
    for shift in duty.shifts_at(moment or timezone.now()):
        for step, field in ROSTER_FIELDS:
            person = getattr(shift, field)
            # On a running shift: anyone who may see alerts may decide them (authority() above).
            if person is not None and person.pk not in found and roles.can(person, ALERT_VIEW):
                found[person.pk] = (str(steps[step]), person)
    if found:
        return list(found.values())[:limit]
    holders = User.objects.filter(role__in=roles.roles_with(ALERT_DECIDE), is_active=True).order_by("pk")
    # duty officers first: deciding is their job; administrators hold the capability as a fallback
    ranked = sorted(holders[:50], key=lambda user: (user.role != roles.Role.DUTY_OFFICER, user.pk))
    return [(user.get_role_display(), user) for user in ranked[:limit]]


def deciders_text(moment: dt.datetime | None = None) -> str:
    """Who can decide in words ("值班员 周航、带班领导 陈岚"), or that nobody can."""
    people = deciders(moment)
    if not people:
        return _("现在没有人可以确认：请系统管理员排班")
    return "、".join(f"{label} {person}" for label, person in people)
