"""Planning pages: publicity requests, the month/week calendar, the topic board, my assignments, campaigns,
key dates, events, and the iCalendar feeds. Thin: forms type-check, services decide."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from tongpin.core import roles
from tongpin.core.access import page_needs
from tongpin.core.audit import actor_from_request, record_download
from tongpin.core.errors import DomainError
from tongpin.core.forms import edit_page, form_page
from tongpin.core.pages import act, act_or_stay, add_form, attempt
from tongpin.core.weblinks import local_next
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
from .models import Assignment, Campaign, Event, KeyDate, TopicState


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

    return form_page(
        request,
        form,
        save,
        lambda saved: reverse("request-detail", args=[saved.pk]),
        context={"title": _("提交宣传需求"), "back": reverse("request-list")},
    )


@login_required
def request_detail(request, request_id: int):
    return _request_page(request, request_service.get_request(request.user, request_id))


def _request_page(request, req, refused: AcceptForm | DeclineForm | None = None):
    """The request; a decision the services refused is shown again as typed, with why, in place of its fresh form
    (even when the request was decided meanwhile: the person keeps what they wrote)."""
    can_handle = roles.can(request.user, roles.REQUEST_HANDLE) and req.state == RequestState.SUBMITTED
    decisions = {"accept_form": AcceptForm(partner=req.partner), "decline_form": DeclineForm()} if can_handle else {}
    if refused is not None:
        decisions["accept_form" if isinstance(refused, AcceptForm) else "decline_form"] = refused
    return render(
        request,
        "planning/request_detail.html",
        {
            "req": req,
            "progress": request_service.progress(req, request.user),
            **decisions,
            "can_withdraw": req.submitted_by_id == request.user.pk and req.state == RequestState.SUBMITTED,
            "staff": roles.can(request.user, roles.PLAN_VIEW),
        },
    )


@login_required
@require_POST
def request_decide(request, request_id: int, decision: str):
    req = request_service.get_request(request.user, request_id)
    if decision == "accept":
        form = AcceptForm(request.POST, partner=req.partner)
        if not form.is_valid():  # e.g. a campaign archived or gone since the page was loaded: not dropped silently
            return _request_page(request, req, form)
        campaign, note = form.cleaned_data["campaign"], form.cleaned_data["note"]
        accept = lambda actor: request_service.accept_request(actor, req.pk, campaign, note)  # noqa: E731
        accepted = attempt(request, accept, form=form)
        if not accepted.ok:
            return _request_page(request, req, form)
        _req, topic = accepted.value
        messages.success(request, _("已纳入策划，生成选题“%(t)s”，可以派单了。") % {"t": topic.title})
        return redirect("topic-detail", topic_id=topic.pk)
    if decision == "decline":
        form = DeclineForm(request.POST)  # a blank reason is refused by the form, in the services' words
        decline = lambda actor: request_service.decline_request(actor, req.pk, form.cleaned_data["reason"])  # noqa: E731
        done = form.is_valid() and act_or_stay(request, decline, "request-detail", request_id=req.pk,
                                               success=_("已回复未采纳。"), form=form)  # fmt: skip
        return done or _request_page(request, req, form)
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
    record_download(actor_from_request(request), attachment, attachment.original_name, request=req.pk)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name)


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


@page_needs(roles.PLAN_VIEW)
def calendar_view(request, mode: str = "month"):
    mine = request.GET.get("mine") == "1"
    if mode == "week":
        days = calendar.week_days(_day(request.GET.get("date")))
        weeks = [days]
        first, last = days[0], days[-1]
        previous, following = first - dt.timedelta(days=7), first + dt.timedelta(days=7)
        month = first.replace(day=1)
    else:
        month = _month(request.GET.get("month"))
        weeks = calendar.month_weeks(month.year, month.month)
        first, last = weeks[0][0], weeks[-1][-1]
        previous = (month - dt.timedelta(days=1)).replace(day=1)
        following = (month + dt.timedelta(days=32)).replace(day=1)
    rows = calendar.entries(request.user, first, last, person=request.user if mine else None)
    grid = [[(day, [e for e in rows if _shown(e, day, first)]) for day in week] for week in weeks]
    return render(
        request,
        "planning/calendar.html",
        {
            "mode": mode,
            "grid": grid,
            "month": month,
            "previous": previous,
            "following": following,
            "today": timezone.localdate(),
            "mine": mine,
            "conflicts": [e for e in rows if e.conflicts],
            "ical_url": _ical_url(request.user, "person"),
        },
    )


def _shown(entry: calendar.Entry, day: dt.date, first: dt.date) -> bool:
    """Multi-day entries (a season, a campaign) show where they start and at the start of each week row."""
    if not entry.on(day):
        return False
    return entry.starts_on == entry.ends_on or day in (entry.starts_on, first) or day.weekday() == 0


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
    if found is None:
        raise Http404
    user, feed = found
    today = timezone.localdate()
    first, last = today - dt.timedelta(days=60), today + dt.timedelta(days=365)
    if feed == "person":
        if not roles.can(user, roles.PLAN_VIEW):
            raise Http404
        name = _("同频 · %(u)s 的工作") % {"u": user}
        rows = calendar.entries(user, first, last, person=user)
    elif feed.startswith("campaign:"):
        try:
            campaign = services.get_campaign(user, int(feed.split(":", 1)[1]))
        except (DomainError, ValueError) as error:
            raise Http404 from error
        name = _("同频 · %(t)s") % {"t": campaign.title}
        rows = calendar.entries(user, first, last, campaign=campaign)
    else:
        raise Http404
    body = ical.render(name, rows, settings.TONGPIN_BASE_URL)
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
    return form_page(
        request,
        TopicForm(request.POST or None, initial=initial),
        lambda values: services.propose_topic(actor, values),
        lambda saved: reverse("topic-detail", args=[saved.pk]),
        context={"title": _("提出选题"), "back": reverse("topic-board")},
    )


@page_needs(roles.PLAN_VIEW)
def topic_detail(request, topic_id: int):
    topic = services.get_topic(request.user, topic_id)
    can_assign = roles.can(request.user, roles.PLAN_MANAGE) and topic.state in (
        TopicState.APPROVED,
        TopicState.IN_PROGRESS,
    )
    form = AssignmentForm(request.POST or None, initial={"channels": topic.channels}) if can_assign else None
    if request.method == "POST" and form is not None and form.is_valid():
        values = {**form.cleaned_data, "topic": topic}
        saved = attempt(request, lambda actor: services.save_assignment(actor, values), form=form)
        if saved.ok:
            assignment, conflicts = saved.value
            messages.success(request, _("已派单给 %(u)s。") % {"u": assignment.assignee})
            for conflict in conflicts:
                messages.warning(request, conflict.message)
            return redirect("topic-detail", topic_id=topic.pk)
    assignments = [(a, services.assignment_conflicts(a)) for a in topic.assignments.select_related("assignee")]
    moves = [
        (state, TopicState(state).label)
        for state, capability in services.TOPIC_MOVES.get(topic.state, {}).items()
        if roles.can(request.user, capability)
    ]
    return render(
        request,
        "planning/topic_detail.html",
        {"topic": topic, "form": form, "assignments": assignments, "moves": moves, "stories": topic.stories.all()},
    )


@login_required
@require_POST
def topic_move(request, topic_id: int):
    topic = services.get_topic(request.user, topic_id)
    state, note = request.POST.get("state", ""), request.POST.get("note", "")
    return act(
        request, lambda actor: services.move_topic(actor, topic, state, note),
        local_next(request, request.POST.get("next"), reverse("topic-detail", args=[topic.pk])),
    )  # fmt: skip


@page_needs(roles.PLAN_VIEW)
def my_assignments(request):
    rows = (
        Assignment.objects.filter(assignee=request.user)
        .select_related("topic__campaign__key_date", "topic__partner")
        .prefetch_related("stories")
        .order_by("state", "due_at")
    )
    show_all = request.GET.get("all") == "1"
    if not show_all:
        rows = rows.filter(state__in=services.LIVE_ASSIGNMENTS)
    return render(
        request,
        "planning/my_assignments.html",
        {
            "assignments": [(a, services.assignment_conflicts(a)) for a in rows[:200]],
            "show_all": show_all,
            "now": timezone.now(),
            "ical_url": _ical_url(request.user, "person"),
        },
    )


@login_required
@require_POST
def assignment_state(request, assignment_id: int):
    assignment = services.get_assignment(request.user, assignment_id)
    return act(
        request, lambda actor: services.set_assignment_state(actor, assignment, request.POST.get("state", "")),
        local_next(request, request.POST.get("next"), reverse("my-assignments")),
    )  # fmt: skip


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
    done = lambda saved: reverse("campaign-detail", args=[saved.pk])  # noqa: E731
    titles = (_("新建策划"), _("修改策划"))
    return edit_page(request, Campaign, campaign_id, CampaignForm, services.save_campaign, done, titles,
                     reverse("campaign-list"), services.get_campaign, initial)  # fmt: skip


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
    rows = [(k, keydates.next_occurrence(k, today)) for k in KeyDate.objects.select_related("partner")]
    rows.sort(key=lambda row: (row[1] is None, row[1].starts_on if row[1] else today))
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
    done = lambda saved: reverse("event-detail", args=[saved.pk])  # noqa: E731
    titles, initial = (_("新建活动"), _("修改活动")), {"campaign": request.GET.get("campaign")}
    return edit_page(request, Event, event_id, EventForm, services.save_event, done, titles,
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
