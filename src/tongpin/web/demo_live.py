"""Demo live commerce: an enterprise in the high-tech zone with products and their documents, the anchor roster,
a studio, a session that was held (with results) and one planned for next week — all through the services."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from tongpin.core.audit import Actor
from tongpin.live import services
from tongpin.live.models import Anchor, AnchorAccount, LivePlatform, ProductDocument, SessionHost, SessionStatus, Studio
from tongpin.partners.models import Partner

SCRIPT = (
    "各位朋友晚上好，欢迎来到清远高新区好物直播间。今天为大家介绍本地企业的英德红茶和清远鸡礼盒，"
    "产品均有检验报告，请放心选购。"
)


def load_live(users: dict) -> bool:
    if Anchor.objects.exists():
        return False
    actor = Actor(user=users["desk"], via="demo")
    today = timezone.localdate()
    enterprise, _made = Partner.objects.get_or_create(
        slug="qy-tea",
        defaults={
            "name": "英德市红旗茶业有限公司",
            "short_name": "红旗茶业",
            "kind": Partner.Kind.ENTERPRISE,
            "description": "清远高新区入驻企业，主营英德红茶。",
        },
    )
    lin = services.save_anchor(
        actor,
        {
            "name": "林悦",
            "user": users["anchor"],
            "birth_date": dt.date(1996, 5, 3),
            "skills": ["农产品", "茶饮"],
            "categories": ["食品"],
        },
    )
    he = services.save_anchor(
        actor,
        {
            "name": "何小满",
            "birth_date": today.replace(year=today.year - 17) - dt.timedelta(days=30),
            "guardian_consent": True,
            "skills": ["文旅"],
            "categories": ["文创"],
        },
    )
    AnchorAccount.objects.create(anchor=lin, platform=LivePlatform.DOUYIN, handle="@清远台林悦")
    AnchorAccount.objects.create(anchor=he, platform=LivePlatform.CHANNELS, handle="清远小满")
    studio = Studio.objects.create(name="1号直播间", place="清远台融媒体中心三楼")
    tea = services.save_product(
        actor,
        {
            "partner": enterprise,
            "name": "英德红茶（英红九号）礼盒",
            "price": Decimal("168.00"),
            "specification": "250 克",
            "category": "食品",
            "claims": "高山茶园，传统工艺，汤色红艳，香气浓郁。",
        },
    )
    chicken = services.save_product(
        actor,
        {
            "partner": enterprise,
            "name": "清远鸡礼盒",
            "price": Decimal("238.00"),
            "specification": "2 只装",
            "category": "食品",
            "claims": "散养 180 天，冷链到家。",
        },
    )
    for product in (tea, chicken):
        ProductDocument.objects.create(
            product=product,
            kind=ProductDocument.Kind.LICENCE,
            number="91441800MA5",
            expires_on=today + dt.timedelta(days=600),
        )
        ProductDocument.objects.create(
            product=product,
            kind=ProductDocument.Kind.INSPECTION,
            number="QY-2026-118",
            expires_on=today + dt.timedelta(days=200),
        )
    evening = timezone.localtime().replace(hour=19, minute=30, second=0, microsecond=0)
    lineup = [{"product": tea, "minutes": 20}, {"product": chicken, "minutes": 15}]
    held = services.save_session(
        actor,
        {
            "title": "高新区好物节·红茶专场",
            "partner": enterprise,
            "platform": LivePlatform.DOUYIN,
            "account": "@清远台林悦",
            "studio": studio,
            "starts_at": evening - dt.timedelta(days=14),
            "ends_at": evening - dt.timedelta(days=14, hours=-2),
            "script": SCRIPT,
        },
        [(lin, SessionHost.Role.HOST)],
        lineup,
    )
    held = services.sign_off(Actor(user=users["chief"], via="demo"), held)
    held = services.move_session(actor, held, SessionStatus.LIVE)
    services.record_result(
        actor,
        held,
        {
            "viewers": 58000,
            "peak_concurrent": 3200,
            "avg_watch_seconds": 95,
            "orders": 1460,
            "gmv": Decimal("186400.00"),
            "refunds": Decimal("5200.00"),
        },
    )
    services.save_session(
        actor,
        {
            "title": "高新区好物节·冬季年货专场",
            "partner": enterprise,
            "platform": LivePlatform.DOUYIN,
            "account": "@清远台林悦",
            "studio": studio,
            "starts_at": evening + dt.timedelta(days=7),
            "ends_at": evening + dt.timedelta(days=7, hours=2),
            "script": SCRIPT + "年货节全场最低价，国家级品质，买到就是赚到！",
        },
        [(lin, SessionHost.Role.HOST), (he, SessionHost.Role.ASSISTANT)],
        lineup,
    )
    return True
