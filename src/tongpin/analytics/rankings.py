"""Rankings of a peer group's accounts for a period by WCI (or BCI for Weibo), with each account's inputs and
its movement against the previous period. Sums and maxima come from the database over the daily roll-ups."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from operator import add

from django.db import connection
from django.db.models import BigIntegerField, Max, Sum
from django.db.models.functions import Cast

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
    scored = [
        (round(score(a.platform, found[a.pk], formula), 2), a.name, a, found[a.pk])
        for a in accounts
        if a.pk in found and found[a.pk].n
    ]
    return _places(scored)


def _places(scored: list[tuple]) -> list[Row]:
    """(score, name, account, inputs) → rows by score, then name; equal scores (to 0.01) share a place."""
    scored.sort(key=lambda item: (-item[0], item[1]))
    rows, last_score, last_rank = [], None, 0
    for position, (value, _name, account, inputs) in enumerate(scored, start=1):
        place = last_rank if value == last_score else position
        rows.append(Row(place, account, value, inputs))
        last_score, last_rank = value, place
    return rows


def rank(accounts: list[Account], span: Period, formula: str = indices.DEFAULT_FORMULA) -> list[Row]:
    """The ranking for `span`, each row with its rank in the previous period of the same kind."""
    rows = _ranked(accounts, span, formula)
    before = {row.account.pk: row.rank for row in _ranked(accounts, span.previous(), formula)}
    for row in rows:
        row.previous_rank = before.get(row.account.pk)
    return rows


FIELDS = SUMMED + MAXED


def series(
    accounts: list[Account], kinds: list[str], first, last, formula: str = indices.DEFAULT_FORMULA
) -> dict[str, list[tuple[Period, list[Row]]]]:
    """Every ranking of each kind (day, week, month) in [first, last], each with movement. The roll-ups are read
    once, summed by the database per account and (month, week) — or per day — and those pieces are combined
    here into weeks and months. The way to rank a year at once; a single period: `rank`."""
    from .periods import periods_in

    by_id = {a.pk: a for a in accounts}
    spans = {kind: periods_in(kind, first, last) for kind in kinds}
    periods = {kind: [found[0].previous(), *found] for kind, found in spans.items()}
    start = min(p[0].first for p in periods.values())
    end = max(p[-1].last for p in periods.values())
    keys = ["day"] if kinds == ["day"] else ["month", "week"]
    if keys == ["day"]:
        rows = AccountDay.objects.filter(account_id__in=by_id, day__gte=start, day__lte=end)
    else:  # whole months, in the (month, week, account) index's order: no sorting for the grouping
        rows = AccountDay.objects.filter(account_id__in=by_id, month__gte=start.replace(day=1), month__lte=end)
    pieces = (
        rows.values_list(*keys, "account_id")
        # cast: PostgreSQL's SUM of bigint is numeric, which would arrive as Decimal
        .annotate(**{f"s_{f}": Cast(Sum(f), BigIntegerField()) for f in SUMMED}, **{f"m_{f}": Max(f) for f in MAXED})
        .order_by()
    )
    buckets: dict[str, dict] = {kind: {} for kind in kinds}
    sums, width = len(SUMMED), len(keys) + 1
    # Straight from the cursor: Django's per-value converters would cost more than the query itself.
    sql, params = pieces.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            key_of = dict(zip(keys, map(_as_date, row[: width - 1]), strict=True))
            account_id, values = row[width - 1], row[width:]
            for kind in kinds:
                bucket, key = buckets[kind], (key_of[kind], account_id)
                slot = bucket.get(key)
                if slot is None:
                    bucket[key] = list(values)
                else:  # a month made of several (month, week) pieces, or a week across two months
                    slot[:sums] = map(add, slot[:sums], values[:sums])
                    slot[sums:] = map(max, slot[sums:], values[sums:])
    found = {}
    for kind in kinds:
        by_key: dict = {}
        for (key, account_id), slot in buckets[kind].items():
            by_key.setdefault(key, {})[account_id] = slot
        previous_ranks: dict[int, int] = {}
        result = []
        for span in periods[kind]:
            ranked = _rank_slots(by_key.get(span.first, {}), by_id, span.days, formula)
            for row in ranked:
                row.previous_rank = previous_ranks.get(row.account.pk)
            previous_ranks = {row.account.pk: row.rank for row in ranked}
            result.append((span, ranked))
        found[kind] = result[1:]
    return found


def _as_date(value):
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _rank_slots(slots: dict[int, list], by_id: dict[int, Account], days: int, formula: str) -> list[Row]:
    scored = []
    formula_fn = indices.WCI_FORMULAS[formula]
    for account_id, slot in slots.items():
        # slot follows FIELDS: n nt R Z L RE C Rt Zt Lt REt | Rmax Zmax Lmax REmax
        n, nt, r, z, likes, re_, c, rt, zt, lt, ret, rmax, zmax, lmax, remax = slot
        if not n:
            continue
        inputs = indices.Inputs(days, n, r, z, likes, re_, rt, zt, lt, ret, rmax, zmax, lmax, remax, {"nt": nt, "C": c})
        account = by_id[account_id]
        value = indices.bci(n, re_, c, likes) if account.platform == Platform.WEIBO else formula_fn(inputs)
        scored.append((round(value, 2), account.name, account, inputs))
    return _places(scored)
