"""Accounts, peer groups and hand-entered figures; who may see which analytics."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tongpin.core import audit, records, roles
from tongpin.core.audit import Actor
from tongpin.core.errors import FieldError, NotFound, ValidationFailed
from tongpin.partners.scope import partner_scope

from . import rollups
from .imports import choose_figures
from .models import Account, Article, MetricSample, PartnerReport, PeerGroup


def save_group(actor: Actor, values: dict[str, Any], group: PeerGroup | None = None) -> PeerGroup:
    roles.require(actor.user, roles.METRICS_IMPORT)
    group = group or PeerGroup()
    changes = records.apply(group, values)
    records.check(group)
    return records.save(actor, group, changes, "analytics.group")


def save_account(actor: Actor, values: dict[str, Any], account: Account | None = None) -> Account:
    roles.require(actor.user, roles.METRICS_IMPORT)
    account = account or Account()
    changes = records.apply(account, values)
    errors = []
    if account.group_id and account.group.platform != account.platform:
        errors.append(FieldError("other_platform", _("排名分组属于其他平台。"), "group"))
    records.check(account, errors)
    return records.save(actor, account, changes, "analytics.account")


def accounts_in_use(platform: str = "", group: int | None = None) -> QuerySet[Account]:
    """The accounts not archived, narrowed to one platform and one ranking group when given (page and API)."""
    rows = Account.objects.filter(archived_at=None).select_related("group", "partner", "channel")
    if platform:
        rows = rows.filter(platform=platform)
    if group:
        rows = rows.filter(group_id=group)
    return rows.order_by("platform", "name")


def enter_figures(actor: Actor, article: Article, observed_on: dt.date, figures: dict[str, int]) -> MetricSample:
    """A person typing in what the platform shows (e.g. for a platform without exports)."""
    roles.require(actor.user, roles.METRICS_IMPORT)
    if observed_on < article.day or observed_on > timezone.localdate():
        raise ValidationFailed(FieldError("bad_date", _("数据日期须在发布日期与今天之间。"), "observed_on"))
    if any(v is None or v < 0 for v in figures.values()):
        raise ValidationFailed(FieldError("negative", _("数字不能为负。"), "reads"))
    with transaction.atomic():
        sample, _created = MetricSample.objects.update_or_create(
            article=article,
            observed_on=observed_on,
            defaults={**figures, "age_days": (observed_on - article.day).days, "source": f"manual:{actor.name}"},
        )
        rollups.refresh(choose_figures({article.pk}))
        # The article's figures are `choose_figures`' to set (the list, the API and the roll-ups all read them):
        # saving the instance held here would put back the figures it was loaded with. Record only.
        audit.record(actor, "analytics.manual", article,
                     {"figures": [None, figures], "observed_on": [None, str(observed_on)]})  # fmt: skip
    article.refresh_from_db()
    return sample


def reports_for(user) -> QuerySet[PartnerReport]:
    """Staff with analytics see every report; a liaison only their own partner's."""
    if roles.can(user, roles.METRICS_VIEW):
        return PartnerReport.objects.all()
    scope = partner_scope(user)
    if roles.can(user, roles.PARTNER_VIEW) and not scope.everything:
        return PartnerReport.objects.filter(scope.filter())
    return PartnerReport.objects.none()


def get_report(user, report_id: int) -> PartnerReport:
    report = reports_for(user).filter(pk=report_id).select_related("partner").first()
    if report is None:
        raise NotFound(FieldError("not_found", _("报告不存在。")))
    return report
