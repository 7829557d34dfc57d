"""`tongpin wci FILE.csv`: each account's WCI from article rows, without a database.

Rows: account,published_at,position,reads,likes,wows,shares (position 1 = headline; "10万+" is 100001)."""

import csv
import json
import sys
from collections import defaultdict

from django.core.management.base import BaseCommand, CommandError

from tongpin.analytics.imports import parse_count, parse_when
from tongpin.analytics.indices import DEFAULT_FORMULA, WCI_FORMULAS, Inputs, wci

COLUMNS = ["account", "published_at", "position", "reads", "likes", "wows", "shares"]
DAYS = {"day": 1, "week": 7, "month": 30}


class Command(BaseCommand):
    help = "Compute each account's WCI (communication index) from a CSV of article rows."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV with columns " + ",".join(COLUMNS))
        parser.add_argument("--formula", choices=sorted(WCI_FORMULAS), default=DEFAULT_FORMULA)
        parser.add_argument(
            "--period",
            choices=["day", "week", "month", "custom"],
            default="week",
            help="d in the formulas: 1, 7, 30, or (custom) the days from the first to the last publication",
        )
        parser.add_argument("--json", action="store_true", help="print a JSON array instead of a table")

    def handle(self, *args, **options):
        accounts, first, last = self._read(options["file"])
        days = DAYS.get(options["period"]) or (last - first).days + 1
        results = []
        for name, inputs in accounts.items():
            inputs.days = days
            results.append((round(wci(inputs, options["formula"]), 2), name, inputs))
        results.sort(key=lambda r: (-r[0], r[1]))
        rows = [
            {"rank": i, "account": name, "wci": score, "articles": x.n, "days": days, "reads": x.R, "likes": x.L,
             "wows": x.Z, "shares": x.RE, "headline_reads": x.Rt, "max_reads": x.Rmax, "formula": options["formula"]}
            for i, (score, name, x) in enumerate(results, start=1)
        ]  # fmt: skip
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"WCI {options['formula']}  period={options['period']} (d={days})")
        self.stdout.write(f"{'#':>3}  {'WCI':>9}  {'articles':>8}  {'reads':>10}  {'max':>8}  account")
        for row in rows:
            self.stdout.write(
                f"{row['rank']:>3}  {row['wci']:>9.2f}  {row['articles']:>8}  {row['reads']:>10.0f}  "
                f"{row['max_reads']:>8.0f}  {row['account']}"
            )

    def _read(self, path: str):
        try:
            handle = sys.stdin if path == "-" else open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from error
        with handle:
            reader = csv.DictReader(handle)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise CommandError(f"missing columns: {', '.join(missing)} (need {','.join(COLUMNS)})")
            accounts: dict[str, Inputs] = defaultdict(lambda: Inputs(days=1))
            first = last = None
            problems = []
            for line, row in enumerate(reader, start=2):
                try:
                    day = parse_when(row["published_at"]).date()
                    position = int(row["position"] or 1)
                    figures = {k: parse_count(row[k]) for k in ("reads", "likes", "wows", "shares")}
                except (ValueError, TypeError) as error:
                    problems.append(f"line {line}: cannot read {error}")
                    continue
                if not row["account"].strip():
                    problems.append(f"line {line}: no account")
                    continue
                accounts[row["account"].strip()].add(
                    figures["reads"], figures["wows"], figures["likes"], figures["shares"], headline=position == 1
                )
                first = day if first is None or day < first else first
                last = day if last is None or day > last else last
        if problems:
            raise CommandError(
                "; ".join(problems[:20]) + (f" (+{len(problems) - 20} more)" if len(problems) > 20 else "")
            )
        if not accounts:
            raise CommandError("no article rows")
        return accounts, first, last
