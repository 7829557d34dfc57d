"""Web pages: channels, a publication's renditions side by side, the delivery log, feeds and the journal."""

from __future__ import annotations

import hmac
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tongpin.core import roles
from tongpin.core.access import page_needs
from tongpin.core.audit import actor_from_request
from tongpin.core.errors import FieldError
from tongpin.core.ids import clean_id
from tongpin.core.pages import act, act_or_stay, attempt, download, post_only, row_or_404, whole_number
from tongpin.core.roles import CHANNEL_MANAGE, DELIVERY_OPERATE, DELIVERY_VIEW, PUBLISH, RENDITION_EDIT, can
from tongpin.partners.models import Partner

from . import channels_admin, journal, reach, services
from .feeds import build_feed, ninjs
from .kinds import ChannelKind
from .listing import DeliveryFilters, list_deliveries
from .models import (
    Channel,
    Delivery,
    DeliveryAction,
    DeliveryState,
    JournalIssue,
    Publication,
    PublicationState,
    Rendition,
)
from .plugins import FORMATTERS, TRANSMITTERS, formatter_for
from .secrets import reveal_one
from .sources import rules_for

# --- channels ---


@page_needs(PUBLISH, DELIVERY_VIEW)
def channel_list(request):
    channels = Channel.objects.select_related("partner")
    return render(
        request,
        "publishing/channel_list.html",
        {
            "channels": channels,
            "can_manage": can(request.user, CHANNEL_MANAGE),
            "transmitter_labels": {name: t.label for name, t in TRANSMITTERS.items()},
        },
    )


def _channel_input(request, kind: str, transmitter: str, /, **fields) -> channels_admin.ChannelInput:
    """What the channel form posted: its name, test flag and the settings `kind` and `transmitter` declare (a
    tick box is its presence), with `fields` (what only the new or only the detail page sends; a new channel's
    kind and transmitter too, hence the positional-only parameters)."""
    settings = {
        spec.name: f"s_{spec.name}" in request.POST if spec.kind == "bool" else request.POST.get(f"s_{spec.name}", "")
        for spec in channels_admin.declared_settings(kind, transmitter)
    }
    return channels_admin.ChannelInput(name=request.POST.get("name", ""), settings=settings,
                                       for_tests="for_tests" in request.POST, **fields)  # fmt: skip


def _setting_rows(kind: str, transmitter: str, current: dict) -> list[dict]:
    rows = []
    for spec in channels_admin.declared_settings(kind, transmitter):
        value = current.get(spec.name, spec.default if spec.default is not None else "")
        words = dict(spec.choice_labels)
        choices = [(c, words.get(c, c)) for c in spec.choices]
        rows.append({"spec": spec, "value": "" if spec.secret else value, "is_set": bool(current.get(spec.name)),
                     "choices": choices})  # fmt: skip
    return rows


@page_needs(CHANNEL_MANAGE)
def channel_new(request):
    source = request.POST if request.method == "POST" else request.GET
    kind = source.get("kind") if source.get("kind") in FORMATTERS else "web"
    transmitter = source.get("transmitter") if source.get("transmitter") in TRANSMITTERS else "feed"
    if request.method == "POST" and "save" in request.POST:
        data = _channel_input(request, kind, transmitter, slug=request.POST.get("slug", ""), kind=kind,
                              transmitter=transmitter, partner=request.POST.get("partner") or None)  # fmt: skip
        created = attempt(request, lambda actor: channels_admin.create_channel(actor, data), _("渠道已创建。"))
        if created.ok:
            return redirect("channel-detail", channel_id=created.value.pk)
    return render(
        request,
        "publishing/channel_form.html",
        {
            "channel": None,
            "kind": kind,
            "transmitter": transmitter,
            "kinds": [(k, ChannelKind(k).label) for k in FORMATTERS],
            "transmitters": [(n, t.label) for n, t in TRANSMITTERS.items()],
            "setting_rows": _setting_rows(kind, transmitter, {}),
            "partners": Partner.objects.all(),
            "posted": request.POST if request.method == "POST" else {},
        },
    )


@page_needs(PUBLISH, DELIVERY_VIEW)
def channel_detail(request, channel_id: int):
    channel = channels_admin.get_channel(channel_id)
    if request.method == "POST":
        roles.require(request.user, CHANNEL_MANAGE)
        data = _channel_input(request, channel.kind, channel.transmitter, partner=request.POST.get("partner", ""),
                              is_active="is_active" in request.POST)  # fmt: skip
        update = lambda actor: channels_admin.update_channel(actor, channel.pk, data)  # noqa: E731
        if attempt(request, update, _("渠道设置已保存。")).ok:
            return redirect("channel-detail", channel_id=channel.pk)
    recent = Delivery.objects.filter(channel=channel).select_related("rendition__publication")[:20]
    return render(
        request,
        "publishing/channel_detail.html",
        {
            "channel": channel,
            "can_manage": can(request.user, CHANNEL_MANAGE),
            "setting_rows": _setting_rows(channel.kind, channel.transmitter, channel.settings),
            "partners": Partner.objects.all(),
            "recent": recent,
            "transmitter_label": getattr(TRANSMITTERS.get(channel.transmitter), "label", channel.transmitter),
            "feed": channel.transmitter == "feed",
            "journal": channel.kind == ChannelKind.PRINT and can(request.user, PUBLISH),  # composing is the releasers'
        },
    )


@post_only
def channel_pause(request, channel_id: int):
    paused, reason = request.POST.get("paused") == "1", request.POST.get("reason", "")
    pause = lambda actor: channels_admin.set_paused(actor, channel_id, paused, reason)  # noqa: E731
    return act(request, pause, "channel-detail", channel_id=channel_id)


# --- publications ---


def _edit_value(rendition: Rendition, spec, typed) -> str:
    """A field as its edit box shows it: what was typed (a refused edit's POST), else what the rendition holds."""
    if typed is not None and f"f_{spec.name}" in typed:
        return typed[f"f_{spec.name}"]
    value = rendition.fields.get(spec.name)
    return "\n".join(value or []) if spec.items else value or ""


def _rendition_row(rendition: Rendition, typed) -> dict:
    """A rendition as the publication page shows it: its fields (and edit boxes), text and deliveries."""
    formatter = formatter_for(rendition.kind)
    deliveries = reach.attach(list(rendition.deliveries.select_related("channel")))  # newest first
    return {
        "rendition": rendition,
        "typed": typed is not None,
        "specs": [{"spec": s, "value": rendition.fields.get(s.name), "edit_value": _edit_value(rendition, s, typed),
                   "in_text": _all_in_text(rendition.fields, s, formatter.fields),
                   "box_id": f"f{rendition.pk}_{s.name}"}
                  for s in formatter.fields],  # fmt: skip
        "text": formatter.text_of(rendition.fields),
        "deliveries": deliveries,
        "shown": _card_delivery(deliveries),
    }


def _all_in_text(fields: dict, spec, specs) -> bool:
    """Whether every item of a list field already stands in the rendition's text (a Weibo post's topics, #话题#):
    the preview then shows them once, in the text, not again in a list under it."""
    items = fields.get(spec.name) if spec.items else None
    texts = [fields[s.name] for s in specs if not s.items and isinstance(fields.get(s.name), str)]
    return bool(items) and all(any(str(item) in text for text in texts) for item in items)


def _card_delivery(deliveries: list[Delivery]) -> tuple[Delivery, Delivery | None] | None:
    """The one delivery whose state a channel's card shows, and the send it took down if it is a take-down: the
    newest withdrawal once there is one (a withdrawn publication's send stays 成功, which is past), else the send."""
    withdrawal = next((d for d in deliveries if d.action == DeliveryAction.WITHDRAW), None)
    send = next((d for d in deliveries if d.action != DeliveryAction.WITHDRAW), None)
    if withdrawal is not None:
        return withdrawal, send
    return (send, None) if send is not None else None


@login_required
def publication_detail(request, publication_id: int, refused: tuple[int, dict] | None = None):
    """`refused`: a rendition whose edit was refused and what was typed for it, shown again in its open form."""
    publication = services.get_publication(request.user, publication_id)
    renditions = [_rendition_row(r, refused[1] if refused and refused[0] == r.pk else None)
                  for r in publication.renditions.select_related("channel")]  # fmt: skip
    return render(
        request,
        "publishing/publication_detail.html",
        {
            "publication": publication,
            "renditions": renditions,
            "can_edit": can(request.user, RENDITION_EDIT)
            and not publication.released_at
            and publication.state == PublicationState.DRAFT,  # not once discarded
            "can_release": can(request.user, PUBLISH),
            "held_back": _held_back(publication),
            "can_operate": can(request.user, DELIVERY_OPERATE),
            "can_see_detail": can(request.user, CHANNEL_MANAGE),  # the far end's own error text
        },
    )


def _held_back(publication: Publication) -> FieldError | None:
    """Why a held publication could not be released now by its source's rule (the story is back in review …),
    so that the page says so instead of offering 确认发布; None once released or discarded."""
    if publication.released_at or publication.state != PublicationState.DRAFT:
        return None
    refused = services.source_refusal(publication)
    return refused.errors[0] if refused is not None else None


@post_only
def rendition_edit(request, rendition_id: int):
    rendition = row_or_404(Rendition, rendition_id)
    fields = {}
    for spec in formatter_for(rendition.kind).fields:  # a list field is a box of lines; an absent field stays
        key = f"f_{spec.name}"
        if spec.items:
            fields[spec.name] = [line.strip() for line in request.POST.get(key, "").splitlines() if line.strip()]
        elif key in request.POST:
            fields[spec.name] = request.POST[key]
    edit = lambda actor: services.edit_rendition(actor, rendition.pk, fields)  # noqa: E731
    done = act_or_stay(request, edit, "publication-detail", publication_id=rendition.publication_id,
                       success=_("渠道稿已保存。"))  # fmt: skip
    if done is None:  # refused: the page again with what was typed in this rendition's form
        return publication_detail(request, rendition.publication_id, (rendition.pk, request.POST))
    if rules_for(rendition.publication.source_type) is not None:
        messages.info(request, _("修改已记入稿件的新版本，须重新审核通过后才能发出。"))
    return done


@post_only
def publication_release(request, publication_id: int):
    services.get_publication(request.user, publication_id)  # 404 for what the person may not see, before the 403
    release = lambda actor: services.release(actor, publication_id)  # noqa: E731
    return act(request, release, "publication-detail", publication_id=publication_id, success=_("已提交发布。"))


@post_only
def publication_discard(request, publication_id: int):
    discard = lambda actor: services.discard(actor, publication_id)  # noqa: E731
    return act(request, discard, "publication-detail", publication_id=publication_id, success=_("已放弃这次发布。"))


@post_only
def publication_withdraw(request, publication_id: int):
    result = services.withdraw(actor_from_request(request), publication_id, request.POST.get("reason", ""))
    counts = {"c": result["cancelled"], "w": result["withdrawing"]}
    messages.success(request, _("已撤回：取消 %(c)d 条待发，撤下 %(w)d 条已发。") % counts)
    return redirect("publication-detail", publication_id=publication_id)


# --- delivery log ---


@login_required
def delivery_log(request):
    filters = DeliveryFilters(
        state=request.GET.get("state") if request.GET.get("state") in DeliveryState.values else None,
        channel=request.GET.get("channel") or None,
        page=whole_number(request.GET.get("page"), 1, most=10_000),
    )
    page = list_deliveries(request.user, filters)
    return render(
        request,
        "publishing/delivery_log.html",
        {
            "page": page,
            "filters": filters,
            "states": DeliveryState.choices,
            "channels": Channel.objects.all(),
            "can_operate": can(request.user, DELIVERY_OPERATE),
        },
    )


@post_only
def delivery_action(request, delivery_id: int, action: str):
    operate = services.retry_delivery if action == "retry" else services.cancel_delivery
    success = _("已重新排队。") if action == "retry" else _("已取消。")
    done = attempt(request, lambda actor: operate(actor, delivery_id), success)
    if done.ok and request.POST.get("next") == "publication":
        return redirect("publication-detail", publication_id=done.value.rendition.publication_id)
    return redirect(
        request.POST.get("back") if request.POST.get("back", "").startswith("/deliveries/") else "delivery-log"
    )


# --- feeds (public unless the channel sets an access key) ---


def _feed_channel(request, slug: str) -> Channel:
    channel = Channel.objects.filter(slug=slug, transmitter="feed", is_active=True).first()
    if channel is None:
        raise Http404
    key = reveal_one(channel, "access_key")
    if key and not hmac.compare_digest(key.encode(), request.GET.get("key", "").encode()):
        raise Http404  # a private feed does not admit it exists
    return channel


@require_GET
def feed_rss(request, slug: str):
    return _feed(request, slug, atom=False)


@require_GET
def feed_atom(request, slug: str):
    return _feed(request, slug, atom=True)


def _feed(request, slug: str, atom: bool) -> HttpResponse:
    channel = _feed_channel(request, slug)
    feed = build_feed(channel, request.build_absolute_uri(), atom)
    response = HttpResponse(content_type=f"{feed.content_type}")
    feed.write(response, "utf-8")
    response["Cache-Control"] = "max-age=60"
    return response


def _feed_rendition(request, slug: str, rendition_id: int):
    from .feeds import feed_items

    channel = _feed_channel(request, slug)
    rendition = next((r for r in feed_items(channel) if r.pk == rendition_id), None)
    if rendition is None:
        raise Http404
    return channel, rendition


@require_GET
def feed_item(request, slug: str, rendition_id: int):
    _channel, rendition = _feed_rendition(request, slug, rendition_id)
    return JsonResponse(ninjs(rendition.publication, rendition), json_dumps_params={"ensure_ascii": False})


@require_GET
def feed_item_page(request, slug: str, rendition_id: int):
    """An item of a feed as a page to read: what the feed's <link> points to (ninjs is the alternate)."""
    from .feeds import item_page

    channel, rendition = _feed_rendition(request, slug, rendition_id)
    key = f"?{urlencode({'key': request.GET['key']})}" if "key" in request.GET else ""
    ninjs_url = reverse("feed-item", args=[slug, rendition_id]) + key
    context = {**item_page(rendition), "channel": channel, "ninjs_url": ninjs_url}
    response = render(request, "publishing/feed_item.html", context)
    # the body is the story's sanitised HTML; still, nothing on this public page may run or load from elsewhere
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'self'; img-src 'self' https:"
    response["Cache-Control"] = "max-age=60"
    return response


# --- printed journal ---


@login_required
def journal_issues(request, channel_id: int):
    channel = journal.print_channel(request.user, channel_id)
    chosen: list[int] = []
    if request.method == "POST":
        chosen = [clean_id(v) for v in request.POST.getlist("renditions") if v.isdigit() and clean_id(v)]
        number, title, issue_date = (request.POST.get(name, "") for name in ("number", "title", "issue_date"))
        compose = lambda actor: journal.create_issue(actor, channel, number=number, title=title or channel.name,  # noqa: E731
                                                     issue_date=issue_date, rendition_ids=chosen)  # fmt: skip
        issue = attempt(request, compose, _("期刊已组版，PDF 已生成。"))
        if issue.ok:
            return redirect("journal-issue", issue_id=issue.value.pk)
    return render(
        request,
        "publishing/journal_issues.html",
        {
            "channel": channel,
            "issues": channel.issues.all(),
            "pool": journal.article_pool(channel),
            # a refused form keeps what was typed and chosen; the date starts as today (ISO: a date input's value)
            "title": request.POST.get("title", channel.name),
            "number": request.POST.get("number", ""),
            "issue_date": request.POST.get("issue_date") or timezone.localdate().isoformat(),
            "chosen": chosen,
        },
    )


@page_needs(PUBLISH)
def journal_issue(request, issue_id: int):
    issue = journal.get_issue(request.user, issue_id)
    articles = issue.articles.select_related("rendition")
    return render(request, "publishing/journal_issue.html", {"issue": issue, "articles": articles})


@page_needs(PUBLISH)
def journal_pdf(request, issue_id: int):
    issue = row_or_404(JournalIssue, issue_id)
    if not issue.pdf:
        raise Http404
    return download(request, issue, issue.pdf, f"{issue.title}-{issue.number}.pdf", "application/pdf")
