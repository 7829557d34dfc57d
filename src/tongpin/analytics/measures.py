"""Commitment measure: months in which the partner's account ranked within the commitment's threshold in its
peer group (e.g. "the partner's WeChat account in the city top 10"). A month counts only once its ranking is
final, 7 days after it ends (rankings use day-7 figures): two days into a month its place is no achievement."""

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongpin.core import roles
from tongpin.partners.measures import Counted, Measure, register

from .imports import RANKING_AGE
from .models import Account
from .periods import period
from .rankings import series


def ranking_final_on(day: dt.date) -> dt.date:
    """The day the ranking of `day`'s month is final: its last articles have their day-7 figures then."""
    return period("month", day).last + dt.timedelta(days=RANKING_AGE)


def months_in_top(commitment, first: dt.date, last: dt.date) -> list[Counted]:
    found = []
    own = Account.objects.filter(partner_id=commitment.agreement.partner_id, group__isnull=False, archived_at=None)
    for account in own.select_related("group"):
        peers = list(account.group.accounts.filter(archived_at=None))
        for month, rows in series(peers, ["month"], first, last)["month"]:
            for row in rows:
                if row.account.pk == account.pk and row.rank <= (commitment.threshold or 0):
                    title = _("%(a)s %(m)s 排名第 %(r)d") % {"a": account.name, "m": month.label, "r": row.rank}
                    on = min(month.last, last)
                    found.append(
                        Counted(f"rank:{account.pk}:{month.label}", title, on, reverse("analytics-rankings"),
                                capability=roles.METRICS_VIEW)  # fmt: skip
                    )
    return found


def register_measures() -> None:
    register(Measure("ranking_months", gettext_lazy("排名进入前列的月数"), gettext_lazy("个月"), months_in_top,
                     uses_threshold=True, final_on=ranking_final_on))  # fmt: skip
