"""Rankings of a peer group's accounts for a period by WCI (or BCI for Weibo), with each account's inputs and
its movement against the previous period. Sums and maxima come from the database over the daily roll-ups."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Max, Sum

from . import indices
from .models import Account, AccountDay, Platform
from .periods import Period

SUMMED = ["n", "nt", "R", "Z", "L", "RE", "C", "Rt", "Zt", "Lt", "REt"]
MAXED = ["Rmax", "Zmax", "Lmax", "REmax"]


@dataclass
class Row:
    rank: int
    account: Account
    score: float
    inputs: indices.Inputs
    previous_rank: int | None = None

    @property
    def movement(self) -> int | None:
        """Places gained since the previous period (negative: lost); None when not ranked then."""
        return None if self.previous_rank is None else self.previous_rank - self.rank


def inputs_for(account_ids: list[int], span: Period) -> dict[int, indices.Inputs]:
    rows = (
        AccountDay.objects.filter(account_id__in=account_ids, day__gte=span.first, day__lte=span.last)
        .values("account_id")
        .annotate(**{f"s_{f}": Sum(f) for f in SUMMED}, **{f"m_{f}": Max(f) for f in MAXED})
        .order_by()
    )
    found = {}
    for row in rows:
        values = {f: row[f"s_{f}"] or 0 for f in SUMMED} | {f: row[f"m_{f}"] or 0 for f in MAXED}
        extra = {"nt": values.pop("nt"), "C": values.pop("C")}
        found[row["account_id"]] = indices.Inputs(days=span.days, **values, extra=extra)
    return found


def score(platform: str, x: indices.Inputs, formula: str) -> float:
    if platform == Platform.WEIBO:
        return indices.bci(x.n, x.RE, x.extra.get("C", 0), x.L)
    return indices.wci(x, formula)


def _ranked(accounts: list[Account], span: Period, formula: str) -> list[Row]:
    found = inputs_for([a.pk for a in accounts], span)
    scored = [(score(a.platform, found[a.pk], formula), a) for a in accounts if a.pk in found and found[a.pk].n]
    scored.sort(key=lambda pair: (-pair[0], pair[1].name))
    rows, last_score, last_rank = [], None, 0
    for position, (value, account) in enumerate(scored, start=1):
        rounded = round(value, 2)
        rank = last_rank if rounded == last_score else position  # equal scores share a place
        rows.append(Row(rank, account, rounded, found[account.pk]))
        last_score, last_rank = rounded, rank
    return rows


def rank(accounts: list[Account], span: Period, formula: str = indices.DEFAULT_FORMULA) -> list[Row]:
    """The ranking for `span`, each row with its rank in the previous period of the same kind."""
    rows = _ranked(accounts, span, formula)
    before = {row.account.pk: row.rank for row in _ranked(accounts, span.previous(), formula)}
    for row in rows:
        row.previous_rank = before.get(row.account.pk)
    return rows
