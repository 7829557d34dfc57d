"""Commitment measure: joint events (活动) with the partner that were held in the period."""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from tongpin.core import roles
from tongpin.partners.measures import Counted, Measure, register

from .models import Event, EventState


def events_held(commitment, first: dt.date, last: dt.date) -> list[Counted]:
    events = Event.objects.filter(
        partner_id=commitment.agreement.partner_id, state=EventState.HELD, ends_on__gte=first, ends_on__lte=last
    )
    return [
        Counted(f"event:{e.pk}", e.title, e.ends_on, f"/planning/events/{e.pk}/", capability=roles.PLAN_VIEW)
        for e in events
    ]


def register_measures() -> None:
    register(Measure("events", _("联合活动场次"), _("场"), events_held))
