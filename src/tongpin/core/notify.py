"""Telling people: an in-app notification for each, and an e-mail where they have an address and
TONGPIN_NOTIFY_EMAIL is on. Sent only to those passed in: callers choose who can act."""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from .models import Notification, User

log = logging.getLogger(__name__)


def notify(users: Iterable[User], text: str, link: str = "") -> int:
    people = {u.pk: u for u in users if u is not None and u.is_active}
    Notification.objects.bulk_create([Notification(user=u, text=text[:300], link=link[:300]) for u in people.values()])
    if settings.TONGPIN_NOTIFY_EMAIL:
        addresses = [u.email for u in people.values() if u.email]
        if addresses:
            transaction.on_commit(lambda: _mail(addresses, text, link))
    return len(people)


def _mail(addresses: list[str], text: str, link: str) -> None:
    try:
        send_mail(f"[同频] {text[:60]}", f"{text}\n\n{link}", None, addresses, fail_silently=False)
    except Exception:  # noqa: BLE001  (mail trouble must not undo the work that was notified)
        log.exception("notification e-mail failed")
