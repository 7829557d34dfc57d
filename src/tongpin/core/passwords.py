"""Password rules (等保 2.0 身份鉴别, docs/security.md): what a new password must be, which it may not repeat,
and when one has expired. Both validators are in AUTH_PASSWORD_VALIDATORS, so the sign-in pages, the password
pages, the Django admin and `tongpin createuser` apply the same rules.
"""

from __future__ import annotations

import string
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

LONG_ENOUGH = 10  # any password this long passes the length rule
SHORTEST = 8  # a shorter one than LONG_ENOUGH needs three kinds of character
KINDS_NEEDED = 3


def character_kinds(password: str) -> int:
    """How many of: lower-case letters, upper-case letters, digits, anything else (punctuation, Chinese)."""
    kinds = [
        any(c in string.ascii_lowercase for c in password),
        any(c in string.ascii_uppercase for c in password),
        any(c.isdigit() for c in password),
        any(not (c.isascii() and c.isalnum()) for c in password),
    ]
    return sum(kinds)


class ComplexityValidator:
    """At least 10 characters, or at least 8 with three of the four kinds of character."""

    def validate(self, password: str, user=None) -> None:
        if len(password) >= LONG_ENOUGH:
            return
        if len(password) >= SHORTEST and character_kinds(password) >= KINDS_NEEDED:
            return
        raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return _("密码至少 10 位；或至少 8 位且包含大写字母、小写字母、数字、其他符号中的三种。")


class HistoryValidator:
    """None of the account's last `keep` passwords (the current one included). Each new password's hash is kept
    (`password_changed`, called by Django when a user with a new password is saved); older ones are dropped."""

    def __init__(self, keep: int = 5):
        self.keep = keep

    def validate(self, password: str, user=None) -> None:
        if user is None or user.pk is None:
            return
        from .models import PasswordHistory

        hashes = list(PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[: self.keep])
        if user.password and user.password not in hashes:
            hashes.append(user.password)  # accounts from before the history was kept
        if any(check_password(password, encoded) for encoded in hashes if encoded):
            raise ValidationError(
                _("不能使用最近 %(count)d 次用过的密码。") % {"count": self.keep}, code="password_reused"
            )

    def password_changed(self, password: str, user=None) -> None:
        if user is None or user.pk is None or not user.has_usable_password():
            return
        from .models import PasswordHistory

        PasswordHistory.objects.create(user=user, password=user.password)
        stale = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[self.keep :]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()

    def get_help_text(self) -> str:
        return _("不能使用最近 %(count)d 次用过的密码。") % {"count": self.keep}


def changed_at(user) -> datetime:
    """When the password was last set (its history), or when the account was made."""
    from .models import PasswordHistory

    newest = PasswordHistory.objects.filter(user=user).values_list("created_at", flat=True).first()
    return newest or user.date_joined


def expired(user, now: datetime | None = None) -> bool:
    """True when TONGPIN_PASSWORD_MAX_AGE_DAYS is set and the password is older: it must be changed at sign-in."""
    days = settings.TONGPIN_PASSWORD_MAX_AGE_DAYS
    if not days or days <= 0 or not user.has_usable_password():
        return False
    return (now or timezone.now()) - changed_at(user) > timedelta(days=days)
