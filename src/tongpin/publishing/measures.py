"""Commitment measure: issues of the partner's printed journal (合作方刊物) built in the period."""

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tongpin.core.roles import PUBLISH
from tongpin.partners.measures import Counted, Measure, register

from .models import JournalIssue


def journal_issues(commitment, first: dt.date, last: dt.date) -> list[Counted]:
    issues = JournalIssue.objects.filter(
        channel__partner_id=commitment.agreement.partner_id,
        issue_date__gte=first,
        issue_date__lte=last,
        built_at__isnull=False,
    ).select_related("channel")
    return [
        Counted(
            key=f"journal:{issue.pk}",
            title=f"{issue.title} {issue.number}",
            on=issue.issue_date,
            link=reverse("journal-issue", args=[issue.pk]),
            channels=frozenset({issue.channel.name}),
            capability=PUBLISH,
        )
        for issue in issues
    ]


def register_measures() -> None:
    register(Measure("journal_issues", _("刊物期数"), _("期"), journal_issues))
