"""What several planning resources share: partner slugs in payloads, date ranges, iCalendar addresses."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from tongpin.core.errors import FieldError, ValidationFailed
from tongpin.partners.models import Partner
from tongpin.partners.services import get_partner

from .. import ical

MAX_RANGE_DAYS = 400


def partner_of(request, slug: str | None) -> tuple[str, Partner | None]:
    """`payload_values` converter: a partner slug (looked up in the caller's scope) to the partner."""
    return "partner", get_partner(request.auth, slug) if slug else None


def date_range(first: dt.date | None, last: dt.date | None) -> tuple[dt.date, dt.date]:
    first = first or timezone.localdate()
    last = last or first + dt.timedelta(days=30)
    if last < first or (last - first).days > MAX_RANGE_DAYS:
        raise ValidationFailed(FieldError("bad_range", _("日期范围无效（最多 400 天）。"), "to"))
    return first, last


def ical_url(user, feed: str) -> str:
    return f"{settings.TONGPIN_BASE_URL.rstrip('/')}/ical/{ical.feed_token(user, feed)}.ics"
