"""iCalendar feeds (RFC 5545) of planning entries, per person and per campaign, built with `icalendar`.

Calendar apps cannot sign in, so each feed has a secret address: a signed token naming the feed and the
user it is for. The token carries a fingerprint of the user's password hash and of their feed key, so changing
the password, or regenerating the key (`rotate`, on the calendar page or the API), ends every feed address they
handed out; a forged or altered token is refused."""

from __future__ import annotations

import datetime as dt
import secrets

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from tongpin.core import audit, roles
from tongpin.core.audit import Actor
from tongpin.core.datakey import Store, seal, sealed_key_id, unseal
from tongpin.core.errors import DomainError
from tongpin.core.models import User

from . import services
from .calendar import Entry
from .calendar import entries as calendar_entries
from .models import FeedKey

SALT = "tongpin.planning.ical"
KEY_CONTEXT = "ical-feed-key"  # FeedKey.secret is stored sealed with the data key (core/datakey.py)


def _fingerprint(user: User) -> str:
    key = unseal(FeedKey.objects.filter(user=user).values_list("secret", flat=True).first() or "", KEY_CONTEXT)
    return signing.Signer(salt=SALT).signature(f"{user.password or 'none'}|{key}")[:16]


def rotate(actor: Actor) -> None:
    """A new feed key for the acting user: every feed address they had stops working."""
    with transaction.atomic():
        key = seal(secrets.token_urlsafe(32), KEY_CONTEXT)
        FeedKey.objects.update_or_create(user=actor.user, defaults={"secret": key, "rotated_at": timezone.now()})
        audit.record(actor, "ical.rotate", actor.user)


def feed_token(user: User, feed: str) -> str:
    """`feed` is "person" or "campaign:<id>"."""
    return signing.dumps({"u": user.pk, "f": feed, "p": _fingerprint(user)}, salt=SALT, compress=True)


def read_token(token: str) -> tuple[User, str] | None:
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or data.get("p") != _fingerprint(user):
        return None
    return user, str(data.get("f", ""))


def feed(user: User, name: str, today: dt.date) -> tuple[str, list[Entry]] | None:
    """What the feed `name` shows `user`: its title and its entries from 60 days back to a year ahead; None for no
    such feed, or one `user` may no longer read (their role changed, the campaign is gone or out of their scope)."""
    first, last = today - dt.timedelta(days=60), today + dt.timedelta(days=365)
    if name == "person":
        if not roles.can(user, roles.PLAN_VIEW):
            return None
        return _("同频 · %(u)s 的工作") % {"u": user}, calendar_entries(user, first, last, person=user)
    if name.startswith("campaign:"):
        try:
            campaign = services.get_campaign(user, int(name.split(":", 1)[1]))
        except (DomainError, ValueError):
            return None
        return _("同频 · %(t)s") % {"t": campaign.title}, calendar_entries(user, first, last, campaign=campaign)
    return None


def render(name: str, entries: list[Entry], base_url: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Tongpin//planning//ZH")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    stamp = timezone.now()
    for entry in entries:
        event = Event()
        event.add("uid", f"{entry.uid}@tongpin")
        event.add("dtstamp", stamp)
        event.add("summary", entry.title)
        if entry.at is not None:  # a moment (a deadline, a meeting), or a booked window from `at` until `until`
            event.add("dtstart", entry.at)
            event.add("dtend", entry.until or entry.at + dt.timedelta(minutes=30))
        else:
            event.add("dtstart", entry.starts_on)
            event.add("dtend", entry.ends_on + dt.timedelta(days=1))  # all-day: end is exclusive
        if entry.link:
            event.add("url", base_url.rstrip("/") + entry.link)
        notes = [entry.person] if entry.person else []
        notes += list(entry.conflicts)
        if notes:
            event.add("description", "\n".join(notes))
        event.add("categories", [entry.kind])
        calendar.add_component(event)
    return calendar.to_ical()


# --- the feed keys are a sealed store (`tongpin keys rotate`, `tongpin keys status`) ---


def _key_ids() -> list[str]:
    return [sealed_key_id(v) for v in FeedKey.objects.exclude(secret="").values_list("secret", flat=True)]


def _reseal(rewrite) -> int:
    count = 0
    for row in FeedKey.objects.select_for_update().exclude(secret="").order_by("pk"):
        new = rewrite(row.secret, KEY_CONTEXT)
        if new != row.secret:
            FeedKey.objects.filter(pk=row.pk).update(secret=new)
            count += 1
    return count


STORE = Store("ical_feed_keys", _key_ids, _reseal)
