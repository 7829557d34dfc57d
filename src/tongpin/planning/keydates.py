"""When key publicity dates fall: every year for recurring ones (29 February falls on the 28th in other years;
a span may run over the new year), once for one-off ones. Plain functions over a KeyDate."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from .models import KeyDate


@dataclass(frozen=True)
class Occurrence:
    key_date: KeyDate
    starts_on: dt.date
    ends_on: dt.date

    @property
    def plan_from(self) -> dt.date:
        """The day a campaign for it should start."""
        return self.starts_on - dt.timedelta(days=self.key_date.lead_days)


def _on(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def occurrences(key_date: KeyDate, first: dt.date, last: dt.date) -> list[Occurrence]:
    """Occurrences overlapping [first, last], earliest first."""
    if key_date.kind == KeyDate.Kind.ONE_OFF:
        if key_date.starts_on is None:
            return []
        ends_on = key_date.ends_on or key_date.starts_on
        overlaps = key_date.starts_on <= last and ends_on >= first
        return [Occurrence(key_date, key_date.starts_on, ends_on)] if overlaps else []
    if not key_date.month or not key_date.day:
        return []
    found = []
    for year in range(first.year - 1, last.year + 1):
        start = _on(year, key_date.month, key_date.day)
        end = start
        if key_date.end_month and key_date.end_day:
            end_year = year + 1 if (key_date.end_month, key_date.end_day) < (key_date.month, key_date.day) else year
            end = _on(end_year, key_date.end_month, key_date.end_day)
        if start <= last and end >= first:
            found.append(Occurrence(key_date, start, end))
    return found


def next_occurrence(key_date: KeyDate, today: dt.date) -> Occurrence | None:
    """The occurrence going on today or the next one to come (within two years)."""
    upcoming = occurrences(key_date, today, today + dt.timedelta(days=731))
    return upcoming[0] if upcoming else None


def upcoming(key_dates, today: dt.date, days: int = 60) -> list[Occurrence]:
    found = []
    for key_date in key_dates:
        found.extend(occurrences(key_date, today, today + dt.timedelta(days=days)))
    return sorted(found, key=lambda o: (o.starts_on, o.key_date.name))


def by_next_occurrence(key_dates, today: dt.date) -> list[tuple[KeyDate, Occurrence | None]]:
    """Each key date with its next occurrence from `today`, the soonest first; those that do not come again last."""
    rows = [(k, next_occurrence(k, today)) for k in key_dates]
    rows.sort(key=lambda row: (row[1] is None, row[1].starts_on if row[1] else today))
    return rows
