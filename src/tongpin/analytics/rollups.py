"""Daily roll-ups (AccountDay) of articles: refreshed for the (account, day) pairs an import or an edit touched,
in the caller's transaction; rankings read only these."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Case, Count, IntegerField, Max, Q, Sum, When

from .models import AccountDay, Article, period_starts

SUMS = {"R": "reads", "Z": "wows", "L": "likes", "RE": "shares", "C": "comments"}
HEADLINE = {"Rt": "reads", "Zt": "wows", "Lt": "likes", "REt": "shares"}
MAXIMA = {"Rmax": "reads", "Zmax": "wows", "Lmax": "likes", "REmax": "shares"}


def _aggregates() -> dict:
    headline = Q(position=1)
    out = {"n": Count("pk"), "nt": Count("pk", filter=headline)}
    out.update({name: Sum(field) for name, field in SUMS.items()})
    out.update(
        {
            name: Sum(Case(When(headline, then=field), default=0, output_field=IntegerField()))
            for name, field in HEADLINE.items()
        }
    )
    out.update({name: Max(field) for name, field in MAXIMA.items()})
    return out


def refresh(pairs: Iterable[tuple[int, dt.date]]) -> int:
    """Recompute the roll-ups of these (account id, day) pairs; answer how many rows now exist for them."""
    by_account: dict[int, set[dt.date]] = defaultdict(set)
    for account_id, day in pairs:
        by_account[account_id].add(day)
    rows = []
    for account_id, days in by_account.items():
        AccountDay.objects.filter(account_id=account_id, day__in=days).delete()
        grouped = (
            Article.objects.filter(account_id=account_id, day__in=days)
            .values("day")
            .annotate(**_aggregates())
            .order_by()
        )
        for row in grouped:
            week, month = period_starts(row["day"])
            values = {k: v or 0 for k, v in row.items()}
            rows.append(AccountDay(account_id=account_id, week=week, month=month, **values))
    AccountDay.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
