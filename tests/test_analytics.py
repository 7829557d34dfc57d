"""Analytics: each index formula against hand-computed vectors, periods, imports (good, repeated, broken,
partial, XLSX, GBK), the day-7 rule, rankings with movement, the ranking commitment, the WeChat data API,
partner reports as PDF (text read back), isolation, and the `tongpin wci` command."""

import datetime as dt
import io
import json
import math

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tongpin.analytics import imports, indices, rankings, reports, wechat_data
from tongpin.analytics.models import Account, AccountDay, AccountSample, Article, ImportStatus, MetricSample, PeerGroup
from tongpin.analytics.periods import period
from tongpin.core.errors import Forbidden, ValidationFailed
from tongpin.partners.fulfilment import Status, fulfilment

from .conftest import actor, api
from .partners_support import agreement_for, commitment_for

ln = math.log


# -- formulas ------------------------------------------------------------------------------------------------


def test_wci_v2_reproduces_the_published_worked_example():
    x = indices.Inputs(days=7, n=100, R=10000, Rmax=300, L=4000, Lmax=60)
    assert round(indices.wci_v2(x), 2) == 411.49


V12 = indices.Inputs(days=7, n=14, R=70000, L=1400, Rt=49000, Lt=980, Rmax=12000, Lmax=300)


def test_wci_v12_against_a_hand_computed_vector():
    # overall (per day), per article, headline (per day), best article; reads 0.85, likes 0.15 (likes × 10)
    overall = 0.85 * ln(10000 + 1) + 0.15 * ln(200 * 10 + 1)  # 9.21044, 7.60140 → 8.96908
    per_article = 0.85 * ln(5000 + 1) + 0.15 * ln(100 * 10 + 1)  # 8.51739, 6.90875 → 8.27609
    headline = 0.85 * ln(7000 + 1) + 0.15 * ln(140 * 10 + 1)  # 8.85381, 7.24494 → 8.61248
    best = 0.85 * ln(12000 + 1) + 0.15 * ln(300 * 10 + 1)  # 9.39275, 8.00670 → 9.18484
    assert round(overall, 5) == 8.96908 and round(best, 5) == 9.18484
    expected = (0.6 * overall + 0.2 * per_article + 0.1 * headline + 0.1 * best) ** 2 * 10  # 8.81640² × 10
    assert round(expected, 2) == 777.29
    assert round(indices.wci_v12(V12), 2) == 777.29


def test_wci_v14_2_against_a_hand_computed_vector():
    x = indices.Inputs(days=7, n=7, R=35000, Z=700, L=1400, RE=2100, Rt=28000, Zt=560, Lt=1120, REt=1680,
                       Rmax=9000, Zmax=200, Lmax=400, REmax=600)  # fmt: skip
    # per day: R 5000, Z 100, L 200, RE 300 → 0.70·ln(5001) + 0.09·ln(1001) + 0.06·ln(2001) + 0.15·ln(3001)
    overall = 0.70 * 8.51739 + 0.09 * 6.90875 + 0.06 * 7.60140 + 0.15 * 8.00670  # = 8.24105
    # per article: same averages here (n = d) → same value
    headline = 0.70 * ln(4001) + 0.09 * ln(801) + 0.06 * ln(1601) + 0.15 * ln(2401)  # Rt/d 4000 … → 8.01799
    best = 0.70 * ln(9001) + 0.09 * ln(2001) + 0.06 * ln(4001) + 0.15 * ln(6001)  # Rmax 9000 … → 8.86030
    # (0.8 × 8.24105 + 0.1 × 8.01799 + 0.1 × 8.86030)² × 12 = 8.28067² × 12
    hand = (0.6 * overall + 0.2 * overall + 0.1 * headline + 0.1 * best) ** 2 * 1.2 * 10
    assert (round(overall, 5), round(headline, 5), round(best, 5)) == (8.24105, 8.01799, 8.8603)
    assert abs(indices.wci_v14_2(x) - hand) < 0.05
    assert round(indices.wci_v14_2(x), 2) == 822.83


def test_bci_and_empty_inputs():
    # activity ln(31) = 3.43399; spread 0.4·ln(501) + 0.4·ln(201) + 0.2·ln(3001) = 2.48664 + 2.12132 + 1.60134
    assert round((0.2 * 3.43399 + 0.8 * 6.20930) * 160, 1) == 904.7
    assert round(indices.bci(30, 500, 200, 3000), 2) == 904.68
    assert indices.wci(indices.Inputs(days=7), "14.2") == 0 == indices.wci_v2(indices.Inputs(days=7))
    with pytest.raises(ValueError):
        indices.wci(V12, "9.9")


def test_counts_and_periods():
    assert imports.parse_count("10万+") == 100001
    assert imports.parse_count("1.2万") == 12000
    assert imports.parse_count("3,456") == 3456 and imports.parse_count("") == 0
    for bad in ("-5", "abc", "1.5"):
        with pytest.raises(ValueError):
            imports.parse_count(bad)
    week = period("week", dt.date(2026, 11, 23))  # a Monday
    assert (week.first, week.last, week.days) == (dt.date(2026, 11, 22), dt.date(2026, 11, 28), 7)
    assert week.previous().first == dt.date(2026, 11, 15)
    month = period("month", dt.date(2026, 3, 15))
    assert (month.first, month.last, month.days, month.previous().first) == (
        dt.date(2026, 3, 1), dt.date(2026, 3, 31), 30, dt.date(2026, 2, 1))  # fmt: skip


# -- imports -------------------------------------------------------------------------------------------------


@pytest.fixture
def city(users, partners):
    group = PeerGroup.objects.create(name="清远市政务微信", platform="wechat")
    return {
        "group": group,
        "zone": Account.objects.create(name="清远高新区", platform="wechat", group=group, partner=partners["zone"]),
        "fabu": Account.objects.create(name="清远发布", platform="wechat", group=group),
        "qingcheng": Account.objects.create(name="清城区", platform="wechat", group=group),
    }


HEADER = "账号,标题,链接,发布时间,位置,阅读数,点赞数,在看数,分享数,评论数,数据日期\n"


def _csv(*rows: str, encoding="utf-8") -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode(encoding)


GOOD = _csv(
    "清远高新区,产业博览会开幕,https://mp.weixin.qq.com/s/a,2026-11-16 08:00,1,10万+,800,300,900,40,2026-11-23",
    "清远高新区,招商引资签约,https://mp.weixin.qq.com/s/b,2026-11-16 08:00,2,3200,40,12,30,2,2026-11-23",
    "清远发布,冬季防火提示,https://mp.weixin.qq.com/s/c,2026-11-17 09:00,1,5600,60,20,80,5,2026-11-23",
)


def test_import_writes_rollups_and_the_same_file_again_changes_nothing(users, city):
    first = imports.run_import(actor(users["editor"]), "wechat", "wx.csv", GOOD)
    assert first.status == ImportStatus.IMPORTED and first.rows_written == 3 and first.errors == []
    headline = Article.objects.get(url="https://mp.weixin.qq.com/s/a")
    assert headline.reads == 100001 and headline.figures_age == 7 and headline.day == dt.date(2026, 11, 16)
    day = AccountDay.objects.get(account=city["zone"], day=dt.date(2026, 11, 16))
    assert (day.n, day.nt, day.R, day.Rt, day.Rmax, day.Z) == (2, 1, 103201, 100001, 100001, 312)
    before = (Article.objects.count(), MetricSample.objects.count(), AccountDay.objects.count())
    again = imports.run_import(actor(users["editor"]), "wechat", "wx.csv", GOOD)
    assert again.status == ImportStatus.UNCHANGED and again.rows_written == 0
    assert (Article.objects.count(), MetricSample.objects.count(), AccountDay.objects.count()) == before


def test_a_broken_file_is_reported_by_line_and_nothing_is_written_unless_chosen(users, city):
    broken = _csv(
        "清远高新区,好行,,2026-11-16 08:00,1,1000,10,5,3,1,2026-11-20",
        "不存在的号,未登记,,2026-11-16 08:00,1,1000,10,5,3,1,2026-11-20",
        "清远发布,负数,,2026-11-16 08:00,1,-7,10,5,3,1,2026-11-20",
        "清远发布,日期坏,,明天早上,1,100,1,1,1,1,2026-11-20",
        "清远发布,早于发布,,2026-11-16 08:00,1,100,1,1,1,1,2026-11-10",
    )
    refused = imports.run_import(actor(users["editor"]), "wechat", "bad.csv", broken)
    assert refused.status == ImportStatus.REJECTED and Article.objects.count() == 0
    assert [e["line"] for e in refused.errors] == [3, 4, 5, 6]
    assert "未登记" in refused.errors[0]["message"] and "-7" in refused.errors[1]["message"]
    partial = imports.run_import(actor(users["editor"]), "wechat", "bad.csv", broken, accept_partial=True)
    assert partial.status == ImportStatus.PARTIAL and partial.rows_written == 1
    assert list(Article.objects.values_list("title", flat=True)) == ["好行"]
    with pytest.raises(ValidationFailed) as error:
        imports.run_import(actor(users["editor"]), "wechat", "x.csv", "账号,标题\n清远发布,缺列\n".encode())
    assert error.value.errors[0].code == "missing_columns" and "阅读数" in error.value.errors[0].message
    with pytest.raises(Forbidden) as error:
        imports.run_import(actor(users["reporter"]), "wechat", "wx.csv", GOOD)
    assert error.value.status == 403


def test_xlsx_and_gbk_csv_import_alike(users, city):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for line in GOOD.decode().strip().splitlines():
        sheet.append(line.split(","))
    out = io.BytesIO()
    book.save(out)
    assert imports.run_import(actor(users["editor"]), "wechat", "wx.xlsx", out.getvalue()).rows_written == 3
    gbk = imports.run_import(actor(users["editor"]), "wechat", "wx-gbk.csv", GOOD.decode().encode("gb18030"))
    assert gbk.status == ImportStatus.UNCHANGED  # the same rows, read from GBK


def test_the_followers_import_takes_the_platform_label_as_well_as_its_code(users, city):
    douyin = Account.objects.create(name="清远抖音", platform="douyin")
    rows = (
        "账号,平台,日期,粉丝数",
        "清远高新区,微信公众号,2026-11-20,52310",  # the label the pages show
        "清远发布,wechat,2026-11-20,48000",
        "清城区, 微信 ,2026-11-20,3000",  # a common short name, stray spaces
        "清远抖音,抖音,2026-11-20,9100",
        "清远高新区,WeChat,2026-11-21,52400",
    )
    done = imports.run_import(actor(users["editor"]), "accounts", "fans.csv", "\n".join(rows).encode())
    assert done.errors == [] and done.rows_written == 5
    assert AccountSample.objects.get(account=city["zone"], day=dt.date(2026, 11, 20)).followers == 52310
    assert AccountSample.objects.get(account=douyin).followers == 9100
    bad = "账号,平台,日期,粉丝数\n清远发布,朋友圈,2026-11-22,1\n".encode()
    refused = imports.run_import(actor(users["editor"]), "accounts", "fans.csv", bad)
    message = refused.errors[0]["message"]
    assert refused.status == ImportStatus.REJECTED and "朋友圈" in message
    assert "微信公众号（wechat）" in message and "抖音（douyin）" in message  # the values accepted


def test_rankings_use_day_seven_figures(users, city):
    rows = [f"清远发布,快讯,https://x/1,2026-11-02 08:00,1,{reads},1,1,1,0,{day}"
            for reads, day in ((900, "2026-11-05"), (2000, "2026-11-09"), (5000, "2026-11-12"))]  # fmt: skip
    imports.run_import(actor(users["editor"]), "wechat", "samples.csv", _csv(*rows))
    article = Article.objects.get(url="https://x/1")
    assert (article.reads, article.figures_age) == (2000, 7)
    late = _csv("清城区,迟到,https://x/2,2026-11-02 08:00,1,700,1,1,1,0,2026-11-14")
    imports.run_import(actor(users["editor"]), "wechat", "late.csv", late)
    assert Article.objects.get(url="https://x/2").figures_age == 12  # no early figure: the first one after


def test_figures_typed_again_for_a_day_show_alike_on_the_list_the_api_and_the_ranking(
    users, city, client_for, token_for
):
    """The trial: 12000 typed over a day that had figures was saved and ranked, but the list and the API kept the
    old reads (the typed figures were chosen, then the stale article saved over them)."""
    imports.run_import(actor(users["editor"]), "wechat", "wx.csv", GOOD)
    second = Article.objects.get(url="https://mp.weixin.qq.com/s/b")
    assert (second.reads, second.figures_age) == (3200, 7)
    page = client_for("chief").post(f"/analytics/articles/{second.pk}/figures/",
                                    {"observed_on": "2026-11-23", "reads": 12000, "likes": 41, "wows": 12,
                                     "shares": 30, "comments": 2})  # fmt: skip
    assert page.status_code == 302
    assert MetricSample.objects.get(article=second, observed_on=dt.date(2026, 11, 23)).reads == 12000
    second.refresh_from_db()
    assert (second.reads, second.likes) == (12000, 41)
    listed = client_for("chief").get(f"/analytics/accounts/{city['zone'].pk}/").content.decode()
    assert "<td>12000</td>" in listed and "<td>3200</td>" not in listed
    answered = api(Client(), "get", f"/analytics/accounts/{city['zone'].pk}/articles", token_for("desk")).json()
    assert next(a for a in answered if a["id"] == second.pk)["reads"] == 12000
    day = AccountDay.objects.get(account=city["zone"], day=dt.date(2026, 11, 16))
    assert (day.R, day.L) == (100001 + 12000, 800 + 41)
    typed = api(Client(), "post", f"/analytics/articles/{second.pk}/figures", token_for("editor"),
                {"observed_on": "2026-11-23", "reads": 13000})  # fmt: skip
    assert typed.json()["reads"] == 13000 == Article.objects.get(pk=second.pk).reads


def test_ranking_order_movement_and_ties(users, city):
    data = _csv(
        # week of 8–14 Nov: 清远发布 leads; week of 15–21 Nov: 清远高新区 overtakes
        "清远发布,a,https://r/1,2026-11-09 08:00,1,9000,90,30,100,0,2026-11-16",
        "清远高新区,b,https://r/2,2026-11-10 08:00,1,3000,30,10,20,0,2026-11-17",
        "清城区,c,https://r/3,2026-11-11 08:00,1,3000,30,10,20,0,2026-11-18",
        "清远高新区,d,https://r/4,2026-11-16 08:00,1,20000,300,90,400,0,2026-11-23",
        "清远发布,e,https://r/5,2026-11-17 08:00,1,8000,80,20,90,0,2026-11-23",
    )
    imports.run_import(actor(users["editor"]), "wechat", "rank.csv", data)
    accounts = list(city["group"].accounts.all())
    earlier = rankings.rank(accounts, period("week", dt.date(2026, 11, 10)))
    assert [(r.rank, r.account.name) for r in earlier] == [(1, "清远发布"), (2, "清城区"), (2, "清远高新区")]
    later = rankings.rank(accounts, period("week", dt.date(2026, 11, 18)))
    assert [(r.account.name, r.movement) for r in later] == [("清远高新区", 1), ("清远发布", -1)]
    assert later[0].inputs.n == 1 and later[0].inputs.R == 20000
    # the year-at-once path (one read of the roll-ups) agrees with ranking one period at a time
    year = rankings.series(accounts, ["week", "month"], dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    for kind in ("week", "month"):
        for span, rows in year[kind]:
            single = rankings.rank(accounts, span)
            assert [(r.rank, r.account.pk, r.score, r.movement) for r in rows] == [
                (r.rank, r.account.pk, r.score, r.movement) for r in single
            ], span


def test_ranking_commitment_counts_months_in_the_top(users, partners, city):
    data = _csv(
        "清远高新区,a,https://m/1,2026-10-05 08:00,1,9000,90,30,100,0,2026-10-12",
        "清远发布,b,https://m/2,2026-10-06 08:00,1,3000,30,10,20,0,2026-10-13",
        "清远高新区,c,https://m/3,2026-11-05 08:00,1,1000,10,3,10,0,2026-11-12",
        "清远发布,d,https://m/4,2026-11-06 08:00,1,3000,30,10,20,0,2026-11-13",
        "清城区,e,https://m/5,2026-11-06 08:00,1,5000,30,10,20,0,2026-11-13",
    )
    imports.run_import(actor(users["editor"]), "wechat", "months.csv", data)
    agreement = agreement_for(users, partners["zone"], dt.date(2026, 10, 1), dt.date(2027, 9, 30))
    with pytest.raises(ValidationFailed) as error:
        commitment_for(users, agreement, measure="ranking_months", period="month", target=1)
    assert error.value.errors[0].code == "threshold_required"
    top_one = commitment_for(users, agreement, measure="ranking_months", period="month", target=1, threshold=1)
    result = fulfilment(top_one, today=dt.date(2026, 11, 30))
    october, november = result.periods[0], result.periods[1]
    assert [r.title for r in october.records] == ["清远高新区 2026-10 排名第 1"] and october.status == Status.MET
    assert november.records == [] and november.status == Status.AT_RISK


def test_a_ranking_month_counts_only_once_its_ranking_is_final(users, partners, city):
    """Rankings use day-7 figures: a month's place is final 7 days after it ends. Leading two days into a month
    is no achievement, and a month just over is pending (待定), not missed, until then."""
    data = _csv(
        "清远发布,a,https://f/1,2026-11-03 08:00,1,3000,30,10,20,0,2026-11-10",
        "清远高新区,b,https://f/2,2026-11-28 08:00,1,9000,90,30,100,0,2026-12-05",
        "清远高新区,c,https://f/3,2026-12-01 08:00,1,9000,90,30,100,0,2026-12-02",
        "清远发布,d,https://f/4,2026-12-01 08:00,1,3000,30,10,20,0,2026-12-02",
    )
    imports.run_import(actor(users["editor"]), "wechat", "final.csv", data)
    agreement = agreement_for(users, partners["zone"], dt.date(2026, 11, 1), dt.date(2026, 12, 31))
    top_one = commitment_for(users, agreement, measure="ranking_months", period="month", target=1, threshold=1)

    early = fulfilment(top_one, today=dt.date(2026, 12, 2))
    november, december = early.periods
    assert december.records == [] and early.status == Status.ON_TRACK != Status.MET  # first in December, so far
    assert november.records == [] and november.status == Status.PENDING  # over, not final: neither met nor missed
    assert november.status_label == "待定"
    from django.template.loader import render_to_string

    page = render_to_string("partners/commitment_detail.html", {"commitment": top_one, "result": early,
                                                                  "periods": early.periods})  # fmt: skip
    assert "ff-pending" in page and "排名在月末 7 天后确定" in page

    settled = fulfilment(top_one, today=dt.date(2026, 12, 7))
    assert [r.title for r in settled.periods[0].records] == ["清远高新区 2026-11 排名第 1"]
    assert settled.periods[0].status == Status.MET and settled.status == Status.ON_TRACK
    # the term's last month is judged too, once final after the term
    assert fulfilment(top_one, today=dt.date(2027, 1, 6)).periods[1].status == Status.PENDING
    assert fulfilment(top_one, today=dt.date(2027, 1, 7)).periods[1].status == Status.MET
    # a report on November, read on 10 December: judged as of 30 November, with the final ranking known now
    as_of_month_end = fulfilment(top_one, today=dt.date(2026, 11, 30), known_on=dt.date(2026, 12, 10))
    assert as_of_month_end.status == Status.MET


# -- the WeChat data API -------------------------------------------------------------------------------------


def test_wechat_data_api_sync_is_idempotent(users, city, allow_loopback):
    from tongpin.publishing.transmitters.wechat import WeChatClient

    from .wechat_fake import FakeWeChat

    with FakeWeChat() as fake:
        fake.article_stats["2026-11-10"] = [
            {"ref_date": "2026-11-10", "msgid": "2247480001_1", "title": "冬季防火",
             "details": [{"stat_date": "2026-11-10", "int_page_read_count": 800, "share_count": 20},
                         {"stat_date": "2026-11-17", "int_page_read_count": 4100, "share_count": 95}]},
            {"ref_date": "2026-11-10", "msgid": "2247480001_2", "title": "次条",
             "details": [{"stat_date": "2026-11-17", "int_page_read_count": 600, "share_count": 4}]},
        ]  # fmt: skip
        client = WeChatClient(fake.app_id, fake.app_secret, fake.base)
        changed = wechat_data.sync(city["fabu"], dt.date(2026, 11, 10), dt.date(2026, 11, 11), client)
        assert changed == 3 and fake.calls.count("/datacube/getarticletotal") == 2
        again = wechat_data.sync(city["fabu"], dt.date(2026, 11, 10), dt.date(2026, 11, 10), client)
    assert again == 0
    headline = Article.objects.get(key="wx:2247480001_1")
    assert (headline.reads, headline.shares, headline.position, headline.figures_age) == (4100, 95, 1, 7)
    day = AccountDay.objects.get(account=city["fabu"], day=dt.date(2026, 11, 10))
    assert (day.n, day.R, day.Rt) == (2, 4700, 4100)


# -- reports and the command ---------------------------------------------------------------------------------


def test_partner_report_pdf_holds_the_chinese_headings_and_figures(users, partners, city, client_for):
    from pypdf import PdfReader

    imports.run_import(actor(users["editor"]), "wechat", "wx.csv", GOOD)
    agreement_for(users, partners["zone"], dt.date(2026, 1, 1), dt.date(2026, 12, 31), areas=["产业发展"])
    report = reports.request_report(actor(users["desk"]), partners["zone"], "month", dt.date(2026, 11, 20))
    assert (report.starts_on, report.ends_on) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    reports.build(report)
    report.refresh_from_db()
    assert report.status == "done" and report.progress == 100
    text = "".join(page.extract_text() for page in PdfReader(report.pdf.open("rb")).pages)
    for heading in ("清远高新区管委会宣传合作报告", "发布概况", "传播效果", "合作事项完成情况"):
        assert heading in text, heading
    assert "103201" in text  # the partner account's reads this month

    own = client_for("liaison_zone")
    assert own.get(f"/reports/{report.pk}/").status_code == 200
    assert own.get(f"/reports/{report.pk}/pdf").status_code == 200
    assert client_for("liaison_em").get(f"/reports/{report.pk}/pdf").status_code == 404
    assert client_for("liaison_em").get(f"/reports/{report.pk}/").status_code == 404
    with pytest.raises(Forbidden) as error:
        reports.request_report(actor(users["editor"]), partners["zone"], "month", dt.date(2026, 11, 20))
    assert error.value.status == 403


def _font_names(pdf) -> set[str]:
    """The BaseFont of every font a PDF uses, on its pages and inside their drawings (form XObjects)."""
    from pypdf import PdfReader

    found: set[str] = set()

    def walk(resources, seen):
        if resources is None or id(resources) in seen:
            return
        seen.add(id(resources))
        for font in (resources.get("/Font") or {}).values():
            found.add(str(font.get_object()["/BaseFont"]))
        for xobject in (resources.get("/XObject") or {}).values():
            walk(xobject.get_object().get("/Resources"), seen)

    for page in PdfReader(pdf).pages:
        walk(page.get("/Resources"), set())
    return found


def test_a_report_on_the_month_in_progress_draws_no_future_and_uses_the_chinese_face(
    users, partners, city, monkeypatch
):
    from django.utils import timezone

    imports.run_import(actor(users["editor"]), "wechat", "wx.csv", GOOD)
    agreement_for(users, partners["zone"], dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    monkeypatch.setattr(timezone, "localdate", lambda *args: dt.date(2026, 11, 20))
    data = reports.report_data(partners["zone"], *reports.bounds("quarter", dt.date(2026, 11, 20)))
    # weeks from 22 November on have not happened: a gap, not a fall to zero
    assert [v for _label, v in data["trend"]][-8:] == [0, 103201] + [None] * 6  # 15 Nov, then 22 Nov…27 Dec
    chart = str(data["trend_chart"])
    assert chart.count("<circle") == len([v for _l, v in data["trend"] if v is not None])
    assert "Noto Sans CJK SC" in chart.split("font-family=")[1].split(",")[0]
    # rankings stop at this month, which is marked provisional (final 7 days after it ends)
    months = [(r["month"], r["provisional"]) for r in data["rankings"]]
    assert months == [("2026-10", False), ("2026-11", True)]

    report = reports.request_report(actor(users["desk"]), partners["zone"], "month", dt.date(2026, 11, 20))
    reports.build(report)
    report.refresh_from_db()
    assert "（暂定）" in report.html
    fonts = _font_names(report.pdf.open("rb"))
    chinese = {name for name in fonts if "CJK" in name}
    assert chinese and all("-SC" in name for name in chinese), fonts  # never the JP face's glyphs


def test_the_wci_command_reproduces_the_worked_example(tmp_path):
    lines = ["account,published_at,position,reads,likes,wows,shares", "样例号,2026-11-16 08:00,1,300,60,0,0"]
    lines += [f"样例号,2026-11-16 08:00,{2 + i % 7},98,{40 if i < 79 else 39},0,0" for i in range(97)]
    lines += ["样例号,2026-11-17 08:00,2,97,39,0,0", "样例号,2026-11-17 08:00,3,97,39,0,0"]
    path = tmp_path / "articles.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = io.StringIO()
    call_command("wci", str(path), "--formula", "2.0", "--json", stdout=out)
    document = json.loads(out.getvalue())
    assert document["formula"] == "2.0" and document["days"] == 7
    rows = document["accounts"]
    assert rows[0]["account"] == "样例号" and rows[0]["articles"] == 100 and rows[0]["wci"] == 411.49
    assert rows[0]["reads"] == 10000 and rows[0]["likes"] == 4000
    table = io.StringIO()
    call_command("wci", str(path), "--formula", "14.2", "--period", "custom", stdout=table)
    assert "d=2" in table.getvalue() and "样例号" in table.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text("account,published_at\nx,2026-11-16\n", encoding="utf-8")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="published_at|缺少列|missing columns") as error:
        call_command("wci", str(bad))
    assert error.value.returncode == 1  # invalid input (docs/operations.md「命令行约定」)


def test_analytics_pages_and_exports(users, city, client_for):
    imports.run_import(actor(users["editor"]), "wechat", "wx.csv", GOOD)
    editor = client_for("editor")
    for page in ("/analytics/", "/analytics/rankings/", "/analytics/accounts/", "/analytics/imports/", "/reports/"):
        assert editor.get(page).status_code == 200, page
    ranking = editor.get(f"/analytics/rankings/?group={city['group'].pk}&period=week&date=2026-11-18&formula=14.2")
    assert "清远高新区" in ranking.content.decode()
    exported = editor.get(f"/analytics/rankings/?group={city['group'].pk}&period=week&date=2026-11-18&export=csv")
    assert exported["Content-Type"].startswith("text/csv") and "清远高新区" in exported.content.decode("utf-8-sig")
    template = editor.get("/analytics/templates/wechat.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    upload = io.BytesIO(GOOD)
    upload.name = "wx.csv"
    response = editor.post("/analytics/imports/", {"format": "wechat", "file": upload})
    assert response.status_code == 302
    assert client_for("reporter").get("/analytics/").status_code == 403
    assert client_for("liaison_zone").get("/analytics/rankings/").status_code == 403


def test_monthly_schedule_builds_and_mails_each_partner_once(users, partners, city, settings, mailoutbox):
    settings.TONGPIN_REPORT_SCHEDULE = "monthly"
    users["liaison_zone"].email = "liaison@zone.example"
    users["liaison_zone"].save()
    partners["zone"].contacts.create(name="何静", email="hejing@zone.example")
    agreement_for(users, partners["zone"], dt.date(2026, 1, 1), dt.date(2027, 12, 31))
    agreement_for(users, partners["em"], dt.date(2026, 1, 1), dt.date(2027, 12, 31))  # nobody to mail: skipped
    from tongpin.analytics.models import PartnerReport

    assert reports.schedule_monthly(dt.date(2026, 12, 2)) == 1
    assert reports.schedule_monthly(dt.date(2026, 12, 3)) == 0  # once a month
    report = PartnerReport.objects.get()
    assert (report.starts_on, report.ends_on, report.partner) == (
        dt.date(2026, 11, 1),
        dt.date(2026, 11, 30),
        partners["zone"],
    )
    reports.build(report)
    assert len(mailoutbox) == 1 and sorted(mailoutbox[0].to) == ["hejing@zone.example", "liaison@zone.example"]
    name, content, mime = mailoutbox[0].attachments[0]
    assert mime == "application/pdf" and content[:5] == b"%PDF-" and name.endswith("202611.pdf")
    settings.TONGPIN_REPORT_SCHEDULE = ""
    assert reports.schedule_monthly(dt.date(2027, 1, 2)) == 0


def test_the_dashboard_sums_each_weeks_reads_of_the_stations_own_accounts(users, city):
    from tongpin.analytics.dashboard import weekly_reads
    from tongpin.publishing.models import Channel

    channel = Channel.objects.create(name="清远发布公众号", slug="qy-wechat", kind="wechat", transmitter="file")
    own = Account.objects.create(name="本台公众号", platform="wechat", channel=channel)
    today = timezone.localdate()
    for n, (days_ago, reads) in enumerate([(0, 100), (1, 20), (7, 5), (90, 1000)]):
        day = today - dt.timedelta(days=days_ago)
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
        Article.objects.create(account=own, key=f"a{n}", published_at=moment, day=day, reads=reads)
    Article.objects.create(account=city["fabu"], key="theirs", published_at=timezone.now(), day=today, reads=7)
    weeks = weekly_reads(today)
    assert len(weeks) == 12 and weeks[-1][0] == period("week", today).first.strftime("%m-%d")
    in_week = lambda day: period("week", day).first.strftime("%m-%d")  # noqa: E731
    expected = {}
    for days_ago, reads in [(0, 100), (1, 20), (7, 5)]:
        label = in_week(today - dt.timedelta(days=days_ago))
        expected[label] = expected.get(label, 0) + reads
    assert {label: n for label, n in weeks if n} == expected  # other accounts and older weeks not counted


def test_the_api_answers_accounts_groups_imports_and_reports_in_their_shapes(users, partners, city, token_for):
    desk = token_for("desk")
    accounts = {a["name"]: a for a in api(Client(), "get", "/analytics/accounts", desk).json()}
    assert accounts["清远高新区"] == {"id": city["zone"].pk, "platform": "wechat", "name": "清远高新区",
                                   "external_id": "", "group_id": city["group"].pk, "partner": partners["zone"].slug,
                                   "channel_id": None, "followers": 0}  # fmt: skip
    assert accounts["清远发布"]["partner"] is None
    groups = api(Client(), "get", "/analytics/groups", desk).json()
    assert groups == [{"id": city["group"].pk, "name": "清远市政务微信", "platform": "wechat", "description": ""}]
    record = imports.run_import(actor(users["editor"]), "wechat", "wx.csv", GOOD)
    shown = api(Client(), "get", f"/analytics/imports/{record.pk}", token_for("editor")).json()
    assert shown == {"id": record.pk, "format": "wechat", "original_name": "wx.csv", "status": record.status,
                     "rows_total": record.rows_total, "rows_written": record.rows_written, "errors": []}  # fmt: skip
    articles = api(Client(), "get", f"/analytics/accounts/{city['zone'].pk}/articles", desk).json()
    fair = next(a for a in articles if a["title"] == "产业博览会开幕")
    stored = Article.objects.get(pk=fair["id"])
    assert fair == {"id": stored.pk, "title": "产业博览会开幕", "url": "https://mp.weixin.qq.com/s/a",
                    "published_at": fair["published_at"], "position": 1, "reads": stored.reads, "likes": stored.likes,
                    "wows": stored.wows, "shares": stored.shares, "comments": stored.comments,
                    "figures_age": stored.figures_age}  # fmt: skip
    assert fair["reads"] > 100000 and fair["published_at"].startswith("2026-11-16")
    typed = api(Client(), "post", f"/analytics/articles/{stored.pk}/figures", token_for("editor"),
                {"observed_on": "2026-11-24", "reads": 120000})  # fmt: skip
    stored.refresh_from_db()
    assert typed.status_code == 200 and set(typed.json()) == set(fair)
    assert (typed.json()["id"], typed.json()["reads"], typed.json()["figures_age"]) == (stored.pk, stored.reads,
                                                                                     stored.figures_age)  # fmt: skip
    report = reports.request_report(actor(users["desk"]), partners["zone"], "month", dt.date(2026, 11, 20))
    listed = api(Client(), "get", "/reports", desk).json()
    assert listed == [{"id": report.pk, "partner": partners["zone"].slug, "period": "month", "starts_on": "2026-11-01",
                       "ends_on": "2026-11-30", "status": report.status, "progress": report.progress, "pdf": None,
                       "error": ""}]  # fmt: skip
    reports.build(report)
    assert api(Client(), "get", f"/reports/{report.pk}", desk).json()["pdf"] == f"/reports/{report.pk}/pdf"
    assert api(Client(), "get", "/reports", token_for("liaison_em")).json() == []


def test_the_accounts_page_and_api_filter_by_platform_and_group_alike(users, city, client_for, token_for):
    """The API's filters were the API's own; the page (and its exports) now offers the same ones."""
    douyin = Account.objects.create(name="清远抖音", platform="douyin")
    editor, desk = client_for("editor"), token_for("desk")
    page = editor.get("/analytics/accounts/?platform=douyin").content.decode()
    assert "清远抖音" in page and "清远发布" not in page
    page = editor.get(f"/analytics/accounts/?group={city['group'].pk}").content.decode()
    assert "清远发布" in page and "清远抖音" not in page
    assert "没有符合筛选的账号" in editor.get("/analytics/accounts/?platform=weibo").content.decode()
    exported = editor.get("/analytics/accounts/?platform=douyin&group=&export=csv").content.decode("utf-8-sig")
    assert "清远抖音" in exported and "清远发布" not in exported
    assert "清远发布" in editor.get("/analytics/accounts/?platform=bogus&group=x").content.decode()  # ignored
    listed = api(Client(), "get", "/analytics/accounts?platform=douyin", desk).json()
    assert [a["id"] for a in listed] == [douyin.pk]
    listed = api(Client(), "get", f"/analytics/accounts?group={city['group'].pk}", desk).json()
    assert {a["name"] for a in listed} == {"清远高新区", "清远发布", "清城区"}


def test_a_liaison_without_reports_is_told_who_prepares_them_and_whom_to_ask(users, partners, client_for):
    users["desk"].display_name = "王编辑"
    users["desk"].save()
    partners["em"].owners.set([users["desk"], users["editor"]])
    page = client_for("liaison_em").get("/reports/").content.decode()
    assert "还没有报告。" in page
    assert "合作报告由电视台编制（月报、季报、年报），编好后会出现在这里" in page
    assert "请联系电视台负责贵单位的同事：王编辑、editor。" in page
    # a partner with no owners: the explanation, without an empty list of names
    alone = client_for("liaison_zone").get("/reports/").content.decode()
    assert "合作报告由电视台编制" in alone and "请联系电视台负责贵单位的同事" not in alone
    # station staff make the reports themselves: not told this
    assert "合作报告由电视台编制" not in client_for("desk").get("/reports/").content.decode()


def test_a_ranking_whose_figures_are_not_final_is_marked_provisional(users, city, client_for):
    """The trial: the dashboard and reports marked the current month 暂定, the rankings page did not."""
    import datetime as dt

    from django.utils import timezone

    editor, group = client_for("editor"), city["group"].pk
    today = timezone.localdate()
    current = editor.get(f"/analytics/rankings/?group={group}&period=month&date={today}&formula=14.2").content.decode()
    assert 'id="provisional"' in current and "暂定" in current
    old = today - dt.timedelta(days=60)
    past = editor.get(f"/analytics/rankings/?group={group}&period=week&date={old}&formula=14.2").content.decode()
    assert 'id="provisional"' not in past and "暂定" not in past
