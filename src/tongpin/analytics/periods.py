"""Ranking periods as the ranking publishers define them: a day; a week from Sunday to Saturday; a calendar
month (counted as 30 days in the formulas); or a custom span (its real number of days)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

KINDS = ("day", "week", "month", "custom")


@dataclass(frozen=True)
class Period:
    kind: str
    first: dt.date
    last: dt.date

    @property
    def days(self) -> int:
        """The d of the formulas: 1, 7, 30 by convention, else the real length."""
        return {"day": 1, "week": 7, "month": 30}.get(self.kind, (self.last - self.first).days + 1)

    @property
    def label(self) -> str:
        if self.kind == "day":
            return self.first.isoformat()
        if self.kind == "month":
            return self.first.strftime("%Y-%m")
        return f"{self.first.isoformat()}—{self.last.isoformat()}"

    def previous(self) -> Period:
        if self.kind == "month":
            return period("month", self.first - dt.timedelta(days=1))
        length = (self.last - self.first).days + 1
        return Period(self.kind, self.first - dt.timedelta(days=length), self.first - dt.timedelta(days=1))


def period(kind: str, anchor: dt.date, last: dt.date | None = None) -> Period:
    """The period of `kind` containing `anchor` (for custom: from anchor to `last`)."""
    if kind == "day":
        return Period(kind, anchor, anchor)
    if kind == "week":
        sunday = anchor - dt.timedelta(days=(anchor.weekday() + 1) % 7)
        return Period(kind, sunday, sunday + dt.timedelta(days=6))
    if kind == "month":
        first = anchor.replace(day=1)
        return Period(kind, first, first.replace(day=calendar.monthrange(first.year, first.month)[1]))
    if kind == "custom":
        if last is None or last < anchor:
            raise ValueError("a custom period needs an end on or after its start")
        return Period(kind, anchor, last)
    raise ValueError(f"unknown period {kind!r}; known: {', '.join(KINDS)}")


def periods_in(kind: str, first: dt.date, last: dt.date) -> list[Period]:
    """Every period of `kind` that overlaps [first, last], in order."""
    found, cursor = [], period(kind, first)
    while cursor.first <= last:
        found.append(cursor)
        cursor = period(kind, cursor.last + dt.timedelta(days=1))
    return found
