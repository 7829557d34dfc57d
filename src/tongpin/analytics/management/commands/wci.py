"""`tongpin wci FILE.csv`: each account's WCI from article rows, without a database.

Rows: account,published_at,position,reads,likes,wows,shares (position 1 = headline; "10万+" is 100001)."""

import csv
import io
from collections import defaultdict

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongpin.analytics.imports import parse_count, parse_when
from tongpin.analytics.indices import DEFAULT_FORMULA, WCI_FORMULAS, Inputs, wci
from tongpin.core.commandbase import Invalid, TongpinCommand

COLUMNS = ["account", "published_at", "position", "reads", "likes", "wows", "shares"]
DAYS = {"day": 1, "week": 7, "month": 30}


class Command(TongpinCommand):
    help = gettext_lazy(
        "根据文章数据（CSV）计算各账号的微信传播指数（WCI）；数据有误时退出状态为 1，文件无法读取时为 2。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=gettext_lazy("CSV 文件（- 表示标准输入），列：") + ",".join(COLUMNS))
        parser.add_argument("--formula", choices=sorted(WCI_FORMULAS), default=DEFAULT_FORMULA,
                            help=gettext_lazy("公式版本"))  # fmt: skip
        parser.add_argument(
            "--period",
            choices=["day", "week", "month", "custom"],
            default="week",
            help=gettext_lazy("公式中的 d：1、7、30，或（custom）从第一篇到最后一篇发布的天数"),
        )
        self.add_json_flag(parser)

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
        document = {"formula": options["formula"], "period": options["period"], "days": days, "accounts": rows}
        lines = [
            f"WCI {options['formula']}  period={options['period']} (d={days})",
            f"{'#':>3}  {'WCI':>9}  {'articles':>8}  {'reads':>10}  {'max':>8}  account",
        ] + [
            f"{row['rank']:>3}  {row['wci']:>9.2f}  {row['articles']:>8}  {row['reads']:>10.0f}  "
            f"{row['max_reads']:>8.0f}  {row['account']}"
            for row in rows
        ]
        self.report(document, lines, as_json=options["json"])

    def _read(self, path: str):
        with io.StringIO(self.read_text(path), newline="") as handle:  # missing, too large, not UTF-8: exit 2
            reader = csv.DictReader(handle)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise Invalid(_("缺少列：%(missing)s（需要 %(need)s）") % {"missing": ", ".join(missing),
                                                                       "need": ",".join(COLUMNS)})  # fmt: skip
            accounts: dict[str, Inputs] = defaultdict(lambda: Inputs(days=1))
            first = last = None
            problems = []
            for line, row in enumerate(reader, start=2):
                try:
                    day = parse_when(row["published_at"]).date()
                    position = int(row["position"] or 1)
                    figures = {k: parse_count(row[k]) for k in ("reads", "likes", "wows", "shares")}
                except (ValueError, TypeError) as error:
                    problems.append(_("第 %(line)d 行：无法读取 %(error)s") % {"line": line, "error": error})
                    continue
                if not row["account"].strip():
                    problems.append(_("第 %(line)d 行：没有账号") % {"line": line})
                    continue
                accounts[row["account"].strip()].add(
                    figures["reads"], figures["wows"], figures["likes"], figures["shares"], headline=position == 1
                )
                first = day if first is None or day < first else first
                last = day if last is None or day > last else last
        if problems:
            more = _("（另有 %(n)d 处）") % {"n": len(problems) - 20} if len(problems) > 20 else ""
            raise Invalid("; ".join(problems[:20]) + more)
        if not accounts:
            raise Invalid(_("没有文章数据行"))
        return accounts, first, last
