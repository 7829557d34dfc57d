"""Commitment fulfilment (履约情况), computed from the platform's own records — never typed in.

A commitment's agreement term is cut into periods (calendar months, quarters or years, clipped to the term, or
the whole term). Records that count come from the commitment's measure once for the whole term and are put
into their period, so the figure and its drill-down are the same list. Each period reads:

- met       (已达成)   the target (and the channel breadth, if asked) is reached;
- missed    (未达成)   the period is over and it was not;
- pending   (待定)     the period is over but its figures are not final yet (a month's ranking: 7 days after it);
- on track  (正常推进) still open and at least the pro-rata share of the target is done;
- at risk   (有风险)   still open and behind that pace;
- upcoming  (未开始)   not begun.

A seasonal commitment (only some months count) reads "off season" between its seasons.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .measures import MEASURES, Counted
from .models import Agreement, Commitment, CommitmentPeriod


class Status(models.TextChoices):
    MET = "met", _("已达成")
    ON_TRACK = "on_track", _("正常推进")
    AT_RISK = "at_risk", _("有风险")
    MISSED = "missed", _("未达成")
    PENDING = "pending", _("待定")
    UPCOMING = "upcoming", _("未开始")
    OFF_SEASON = "off_season", _("非考核期")
    UNMEASURED = "unmeasured", _("无法统计")


@dataclass
class PeriodResult:
    starts_on: dt.date
    ends_on: dt.date
    target: int
    min_channels: int
    records: list[Counted] = field(default_factory=list)
    status: str = Status.UPCOMING
    expected: int = 0

    @property
    def count(self) -> int:
        return len(self.records)

    @property
    def channels(self) -> set[str]:
        return set().union(*(r.channels for r in self.records)) if self.records else set()

    @property
    def reached(self) -> bool:
        return self.count >= self.target and len(self.channels) >= self.min_channels

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.count / self.target)) if self.target else 100


@dataclass
class Fulfilment:
    commitment: Commitment
    periods: list[PeriodResult]
    current: PeriodResult | None

    @property
    def status(self) -> str:
        if self.current is not None:
            return self.current.status
        return Status.OFF_SEASON if self.periods else Status.UNMEASURED

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)

    @property
    def measure_label(self) -> str:
        measure = MEASURES.get(self.commitment.measure)
        return str(measure.label) if measure else self.commitment.measure


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def _period_end(start: dt.date, period: str) -> dt.date:
    if period == CommitmentPeriod.MONTH:
        return _month_end(start)
    if period == CommitmentPeriod.QUARTER:
        last_month = (start.month - 1) // 3 * 3 + 3
        return _month_end(start.replace(month=last_month, day=1))
    return start.replace(month=12, day=31)


def periods(term_start: dt.date, term_end: dt.date, period: str, active_months: list[int]) -> list[tuple]:
    """The (first day, last day) periods of a term; month periods outside `active_months` are left out."""
    if period == CommitmentPeriod.TERM:
        return [(term_start, term_end)]
    spans = []
    start = term_start
    while start <= term_end:
        end = min(_period_end(start, period), term_end)
        if period != CommitmentPeriod.MONTH or not active_months or start.month in active_months:
            spans.append((start, end))
        start = end + dt.timedelta(days=1)
    return spans


def _judge(result: PeriodResult, today: dt.date, final: bool, day_over: bool = False) -> None:
    total = (result.ends_on - result.starts_on).days + 1
    elapsed = min(total, (today - result.starts_on).days + 1)
    result.expected = math.floor(result.target * elapsed / total) if elapsed > 0 else 0
    if today < result.starts_on:
        result.status = Status.UPCOMING
    elif result.reached:
        result.status = Status.MET
    elif today > result.ends_on or (day_over and today == result.ends_on):
        result.status = Status.MISSED if final else Status.PENDING
    elif result.count >= result.expected:
        result.status = Status.ON_TRACK
    else:
        result.status = Status.AT_RISK


def fulfilment(
    commitment: Commitment, today: dt.date | None = None, known_on: dt.date | None = None, day_over: bool = False
) -> Fulfilment:
    """The commitment as it stands on `today` (default: the real today). `known_on` is the day the figures are
    read (default `today`): a report on a past month is judged as of that month's end with what is known now.
    `day_over`: `today` is a past day, ended, so a period ending on it is over (a past report's last day), not
    still open as on the real today."""
    today = today or timezone.localdate()
    known_on = max(known_on or today, today)
    agreement = commitment.agreement
    spans = periods(agreement.starts_on, agreement.ends_on, commitment.period, commitment.active_months)
    measure = MEASURES.get(commitment.measure)
    if measure is None or not spans:
        return Fulfilment(commitment, [], None)
    results = [PeriodResult(start, end, commitment.target, commitment.min_channels) for start, end in spans]
    last_day = min(agreement.ends_on, today)
    records = measure.records(commitment, agreement.starts_on, last_day) if last_day >= agreement.starts_on else []
    months = set(commitment.active_months)
    for record in sorted(records, key=lambda r: (r.on, r.key)):
        if (months and record.on.month not in months) or not measure.is_final(record.on, known_on):
            continue
        for result in results:
            if result.starts_on <= record.on <= result.ends_on:
                result.records.append(record)
                break
    for result in results:
        _judge(result, today, measure.is_final(result.ends_on, known_on), day_over)
    return Fulfilment(commitment, results, _current(results, today))


def _current(results: list[PeriodResult], today: dt.date) -> PeriodResult | None:
    """The period containing today; before the term the first, after it the last; None between seasons."""
    if today < results[0].starts_on:
        return results[0]
    if today > results[-1].ends_on:
        return results[-1]
    return next((r for r in results if r.starts_on <= today <= r.ends_on), None)


def periods_within(result: Fulfilment, first: dt.date, last: dt.date) -> list[PeriodResult]:
    """The periods of `result` that overlap `first`..`last` (a report's span), in order; none when the span holds
    no period of the commitment (before its term, or between seasons)."""
    return [p for p in result.periods if p.starts_on <= last and p.ends_on >= first]


def agreement_fulfilment(agreement: Agreement) -> list[Fulfilment]:
    """The fulfilment of each of `agreement`'s commitments in force (archived ones are left out)."""
    return [fulfilment(c) for c in agreement.commitments.filter(archived_at__isnull=True).select_related("agreement")]
