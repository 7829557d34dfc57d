"""Commitment measure: published stories (见报稿件). A story counts once, on the day it first reached a channel,
if its publication was for the commitment's partner, it carries one of the commitment's area tags (when any are
set) and it was delivered on a channel of the wanted kinds (when any are set). Withdrawn stories do not count."""

import datetime as dt
from collections import defaultdict

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongpin.partners.measures import Counted, Measure, register
from tongpin.publishing.kinds import ChannelKind
from tongpin.publishing.listing import delivered_for_partner

from .models import Story, StoryStatus
from .publish import SOURCE


def published_stories(commitment, first: dt.date, last: dt.date) -> list[Counted]:
    deliveries = delivered_for_partner(commitment.agreement.partner_id, SOURCE, first, last)
    if commitment.channel_kinds:
        deliveries = deliveries.filter(channel__kind__in=commitment.channel_kinds)
    first_seen: dict[int, dt.datetime] = {}
    channels: dict[int, set[str]] = defaultdict(set)
    rows = deliveries.values_list("rendition__publication__source_id", "channel__name", "delivered_at")
    for story_id, channel, delivered_at in rows:
        channels[story_id].add(channel)
        if story_id not in first_seen or delivered_at < first_seen[story_id]:
            first_seen[story_id] = delivered_at
    stories = Story.objects.filter(pk__in=first_seen).exclude(status=StoryStatus.WITHDRAWN)
    if commitment.tags:
        stories = stories.filter(tags__name__in=commitment.tags).distinct()
    return [
        Counted(
            key=f"story:{story_id}",
            title=title,
            on=timezone.localtime(first_seen[story_id]).date(),
            link=reverse("story-detail", args=[story_id]),
            channels=frozenset(channels[story_id]),
        )
        for story_id, title in stories.values_list("pk", "title")
    ]


def register_measures() -> None:
    register(
        Measure(
            "stories",
            _("刊发稿件数"),
            _("篇"),
            published_stories,
            uses_channels=True,
            kind_choices=tuple(ChannelKind.choices),
        )
    )
