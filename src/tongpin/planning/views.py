"""Planning pages: publicity requests, the month/week calendar, the topic board, my assignments, campaigns,
key dates, events, and the iCalendar feeds. Thin: forms type-check, services decide."""

import datetime as dt
from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from tongpin.core import roles
from tongpin.core.access import page_needs
from tongpin.core.audit import actor_from_request
from tongpin.core.forms import edit_page, form_page
from tongpin.core.pages import act, act_back, add_form, download, page_of, submit_form
from tongpin.partners.models import RequestState
from tongpin.partners.scope import partner_scope

from . import calendar, ical, keydates, services
from . import requests as request_service
from .forms import (
    AcceptForm,
    AssignmentForm,
    CampaignForm,
    DeclineForm,
    EventForm,
    KeyDateForm,
    RequestForm,
    TaskForm,
    TopicForm,
)
from .models import Campaign, Event, KeyDate, TopicState


def _ical_url(user, feed: str) -> str:
    return reverse("ical-feed", args=[ical.feed_token(user, feed)])


# -- publicity requests --------------------------------------------------------------------------------------


@page_needs(roles.PARTNER_VIEW)
def request_list(request):
    rows = request_service.requests_for(request.user)
    state = request.GET.get("state", "")
    if state in RequestState.values:
        rows = rows.filter(state=state)
    return render(
        request,
        "planning/request_list.html",
        {
            "requests": rows[:200],
            "state": state,
            "states": RequestState.choices,
            "can_submit": roles.can(request.user, roles.REQUEST_SUBMIT),
        },
    )


@page_needs(roles.REQUEST_SUBMIT)
def request_new(request):
    staff = partner_scope(request.user).everything
    form = RequestForm(request.POST or None, request.FILES or None, staff=staff)
    actor = actor_from_request(request)

    def save(values):
        uploads = values.pop("attachments", [])
        partner = values.pop("partner", None)
        return request_service.submit_request(actor, values, uploads, partner)

    # A request has no draft state: saving it submits it, so the button and the message say so.
    return form_page(request, form, save, page_of("request-detail"),
                     context={"title": _("提交宣传需求"), "back": reverse("request-list"), "submit": _("提交")},
                     success=_("已提交，电视台处理后会通知您。"))  # fmt: skip


@login_required
def request_detail(request, request_id: int):
    return _request_page(request, request_service.get_request(request.user, request_id))


def _request_page(request, req, refused: AcceptForm | DeclineForm | None = None):
    """The request; a decision the services refused is shown again as typed, with why, in place of its fresh form
    (even when the request was decided meanwhile: the person keeps what they wrote)."""
    can_decide = request_service.may_decide(request.user, req)
    decisions = {"accept_form": AcceptForm(partner=req.partner), "decline_form": DeclineForm()} if can_decide else {}
    if refused is not None:
        decisions["accept_form" if isinstance(refused, AcceptForm) else "decline_form"] = refused
    return render(
        request,
        "planning/request_detail.html",
        {
            "req": req,
            "progress": request_service.progress(req, request.user),
            **decisions,
            "can_withdraw": request_service.may_withdraw(request.user, req),
            "staff": roles.can(request.user, roles.PLAN_VIEW),
        },
    )


@login_required
@require_POST
def request_decide(request, request_id: int, decision: str):
    req = request_service.get_request(request.user, request_id)
    if decision == "accept":
        # An invalid form (e.g. a campaign archived or gone since the page was loaded) is shown, not dropped silently.
        form = AcceptForm(request.POST, partner=req.partner)
        accept = lambda actor, v: request_service.accept_request(actor, req.pk, v["campaign"], v["note"])  # noqa: E731
        accepted = submit_form(request, form, accept)
        if not accepted.ok:
            return _request_page(request, req, form)
        _req, topic = accepted.value
        messages.success(request, _("已纳入策划，生成选题“%(t)s”，可以派单了。") % {"t": topic.title})
        return redirect("topic-detail", topic_id=topic.pk)
    if decision == "decline":
        form = DeclineForm(request.POST)  # a blank reason is refused by the form, in the services' words
        decline = lambda actor, v: request_service.decline_request(actor, req.pk, v["reason"])  # noqa: E731
        if submit_form(request, form, decline, _("已回复未采纳。")).ok:
            return redirect("request-detail", request_id=req.pk)
        return _request_page(request, req, form)
    if decision == "withdraw":
        return act(request, lambda actor: request_service.withdraw_request(actor, req.pk), "request-detail",
                   request_id=req.pk, success=_("已撤回。"))  # fmt: skip
    raise Http404


@login_required
def request_attachment(request, request_id: int, attachment_id: int):
    req = request_service.get_request(request.user, request_id)
    attachment = req.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    return download(request, attachment, attachment.file, attachment.original_name, request=req.pk)


# -- calendar ------------------------------------------------------------------------------------------------


def _month(value: str) -> dt.date:
    try:
        return dt.datetime.strptime(value, "%Y-%m").date()
    except (TypeError, ValueError):
        return timezone.localdate().replace(day=1)


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return timezone.localdate()


def _order(entry: calendar.Entry) -> tuple:
    return entry.starts_on, entry.at or dt.datetime.min.replace(tzinfo=dt.UTC), entry.kind, entry.title


def _week_from(month: dt.date) -> dt.date | None:
    """The day 周视图 opens from a month page: that month's first week when another month is looked at (a planner
    paging to January expects January's week, not today's), else none, meaning the current week."""
    return None if month == timezone.localdate().replace(day=1) else month


@page_needs(roles.PLAN_VIEW)
def calendar_view(request, mode: str = "month"):
    mine = request.GET.get("mine") == "1"
    if mode == "week":
        span = calendar.week_span(_day(request.GET.get("date")))
    else:
        span = calendar.month_span(_month(request.GET.get("month")))
    person = request.user if mine else None
    rows = sorted(calendar.entries(request.user, span.first, span.last, person=person), key=_order)
    return render(
        request,
        "planning/calendar.html",
        {
            "mode": mode,
            "grid": span.grid(rows),
            "throughout": span.throughout(rows),
            "month": span.month,
            "previous": span.previous,
            "following": span.following,
            "today": timezone.localdate(),
            "week_from": _week_from(span.month) if mode != "week" else None,
            "mine": mine,
            "conflicts": calendar.clash_list(rows),
            "ical_url": _ical_url(request.user, "person"),
        },
    )


@login_required
@require_POST
def ical_rotate(request):
    """A new secret address for the signed-in person; every address they had before stops working."""
    ical.rotate(actor_from_request(request))
    messages.success(request, _("已生成新的订阅地址，旧地址已失效。"))
    return redirect("my-assignments" if request.POST.get("back") == "mine" else "planning-calendar")


@never_cache
def ical_feed(request, token: str):
    """No session: the signed token is the credential (calendar apps cannot sign in)."""
    found = ical.read_token(token)
    shown = ical.feed(*found, timezone.localdate()) if found else None
    if shown is None:
        raise Http404
    # A calendar app opens the links outside the site: absolute, from the configured address or else this request's.
    body = ical.render(*shown, settings.TONGPIN_BASE_URL or request.build_absolute_uri("/"))
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")


# -- topics and assignments ----------------------------------------------------------------------------------

BOARD = [TopicState.PROPOSED, TopicState.APPROVED, TopicState.IN_PROGRESS, TopicState.DONE]


@page_needs(roles.PLAN_VIEW)
def topic_board(request):
    topics = services.topics_for(request.user).select_related("campaign", "partner", "proposed_by")
    campaign = request.GET.get("campaign", "")
    if campaign.isdigit():
        topics = topics.filter(campaign_id=int(campaign))
    topics = topics.prefetch_related("assignments__assignee")
    columns = [(state, TopicState(state).label, [t for t in topics if t.state == state]) for state in BOARD]
    return render(
        request,
        "planning/topic_board.html",
        {
            "columns": columns,
            "rejected": [t for t in topics if t.state == TopicState.REJECTED][:20],
            "can_approve": roles.can(request.user, roles.TOPIC_APPROVE),
            "can_propose": roles.can(request.user, roles.TOPIC_PROPOSE),
        },
    )


@page_needs(roles.TOPIC_PROPOSE)
def topic_new(request):
    actor = actor_from_request(request)
    initial = {"campaign": request.GET.get("campaign")}
    return form_page(request, TopicForm(request.POST or None, initial=initial),
                     lambda values: services.propose_topic(actor, values), page_of("topic-detail"),
                     context={"title": _("提出选题"), "back": reverse("topic-board")})  # fmt: skip


@page_needs(roles.PLAN_VIEW)
def topic_detail(request, topic_id: int):
    topic = services.get_topic(request.user, topic_id)
    form = add_form(request, partial(AssignmentForm, initial={"channels": topic.channels}),
                    services.may_assign(request.user, topic), _assign(request, topic), "topic-detail",
                    topic_id=topic.pk)  # fmt: skip
    if isinstance(form, HttpResponseRedirect):
        return form
    rows = list(topic.assignments.select_related("assignee"))
    assignments = list(zip(rows, services.conflicts_of(rows), strict=True))  # bookings read once, not per row
    moves = services.topic_moves(request.user, topic)
    return render(
        request,
        "planning/topic_detail.html",
        {"topic": topic, "form": form, "assignments": assignments, "moves": moves, "stories": topic.stories.all()},
    )


def _assign(request, topic):
    """The topic page's save: a new assignment, then whom it went to and what it clashes with (the services warn
    of clashes, they do not refuse)."""

    def save(actor, values: dict) -> None:
        assignment, conflicts = services.save_assignment(actor, {**values, "topic": topic})
        messages.success(request, _("已派单给 %(u)s。") % {"u": assignment.assignee})
        for conflict in conflicts:
            messages.warning(request, conflict.message)

    return save


@login_required
@require_POST
def topic_move(request, topic_id: int):
    topic = services.get_topic(request.user, topic_id)
    state, note = request.POST.get("state", ""), request.POST.get("note", "")
    return act_back(request, lambda actor: services.move_topic(actor, topic, state, note),
                    reverse("topic-detail", args=[topic.pk]))  # fmt: skip


@page_needs(roles.PLAN_VIEW)
def my_assignments(request):
    show_all = request.GET.get("all") == "1"
    rows = list(services.own_assignments(request.user, show_all)[:200])
    return render(
        request,
        "planning/my_assignments.html",
        {
            "assignments": list(zip(rows, services.conflicts_of(rows), strict=True)),
            "show_all": show_all,
            "now": timezone.now(),
            "ical_url": _ical_url(request.user, "person"),
        },
    )


@login_required
@require_POST
def assignment_state(request, assignment_id: int):
    assignment = services.get_assignment(request.user, assignment_id)
    state = request.POST.get("state", "")
    return act_back(request, lambda actor: services.set_assignment_state(actor, assignment, state),
                    reverse("my-assignments"))  # fmt: skip


# -- campaigns, key dates, events ----------------------------------------------------------------------------


@page_needs(roles.PLAN_VIEW)
def campaign_list(request):
    campaigns = services.campaigns_for(request.user).select_related("partner", "key_date", "owner")
    if request.GET.get("archived") != "1":
        campaigns = campaigns.exclude(state="archived")
    return render(
        request,
        "planning/campaign_list.html",
        {"campaigns": campaigns, "can_manage": roles.can(request.user, roles.PLAN_MANAGE)},
    )


@page_needs(roles.PLAN_MANAGE)
def campaign_edit(request, campaign_id: int | None = None):
    initial = {"key_date": request.GET.get("key_date"), "commitment": request.GET.get("commitment")}
    titles = (_("新建策划"), _("修改策划"))
    return edit_page(request, Campaign, campaign_id, CampaignForm, services.save_campaign, page_of("campaign-detail"),
                     titles, reverse("campaign-list"), services.get_campaign, initial)  # fmt: skip


@page_needs(roles.PLAN_VIEW)
def campaign_detail(request, campaign_id: int):
    campaign = services.get_campaign(request.user, campaign_id)
    occurrence = keydates.next_occurrence(campaign.key_date, timezone.localdate()) if campaign.key_date_id else None
    return render(
        request,
        "planning/campaign_detail.html",
        {
            "campaign": campaign,
            "occurrence": occurrence,
            "topics": campaign.topics.prefetch_related("assignments__assignee"),
            "events": campaign.events.all(),
            "can_manage": roles.can(request.user, roles.PLAN_MANAGE),
            "ical_url": _ical_url(request.user, f"campaign:{campaign.pk}"),
        },
    )


@page_needs(roles.PLAN_VIEW)
def keydate_list(request):
    today = timezone.localdate()
    rows = keydates.by_next_occurrence(KeyDate.objects.select_related("partner"), today)
    return render(
        request,
        "planning/keydate_list.html",
        {"rows": rows, "today": today, "can_manage": roles.can(request.user, roles.PLAN_MANAGE)},
    )


@page_needs(roles.PLAN_MANAGE)
def keydate_edit(request, key_date_id: int | None = None):
    back = reverse("keydate-list")
    return edit_page(request, KeyDate, key_date_id, KeyDateForm, services.save_key_date, lambda saved: back,
                     (_("新增宣传节点"), _("修改宣传节点")), back, services.get_key_date)  # fmt: skip


@page_needs(roles.PLAN_MANAGE)
def event_edit(request, event_id: int | None = None):
    titles, initial = (_("新建活动"), _("修改活动")), {"campaign": request.GET.get("campaign")}
    return edit_page(request, Event, event_id, EventForm, services.save_event, page_of("event-detail"), titles,
                     reverse("campaign-list"), services.get_event, initial)  # fmt: skip


@page_needs(roles.PLAN_VIEW)
def event_detail(request, event_id: int):
    event = services.get_event(request.user, event_id)
    can_manage = roles.can(request.user, roles.PLAN_MANAGE)
    add = lambda actor, values: services.save_task(actor, event, values)  # noqa: E731
    form = add_form(request, TaskForm, can_manage, add, "event-detail", event_id=event.pk, success=_("已添加。"))
    if isinstance(form, HttpResponseRedirect):
        return form
    return render(
        request,
        "planning/event_detail.html",
        {"event": event, "tasks": event.tasks.select_related("owner"), "form": form, "can_manage": can_manage},
    )


@login_required
@require_POST
def task_toggle(request, task_id: int):
    task = services.get_task(request.user, task_id)
    return act(request, lambda actor: services.toggle_task(actor, task), "event-detail", event_id=task.event_id)
