"""Analytics benchmark: WCI rankings for 1,000 accounts × 365 days × 5 articles a day.

    python bench/analytics.py --json [--accounts 1000] [--days 365] [--per-day 5] [--database sqlite|postgresql]

Setup (not timed): synthetic articles (seeded) are rolled up per account and day exactly as imports do
(tongpin.analytics.rollups' rules: sums, headline sums, maxima) and stored in a fresh database.
Timed (`seconds`): the year's rankings from the database — all 12 monthly and 53 weekly rankings with their
movement, WCI 14.2, read in one pass over the roll-ups (tongpin.analytics.rankings.series) — plus, separately,
`daily_seconds` for the 365 daily rankings and `single_month_ranking_ms` for one ranking as a page asks for it
(which must agree with the series). Target: seconds ≤ 2 on the 2-core machine.
"""

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def setup_django(database: str) -> None:
    os.environ["TONGPIN_HOME"] = tempfile.mkdtemp(prefix="tongpin-bench-analytics-")
    if database == "postgresql":
        import psycopg

        name = f"bench_analytics_{os.getpid()}"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["TONGPIN_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{name}"
    else:
        os.environ.pop("TONGPIN_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongpin.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def synthesise(accounts: int, days: int, per_day: int, start: dt.date) -> list[tuple]:
    """Roll-up rows (account index, day, n, nt, R, Z, L, RE, C, Rt, Zt, Lt, REt, Rmax, Zmax, Lmax, REmax)."""
    rng = random.Random(20261123)
    rows = []
    for a in range(accounts):
        scale = rng.lognormvariate(7, 1.2)  # accounts differ by orders of magnitude, as real ones do
        for d in range(days):
            articles = []
            for position in range(1, per_day + 1):
                reads = int(scale * rng.uniform(0.3, 1.7) / position)
                articles.append((position, reads, reads // 60, reads // 40, reads // 30, reads // 200))
            sums = [sum(x[i] for x in articles) for i in range(1, 6)]
            head = articles[0]
            rows.append((a, start + dt.timedelta(days=d), per_day, 1, sums[0], sums[1], sums[2], sums[3], sums[4],
                         head[1], head[2], head[3], head[4],
                         max(x[1] for x in articles), max(x[2] for x in articles), max(x[3] for x in articles),
                         max(x[4] for x in articles)))  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--per-day", type=int, default=5)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    setup_django(args.database)

    from django.db import connection

    from tongpin.analytics.models import Account, AccountDay, PeerGroup, period_starts
    from tongpin.analytics.periods import period, periods_in
    from tongpin.analytics.rankings import rank, series

    start = dt.date(2026, 1, 1)
    last = start + dt.timedelta(days=args.days - 1)
    began = time.perf_counter()
    group = PeerGroup.objects.create(name="bench", platform="wechat")
    accounts = Account.objects.bulk_create(
        [Account(name=f"账号{i:04d}", platform="wechat", group=group) for i in range(args.accounts)]
    )
    rows = synthesise(args.accounts, args.days, args.per_day, start)
    fields = ["n", "nt", "R", "Z", "L", "RE", "C", "Rt", "Zt", "Lt", "REt", "Rmax", "Zmax", "Lmax", "REmax"]
    AccountDay.objects.bulk_create(
        (
            AccountDay(
                account_id=accounts[r[0]].pk,
                day=r[1],
                week=period_starts(r[1])[0],
                month=r[1].replace(day=1),
                **dict(zip(fields, r[2:], strict=True)),
            )  # fmt: skip
            for r in rows
        ),
        batch_size=5000,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    setup_seconds = time.perf_counter() - began

    peers = list(group.accounts.all())
    began = time.perf_counter()
    year = series(peers, ["month", "week"], start, last, "14.2")
    seconds = time.perf_counter() - began
    spans = [span for kind in year.values() for span, _rows in kind]
    leaders = {span.label: (rows[0].account.name, rows[0].score, len(rows)) for kind in year.values()
               for span, rows in kind}  # fmt: skip

    began = time.perf_counter()
    days = series(peers, ["day"], start, last, "14.2")["day"]
    daily_seconds = time.perf_counter() - began

    # One ranking the way the pages ask for it (a single period, straight from the database).
    began = time.perf_counter()
    single = rank(peers, periods_in("month", start, last)[5], "14.2")
    single_ms = (time.perf_counter() - began) * 1000
    assert [r.account.pk for r in single] == [r.account.pk for r in year["month"][5][1]]
    assert len(days) == args.days

    # The whole year as one ranking (a custom 365-day period), as a page would ask for it.
    began = time.perf_counter()
    rank(peers, period("custom", start, last), "14.2")
    year_ranking_seconds = time.perf_counter() - began

    result = {
        "database": connection.vendor,
        "accounts": args.accounts,
        "days": args.days,
        "articles": args.accounts * args.days * args.per_day,
        "rollup_rows": len(rows),
        "rankings": len(spans),
        "seconds": round(seconds, 3),
        "per_ranking_ms": round(1000 * seconds / len(spans), 1),
        "daily_rankings": args.days,
        "daily_seconds": round(daily_seconds, 3),
        "single_month_ranking_ms": round(single_ms, 1),
        "year_ranking_seconds": round(year_ranking_seconds, 3),
        "setup_seconds": round(setup_seconds, 1),
        "target_seconds": 2.0,
        "sample_leader": leaders[next(iter(leaders))],
    }
    print(json.dumps(result, ensure_ascii=False) if args.json else json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
