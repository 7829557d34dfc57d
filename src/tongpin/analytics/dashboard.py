"""The analytics dashboard's figures: reads of the station's own accounts per week, publications per channel,
commitments by fulfilment status and partners' standings in their peer groups. Computed here, rendered by the
view (`views.dashboard`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.utils import timezone

from tongpin.partners.fulfilment import Status, fulfilment
from tongpin.partners.models import AgreementStatus, Commitment
from tongpin.publishing.models import Delivery, DeliveryAction, DeliveryState

from .models import Account, Article
from .periods import period, periods_in
from .rankings import rank

WEEKS, SPLIT_DAYS, SHOWN = 12, 30, 12


@dataclass(frozen=True)
class Dashboard:
    weekly_reads: list[tuple[str, int]]  # (week's first day as MM-DD, reads)
    channel_split: list[tuple[str, int]]  # (channel name, publications delivered)
    statuses: list[tuple[str, int, str]]  # (status label, commitments, status)
    standings: list[tuple]  # (account, its ranking row or None, accounts ranked)


def weekly_reads(today: dt.date) -> list[tuple[str, int]]:
    """Reads of the station's own accounts' articles in each of the last twelve weeks (one query)."""
    weeks = periods_in("week", today - dt.timedelta(weeks=WEEKS - 1), today)
    own = Article.objects.filter(account__channel__isnull=False, account__archived_at=None)
    sums = own.aggregate(
        **{f"w{i}": Sum("reads", filter=Q(day__gte=w.first, day__lte=w.last)) for i, w in enumerate(weeks)}
    )
    return [(w.first.strftime("%m-%d"), sums[f"w{i}"] or 0) for i, w in enumerate(weeks)]


def channel_split(now: dt.datetime) -> list[tuple[str, int]]:
    since = now - dt.timedelta(days=SPLIT_DAYS)
    delivered = Delivery.objects.filter(
        action=DeliveryAction.PUBLISH, state=DeliveryState.SUCCESS, delivered_at__gte=since
    )
    return list(delivered.values_list("channel__name").annotate(n=Count("pk")).order_by("-n")[:SHOWN])


def commitment_statuses(today: dt.date) -> list[tuple[str, int, str]]:
    counted: dict[str, int] = {}
    live = Commitment.objects.filter(agreement__status=AgreementStatus.IN_FORCE, archived_at=None)
    for commitment in live.select_related("agreement"):
        status = fulfilment(commitment, today).status
        counted[status] = counted.get(status, 0) + 1
    return [(Status(s).label, counted[s], s) for s in Status.values if counted.get(s)]


def standings(today: dt.date) -> list[tuple]:
    found = []
    partners = Account.objects.filter(partner__isnull=False, group__isnull=False, archived_at=None)
    for account in partners.select_related("group", "partner")[:SHOWN]:
        rows = rank(list(account.group.accounts.filter(archived_at=None)), period("month", today))
        mine = next((r for r in rows if r.account.pk == account.pk), None)
        found.append((account, mine, len(rows)))
    return found


def dashboard(today: dt.date | None = None) -> Dashboard:
    today = today or timezone.localdate()
    return Dashboard(weekly_reads(today), channel_split(timezone.now()), commitment_statuses(today), standings(today))
