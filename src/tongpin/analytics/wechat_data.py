"""Figures of the station's own WeChat accounts from the official account data API (数据统计接口):
`/datacube/getarticletotal` answers, for articles published on one day, their cumulative figures on each of
the following days. Each becomes an article (msgid_idx; idx is the position) with one sample per stat_date,
exactly as an imported export would. The API gives reads and shares; likes and 在看 come from exports."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongpin.core.errors import FieldError, UpstreamFailed, ValidationFailed
from tongpin.core.outbound import redact
from tongpin.publishing.plugins import TransmitError
from tongpin.publishing.secrets import reveal
from tongpin.publishing.transmitters.wechat import DEFAULT_API, WeChatClient, WeChatError

from . import rollups
from .imports import choose_figures
from .models import Account, Article, MetricSample

log = logging.getLogger(__name__)


def client_for(account: Account) -> WeChatClient:
    channel = account.channel
    if channel is None or channel.transmitter != "wechat_api":
        raise ValidationFailed(FieldError("no_api", _("该账号未关联使用微信接口的本台渠道。"), "account"))
    conf = reveal(channel)  # the AppSecret opened for this client only
    return WeChatClient(conf.get("app_id", ""), conf.get("app_secret", ""), conf.get("api_base") or DEFAULT_API)


def sync(account: Account, first: dt.date, last: dt.date, client: WeChatClient | None = None) -> int:
    """Fetch articles published from `first` to `last` (one API call a day, as the API allows); answer how many
    samples were new or changed."""
    api = client or client_for(account)
    changed, touched = 0, set()
    day = first
    while day <= last:
        data = _fetch_day(api, day)
        with transaction.atomic():
            for item in data.get("list", []):
                count, article_id = _store(account, item)
                changed += count
                touched.add(article_id)
        day += dt.timedelta(days=1)
    with transaction.atomic():
        rollups.refresh(choose_figures(touched))
    return changed


def _fetch_day(api: WeChatClient, day: dt.date) -> dict:
    """One day's figures; a failure becomes our own status message (WeChat's text goes to the log only)."""
    try:
        return api.post("/datacube/getarticletotal", {"begin_date": day.isoformat(), "end_date": day.isoformat()})
    except WeChatError as error:
        log.warning("WeChat data API: %s", redact(str(error))[:300])
        raise UpstreamFailed(
            FieldError(f"wechat_{error.errcode}", _("微信接口错误 %(c)d。") % {"c": error.errcode})
        ) from error
    except TransmitError as error:
        log.warning("WeChat data API: %s %s", error.code, redact(error.detail)[:300])
        raise UpstreamFailed(FieldError(error.code, str(error.message))) from error


def _store(account: Account, item: dict) -> tuple[int, int]:
    msgid = str(item.get("msgid", ""))
    position = int(msgid.rsplit("_", 1)[1]) if "_" in msgid else 1
    published_day = dt.date.fromisoformat(item["ref_date"])
    published = timezone.make_aware(dt.datetime.combine(published_day, dt.time(8)))
    article, _created = Article.objects.get_or_create(
        account=account,
        key=f"wx:{msgid}",
        defaults={"title": str(item.get("title", ""))[:300], "published_at": published, "day": published_day,
                  "position": min(position, 20)},
    )  # fmt: skip
    changed = 0
    for detail in item.get("details", []):
        observed = dt.date.fromisoformat(detail["stat_date"])
        figures = {"reads": int(detail.get("int_page_read_count", 0)), "shares": int(detail.get("share_count", 0))}
        sample, created = MetricSample.objects.get_or_create(
            article=article, observed_on=observed,
            defaults={**figures, "age_days": (observed - published_day).days, "source": "api:wechat"},
        )  # fmt: skip
        if not created and (sample.reads, sample.shares) != (figures["reads"], figures["shares"]):
            MetricSample.objects.filter(pk=sample.pk).update(**figures)
            created = True
        changed += int(created)
    return changed, article.pk
