"""Demo effect figures: two peer groups of WeChat accounts (the station's own, the partners', and peers'), six
weeks of articles with day-7 figures, imported through the real import path (a CSV in memory), so rankings,
dashboards, commitments and reports have something true to show."""

import datetime as dt
import random

from django.db.models import Min, Q
from django.utils import timezone

from tongpin.analytics import imports
from tongpin.analytics.models import Account, PeerGroup
from tongpin.core.audit import Actor
from tongpin.partners.services import save_commitment
from tongpin.publishing.models import DeliveryState, Rendition

# group, account name, partner slug or None, channel slug or None, typical reads of a headline
ACCOUNTS = [
    ("江西省政务微信", "江西台融媒", None, "wechat", 9000),
    ("江西省政务微信", "江西应急管理", "jx-yjgl", None, 6000),
    ("江西省政务微信", "江西发布", None, None, 14000),
    ("江西省政务微信", "江西气象", None, None, 5000),
    ("清远市政务微信", "清远高新区", "qy-gxq", None, 3000),
    ("清远市政务微信", "清远发布", None, None, 8000),
    ("清远市政务微信", "清城发布", None, None, 2500),
]


def load_analytics(users: dict, partners: dict, channels: dict) -> bool:
    if PeerGroup.objects.exists():
        return False
    names = dict.fromkeys(group for group, *_rest in ACCOUNTS)
    groups = {name: PeerGroup.objects.create(name=name, platform="wechat") for name in names}
    for group, name, partner, channel, _reads in ACCOUNTS:
        Account.objects.create(name=name, platform="wechat", group=groups[group], partner=partners.get(partner),
                               channel=channels.get(channel))  # fmt: skip
    rng = random.Random(7)
    today = timezone.localdate()
    lines = ["账号,标题,链接,发布时间,位置,阅读数,点赞数,在看数,分享数,评论数,数据日期"]
    for _group, name, _partner, _channel, typical in ACCOUNTS:
        for days_ago in range(49, 0, -1):
            day = today - dt.timedelta(days=days_ago)
            for position in (1, 2):
                reads = int(typical * rng.uniform(0.4, 1.8) / position)
                shown = "10万+" if reads > 100000 else str(reads)
                observed = min(day + dt.timedelta(days=7), today)
                lines.append(
                    f"{name},{name}第{position}条 {day:%m-%d},https://mp.weixin.qq.com/s/demo-{name}-{day}-{position},"
                    f"{day} 08:0{position},{position},{shown},{reads // 50},{reads // 120},{reads // 30},"
                    f"{reads // 300},{observed}"
                )
    lines += _story_posts(rng, channels.get("wechat"), today)
    actor = Actor(user=users["editor"], via="demo")
    imports.run_import(actor, "wechat", "demo-wechat.csv", ("\n".join(lines) + "\n").encode())
    zone_agreement = partners["qy-gxq"].agreements.first()
    if zone_agreement is not None:
        save_commitment(
            Actor(user=users["chief"], via="demo"),
            zone_agreement,
            {"title": "高新区公众号月度排名进入全市前 2", "measure": "ranking_months", "target": 1,
             "period": "month", "threshold": 2},
        )  # fmt: skip
    return True


def _story_posts(rng: random.Random, wechat, today: dt.date) -> list[str]:
    """The posts that carry the partners' stories: the station's WeChat account runs each story sent to its
    channel under the story's title, and the partner's own account re-posts it, so the partner report's
    top stories have the reads of the posts that carry them (the other demo posts are about nothing in particular)."""
    if wechat is None:
        return []
    lines = []
    station = next(name for _group, name, _partner, channel, _reads in ACCOUNTS if channel == "wechat")
    partner_accounts = {partner: name for _group, name, partner, _channel, _reads in ACCOUNTS if partner}
    renditions = Rendition.objects.filter(channel=wechat, publication__partner__isnull=False).annotate(
        out=Min("deliveries__delivered_at", filter=Q(deliveries__state=DeliveryState.SUCCESS))
    )
    for rendition in renditions.select_related("publication__partner"):
        title = rendition.publication.title
        own = partner_accounts.get(rendition.publication.partner.slug)
        posters = [(station, 20000)] + ([(own, 4000)] if own else [])
        day = timezone.localtime(rendition.out).date() if rendition.out else today  # posted the day it went out
        observed = min(day + dt.timedelta(days=7), today)
        for name, typical in posters:
            reads = int(typical * rng.uniform(0.6, 1.4))
            lines.append(
                f"{name},{title},https://mp.weixin.qq.com/s/demo-story-{name}-{rendition.pk},{day} 12:00,3,"
                f"{reads},{reads // 50},{reads // 120},{reads // 30},{reads // 300},{observed}"
            )
    return lines
