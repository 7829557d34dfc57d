"""The publish dialog of a story: choose channels, now or at a time, send or hold for per-channel editing."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from tongpin.core import roles
from tongpin.core.ids import clean_id
from tongpin.core.pages import attempt
from tongpin.core.roles import PUBLISH
from tongpin.publishing.models import Channel

from .publish import PUBLISHABLE, publish_story
from .stories import get_story


def _when(raw: str) -> dt.datetime | None:
    """A datetime-local value in the station's time zone, or None for now."""
    if not raw:
        return None
    try:
        return timezone.make_aware(dt.datetime.fromisoformat(raw))
    except ValueError:
        return None


class WhenForm(forms.Form):
    """Only to show a refusal on the time field (and keep what was typed); the channels are read by hand."""

    at = forms.CharField(required=False)


@login_required
def story_publish(request, story_id: int):
    story = get_story(request.user, story_id)
    roles.require(request.user, PUBLISH, _("您没有发布权限。"))
    channels = Channel.objects.filter(is_active=True, for_tests=False).filter(
        Q(partner__isnull=True) | Q(partner_id=story.partner_id)
    )
    chosen: list[int] = []
    when = WhenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and when.is_valid():
        chosen = [clean_id(v) or 0 for v in request.POST.getlist("channels") if v.isdigit()]
        at = _when(when.cleaned_data["at"])
        if when.cleaned_data["at"] and at is None:
            when.add_error("at", _("定时发布时间格式不正确。"))
        else:
            now = "hold" not in request.POST
            published = attempt(
                request, lambda actor: publish_story(actor, story.pk, chosen, at=at, release_now=now), form=when
            )
            if published.ok:
                if published.value.released_at:
                    messages.success(request, _("已提交发布。"))
                return redirect("publication-detail", publication_id=published.value.pk)
    else:
        chosen = [c.pk for c in channels if c.kind in story.channel_intentions]
    return render(
        request,
        "newsroom/story_publish.html",
        {
            "story": story,
            "channels": channels,
            "chosen": chosen,
            "publishable": story.status in PUBLISHABLE,
            "when": when,
        },
    )
