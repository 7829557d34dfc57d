"""Cooperation: agreements, commitments and their computed fulfilment, liaison records, deletion rules."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tongpin.core.errors import Conflict, Forbidden, ValidationFailed
from tongpin.core.models import AuditEvent, Notification
from tongpin.core.resources import delete_record
from tongpin.partners import services as partner_service
from tongpin.partners.fulfilment import Status, fulfilment, periods
from tongpin.partners.models import ActionItem, AgreementStatus, CommitmentPeriod
from tongpin.publishing.models import Delivery, DeliveryState
from tongpin.publishing.services import withdraw_publication

from .conftest import actor, api, codes
from .partners_support import agreement_for, channels, commitment_for, published
from .publishing_support import drain

Q4 = (dt.date(2026, 10, 1), dt.date(2026, 12, 31))


# -- periods and judgement (no database) ------------------------------------------------------------------


def test_periods_are_calendar_quarters_clipped_to_the_term():
    spans = periods(dt.date(2026, 2, 15), dt.date(2026, 11, 10), CommitmentPeriod.QUARTER, [])
    assert spans == [
        (dt.date(2026, 2, 15), dt.date(2026, 3, 31)),
        (dt.date(2026, 4, 1), dt.date(2026, 6, 30)),
        (dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
        (dt.date(2026, 10, 1), dt.date(2026, 11, 10)),
    ]


def test_monthly_periods_keep_only_the_season_and_years_cross_new_year():
    spans = periods(dt.date(2026, 1, 1), dt.date(2027, 12, 31), CommitmentPeriod.MONTH, [4, 5, 6, 7, 8, 9])
    assert len(spans) == 12 and spans[0] == (dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    assert spans[6] == (dt.date(2027, 4, 1), dt.date(2027, 4, 30))
    years = periods(dt.date(2026, 7, 1), dt.date(2028, 6, 30), CommitmentPeriod.YEAR, [])
    assert years == [
        (dt.date(2026, 7, 1), dt.date(2026, 12, 31)),
        (dt.date(2027, 1, 1), dt.date(2027, 12, 31)),
        (dt.date(2028, 1, 1), dt.date(2028, 6, 30)),
    ]
    assert periods(dt.date(2026, 2, 1), dt.date(2026, 2, 28), CommitmentPeriod.MONTH, []) == [
        (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    ]


# -- fulfilment from real records ---------------------------------------------------------------------------


def test_stories_that_count_and_stories_that_must_not(users, partners, sink):
    em, zone = partners["em"], partners["zone"]
    agreement = agreement_for(users, em, dt.date(2026, 1, 1), dt.date(2027, 12, 31))
    commitment = commitment_for(users, agreement, target=3, tags=["森林防火"], min_channels=2)
    wechat, tv, web = channels(users, sink, "app", "tv", "web")
    day = dt.date(2026, 11, 2)
    counted, _ = published(users, em, [wechat, tv], "护林员巡山", day)
    published(users, em, [web], "森林防火宣传进校园", day + dt.timedelta(days=3))
    published(users, zone, [wechat], "高新区森林防火演练", day)  # another partner
    published(users, em, [wechat], "汛期安全提示", day, tags=("防汛",))  # not the area
    published(users, em, [tv], "九月的森林防火报道", dt.date(2026, 9, 30))  # the quarter before
    _, withdrawn = published(users, em, [wechat], "已撤回的报道", day)
    withdraw_publication(actor(users["chief"]), withdrawn, "差错")
    drain()
    failed_story, failed = published(users, em, [wechat], "发送失败的报道", day)
    Delivery.objects.filter(rendition__publication=failed).update(state=DeliveryState.FAILED)

    result = fulfilment(commitment, today=dt.date(2026, 11, 20))
    q4 = next(p for p in result.periods if p.starts_on == Q4[0])
    assert [r.title for r in q4.records] == ["护林员巡山", "森林防火宣传进校园"]
    assert q4.channels == {"app-webhook", "tv-webhook", "web-webhook"}
    assert [r.on for r in q4.records] == [day, day + dt.timedelta(days=3)]
    assert q4.records[0].link == f"/stories/{counted.pk}/"
    q3 = next(p for p in result.periods if p.ends_on == dt.date(2026, 9, 30))
    assert [r.title for r in q3.records] == ["九月的森林防火报道"] and q3.status == Status.MISSED
    # 2 of 3 with 51 of 92 days gone: pro-rata share is 1, so on track
    assert q4.expected == 1 and result.status == Status.ON_TRACK
    assert fulfilment(commitment, today=dt.date(2027, 1, 5)).periods[3].status == Status.MISSED


def test_status_met_at_risk_upcoming_and_channel_breadth(users, partners, sink):
    em = partners["em"]
    agreement = agreement_for(users, em, dt.date(2026, 10, 1), dt.date(2027, 9, 30))
    breadth = commitment_for(users, agreement, target=2, min_channels=3)
    wechat, tv = channels(users, sink, "app", "tv")
    published(users, em, [wechat, tv], "第一篇", dt.date(2026, 10, 5), tags=())
    published(users, em, [wechat], "第二篇", dt.date(2026, 10, 6), tags=())
    result = fulfilment(breadth, today=dt.date(2026, 12, 1))
    assert result.current.count == 2 and len(result.current.channels) == 2
    assert result.status != Status.MET  # two stories, but only two channels of the three promised
    breadth.min_channels = 2
    assert fulfilment(breadth, today=dt.date(2026, 12, 1)).status == Status.MET
    only_tv = commitment_for(users, agreement, title="电视节目", target=5, channel_kinds=["tv"])
    late = fulfilment(only_tv, today=dt.date(2026, 12, 20))
    assert late.current.count == 1 and late.current.expected == 4 and late.status == Status.AT_RISK
    assert fulfilment(only_tv, today=dt.date(2026, 9, 1)).status == Status.UPCOMING


def test_seasonal_commitment_is_off_season_between_seasons(users, partners):
    agreement = agreement_for(users, partners["em"], dt.date(2026, 1, 1), dt.date(2027, 12, 31))
    flood = commitment_for(users, agreement, period="month", target=2, active_months=[4, 5, 6, 7, 8, 9])
    assert fulfilment(flood, today=dt.date(2026, 11, 20)).status == Status.OFF_SEASON
    assert fulfilment(flood, today=dt.date(2026, 6, 2)).status == Status.ON_TRACK
    assert fulfilment(flood, today=dt.date(2026, 6, 30)).status == Status.AT_RISK


def test_journal_issues_and_events_are_measured_too(users, partners):
    from tongpin.planning import services as plan_service
    from tongpin.planning.models import EventState
    from tongpin.publishing.models import JournalIssue

    from .publishing_support import make_channel

    em = partners["em"]
    agreement = agreement_for(users, em, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    journal = commitment_for(users, agreement, measure="journal_issues", period="year", target=4, title="刊物")
    events = commitment_for(users, agreement, measure="events", period="term", target=1, title="博览会")
    channel = make_channel(users["admin"], "print", "journal", slug="em-journal", partner=em.slug)
    JournalIssue.objects.create(channel=channel, number="2026-1", title="应急通讯", issue_date=dt.date(2026, 3, 1),
                                built_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))  # fmt: skip
    JournalIssue.objects.create(channel=channel, number="2026-2", title="应急通讯", issue_date=dt.date(2026, 6, 1))
    assert [r.title for r in fulfilment(journal, dt.date(2026, 7, 1)).current.records] == ["应急通讯 2026-1"]
    expo = {"title": "应急博览会", "partner": em, "starts_on": dt.date(2026, 5, 1), "ends_on": dt.date(2026, 5, 3)}
    event = plan_service.save_event(actor(users["desk"]), expo)
    assert fulfilment(events, dt.date(2026, 7, 1)).status == Status.ON_TRACK
    plan_service.save_event(actor(users["desk"]), {"state": EventState.HELD}, event)
    assert fulfilment(events, dt.date(2026, 7, 1)).status == Status.MET


# -- agreements and commitments: bad input ------------------------------------------------------------------



def test_agreement_terms_are_checked(users, partners):
    em = partners["em"]
    with pytest.raises(ValidationFailed) as error:
        agreement_for(users, em, dt.date(2026, 5, 1), dt.date(2026, 4, 1))
    assert codes(error) == {"term_reversed"}
    first = agreement_for(users, em, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    with pytest.raises(ValidationFailed) as error:
        agreement_for(users, em, dt.date(2026, 6, 1), dt.date(2027, 5, 31))
    assert codes(error) == {"overlapping_term"}
    agreement_for(users, partners["zone"], dt.date(2026, 6, 1), dt.date(2027, 5, 31))  # other partner: fine
    renewal = partner_service.renew_agreement(actor(users["chief"]), first, dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    assert renewal.renewal_of == first and renewal.status == AgreementStatus.DRAFT
    with pytest.raises(Forbidden) as error:
        partner_service.save_agreement(actor(users["reporter"]), em, {"title": "x"})
    assert error.value.status == 403


def test_commitments_must_be_measurable(users, partners):
    agreement = agreement_for(users, partners["em"], dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    with pytest.raises(ValidationFailed) as error:
        commitment_for(users, agreement, target=0, measure="vibes")
    assert {"no_target", "unknown_measure"} <= codes(error)
    with pytest.raises(ValidationFailed) as error:
        commitment_for(users, agreement, measure="journal_issues", channel_kinds=["tv"])
    assert codes(error) == {"filters_not_applicable"}
    with pytest.raises(ValidationFailed) as error:
        commitment_for(users, agreement, period="quarter", active_months=[4])
    assert codes(error) == {"months_need_monthly"}
    with pytest.raises(ValidationFailed) as error:
        commitment_for(users, agreement, channel_kinds=["fax"], active_months=[13], period="month")
    assert {"unknown_channel_kind", "invalid_month"} <= codes(error)


def test_deleting_what_others_point_to_is_refused(users, partners):
    agreement = agreement_for(users, partners["em"], dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    commitment = commitment_for(users, agreement)
    with pytest.raises(Conflict) as error:
        delete_record(actor(users["chief"]), agreement, "partner.manage")
    assert codes(error) == {"still_referenced"} and "合作事项" in error.value.errors[0].message
    with pytest.raises(Conflict):
        delete_record(actor(users["chief"]), partners["em"], "partner.manage")
    delete_record(actor(users["chief"]), commitment, "partner.manage")
    delete_record(actor(users["chief"]), agreement, "partner.manage")
    assert AuditEvent.objects.filter(action="agreement.delete").exists()


def test_signed_scan_must_be_a_real_pdf_or_image(users, partners):
    agreement = agreement_for(users, partners["em"], dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    fake = SimpleUploadedFile("协议.pdf", b"MZ\x90\x00 this is an exe", content_type="application/pdf")
    with pytest.raises(ValidationFailed) as error:
        partner_service.save_agreement(actor(users["chief"]), partners["em"], {}, agreement, attachment=fake)
    assert codes(error) <= {"unsupported_type", "disguised_file"}
    pdf = SimpleUploadedFile("协议.pdf", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    saved = partner_service.save_agreement(actor(users["chief"]), partners["em"], {}, agreement, attachment=pdf)
    assert saved.attachment_name == "协议.pdf" and saved.attachment.size > 0


# -- liaison records -----------------------------------------------------------------------------------------


def test_action_items_refuse_past_dates_and_remind_once(users, partners, django_capture_on_commit_callbacks):
    em = partners["em"]
    em.owners.set([users["editor"]])
    with pytest.raises(ValidationFailed) as error:
        partner_service.save_action(actor(users["desk"]), em, {"title": "补材料", "owner": users["desk"],
                                                                "due_on": dt.date(2020, 1, 1)})  # fmt: skip
    assert codes(error) == {"date_in_past"}
    from django.utils import timezone

    today = timezone.localdate()
    plan = {"title": "提交汛期宣传方案", "owner": users["desk"], "due_on": today + dt.timedelta(1)}
    soon = partner_service.save_action(actor(users["desk"]), em, plan)
    partner_service.save_action(
        actor(users["desk"]), em, {"title": "年底总结", "owner": users["desk"], "due_on": today + dt.timedelta(30)}
    )
    assert partner_service.remind_due_actions() == 2  # the owner and the partner's station owner
    assert partner_service.remind_due_actions() == 0
    texts = list(Notification.objects.filter(user=users["desk"]).values_list("text", flat=True))
    assert any("提交汛期宣传方案" in t for t in texts) and not any("年底总结" in t for t in texts)
    done = partner_service.set_action_state(actor(users["desk"]), soon, "done")
    assert done.done_at is not None and ActionItem.objects.get(pk=soon.pk).state == "done"


def test_liaison_records_and_to_dos_can_be_deleted_from_the_partner_page(users, partners, client_for):
    """A user trial: meetings and to-dos had no 删除 on the partner page; a meeting a to-do came from is kept."""
    from django.utils import timezone

    em = partners["em"]
    desk = actor(users["desk"])
    meeting = partner_service.save_meeting(desk, em, {"title": "季度座谈", "held_at": timezone.now()})
    due = timezone.localdate() + dt.timedelta(days=3)
    todo = partner_service.save_action(desk, em, {"title": "补材料", "owner": users["desk"], "due_on": due,
                                                  "meeting": meeting})  # fmt: skip
    page = client_for("desk").get("/partners/em/").content.decode()
    assert f"/records/meeting/{meeting.pk}/delete" in page and f"/records/action/{todo.pk}/delete" in page
    assert page.count("data-confirm") >= 2
    desk_page = client_for("desk")
    refused = desk_page.post(f"/records/meeting/{meeting.pk}/delete", follow=True)
    assert "仍被其他记录引用" in refused.content.decode() and em.meetings.filter(pk=meeting.pk).exists()
    assert client_for("liaison_zone").post(f"/records/action/{todo.pk}/delete").status_code == 404
    assert desk_page.post(f"/records/action/{todo.pk}/delete").status_code == 302
    assert desk_page.post(f"/records/meeting/{meeting.pk}/delete").status_code == 302
    assert not em.actions.exists() and not em.meetings.exists()
    assert AuditEvent.objects.filter(action__in=["actionitem.delete", "meeting.delete"]).count() == 2


# -- API -----------------------------------------------------------------------------------------------------




def test_partner_api_crud_and_fulfilment(client, users, partners, token_for):
    chief = token_for("chief")
    created = api(client, "post", "/partners", chief, {"slug": "gx-zone", "name": "高新区", "kind": "zone",
                                                         "owner_ids": [users["desk"].pk]})  # fmt: skip
    assert created.status_code == 201 and created.json()["owners"] == ["desk"]
    term = {"starts_on": "2026-01-01", "ends_on": "2026-12-31", "status": "in_force"}
    made = api(client, "post", "/partners/em/agreements", chief, {"title": "框架协议", **term})
    assert made.status_code == 201, made.content
    agreement_id = made.json()["id"]
    bad = api(client, "post", f"/agreements/{agreement_id}/commitments", chief,
              {"title": "空洞承诺", "measure": "stories", "target": 0, "period": "year"})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["errors"][0]["code"] == "no_target"
    good = api(client, "post", f"/agreements/{agreement_id}/commitments", chief,
               {"title": "年度稿件", "measure": "stories", "target": 10, "period": "year"})  # fmt: skip
    assert good.status_code == 201 and good.json()["status"] in {"on_track", "at_risk", "missed", "met"}
    detail = api(client, "get", f"/commitments/{good.json()['id']}/fulfilment?on=2026-06-30", token_for("reporter"))
    body = detail.json()
    assert detail.status_code == 200 and body["current"]["target"] == 10 and body["current"]["expected"] == 4
    assert body["commitment"]["status"] == "at_risk" and body["current"]["records"] == []
    overlap = api(client, "post", "/partners/em/agreements", chief,
                  {"title": "重叠", "starts_on": "2026-06-01", "ends_on": "2027-05-31"})  # fmt: skip
    assert overlap.status_code == 422 and overlap.json()["errors"][0]["location"] == "starts_on"
    refused = api(client, "delete", f"/agreements/{agreement_id}", chief)
    assert refused.status_code == 409
    assert api(client, "post", "/partners/em/agreements", token_for("reporter"), made.json()).status_code in (403, 422)
    measures = api(client, "get", "/measures", chief).json()
    assert {m["name"] for m in measures} >= {"stories", "journal_issues", "events"}


# -- pages ---------------------------------------------------------------------------------------------------


def test_partner_pages_save_through_the_rules_and_show_refusals_on_their_field(users, partners, client_for):
    chief = client_for("chief")
    reversed_term = {"title": "框架协议", "starts_on": "2026-05-01", "ends_on": "2026-04-01", "status": "draft"}
    refused = chief.post("/partners/em/agreements/new/", reversed_term)
    assert refused.status_code == 200 and "到期日期不能早于生效日期" in refused.content.decode()
    saved = chief.post(
        "/partners/em/agreements/new/", {**reversed_term, "ends_on": "2027-04-30", "areas": "森林防火、防汛"}
    )
    assert saved.status_code == 302 and saved["Location"] == "/partners/em/"
    agreement = partners["em"].agreements.get()
    assert agreement.areas == ["森林防火", "防汛"]
    vague = chief.post(f"/agreements/{agreement.pk}/commitments/new/", {"title": "多宣传", "measure": "stories",
                                                                          "target": 0, "period": "year"})  # fmt: skip
    assert vague.status_code == 200 and "可衡量的目标值" in vague.content.decode()
    made = chief.post(f"/agreements/{agreement.pk}/commitments/new/",
                      {"title": "汛期报道", "measure": "stories", "target": 2, "period": "month",
                       "active_months": "4、5、6", "tags": "防汛", "min_channels": 0})  # fmt: skip
    assert made.status_code == 302
    commitment = agreement.commitments.get()
    assert commitment.active_months == [4, 5, 6] and commitment.tags == ["防汛"]
    assert "汛期报道" in chief.get("/partners/em/").content.decode()
    assert chief.get(f"/commitments/{commitment.pk}/").status_code == 200

    editor = client_for("editor")
    forum = {"kind": "forum", "title": "季度座谈", "held_at": "2026-11-20T10:00"}
    meeting = editor.post("/partners/em/meetings/new/", forum)
    assert meeting.status_code == 302
    record = partners["em"].meetings.get()
    edited = editor.post(f"/meetings/{record.pk}/edit/", {**forum, "title": "季度座谈（改）", "minutes": "议定三件事"})
    assert edited.status_code == 302 and partners["em"].meetings.get().minutes == "议定三件事"
    assert editor.get("/partners/em/agreements/new/").status_code == 403  # editors record, chiefs sign
    assert client_for("liaison_em").get(f"/meetings/{record.pk}/edit/").status_code == 403


def test_a_taken_slug_is_refused_by_the_service_whichever_way_in(users, partners, client, token_for, client_for):
    with pytest.raises(ValidationFailed) as error:
        partner_service.save_partner(actor(users["chief"]), {"slug": "em", "name": "重名"})
    assert codes(error) == {"duplicate"} and error.value.errors[0].location == "slug"
    again = api(client, "post", "/partners", token_for("chief"), {"slug": "em", "name": "重名"})
    assert again.status_code == 422 and [e["code"] for e in again.json()["errors"]] == ["duplicate"]
    renamed = partner_service.save_partner(actor(users["chief"]), {"name": "省应急管理厅（新）"}, partners["em"])
    assert renamed.slug == "em"  # its own slug is no clash


def test_a_partners_staff_page_hides_other_partners_and_refuses_a_liaison_their_own(users, partners, client_for):
    liaison = client_for("liaison_em")
    assert liaison.get("/partners/zone/").status_code == 404  # another partner: as if it did not exist
    assert liaison.get("/partners/em/").status_code == 403  # their own: the portal shows it, not this page
    assert client_for("editor").get("/partners/zone/").status_code == 200


def test_the_portal_lists_published_work_by_the_day_it_went_out(users, partners, sink, client_for):
    """A partner's 已发布作品 show the day each story first reached a channel — the day the partner report counts
    it on — newest first, not the day the story was last edited; a published story with nothing delivered (none
    in life: status follows delivery) falls back to that day."""
    from tongpin.newsroom.models import Story, StoryStatus

    em = partners["em"]
    [app] = channels(users, sink, "app")
    october, _ = published(users, em, [app], "十月的稿件", dt.date(2026, 10, 6))
    november, _ = published(users, em, [app], "十一月的稿件", dt.date(2026, 11, 5))
    Story.objects.filter(pk=october.pk).update(updated_at=dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC))
    Story.objects.filter(pk=november.pk).update(updated_at=dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC))
    august = dt.datetime(2026, 8, 2, 9, tzinfo=dt.UTC)
    bare = Story.objects.create(title="没有送达的稿件", partner=em, status=StoryStatus.PUBLISHED,
                                created_by=users["reporter"], updated_at=august)  # fmt: skip
    page = client_for("liaison_em").get("/portal/").content.decode()
    section = page.split('id="published"')[1].split("</section>")[0]
    rows = [line for line in section.splitlines() if "<li>" in line]
    assert [("十一月的稿件" in r, "十月的稿件" in r, bare.title in r) for r in rows] == [
        (True, False, False), (False, True, False), (False, False, True)]  # fmt: skip
    assert "2026-11-05" in rows[0] and "2026-10-06" in rows[1] and "2026-08-02" in rows[2]
    assert "2026-09-01" not in section and "2026-11-20" not in section
