"""A live session against its anchor's planning assignments: a host booked by an assignment in the session's slot
is a conflict shown on the session page and in the calendar's 冲突 box — shown, never refused, as planning does
with double bookings (the station trial booked 林悦 12-07 15:00–16:00 over three assignments 14:00–17:00)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tongpin.core.roles import Role
from tongpin.live import services
from tongpin.live.models import ProductDocument, SessionHost
from tongpin.partners.models import Partner
from tongpin.planning import services as plan_service
from tongpin.planning.models import AssignmentState, TopicState

from .conftest import actor, make_user


def _at(hour: int, days: int = 3) -> dt.datetime:
    return timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0) + dt.timedelta(days=days)


@pytest.fixture
def lin_yue(users):
    """林悦 on the roster with her login, and a tea enterprise's product with its papers in date."""
    desk = actor(users["desk"])
    login = make_user("anchor", Role.ANCHOR)
    anchor = services.save_anchor(desk, {"name": "林悦", "birth_date": dt.date(1995, 1, 1), "user": login})
    tea_co = Partner.objects.create(slug="tea", name="红旗茶业", kind=Partner.Kind.ENTERPRISE)
    tea = services.save_product(desk, {"partner": tea_co, "name": "英德红茶", "price": Decimal("168")})
    ProductDocument.objects.create(product=tea, kind="inspection", expires_on=timezone.localdate() + dt.timedelta(90))
    return {"anchor": anchor, "login": login, "enterprise": tea_co, "tea": tea}


def _book(users, login, title: str, starts: int, ends: int) -> object:
    desk = actor(users["desk"])
    topic = plan_service.move_topic(
        desk, plan_service.propose_topic(actor(users["reporter"]), {"title": title}), TopicState.APPROVED
    )
    values = {"topic": topic, "assignee": login, "starts_at": _at(starts), "ends_at": _at(ends), "due_at": _at(23)}
    return plan_service.save_assignment(desk, values)[0]


def _session(users, lin_yue):
    values = {"title": "红茶专场", "partner": lin_yue["enterprise"], "platform": "douyin", "account": "@清远台",
              "starts_at": _at(15), "ends_at": _at(16)}  # fmt: skip
    hosts = [(lin_yue["anchor"], SessionHost.Role.HOST)]
    return services.save_session(actor(users["desk"]), values, hosts, [{"product": lin_yue["tea"], "minutes": 10}])


def test_assignments_booking_the_host_in_the_slot_are_conflicts_on_the_session_and_the_calendar(
    users, lin_yue, client_for
):
    for title in ("茶园采访", "节目录制", "宣传片拍摄"):
        _book(users, lin_yue["login"], title, 14, 17)
    _book(users, lin_yue["login"], "晚间连线", 16, 18)  # starts as the session ends: no clash
    cancelled = _book(users, lin_yue["login"], "已取消的拍摄", 15, 16)
    cancelled.state = AssignmentState.CANCELLED
    cancelled.save()
    _book(users, users["reporter"], "别人的采访", 15, 16)  # someone else

    session = _session(users, lin_yue)  # shown, not refused
    clashes = services.assignment_clashes([session])[session.pk]
    when = _at(14).strftime("%m-%d %H:%M")
    assert clashes == [f"主播 林悦 在 {when}—17:00 已有派单“{t}”。" for t in ("茶园采访", "节目录制", "宣传片拍摄")]

    desk = client_for("desk")
    page = desk.get(f"/live/sessions/{session.pk}/").content.decode()
    assert 'id="clashes"' in page and all(c in page for c in clashes) and "晚间连线" not in page
    day = timezone.localtime(session.starts_at).date()
    calendar = desk.get(f"/planning/week/?date={day}").content.decode()
    box = calendar.split('<div class="errors" role="alert"><strong>冲突</strong>')[1].split("</div>")[0]
    assert all(c in box for c in clashes) and "直播：红茶专场" in box


def test_a_session_clear_of_assignments_shows_no_conflict(users, lin_yue, client_for):
    _book(users, lin_yue["login"], "上午采访", 9, 12)
    session = _session(users, lin_yue)
    assert services.assignment_clashes([session]) == {}
    assert 'id="clashes"' not in client_for("desk").get(f"/live/sessions/{session.pk}/").content.decode()


def test_an_assignment_saved_over_a_session_its_assignee_hosts_shows_the_clash(users, lin_yue, client_for, client,
                                                                              token_for):  # fmt: skip
    """The other way round: the desk books 林悦 for a shoot over her live session — planning now says so where the
    assignment is saved and listed (page and API), and the calendar still lists the clash once."""
    session = _session(users, lin_yue)  # 15:00–16:00
    assignment, conflicts = _book_with_conflicts(users, lin_yue["login"], "茶园采访", 14, 17)
    expected = f"林悦 在 {_at(15):%m-%d %H:%M}—16:00 主持直播“红茶专场”。"
    assert [(c.code, c.message) for c in conflicts] == [("live_booked", expected)]
    assert _book_with_conflicts(users, users["reporter"], "别人的采访", 15, 16)[1] == []  # not a host
    assert _book_with_conflicts(users, lin_yue["login"], "晚间连线", 17, 19)[1] == []  # after the session
    page = client_for("desk").get(f"/planning/topics/{assignment.topic_id}/").content.decode()
    assert expected in page
    answer = client.get(f"/api/v1/assignments/{assignment.pk}", HTTP_AUTHORIZATION=f"Bearer {token_for('desk')}")
    assert {"code": "live_booked", "message": expected} in [
        {k: c[k] for k in ("code", "message")} for c in answer.json()["conflicts"]
    ]
    day = timezone.localtime(session.starts_at).date()
    calendar = client_for("desk").get(f"/planning/week/?date={day}").content.decode()
    box = calendar.split('<div class="errors" role="alert"><strong>冲突</strong>')[1].split("</div>")[0]
    assert box.count("茶园采访") == 1  # from the session's side only, not again from the assignment's
    session.status = "cancelled"
    session.save()
    assert plan_service.assignment_conflicts(assignment) == []  # a cancelled session books nobody


def _book_with_conflicts(users, login, title: str, starts: int, ends: int):
    desk = actor(users["desk"])
    topic = plan_service.move_topic(
        desk, plan_service.propose_topic(actor(users["reporter"]), {"title": title}), TopicState.APPROVED
    )
    values = {"topic": topic, "assignee": login, "starts_at": _at(starts), "ends_at": _at(ends), "due_at": _at(23)}
    return plan_service.save_assignment(desk, values)
