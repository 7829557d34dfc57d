"""What is on the planning calendar between two days: key dates (and when their campaigns should start),
campaigns, assignment deadlines, joint events and their milestones, meetings and due action items.

The same entries feed the month/week pages and the iCalendar feeds."""

from __future__ import annotations

import calendar as cal
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tongpin.core import roles
from tongpin.core.dates import day_bounds, day_start
from tongpin.partners.models import ActionItem, ActionState, Meeting
from tongpin.partners.scope import partner_scope

from .keydates import occurrences
from .models import Assignment, AssignmentState, Campaign, CampaignState, Event, EventTask, KeyDate
from .services import PlanConflict, conflicts_of


@dataclass
class Entry:
    uid: str
    kind: str  # keydate, plan_start, campaign, assignment, booking, event, milestone, meeting, action
    title: str
    starts_on: dt.date
    ends_on: dt.date
    link: str = ""
    at: dt.datetime | None = None  # a moment, where the entry has one (a deadline, a meeting)
    conflicts: tuple[str, ...] = ()
    person: str = ""
    # Each conflict as the page lists it: (what clashes, the message, what it is about), e.g. ("档期：…",
    # "… 已有派单 …", "double_booked:3-7"): a double booking is about a pair, listed once whichever side shows it.
    clashes: tuple[tuple[str, str, str], ...] = ()
    until: dt.datetime | None = None  # the end of a time window (an assignment's booking)

    def on(self, day: dt.date) -> bool:
        return self.starts_on <= day <= self.ends_on


# Other apps add their own entries (e.g. live sessions): fn(user, first, last, person=…, campaign=…) -> entries
SOURCES: dict[str, Callable[..., list[Entry]]] = {}


def register_source(name: str, source: Callable[..., list[Entry]]) -> None:
    SOURCES[name] = source


def _local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _clash_label(code: str, title: str) -> str:
    """What a conflict is about: a double booking clashes in the booked time window (档期), not at the deadline the
    calendar shows the assignment on; a deadline after its key date is about the deadline (交稿)."""
    if code == "double_booked":
        return _("档期：%(t)s") % {"t": title}
    return _("交稿：%(t)s") % {"t": title}


def _clash_key(assignment: Assignment, conflict: PlanConflict) -> str:
    if conflict.other is not None:  # A booked against B is B booked against A
        return "{}:{}-{}".format(conflict.code, *sorted((assignment.pk, conflict.other.pk)))
    return f"{conflict.code}:{assignment.pk}"


def _clashes(assignment: Assignment, conflicts: list[PlanConflict]) -> tuple[tuple[str, str, str], ...]:
    title = assignment.topic.title
    return tuple((_clash_label(c.code, title), c.message, _clash_key(assignment, c)) for c in conflicts)


def clash_list(found: list[Entry]) -> list[tuple[str, str, str]]:
    """The 冲突 box: (link, what clashes, the message) once per conflict, in calendar order. A double booking is
    found from both assignments and on both their deadline and booking entries; it is said once. An entry
    without labelled clashes (a live session) is listed under its own title."""
    seen: set[str] = set()
    lines = []
    for entry in found:
        clashes = entry.clashes or tuple((entry.title, c, f"{entry.uid}:{c}") for c in entry.conflicts)
        for label, message, key in clashes:
            if key not in seen:
                seen.add(key)
                lines.append((entry.link, label, message))
    return lines


def booking_entries(
    user, first: dt.date, last: dt.date, *, person=None, campaign: Campaign | None = None
) -> list[Entry]:
    """Assignments' booked time windows (占用) on the days they cover: where a double booking clashes, which the
    deadline entries do not show (the 冲突 box names the booked time)."""
    if not roles.can(user, roles.PLAN_VIEW):
        return []
    rows = Assignment.objects.exclude(state=AssignmentState.CANCELLED).filter(
        starts_at__lt=day_start(last + dt.timedelta(days=1)), ends_at__gt=day_start(first)
    )
    if person is not None:
        rows = rows.filter(assignee=person)
    if campaign is not None:
        rows = rows.filter(topic__campaign=campaign)
    rows = list(rows.select_related("topic__campaign__key_date", "assignee").order_by("starts_at", "pk"))
    found = []
    for row, conflicts in zip(rows, conflicts_of(rows), strict=True):
        booked = [c for c in conflicts if c.code == "double_booked"]  # a late deadline is the deadline's
        # A window ending at midnight does not cover the next day.
        last_day = max(_local_day(row.starts_at), _local_day(row.ends_at - dt.timedelta(microseconds=1)))
        found.append(
            Entry(
                f"booking-{row.pk}",
                "booking",
                _("占用：%(t)s") % {"t": row.topic.title},
                _local_day(row.starts_at),
                last_day,
                f"/planning/topics/{row.topic_id}/",
                row.starts_at,
                tuple(c.message for c in booked),
                str(row.assignee),
                _clashes(row, booked),
                row.ends_at,
            )
        )
    return found


def key_date_entries(key_dates, first: dt.date, last: dt.date) -> list[Entry]:
    found = []
    for key_date in key_dates:
        lead_window_end = last + dt.timedelta(days=key_date.lead_days)
        for occ in occurrences(key_date, first, lead_window_end):
            uid = f"keydate-{key_date.pk}-{occ.starts_on.isoformat()}"
            if occ.starts_on <= last:
                found.append(Entry(uid, "keydate", key_date.name, occ.starts_on, occ.ends_on, "/planning/keydates/"))
            if key_date.lead_days and first <= occ.plan_from <= last:
                title = _("“%(n)s”策划启动") % {"n": key_date.name}
                found.append(
                    Entry(f"{uid}-plan", "plan_start", title, occ.plan_from, occ.plan_from, "/planning/keydates/")
                )
    return found


def entries(
    user, first: dt.date, last: dt.date, *, person=None, campaign: Campaign | None = None, bookings: bool = True
) -> list[Entry]:
    """Entries the user may see in [first, last]; only `person`'s work, or only one campaign's, when given. With
    `bookings`, assignments' booked time windows too (the page, the feeds and the API all show them)."""
    staff = roles.can(user, roles.PLAN_VIEW)
    scope = partner_scope(user)
    found: list[Entry] = booking_entries(user, first, last, person=person, campaign=campaign) if bookings else []

    if person is None:
        key_dates = KeyDate.objects.filter(is_active=True)
        if campaign is not None:
            key_dates = key_dates.filter(pk=campaign.key_date_id)
        elif not staff:
            key_dates = key_dates.filter(Q(partner__isnull=True) | scope.filter())
        found += key_date_entries(key_dates, first, last)

    campaigns = Campaign.objects.exclude(state=CampaignState.ARCHIVED).filter(starts_on__lte=last, ends_on__gte=first)
    assignments = Assignment.objects.exclude(state=AssignmentState.CANCELLED).filter(
        **day_bounds("due_at", first, last)
    )
    events = Event.objects.filter(starts_on__lte=last, ends_on__gte=first)
    tasks = EventTask.objects.filter(due_on__gte=first, due_on__lte=last, done_at__isnull=True)
    meetings = Meeting.objects.filter(**day_bounds("held_at", first, last))
    actions = ActionItem.objects.filter(state=ActionState.OPEN, due_on__gte=first, due_on__lte=last)
    if not staff:
        campaigns = campaigns.filter(scope.filter())
        assignments = assignments.none()
        events = events.filter(scope.filter())
        tasks = tasks.none()
        meetings = meetings.filter(scope.filter())
        actions = actions.filter(scope.filter())
    if person is not None:
        campaigns = campaigns.filter(owner=person)
        assignments = assignments.filter(assignee=person)
        events = events.filter(owner=person)
        tasks = tasks.filter(owner=person)
        meetings = meetings.none()
        actions = actions.filter(owner=person)
    if campaign is not None:
        campaigns = campaigns.filter(pk=campaign.pk)
        assignments = assignments.filter(topic__campaign=campaign)
        events = events.filter(campaign=campaign)
        tasks = tasks.filter(event__campaign=campaign)
        meetings = meetings.none()
        actions = actions.none()

    for row in campaigns:
        found.append(
            Entry(
                f"campaign-{row.pk}",
                "campaign",
                row.title,
                row.starts_on,
                row.ends_on,
                f"/planning/campaigns/{row.pk}/",
            )
        )
    assignments = list(assignments.select_related("topic__campaign__key_date", "assignee"))
    for row, all_conflicts in zip(assignments, conflicts_of(assignments), strict=True):
        # A host's live session clashing with the assignment is listed from the session's entry (SOURCES), once.
        found_conflicts = [c for c in all_conflicts if c.code != "live_booked"]
        day = _local_day(row.due_at)
        conflicts = tuple(c.message for c in found_conflicts)
        clashes = _clashes(row, found_conflicts)
        found.append(
            Entry(
                f"assignment-{row.pk}",
                "assignment",
                _("交稿：%(t)s") % {"t": row.topic.title},
                day,
                day,
                f"/planning/topics/{row.topic_id}/",
                row.due_at,
                conflicts,
                str(row.assignee),
                clashes,
            )
        )
    for row in events:
        found.append(
            Entry(f"event-{row.pk}", "event", row.title, row.starts_on, row.ends_on, f"/planning/events/{row.pk}/")
        )
    for row in tasks.select_related("event", "owner"):
        kind = "milestone" if row.is_milestone else "task"
        found.append(
            Entry(
                f"task-{row.pk}",
                kind,
                f"{row.event.title}：{row.title}",
                row.due_on,
                row.due_on,
                f"/planning/events/{row.event_id}/",
                person=str(row.owner or ""),
            )
        )
    for row in meetings.select_related("partner"):
        day = _local_day(row.held_at)
        found.append(
            Entry(
                f"meeting-{row.pk}",
                "meeting",
                f"{row.partner}：{row.title}",
                day,
                day,
                f"/partners/{row.partner.slug}/#meetings",
                row.held_at,
            )
        )
    for row in actions.select_related("partner", "owner"):
        found.append(
            Entry(
                f"action-{row.pk}",
                "action",
                _("待办：%(t)s") % {"t": row.title},
                row.due_on,
                row.due_on,
                f"/partners/{row.partner.slug}/#actions",
                person=str(row.owner),
            )
        )
    for source in SOURCES.values():
        found += source(user, first, last, person=person, campaign=campaign)
    return sorted(found, key=lambda e: (e.starts_on, e.at or dt.datetime.min.replace(tzinfo=dt.UTC), e.kind, e.title))


def month_weeks(year: int, month: int) -> list[list[dt.date]]:
    """The weeks (Monday first) covering a month, as lists of seven days."""
    return cal.Calendar(firstweekday=0).monthdatescalendar(year, month)


def week_days(day: dt.date) -> list[dt.date]:
    monday = day - dt.timedelta(days=day.weekday())
    return [monday + dt.timedelta(days=i) for i in range(7)]


@dataclass(frozen=True)
class Span:
    """The days a month or week page shows (week rows, Monday first), the month it names and where its arrows
    lead."""

    weeks: list[list[dt.date]]
    month: dt.date
    previous: dt.date
    following: dt.date

    @property
    def first(self) -> dt.date:
        return self.weeks[0][0]

    @property
    def last(self) -> dt.date:
        return self.weeks[-1][-1]

    def grid(self, found: list[Entry]) -> list[list[tuple[dt.date, list[Entry]]]]:
        """Each day with its entries. One lasting several days (a season, a campaign, an event) is on every day it
        covers, so whoever plans a Wednesday sees it there; the page marks the days after its first as continued."""
        daily = [e for e in found if not self._throughout(e)]
        return [[(day, [e for e in daily if e.on(day)]) for day in week] for week in self.weeks]

    def throughout(self, found: list[Entry]) -> list[Entry]:
        """The entries lasting over every day shown (a fire-prevention season across the month): said once above
        the grid instead of on each of its 35 days, where they would crowd out the day's own work."""
        return [e for e in found if self._throughout(e)]

    def _throughout(self, entry: Entry) -> bool:
        return entry.starts_on < entry.ends_on and entry.starts_on <= self.first and entry.ends_on >= self.last


def month_span(month: dt.date) -> Span:
    """The month page of `month` (its first day): the weeks covering it; the arrows go a month back and on."""
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    return Span(month_weeks(month.year, month.month), month, previous, (month + dt.timedelta(days=32)).replace(day=1))


def week_span(day: dt.date) -> Span:
    """The week page around `day`; the arrows go a week back and on."""
    days = week_days(day)
    # The week's month is the one of the day looked at (a week across two months opens the month page on that
    # day's), and the arrows move that day by a week, so it stays the one looked at.
    return Span([days], day.replace(day=1), day - dt.timedelta(days=7), day + dt.timedelta(days=7))
