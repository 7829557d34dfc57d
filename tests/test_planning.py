"""Planning: key dates across years, topics and assignments with conflicts, publicity requests end to end,
iCalendar feeds parsed back, reminders, and the partner-isolation rule on every page and endpoint."""

import datetime as dt

import icalendar
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tongpin.core.errors import Conflict, Forbidden, ValidationFailed
from tongpin.core.models import Notification
from tongpin.partners import services as partner_service
from tongpin.partners.models import Meeting, Partner, PublicityRequest, RequestState
from tongpin.planning import ical, keydates
from tongpin.planning import requests as request_service
from tongpin.planning import services as plan_service
from tongpin.planning.models import Assignment, AssignmentState, Campaign, Event, KeyDate, TopicState

from .conftest import actor, api, codes
from .form_checks import decision_forms, enter_picks_a_decision
from .partners_support import agreement_for, commitment_for

TODAY = timezone.localdate


# -- key dates -----------------------------------------------------------------------------------------------


def test_recurring_key_dates_across_years_leap_days_and_seasons():
    disaster_day = KeyDate(name="全国防灾减灾日", month=5, day=12, lead_days=30)
    found = keydates.occurrences(disaster_day, dt.date(2026, 1, 1), dt.date(2028, 12, 31))
    assert [o.starts_on for o in found] == [dt.date(2026, 5, 12), dt.date(2027, 5, 12), dt.date(2028, 5, 12)]
    assert found[0].plan_from == dt.date(2026, 4, 12)
    leap = KeyDate(name="闰日", month=2, day=29)
    assert [o.starts_on for o in keydates.occurrences(leap, dt.date(2027, 1, 1), dt.date(2028, 12, 31))] == [
        dt.date(2027, 2, 28),
        dt.date(2028, 2, 29),
    ]
    fire_season = KeyDate(name="森林防火期", month=10, day=1, end_month=4, end_day=30)
    in_spring = keydates.occurrences(fire_season, dt.date(2027, 3, 1), dt.date(2027, 3, 31))
    assert [(o.starts_on, o.ends_on) for o in in_spring] == [(dt.date(2026, 10, 1), dt.date(2027, 4, 30))]
    assert keydates.next_occurrence(fire_season, dt.date(2027, 5, 1)).starts_on == dt.date(2027, 10, 1)
    expo = KeyDate(name="博览会", kind=KeyDate.Kind.ONE_OFF, starts_on=dt.date(2027, 3, 3), ends_on=dt.date(2027, 3, 5))
    assert keydates.occurrences(expo, dt.date(2027, 3, 4), dt.date(2027, 3, 4))[0].ends_on == dt.date(2027, 3, 5)
    assert keydates.occurrences(expo, dt.date(2028, 1, 1), dt.date(2028, 12, 31)) == []


def test_key_date_input_is_checked(users):
    desk = actor(users["desk"])
    with pytest.raises(ValidationFailed) as error:
        plan_service.save_key_date(desk, {"name": "二月三十日", "month": 2, "day": 30})
    assert codes(error) == {"invalid_day"}
    with pytest.raises(ValidationFailed) as error:
        plan_service.save_key_date(desk, {"name": "过去的会", "kind": "one_off", "starts_on": dt.date(2020, 1, 1)})
    assert codes(error) == {"date_in_past"}
    with pytest.raises(ValidationFailed) as error:
        plan_service.save_key_date(desk, {"name": "汛期", "month": 4, "day": 1, "end_month": 9})
    assert codes(error) == {"invalid_day"}
    assert plan_service.save_key_date(desk, {"name": "全国消防日", "month": 11, "day": 9}).pk


# -- topics and assignments ----------------------------------------------------------------------------------


@pytest.fixture
def campaign(users, partners):
    key_date = plan_service.save_key_date(
        actor(users["desk"]), {"name": "专项节点", "kind": "one_off", "starts_on": TODAY() + dt.timedelta(days=10)}
    )
    return plan_service.save_campaign(
        actor(users["desk"]), {"title": "专项宣传", "partner": partners["em"], "key_date": key_date}
    )


def test_topic_approval_assignment_conflicts_and_story_link(client, users, token_for, campaign):
    proposed = api(
        client, "post", "/topics", token_for("reporter"), {"title": "护林员的一天", "campaign_id": campaign.pk}
    )
    assert proposed.status_code == 201 and proposed.json()["state"] == "proposed"
    topic_id = proposed.json()["id"]
    assert proposed.json()["partner"] == "em"  # from its campaign
    too_soon = {"topic_id": topic_id, "assignee_id": users["reporter"].pk, "due_at": _at(3)}
    refused = api(client, "post", "/assignments", token_for("editor"), too_soon)
    assert refused.status_code == 422 and refused.json()["errors"][0]["code"] == "topic_not_approved"
    move = {"state": "approved", "note": ""}
    assert api(client, "post", f"/topics/{topic_id}/move", token_for("reporter"), move).status_code == 403
    assert api(client, "post", f"/topics/{topic_id}/move", token_for("desk"), move).json()["state"] == "approved"
    first = api(client, "post", "/assignments", token_for("editor"),
                {**too_soon, "starts_at": _at(2), "ends_at": _at(2, hours=4)})  # fmt: skip
    assert first.status_code == 201 and first.json()["conflicts"] == []
    second = api(client, "post", "/assignments", token_for("editor"),
                 {**too_soon, "starts_at": _at(2, hours=2), "ends_at": _at(2, hours=6), "due_at": _at(12)})  # fmt: skip
    codes = {c["code"] for c in second.json()["conflicts"]}
    assert codes == {"double_booked", "after_key_date"}
    assert Notification.objects.filter(user=users["reporter"], text__contains="护林员的一天").exists()
    assert api(client, "get", f"/topics/{topic_id}", token_for("reporter")).json()["state"] == "in_progress"
    past = api(client, "post", "/assignments", token_for("editor"), {**too_soon, "due_at": _at(-1)})
    assert past.status_code == 422 and past.json()["errors"][0]["code"] == "date_in_past"
    # the assignee writes the story against the assignment; someone else may not claim it
    assignment_id = first.json()["id"]
    story = api(client, "post", "/stories", token_for("reporter"), {"title": "巡山", "assignment_id": assignment_id})
    assert story.status_code == 201 and story.json()["topic_id"] == topic_id and story.json()["partner"] == "em"
    other = api(client, "post", "/stories", token_for("reporter2"), {"title": "抢单", "assignment_id": assignment_id})
    assert other.status_code == 422 and other.json()["errors"][0]["code"] == "not_your_assignment"
    listed = api(client, "get", "/assignments?mine=true", token_for("reporter")).json()
    assert {a["id"] for a in listed} == {first.json()["id"], second.json()["id"]}
    assert listed[0]["stories"] == [story.json()["id"]] or listed[1]["stories"] == [story.json()["id"]]
    # the list reads every clash at once and answers what each assignment, asked alone, answers
    alone = {a["id"]: api(client, "get", f"/assignments/{a['id']}", token_for("editor")).json() for a in listed}
    assert {a["id"]: a["conflicts"] for a in listed} == {pk: one["conflicts"] for pk, one in alone.items()}
    assert {c["other_id"] for c in alone[first.json()["id"]]["conflicts"]} == {second.json()["id"]}
    plan_service.story_delivered(type("S", (), {"assignment_id": assignment_id})())
    assert Assignment.objects.get(pk=assignment_id).state == AssignmentState.DELIVERED


def _at(days: int, hours: int = 0) -> str:
    base = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    return (base + dt.timedelta(days=days, hours=hours)).isoformat()


def test_topic_transitions_are_checked(users, campaign):
    topic = plan_service.propose_topic(actor(users["reporter"]), {"title": "选题", "campaign": campaign})
    with pytest.raises(ValidationFailed) as error:
        plan_service.move_topic(actor(users["desk"]), topic, TopicState.REJECTED, "")
    assert codes(error) == {"reason_required"}
    rejected = plan_service.move_topic(actor(users["desk"]), topic, TopicState.REJECTED, "与已有报道重复")
    with pytest.raises(Conflict) as error:
        plan_service.move_topic(actor(users["desk"]), rejected, TopicState.DONE)
    assert error.value.status == 409
    again = plan_service.move_topic(actor(users["reporter"]), rejected, TopicState.PROPOSED)
    assert again.state == TopicState.PROPOSED


def _topic_page(client, topic) -> tuple[list[str], list[str], set[str]]:
    """A topic page's section headings in order, its 派单 headings (h2 or h3) and the moves its buttons offer."""
    from lxml import html

    page = html.fromstring(client.get(f"/planning/topics/{topic.pk}/").content)
    sections = [h.text_content().strip() for h in page.xpath("//main//section/h2")]
    assigning = [h.text_content().strip() for h in page.xpath("//main//h2 | //main//h3") if "派单" in h.text_content()]
    return sections, assigning, set(page.xpath("//form[contains(@action, '/move')]//button[@name='state']/@value"))


def _move_by_page(client, topic, state: str) -> str:
    client.post(f"/planning/topics/{topic.pk}/move", {"state": state, "note": "按页面所示"})
    topic.refresh_from_db()
    return topic.state


def test_the_topic_page_assigns_in_one_section_and_offers_only_the_moves_taken_in_the_order_of_work(
    users, campaign, client_for
):
    desk, editor, reporter = client_for("desk"), client_for("editor"), client_for("reporter")
    topic = plan_service.propose_topic(actor(users["reporter"]), {"title": "护林员的一天", "campaign": campaign})
    # Proposed: deciding comes first, before there is anything to assign; the proposer has nothing to decide.
    assert _topic_page(desk, topic) == (["审批", "派单", "成稿"], ["派单"], {"approved", "rejected"})
    assert _topic_page(reporter, topic) == (["派单", "成稿"], ["派单"], set())
    assert _move_by_page(desk, topic, "approved") == TopicState.APPROVED
    # Approved: one 派单 section (its list, then the form for a new one), the state change after the work.
    assert _topic_page(desk, topic) == (["派单", "成稿", "选题状态"], ["派单", "新派单"], {"done", "rejected"})
    assert _topic_page(editor, topic)[2] == {"done"}  # not a desk chief: may not reject
    due = timezone.now() + dt.timedelta(days=3)
    plan_service.save_assignment(actor(users["desk"]), {"topic": topic, "assignee": users["reporter2"], "due_at": due})
    topic.refresh_from_db()
    assert topic.state == TopicState.IN_PROGRESS
    assert _topic_page(desk, topic) == (["派单", "成稿", "选题状态"], ["派单", "新派单"], {"done"})
    # Every button offered is a move the service takes (TOPIC_MOVES), through to reopening and proposing again.
    assert _move_by_page(desk, topic, "done") == TopicState.DONE
    assert _topic_page(desk, topic) == (["派单", "成稿", "选题状态"], ["派单"], {"in_progress"})
    assert _topic_page(reporter, topic)[2] == set()
    assert _move_by_page(desk, topic, "in_progress") == TopicState.IN_PROGRESS
    other = plan_service.propose_topic(actor(users["reporter"]), {"title": "山火之后", "campaign": campaign})
    assert _move_by_page(desk, other, "rejected") == TopicState.REJECTED
    assert _topic_page(reporter, other)[2] == {"proposed"}
    assert _move_by_page(reporter, other, "proposed") == TopicState.PROPOSED


def test_enter_in_the_topic_note_cannot_approve_or_reject(users, campaign, client_for):
    """The station trial: a desk chief typed a reason for rejecting and pressed Enter; the browser submitted with the
    form's first button, 已通过. The note is a textarea (Enter is a new line), so only a click decides."""
    desk = client_for("desk")
    topic = plan_service.propose_topic(actor(users["reporter"]), {"title": "无人机巡林", "campaign": campaign})
    for state in (None, TopicState.APPROVED):  # the approval section, then the later 选题状态 one
        if state:
            plan_service.move_topic(actor(users["desk"]), topic, state)
        page = desk.get(f"/planning/topics/{topic.pk}/").content.decode()
        moves = [f for f in decision_forms(page) if f["action"].endswith("/move")]
        assert len(moves) == 1 and len(moves[0]["buttons"]) == 2, moves
        assert enter_picks_a_decision(page) == []
        assert '<textarea name="note"' in page


def test_deleting_referenced_plans_is_refused(client, users, token_for, campaign):
    plan_service.propose_topic(actor(users["reporter"]), {"title": "选题", "campaign": campaign})
    refused = api(client, "delete", f"/campaigns/{campaign.pk}", token_for("desk"))
    assert refused.status_code == 409 and refused.json()["errors"][0]["code"] == "still_referenced"
    assert api(client, "delete", f"/key-dates/{campaign.key_date_id}", token_for("desk")).status_code == 409


def test_assignment_reminders_go_once(users, campaign):
    topic = plan_service.propose_topic(actor(users["reporter"]), {"title": "快讯", "campaign": campaign})
    topic = plan_service.move_topic(actor(users["desk"]), topic, TopicState.APPROVED)
    due = timezone.now() + dt.timedelta(hours=5)
    plan_service.save_assignment(actor(users["desk"]), {"topic": topic, "assignee": users["reporter2"], "due_at": due})
    assert plan_service.remind_due_assignments() == 1
    assert plan_service.remind_due_assignments() == 0


def test_the_three_administrators_are_not_offered_as_assignees_nor_taken(users, campaign):
    """A user trial: the 承接人 list offered the system, security and audit administrators."""
    from tongpin.planning.forms import AssignmentForm

    offered = set(AssignmentForm().fields["assignee"].queryset.values_list("username", flat=True))
    assert {"reporter", "reporter2", "editor", "desk", "duty"} <= offered
    assert not offered & {"admin", "secadmin", "auditor", "liaison_em"}, offered
    topic = plan_service.propose_topic(actor(users["reporter"]), {"title": "快讯", "campaign": campaign})
    topic = plan_service.move_topic(actor(users["desk"]), topic, TopicState.APPROVED)
    due = timezone.now() + dt.timedelta(hours=5)
    for name in ("admin", "secadmin", "auditor"):
        with pytest.raises(ValidationFailed) as refused:
            plan_service.save_assignment(actor(users["desk"]), {"topic": topic, "assignee": users[name], "due_at": due})
        assert codes(refused) == {"not_assignable"}
        assert "不承担采编工作" in refused.value.errors[0].message
    liaison = {"topic": topic, "assignee": users["liaison_em"], "due_at": due}
    with pytest.raises(ValidationFailed) as refused:
        plan_service.save_assignment(actor(users["desk"]), liaison)
    assert codes(refused) == {"not_staff"}
    assert not Assignment.objects.exists()


def test_owner_and_author_lists_offer_no_administrator_either(users, partners):
    """The next user trial: 负责人 of a partner to-do, a campaign or an event, and a story's 作者, still offered the
    三员 administrators (an audit administrator could be made owner of a partner's to-do)."""
    from tongpin.newsroom.forms import StoryForm
    from tongpin.partners.forms import ActionForm, PartnerForm
    from tongpin.planning.forms import CampaignForm, EventForm, TaskForm

    lists = {
        "action owner": ActionForm(partner=partners["em"]).fields["owner"],
        "partner owners": PartnerForm().fields["owners"],
        "campaign owner": CampaignForm().fields["owner"],
        "event owner": EventForm().fields["owner"],
        "task owner": TaskForm().fields["owner"],
        "story authors": StoryForm(user=users["reporter"]).fields["authors"],
    }
    for name, field in lists.items():
        offered = set(field.queryset.values_list("username", flat=True))
        assert "reporter" in offered, name
        assert not offered & {"admin", "secadmin", "auditor", "liaison_em"}, (name, offered)


# -- publicity requests --------------------------------------------------------------------------------------


PDF = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _request_form(**extra):
    form = {
        "title": "防灾减灾日系列宣传",
        "description": "制作科普短视频和直播访谈。",
        "wanted_by": (TODAY() + dt.timedelta(days=20)).isoformat(),
        "channels": ["tv", "wechat"],
    }
    form.update(extra)
    return form


def test_request_submitted_accepted_assigned_and_followed(client, users, partners, token_for):
    liaison = token_for("liaison_em")
    form = _request_form(partner="zone", attachments=[SimpleUploadedFile("方案.pdf", PDF)])
    made = client.post("/api/v1/requests", data=form, HTTP_AUTHORIZATION=f"Bearer {liaison}")
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["partner"] == "em"  # a liaison files for their own partner, whatever they send
    assert body["state"] == "submitted" and body["channels"] == ["tv", "wechat"] and len(body["attachments"]) == 1
    request_id = body["id"]
    assert api(client, "get", f"/requests/{request_id}", token_for("liaison_zone")).status_code == 404
    assert api(client, "post", f"/requests/{request_id}/accept", liaison, {}).status_code == 403
    no_reason = api(client, "post", f"/requests/{request_id}/decline", token_for("editor"), {"reason": " "})
    assert no_reason.status_code == 422
    accepted = api(client, "post", f"/requests/{request_id}/accept", token_for("editor"), {"note": "纳入五月策划"})
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    topic_id = accepted.json()["topics"][0]
    again = api(client, "post", f"/requests/{request_id}/accept", token_for("desk"), {})
    assert again.status_code == 409
    topic = api(client, "get", f"/topics/{topic_id}", token_for("editor")).json()
    assert topic["state"] == "approved" and topic["request_id"] == request_id and topic["channels"] == ["tv", "wechat"]
    assigned = api(client, "post", "/assignments", token_for("editor"),
                   {"topic_id": topic_id, "assignee_id": users["reporter"].pk, "due_at": _at(5)})  # fmt: skip
    assert assigned.status_code == 201
    api(
        client,
        "post",
        "/stories",
        token_for("reporter"),
        {"title": "科普短视频", "assignment_id": assigned.json()["id"]},
    )
    followed = api(client, "get", f"/requests/{request_id}", liaison).json()
    assert followed["stories"] == 1 and followed["published"] == 0
    assert Notification.objects.filter(user=users["liaison_em"], text__contains="已纳入策划").exists()
    download = client.get(followed["attachments"][0])
    assert download.status_code == 302  # the page needs a session, not a token
    browser = client_with(users["liaison_em"])
    assert b"".join(browser.get(followed["attachments"][0]).streaming_content) == PDF
    assert client_with(users["liaison_zone"]).get(followed["attachments"][0]).status_code == 404


def test_the_owners_notice_of_a_request_is_done_once_anyone_decides_it(client, users, partners, token_for):
    """Notices asking for a decision stayed unread after the decision (a trial counted ten stale ones)."""
    partners["em"].owners.set([users["desk"], users["editor"]])
    liaison = {"HTTP_AUTHORIZATION": f"Bearer {token_for('liaison_em')}"}
    asked = [client.post("/api/v1/requests", data=_request_form(), **liaison).json()["id"] for _ in range(2)]
    notices = Notification.objects.filter(text__contains="提交了宣传需求")
    assert notices.filter(read_at=None).count() == 4  # two owners, two requests
    api(client, "post", f"/requests/{asked[0]}/accept", token_for("editor"), {})
    api(client, "post", f"/requests/{asked[1]}/decline", token_for("desk"), {"reason": "档期已满"})
    assert not notices.filter(read_at=None).exists()
    assert Notification.objects.filter(user=users["liaison_em"], read_at=None).count() == 2  # the answers stay


def test_a_refused_request_decision_keeps_what_was_typed(users, partners, client_for):
    values = {"title": "防汛宣传", "description": "内容", "wanted_by": TODAY() + dt.timedelta(days=9)}
    first, second = (request_service.submit_request(actor(users["liaison_em"]), values) for _ in range(2))
    desk = client_for("desk")
    # A blank reason is refused (in the services' words) on the decline form; the request waits as it was.
    blank = desk.post(f"/requests/{first.pk}/decline", {"reason": "  "})
    assert blank.status_code == 200 and "请写明未采纳的理由。" in blank.content.decode()
    assert PublicityRequest.objects.get(pk=first.pk).state == RequestState.SUBMITTED
    # Another handler decided first: the refusal is on the form that was sent, with what was typed in it.
    request_service.accept_request(actor(users["editor"]), first.pk)
    late = desk.post(f"/requests/{first.pk}/decline", {"reason": "与本月重点不符，下月再议"})
    body = late.content.decode()
    assert late.status_code == 200 and "与本月重点不符，下月再议" in body and "该需求已处理" in body
    assert 'id="decline"' in body and 'id="accept"' not in body  # no fresh decision on a decided request
    request_service.decline_request(actor(users["editor"]), second.pk, "重复提交")
    accept = desk.post(f"/requests/{second.pk}/accept", {"note": "纳入五月防汛策划"}).content.decode()
    assert "纳入五月防汛策划" in accept and "该需求已处理" in accept and 'id="accept"' in accept
    assert PublicityRequest.objects.get(pk=second.pk).state == RequestState.DECLINED
    # A campaign that is no longer offered (archived, another partner's, gone) is refused, not silently dropped.
    third = request_service.submit_request(actor(users["liaison_em"]), values)
    gone = desk.post(f"/requests/{third.pk}/accept", {"campaign": 999_999, "note": "纳入汛期策划"}).content.decode()
    assert "纳入汛期策划" in gone and 'id="accept"' in gone
    assert PublicityRequest.objects.get(pk=third.pk).state == RequestState.SUBMITTED


def client_with(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_bad_requests_are_refused_with_clear_codes(client, users, token_for):
    liaison = {"HTTP_AUTHORIZATION": f"Bearer {token_for('liaison_em')}"}
    past = client.post("/api/v1/requests", data=_request_form(wanted_by="2020-01-01"), **liaison)
    assert past.status_code == 422 and past.json()["errors"][0]["code"] == "date_in_past"
    disguised = SimpleUploadedFile("方案.pdf", b"MZ\x90\x00" + b"\x00" * 200)
    bad_file = client.post("/api/v1/requests", data=_request_form(attachments=[disguised]), **liaison)
    assert bad_file.status_code == 422 and bad_file.json()["errors"][0]["location"] == "attachments"
    many = [SimpleUploadedFile(f"{i}.pdf", PDF) for i in range(6)]
    too_many = client.post("/api/v1/requests", data=_request_form(attachments=many), **liaison)
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["code"] == "too_many_files"
    big = SimpleUploadedFile("大.pdf", PDF + b"\x00" * (10 * 1024 * 1024))
    too_big = client.post("/api/v1/requests", data=_request_form(attachments=[big]), **liaison)
    assert too_big.status_code == 422 and too_big.json()["errors"][0]["code"] == "too_large"
    assert PublicityRequest.objects.count() == 0  # nothing half-written
    staff = client.post("/api/v1/requests", data=_request_form(), HTTP_AUTHORIZATION=f"Bearer {token_for('editor')}")
    assert staff.status_code == 422 and staff.json()["errors"][0]["code"] == "partner_required"


def test_only_the_submitter_withdraws_and_only_while_undecided(users, partners):
    values = {"title": "需求", "description": "内容", "wanted_by": TODAY() + dt.timedelta(days=3)}
    request = request_service.submit_request(actor(users["liaison_em"]), values)
    with pytest.raises(Forbidden) as error:
        request_service.withdraw_request(actor(users["editor"]), request.pk)
    assert error.value.status == 403
    assert request_service.withdraw_request(actor(users["liaison_em"]), request.pk).state == RequestState.WITHDRAWN
    with pytest.raises(Conflict) as error:
        request_service.decline_request(actor(users["editor"]), request.pk, "太晚")
    assert error.value.status == 409


# -- iCalendar -----------------------------------------------------------------------------------------------


def test_ical_feeds_parse_back_and_tokens_cannot_be_forged(client, users, campaign):
    topic = plan_service.move_topic(
        actor(users["desk"]),
        plan_service.propose_topic(actor(users["reporter"]), {"title": "直播访谈", "campaign": campaign}),
        TopicState.APPROVED,
    )
    due = timezone.now() + dt.timedelta(days=3)
    plan_service.save_assignment(actor(users["desk"]), {"topic": topic, "assignee": users["reporter2"], "due_at": due})
    token = ical.feed_token(users["reporter2"], "person")
    response = client.get(f"/ical/{token}.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert [str(e["SUMMARY"]) for e in events] == ["交稿：直播访谈"]
    assert str(events[0]["URL"]).startswith("http://testserver/")  # a calendar app cannot open a relative link
    assert abs(events[0].decoded("DTSTART") - due) < dt.timedelta(seconds=1)
    assert str(calendar["X-WR-CALNAME"]).endswith("reporter2 的工作")

    feed = client.get(f"/ical/{ical.feed_token(users['desk'], f'campaign:{campaign.pk}')}.ics")
    summaries = {str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(feed.content).walk("VEVENT")}
    assert {"专项宣传", "交稿：直播访谈", "专项节点"} <= summaries

    assert client.get(f"/ical/{token[:-2]}xx.ics").status_code == 404  # altered signature
    users["reporter2"].set_password("a-new-password-9")
    users["reporter2"].save()
    assert client.get(f"/ical/{token}.ics").status_code == 404  # a new password revokes old addresses
    liaison_feed = ical.feed_token(users["liaison_em"], "person")
    assert client.get(f"/ical/{liaison_feed}.ics").status_code == 404
    other_partner = ical.feed_token(users["liaison_zone"], f"campaign:{campaign.pk}")
    assert client.get(f"/ical/{other_partner}.ics").status_code == 404


def test_calendar_api_lists_key_dates_lead_times_and_checks_the_range(client, users, token_for, campaign):
    start = TODAY()
    entries = api(client, "get", f"/calendar?start={start}&end={start + dt.timedelta(days=30)}", token_for("desk"))
    kinds = {(e["kind"], e["title"]) for e in entries.json()}
    assert ("keydate", "专项节点") in kinds and ("campaign", "专项宣传") in kinds
    too_long = api(client, "get", f"/calendar?start={start}&end={start + dt.timedelta(days=500)}", token_for("desk"))
    assert too_long.status_code == 422


def test_booked_windows_are_in_the_feeds_and_the_api_as_on_the_page(client, users, token_for, campaign):
    """A reporter's phone calendar showed the shoot only as a 30-minute 交稿 deadline: the booked window (占用)
    was drawn on the page alone. Now the person's and the campaign's feeds and the API carry it, start to end."""
    desk = actor(users["desk"])
    topic = plan_service.move_topic(
        desk, plan_service.propose_topic(desk, {"title": "茶园采访", "campaign": campaign}), TopicState.APPROVED
    )
    starts = timezone.make_aware(dt.datetime.combine(TODAY() + dt.timedelta(days=2), dt.time(14)))
    ends, due = starts + dt.timedelta(hours=3), starts + dt.timedelta(hours=8)
    plan_service.save_assignment(desk, {"topic": topic, "assignee": users["reporter2"], "starts_at": starts,
                                        "ends_at": ends, "due_at": due})  # fmt: skip
    feeds = (ical.feed_token(users["reporter2"], "person"), ical.feed_token(users["desk"], f"campaign:{campaign.pk}"))
    for feed in feeds:
        events = icalendar.Calendar.from_ical(client.get(f"/ical/{feed}.ics").content).walk("VEVENT")
        window = [e for e in events if str(e["SUMMARY"]) == "占用：茶园采访"]
        assert len(window) == 1, [str(e["SUMMARY"]) for e in events]
        assert (window[0].decoded("DTSTART"), window[0].decoded("DTEND")) == (starts, ends)
        assert any(str(e["SUMMARY"]) == "交稿：茶园采访" for e in events)  # the deadline stays an entry of its own
    span = f"start={TODAY()}&end={TODAY() + dt.timedelta(days=9)}"
    listed = api(client, "get", f"/calendar?{span}", token_for("desk")).json()
    [booking] = [e for e in listed if e["kind"] == "booking"]
    assert booking["title"] == "占用：茶园采访" and booking["person"] == str(users["reporter2"])
    assert dt.datetime.fromisoformat(booking["until"]) == ends and dt.datetime.fromisoformat(booking["at"]) == starts
    assert not [e for e in api(client, "get", f"/calendar?{span}&bookings=false", token_for("desk")).json()
                if e["kind"] == "booking"]  # fmt: skip
    assert not [e for e in api(client, "get", f"/calendar?{span}", token_for("liaison_em")).json()
                if e["kind"] == "booking"]  # staff work: a liaison sees no bookings  # fmt: skip


def _calendar_days(page: bytes) -> dict[str, list[tuple[str, str]]]:
    """Each day cell of a calendar page (by its date as the page prints it, e.g. 2027年3月3日) with its entries'
    text and class."""
    from lxml import html

    days = {}
    for cell in html.fromstring(page).xpath('//div[contains(concat(" ", @class, " "), " cal-day ")]'):
        day = cell.xpath('.//span[@class="cal-md"]')[0].text_content().split()[0]
        days[day] = [(" ".join(li.text_content().split()), li.get("class")) for li in cell.xpath(".//li")]
    return days


def test_an_item_lasting_several_days_shows_on_each_day_it_covers_in_week_and_month(users, client_for):
    # From the Friday before the week of Monday 2027-03-01 to its Wednesday, and a campaign from Tuesday to Thursday.
    Event.objects.create(title="防灾减灾宣传周", starts_on=dt.date(2027, 2, 26), ends_on=dt.date(2027, 3, 3))
    Campaign.objects.create(title="春耕专题", starts_on=dt.date(2027, 3, 2), ends_on=dt.date(2027, 3, 4))
    desk = client_for("desk")
    week = _calendar_days(desk.get("/planning/week/?date=2027-03-03").content)
    month = _calendar_days(desk.get("/planning/?month=2027-03").content)
    assert list(week) == [f"2027年3月{d}日" for d in range(1, 8)]

    def shown(days, title):
        return {day: (text, cls) for day, items in days.items() for text, cls in items if title in text}

    event = shown(week, "防灾减灾宣传周")
    assert list(event) == ["2027年3月1日", "2027年3月2日", "2027年3月3日"]  # clipped to the week, to the Wednesday
    assert all(text.startswith("（续）") and "ev-cont" in cls for text, cls in event.values())  # begun before
    assert all("2/26→3/3" in text for text, cls in event.values())
    campaign = shown(week, "春耕专题")
    assert list(campaign) == ["2027年3月2日", "2027年3月3日", "2027年3月4日"]
    first, *later = campaign.values()
    assert not first[0].startswith("（续）") and "ev-cont" not in first[1]  # its first day is not a continuation
    assert all(text.startswith("（续）") and "ev-cont" in cls for text, cls in later)
    # The month page agrees day for day (its grid also starts on Monday 2027-03-01).
    assert shown(month, "防灾减灾宣传周") == event and shown(month, "春耕专题") == campaign


def test_an_item_lasting_over_every_day_shown_is_said_once_above_the_grid(users, client_for):
    """The demo's fire-prevention season (October to April) filled two lines of each of the month's 35 days."""
    from lxml import html

    Event.objects.create(title="森林防火紧要期", starts_on=dt.date(2026, 10, 1), ends_on=dt.date(2027, 4, 30))
    Event.objects.create(title="三月专题", starts_on=dt.date(2027, 3, 1), ends_on=dt.date(2027, 3, 31))
    desk = client_for("desk")
    for path in ("/planning/?month=2027-03", "/planning/week/?date=2027-03-03"):
        page = desk.get(path).content
        assert not any("森林防火紧要期" in text for items in _calendar_days(page).values() for text, _ in items)
        strip = html.fromstring(page).xpath('//ul[@class="cal-throughout"]/li')
        strip = [" ".join(li.text_content().split()) for li in strip]
        assert strip[0] == "森林防火紧要期 2026/10/1→2027/4/30", strip
    # The March campaign does not cover the month page's first and last rows (Feb 22 to Apr 4): it stays on its days.
    month = _calendar_days(desk.get("/planning/?month=2027-03").content)
    assert sum(any("三月专题" in text for text, _ in items) for items in month.values()) == 31
    week = desk.get("/planning/week/?date=2027-03-03").content  # but covers the whole week: said once
    assert "三月专题" in html.fromstring(week).xpath('string(//ul[@class="cal-throughout"])')


def _links(page: bytes) -> dict[str, str]:
    from lxml import html

    return {a.text_content().strip(" ‹›"): a.get("href") for a in html.fromstring(page).xpath("//main//a")}


def test_the_week_page_opens_the_month_of_the_day_looked_at(client_for):
    """The station trial: from the week of Mon Nov 30 to Sun Dec 6, looking at Dec 3, 月视图 opened November."""
    desk = client_for("desk")
    links = _links(desk.get("/planning/week/?date=2026-12-03").content)
    assert links["月视图"] == "/planning/?month=2026-12"
    assert (links["上一周"], links["下一周"]) == ("?date=2026-11-26", "?date=2026-12-10")  # the day moves a week
    assert _links(desk.get("/planning/week/?date=2026-11-30").content)["月视图"] == "/planning/?month=2026-11"
    assert _links(desk.get("/planning/week/").content)["月视图"] == f"/planning/?month={TODAY():%Y-%m}"


def test_the_week_view_opens_the_first_week_of_the_month_looked_at(client_for):
    """The station trial: at /planning/?month=2027-01, 周视图 opened the current week, and 月视图 there December."""
    desk = client_for("desk")
    later = (TODAY().replace(day=1) + dt.timedelta(days=40)).replace(day=1)  # never the current month
    links = _links(desk.get(f"/planning/?month={later:%Y-%m}").content)
    assert links["周视图"] == f"/planning/week/?date={later:%Y-%m-%d}"
    assert _links(desk.get(links["周视图"]).content)["月视图"] == f"/planning/?month={later:%Y-%m}"
    mine = _links(desk.get(f"/planning/?month={later:%Y-%m}&mine=1").content)
    assert mine["周视图"] == f"/planning/week/?date={later:%Y-%m-%d}&mine=1"
    # The current month, named or not, opens the current week.
    assert _links(desk.get(f"/planning/?month={TODAY():%Y-%m}").content)["周视图"] == "/planning/week/"
    assert _links(desk.get("/planning/?mine=1").content)["周视图"] == "/planning/week/?mine=1"


def test_calendar_conflicts_say_what_clashes(users, campaign, client_for):
    """A double booking clashes in the booked time window (档期), not at the deadline (交稿) the entry is shown on."""
    from lxml import html

    desk = actor(users["desk"])
    topic = plan_service.move_topic(
        desk, plan_service.propose_topic(desk, {"title": "巡山", "campaign": campaign}), TopicState.APPROVED
    )
    start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) + dt.timedelta(days=2)
    for hours, due_days in ((0, 3), (2, 12)):  # the second overlaps the first and is due after the key date
        plan_service.save_assignment(
            desk, {"topic": topic, "assignee": users["reporter"], "due_at": start + dt.timedelta(days=due_days - 2),
                   "starts_at": start + dt.timedelta(hours=hours), "ends_at": start + dt.timedelta(hours=hours + 4)},
        )  # fmt: skip
    late_day = (start + dt.timedelta(days=10)).date()
    page = client_for("desk").get(f"/planning/week/?date={late_day}").content
    listed = [" ".join(li.text_content().split()) for li in html.fromstring(page).xpath('//div[@role="alert"]//li')]
    assert [line.split("：")[0] for line in listed] == ["档期", "交稿"], listed
    assert "已有派单“巡山”" in listed[0] and "晚于宣传节点" in listed[1]


def test_booked_windows_are_drawn_on_their_days_and_a_double_booking_is_listed_once(users, client_for):
    """The station trial: 冲突 named “林悦 在 12-08 14:00 已有派单…” but 12-08 was empty (the booking window showed
    only on the topic page), and the clash was listed twice, once from each assignment."""
    from lxml import html

    desk = actor(users["desk"])
    day = TODAY() + dt.timedelta(days=3)

    def at(hour: int, days: int = 0) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=days), dt.time(hour)))

    def book(title: str, who, starts: dt.datetime, ends: dt.datetime) -> None:
        topic = plan_service.move_topic(desk, plan_service.propose_topic(desk, {"title": title}), TopicState.APPROVED)
        values = {"topic": topic, "assignee": who, "starts_at": starts, "ends_at": ends, "due_at": at(21)}
        plan_service.save_assignment(desk, values)

    book("茶园采访", users["reporter"], at(14), at(16))
    book("节目录制", users["reporter"], at(15), at(17))  # overlaps the first: one clash, seen from both sides
    book("夜间连线", users["desk"], at(22), at(1, days=1))  # past midnight: on both days, no clash
    label = f"{day.year}年{day.month}月{day.day}日"
    page = client_for("desk").get(f"/planning/week/?date={day}").content
    booked = [(text, cls) for text, cls in _calendar_days(page)[label] if "占用" in text]
    assert [text for text, _ in booked] == ["14:00—16:00 占用：茶园采访", "15:00—17:00 占用：节目录制",
                                            "22:00—01:00 占用：夜间连线 →" + f"{at(1, 1):%-m/%-d}"]  # fmt: skip
    assert all("ev-booking" in cls for _, cls in booked)
    assert ["ev-conflict" in cls for _, cls in booked] == [True, True, False]  # outlined where the clash is
    listed = [" ".join(li.text_content().split()) for li in html.fromstring(page).xpath('//div[@role="alert"]//li')]
    assert listed == [f"档期：茶园采访：{users['reporter']} 在 {at(15):%m-%d %H:%M} 已有派单“节目录制”。"], listed
    next_day = day + dt.timedelta(days=1)
    following = _calendar_days(client_for("desk").get(f"/planning/week/?date={next_day}").content)
    later = following[f"{next_day.year}年{next_day.month}月{next_day.day}日"]
    assert any(t.startswith("22:00—01:00 （续）占用：夜间连线") for t, _ in later)
    legend = html.fromstring(page).xpath('string(//p[contains(@class, "legend")])')
    assert "占用" in legend


# -- partner isolation ---------------------------------------------------------------------------------------


@pytest.fixture
def zone_records(users, partners):
    zone = partners["zone"]
    agreement = agreement_for(users, zone, TODAY() - dt.timedelta(days=10), TODAY() + dt.timedelta(days=300))
    commitment = commitment_for(users, agreement)
    meeting = partner_service.save_meeting(actor(users["desk"]), zone, {"title": "招商座谈", "held_at": timezone.now()})
    action = partner_service.save_action(
        actor(users["desk"]), zone, {"title": "送材料", "owner": users["desk"], "due_on": TODAY() + dt.timedelta(3)}
    )
    values = {"title": "博览会宣传", "description": "内容", "wanted_by": TODAY() + dt.timedelta(days=9)}
    request = request_service.submit_request(actor(users["liaison_zone"]), values)
    campaign = plan_service.save_campaign(actor(users["desk"]), {"title": "招商宣传", "partner": zone})
    event = plan_service.save_event(
        actor(users["desk"]), {"title": "博览会", "partner": zone, "starts_on": TODAY(), "ends_on": TODAY()}
    )
    return {"agreement": agreement, "commitment": commitment, "meeting": meeting, "action": action,
            "request": request, "campaign": campaign, "event": event}  # fmt: skip


def test_a_liaison_sees_nothing_of_another_partner(client, users, token_for, zone_records):
    r = zone_records
    pages = [
        "/partners/zone/", "/partners/", f"/commitments/{r['commitment'].pk}/", f"/agreements/{r['agreement'].pk}/scan",
        f"/requests/{r['request'].pk}/", "/planning/", "/planning/topics/", f"/planning/campaigns/{r['campaign'].pk}/",
        f"/planning/events/{r['event'].pk}/", "/planning/keydates/", "/planning/mine/",
    ]  # fmt: skip
    browser = client_with(users["liaison_em"])
    for page in pages:
        status = browser.get(page).status_code
        assert status in (302, 403, 404), page
        if status == 302:
            assert browser.get(page)["Location"] == "/portal/", page
    endpoints = [
        "/partners/zone", "/partners/zone/agreements", "/partners/zone/contacts", "/partners/zone/meetings",
        "/partners/zone/actions", f"/agreements/{r['agreement'].pk}", f"/agreements/{r['agreement'].pk}/commitments",
        f"/commitments/{r['commitment'].pk}/fulfilment", f"/requests/{r['request'].pk}",
        f"/campaigns/{r['campaign'].pk}", f"/events/{r['event'].pk}",
    ]  # fmt: skip
    token = token_for("liaison_em")
    for endpoint in endpoints:
        assert api(client, "get", endpoint, token).status_code == 404, endpoint
    # Lists of what a liaison's role never sees name no object: refused for the capability (docs/architecture.md).
    for endpoint in ("/topics", "/key-dates"):
        refused = api(client, "get", endpoint, token)
        assert (refused.status_code, refused.json()["errors"][0]["code"]) == (403, "forbidden"), endpoint
    writes = [
        ("post", f"/actions/{r['action'].pk}/state", {"state": "done"}),
        ("post", f"/requests/{r['request'].pk}/withdraw", None),
        ("delete", f"/meetings/{r['meeting'].pk}", None),
        ("post", "/partners/zone/agreements", {"title": "x", "starts_on": "2027-01-01", "ends_on": "2027-12-31"}),
    ]
    for method, endpoint, body in writes:
        assert api(client, method, endpoint, token, body).status_code in (403, 404), endpoint
    assert Meeting.objects.filter(pk=r["meeting"].pk).exists()
    assert [p["slug"] for p in api(client, "get", "/partners", token).json()] == ["em"]
    for endpoint in ("/requests", "/campaigns", "/events", "/assignments"):
        assert api(client, "get", endpoint, token).json() == [], endpoint
    portal = browser.get("/portal/?partner=zone").content.decode()
    assert "江西省应急管理厅" in portal and "博览会宣传" not in portal and "招商宣传" not in portal
    own = browser.get("/partners/zone/")
    assert own.status_code in (403, 404)
    zone_liaison = client_with(users["liaison_zone"])
    assert zone_liaison.get(f"/commitments/{r['commitment'].pk}/").status_code == 200
    assert "招商宣传" in zone_liaison.get("/portal/").content.decode()


def test_a_co_author_edits_a_story_linked_to_someone_elses_assignment(users, campaign):
    from tongpin.newsroom import stories as story_service

    topic = plan_service.move_topic(
        actor(users["desk"]),
        plan_service.propose_topic(actor(users["reporter"]), {"title": "联合采访", "campaign": campaign}),
        TopicState.APPROVED,
    )
    assignment, _conflicts = plan_service.save_assignment(
        actor(users["desk"]),
        {"topic": topic, "assignee": users["reporter"], "due_at": timezone.now() + dt.timedelta(days=2)},
    )
    story = story_service.create_story(
        actor(users["reporter"]),
        story_service.StoryInput.of(
            title="联合采访稿", assignment_id=assignment.pk, author_ids=[users["reporter"].pk, users["reporter2"].pk]
        ),
    )
    edited = story_service.update_story(
        actor(users["reporter2"]),
        story.pk,
        story_service.StoryInput.of(title="联合采访稿（改）", assignment_id=assignment.pk),
        story.version,
    )
    assert edited.title == "联合采访稿（改）" and edited.assignment_id == assignment.pk
    with pytest.raises(ValidationFailed):  # but moving it onto an assignment that is not theirs is refused
        other, _c = plan_service.save_assignment(
            actor(users["desk"]),
            {"topic": topic, "assignee": users["editor"], "due_at": timezone.now() + dt.timedelta(days=3)},
        )
        story_service.update_story(
            actor(users["reporter2"]), story.pk, story_service.StoryInput.of(assignment_id=other.pk), edited.version
        )


def test_the_dashboard_shows_my_assignments_action_items_and_key_dates_to_plan(users, partners, campaign, client_for):
    topic = plan_service.move_topic(
        actor(users["desk"]),
        plan_service.propose_topic(actor(users["reporter"]), {"title": "护林员专访", "campaign": campaign}),
        TopicState.APPROVED,
    )
    plan_service.save_assignment(
        actor(users["desk"]),
        {"topic": topic, "assignee": users["reporter"], "due_at": timezone.now() + dt.timedelta(days=1)},
    )
    partner_service.save_action(
        actor(users["desk"]), partners["em"], {"title": "报送宣传方案", "owner": users["reporter"], "due_on": TODAY()}
    )
    page = client_for("reporter").get("/").content.decode()
    assert "护林员专访" in page and "报送宣传方案" in page and "专项节点" in page  # its planning starts now
    other = client_for("reporter2").get("/").content.decode()
    assert "护林员专访" not in other and "报送宣传方案" not in other


def test_the_accept_form_says_what_its_campaign_choice_means(users, partners, campaign, client_for):
    """A user trial: the campaign select showed "---------" and was labelled like the accept button."""
    values = {"title": "防汛宣传", "description": "内容", "wanted_by": TODAY() + dt.timedelta(days=9)}
    request = request_service.submit_request(actor(users["liaison_em"]), values)
    body = client_for("desk").get(f"/requests/{request.pk}/").content.decode()
    accept = body[body.index('id="accept"'):body.index("</form>", body.index('id="accept"'))]
    assert '<option value="" selected>不归入任何策划（单独的选题）</option>' in accept and "---------" not in accept
    assert '<label for="id_campaign">所属策划' in accept and f">{campaign.title}</option>" in accept
    assert accept.count("纳入策划") == 2  # the heading and the button, no longer the select's label


def test_the_api_refuses_owners_who_may_not_be_given_work(client, users, partners, token_for):
    """Owners as assignees (partners.forms.staff_users): a 三员 administrator does no newsroom work (422
    not_assignable) and a liaison is not station staff (422 not_staff) — for a campaign, an event's task, a partner's
    station owners and a partner's to-do, created or changed through the API; station staff may own."""
    desk, chief = token_for("desk"), token_for("chief")
    today = dt.date.today()
    campaign = api(client, "post", "/campaigns", desk, {"title": "防汛宣传", "owner_id": users["reporter"].pk}).json()
    event = api(client, "post", "/events", desk, {"title": "开放日", "starts_on": str(today),
                                                   "ends_on": str(today + dt.timedelta(days=9))}).json()  # fmt: skip
    partner = api(client, "post", "/partners", chief, {"slug": "water", "name": "水利局"}).json()
    action = {"title": "回访", "due_on": str(today + dt.timedelta(days=3))}
    due = {"due_on": str(today)}
    made = api(client, "post", "/partners/em/actions", desk, {**action, "owner_id": users["editor"].pk})
    assert campaign["owner"] == "reporter" and partner["owners"] == [] and made.status_code == 201

    attempts = [
        ("post", "/campaigns", desk, lambda pk: {"title": "新策划", "owner_id": pk}, "owner"),
        ("patch", f"/campaigns/{campaign['id']}", desk, lambda pk: {"owner_id": pk}, "owner"),
        ("post", f"/events/{event['id']}/tasks", desk, lambda pk: {"title": "布展", "owner_id": pk, **due}, "owner"),
        ("post", "/partners", chief, lambda pk: {"slug": "forest", "name": "林业局", "owner_ids": [pk]}, "owners"),
        ("patch", "/partners/water", chief, lambda pk: {"owner_ids": [users["editor"].pk, pk]}, "owners"),
        ("post", "/partners/em/actions", desk, lambda pk: {**action, "owner_id": pk}, "owner"),
        ("patch", f"/actions/{made.json()['id']}", desk, lambda pk: {"owner_id": pk}, "owner"),
    ]
    for method, path, token, body, location in attempts:
        for name, code in (("admin", "not_assignable"), ("auditor", "not_assignable"), ("liaison_em", "not_staff")):
            refused = api(client, method, path, token, body(users[name].pk))
            assert refused.status_code == 422, (path, name, refused.content)
            errors = refused.json()["errors"]
            assert [(e["code"], e["location"]) for e in errors] == [(code, location)], (path, name)
    assert api(client, "get", f"/campaigns/{campaign['id']}", desk).json()["owner"] == "reporter"
    assert api(client, "get", "/partners/water", chief).json()["owners"] == []
    assert not Partner.objects.filter(slug="forest").exists()
    assert api(client, "get", "/partners/em/actions", desk).json()[0]["owner"] == "editor"
    fine = api(client, "patch", f"/campaigns/{campaign['id']}", desk, {"owner_id": users["duty"].pk})
    assert fine.status_code == 200 and fine.json()["owner"] == "duty"


def test_a_new_request_page_submits_and_says_so(users, partners, client_for):
    liaison = client_for("liaison_em")
    form = liaison.get("/requests/new/").content.decode()
    assert ">提交</button>" in form and ">保存</button>" not in form
    filed = {"title": "防汛知识进社区", "description": "社区宣传", "wanted_by": "2026-12-30", "channels": ["tv"]}
    done = liaison.post("/requests/new/", filed, follow=True)
    page = done.content.decode()
    assert done.status_code == 200 and "已提交，电视台处理后会通知您。" in page and "已保存。" not in page
    assert PublicityRequest.objects.get(title="防汛知识进社区").state == RequestState.SUBMITTED


def test_what_a_system_administrator_creates_has_no_owner_and_staff_own_what_they_create(client, users, token_for):
    """A campaign or event created without an owner belongs to its creator — unless the creator is a 三员
    administrator, who may plan but is given no work (roles.work_refusal): then it has no owner."""
    today = str(dt.date.today())
    event = {"title": "开放日", "starts_on": today, "ends_on": today}
    for token, owner in ((token_for("admin"), None), (token_for("desk"), "desk")):
        campaign = api(client, "post", "/campaigns", token, {"title": "防汛宣传"})
        made = api(client, "post", "/events", token, event)
        assert (campaign.status_code, made.status_code) == (201, 201), (campaign.content, made.content)
        assert campaign.json()["owner"] == owner
        assert Event.objects.get(pk=made.json()["id"]).owner == (users[owner] if owner else None)
