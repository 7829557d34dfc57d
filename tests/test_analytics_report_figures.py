"""Partner report figures agree with the records: stories per cooperation area by exact area tag, and each top
story's reads from the posts that carry it, adding up to the stories' total (the station trial found every area
at 0 and every story at 0 reads beside a partner total of 458227)."""

import datetime as dt

import pytest

from tongpin.analytics import imports, reports
from tongpin.analytics.models import Account
from tongpin.publishing.models import Delivery

from .conftest import actor
from .partners_support import agreement_for, channels, published

DAY = dt.date(2026, 11, 10)
AREAS = ["安全生产", "防汛抗旱", "森林防火", "防灾减灾"]
HEADER = "账号,标题,链接,发布时间,位置,阅读数,点赞数,在看数,分享数,评论数,数据日期\n"


@pytest.fixture
def em_report(users, partners, sink):
    """Four stories for the emergency department on an app and a web channel, and the posts of the station's
    account on the app channel, the partner's own account and an unrelated peer."""
    em = partners["em"]
    agreement_for(users, em, dt.date(2026, 1, 1), dt.date(2026, 12, 31), areas=AREAS)
    app, web = channels(users, sink, "app", "web")
    published(users, em, [app, web], "汛期安全提示", DAY, tags=("防汛", "防汛抗旱"))
    published(users, em, [app], "防汛值班不放松", DAY, tags=("防汛",))
    published(users, em, [web], "护林员巡山", DAY, tags=("森林防火",))
    _, by_link = published(users, em, [app], "安全生产月启动", DAY, tags=("安全生产月",))
    Delivery.objects.filter(rendition__publication=by_link).update(remote_url="https://mp.weixin.qq.com/s/safe")
    Account.objects.create(name="江西台融媒", platform="wechat", channel=app)
    Account.objects.create(name="江西应急管理", platform="wechat", partner=em)
    Account.objects.create(name="江西发布", platform="wechat")
    rows = [
        "江西台融媒,汛期安全提示,https://mp.weixin.qq.com/s/flood,2026-11-10 13:00,1,5000,50,10,20,1,2026-11-17",
        "江西台融媒,安全生产月 | 启动仪式,https://mp.weixin.qq.com/s/safe,2026-11-10 14:00,2,1200,5,1,2,0,2026-11-17",
        "江西台融媒,台里的别的稿件,https://mp.weixin.qq.com/s/other,2026-11-10 15:00,3,800,5,1,2,0,2026-11-17",
        "江西应急管理,护林员巡山,https://mp.weixin.qq.com/s/forest,2026-11-11 08:00,1,700,7,1,2,0,2026-11-18",
        "江西应急管理,厅里的工作动态,https://mp.weixin.qq.com/s/news,2026-11-11 08:00,2,9000,9,1,2,0,2026-11-18",
        "江西发布,汛期安全提示,https://mp.weixin.qq.com/s/peer,2026-11-10 09:00,1,100001,9,1,2,0,2026-11-17",
    ]
    imports.run_import(actor(users["editor"]), "wechat", "wx.csv", (HEADER + "\n".join(rows) + "\n").encode())
    return reports.report_data(em, *reports.bounds("month", DAY))


def test_stories_count_for_an_area_only_by_its_exact_tag_and_the_rest_are_listed(em_report):
    # "安全生产月" is not the area 安全生产 and "防汛" is not 防汛抗旱: a tag counts only when it is the area's name
    assert em_report["story_count"] == 4
    assert em_report["areas"] == [
        ("安全生产", 0),
        ("防汛抗旱", 1),
        ("森林防火", 1),
        ("防灾减灾", 0),
        ("未标注合作领域", 2),
    ]


def test_each_story_reads_its_posts_and_the_rows_add_up_to_the_stories_total(em_report):
    reads = {story["title"]: story["reads"] for story in em_report["top"]}
    # the station's post by title on a channel it went out on; by its link; the partner's re-post by title;
    # never the peer's post of the same title, nor the accounts' other posts
    assert reads == {"汛期安全提示": 5000, "安全生产月启动": 1200, "护林员巡山": 700, "防汛值班不放松": 0}
    assert em_report["story_reads"] == sum(reads.values()) == 6900
    # the partner's accounts' total holds the re-post it lends to a story
    assert em_report["totals"]["reads"] == 9700 >= reads["护林员巡山"]


def test_the_report_page_and_pdf_show_the_area_and_story_figures(users, partners, em_report):
    report = reports.request_report(actor(users["desk"]), partners["em"], "month", DAY)
    reports.build(report)
    report.refresh_from_db()
    assert report.status == "done"
    assert "<td>防汛抗旱</td><td>1</td>" in report.html
    assert "<td>汛期安全提示</td><td>2</td><td>5000</td>" in report.html
    assert "合作稿件本期阅读 6900" in report.html


def test_the_demo_report_has_its_flood_stories_in_the_flood_area_and_reads_on_its_stories(partners):
    from django.utils import timezone

    from tongpin.partners.models import Partner
    from tongpin.web.demo import load_demo

    load_demo()  # the demo's stories go out through the real pipeline, on their own days in the past
    em = Partner.objects.get(slug="jx-yjgl")
    today = timezone.localdate()
    data = reports.report_data(em, today - dt.timedelta(days=90), today)  # the demo's stories: 30 to 60 days ago
    areas = dict(data["areas"])
    assert areas["防汛抗旱"] >= 1 and areas["防灾减灾"] >= 1
    reads = [story["reads"] for story in data["top"]]
    assert data["story_count"] >= 3 and sum(1 for r in reads if r > 0) >= 2
    assert sum(reads) == data["story_reads"] > 0


def test_the_demo_reports_count_a_story_in_the_month_the_portal_dates_it(partners):
    """The trial: the portal dated the demo's stories by their demo days while they were published the day the demo
    was built, so the report of the month the portal showed said 0 stories. Now both use the publication date."""
    from django.test import Client
    from django.utils import timezone

    from tongpin.core.models import User
    from tongpin.newsroom.models import Story
    from tongpin.newsroom.publish import with_published_at
    from tongpin.partners.models import Partner
    from tongpin.web.demo import load_demo

    load_demo()
    em = Partner.objects.get(slug="jx-yjgl")
    liaison = Client()
    liaison.force_login(User.objects.get(username="liaison_em"))
    portal = liaison.get("/portal/").content.decode().split('id="published"')[1]
    stories = with_published_at(Story.objects.filter(partner=em, status="published"))
    assert len(stories) == 3
    for story in stories:
        day = timezone.localtime(story.published_at).date()
        assert day < timezone.localdate()  # its day in the demo's past, not the day the demo was built
        assert f'{story.title}</a> <span class="muted">{day:%Y-%m-%d}</span>' in portal
        month = reports.report_data(em, *reports.bounds("month", day))
        assert story.title in [entry["title"] for entry in month["top"]], (story.title, day)


def test_the_commitments_table_measures_the_reports_own_periods_not_the_one_running_today(users, partners, sink):
    from .partners_support import commitment_for

    em = partners["em"]
    agreement = agreement_for(users, em, dt.date(2026, 1, 1), dt.date(2026, 12, 31), areas=AREAS)
    commitment_for(users, agreement, title="每季度刊发稿件不少于 2 篇", period="quarter", target=2)
    commitment_for(users, agreement, title="汛期每月防汛报道", period="month", target=1, tags=["防汛"],
                   active_months=[4, 5, 6, 7, 8, 9])  # fmt: skip
    [app] = channels(users, sink, "app")
    published(users, em, [app], "二季度第一篇", dt.date(2026, 5, 6), tags=("防汛",))
    published(users, em, [app], "二季度第二篇", dt.date(2026, 6, 20))
    published(users, em, [app], "三季度的一篇", dt.date(2026, 8, 3), tags=("防汛",))

    def table(kind: str, day: dt.date) -> dict:
        rows = reports.report_data(em, *reports.bounds(kind, day))["commitments"]
        return {r["commitment"].title: [(p.starts_on.month, p.count, p.status) for p in r["periods"]] for r in rows}

    # The second quarter: its two stories, not the one after it; the flood months within it, each named.
    q2 = table("quarter", dt.date(2026, 5, 1))
    assert q2["每季度刊发稿件不少于 2 篇"] == [(4, 2, "met")]
    # the last month is over too, as the quarter is past: missed, not "at risk" as if still open
    assert q2["汛期每月防汛报道"] == [(4, 0, "missed"), (5, 1, "met"), (6, 0, "missed")]
    # The first quarter holds no flood month: nothing to measure, rather than a flood season "not begun".
    assert table("quarter", dt.date(2026, 2, 1))["汛期每月防汛报道"] == []
    # The year: every quarter of it, and the whole flood season.
    year = table("year", dt.date(2026, 6, 1))
    assert [p[:2] for p in year["每季度刊发稿件不少于 2 篇"]] == [(1, 0), (4, 2), (7, 1), (10, 0)]
    assert [m for m, _count, _status in year["汛期每月防汛报道"]] == [4, 5, 6, 7, 8, 9]
    report = reports.request_report(actor(users["desk"]), em, "quarter", dt.date(2026, 5, 1))
    reports.build(report)
    report.refresh_from_db()
    assert "<td>2026-04-01 — 2026-06-30</td><td>2 / 2</td><td>已达成</td>" in report.html
    assert "2026-07-01" not in report.html.split("合作事项完成情况")[1]
