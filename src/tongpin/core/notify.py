"""Telling people: an in-app notification for each, and an e-mail where they have an address and
TONGPIN_NOTIFY_EMAIL is on. Sent only to those passed in: callers choose who can act."""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .models import Notification, User

log = logging.getLogger(__name__)


def notify(users: Iterable[User], text: str, link: str = "", about: str = "") -> int:
    """Tell each active person; `about` names the request the notice makes, for `settle` to close it later."""
    people = {u.pk: u for u in users if u is not None and u.is_active}
    Notification.objects.bulk_create(
        [Notification(user=u, text=text[:300], link=link[:300], about=about[:80]) for u in people.values()]
    )
    if settings.TONGPIN_NOTIFY_EMAIL:
        addresses = [u.email for u in people.values() if u.email]
        if addresses:
            transaction.on_commit(lambda: _mail(addresses, text, link))
    return len(people)


def settle(about: str) -> int:
    """Close the open notices about something now done (read for everyone they went to), so the unread count shows
    only what still waits for someone. Returns how many were closed."""
    if not about:
        return 0
    return Notification.objects.filter(about=about, read_at=None).update(read_at=timezone.now())


def _mail(addresses: list[str], text: str, link: str) -> None:
    try:
        send_mail(f"[同频] {text[:60]}", f"{text}\n\n{link}", None, addresses, fail_silently=False)
    except Exception:  # noqa: BLE001  (mail trouble must not undo the work that was notified)
        log.exception("notification e-mail failed")
