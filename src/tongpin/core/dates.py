"""Whole-day ranges in the site's time zone, as filters on a datetime field take them."""

import datetime as dt

from django.utils import timezone


def day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def day_bounds(field: str, date_from: dt.date | None, date_to: dt.date | None) -> dict:
    """Lookups for `field` from the start of date_from to the end of date_to (either may be missing)."""
    lookups = {}
    if date_from:
        lookups[f"{field}__gte"] = day_start(date_from)
    if date_to:
        lookups[f"{field}__lt"] = day_start(date_to + dt.timedelta(days=1))
    return lookups
