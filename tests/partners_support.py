"""Cooperation fixtures: an agreement with commitments, and published stories made through the real
publishing pipeline (webhook channels to a local sink), so fulfilment reads the records it reads in life."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tongpin.newsroom.publish import publish_story
from tongpin.partners import services as partner_service
from tongpin.partners.models import AgreementStatus
from tongpin.publishing.models import Delivery

from .conftest import actor
from .publishing_support import approved_story, drain, make_channel


def agreement_for(users, partner, starts_on: dt.date, ends_on: dt.date, **extra):
    values = {"title": f"{partner.name}合作协议", "starts_on": starts_on, "ends_on": ends_on,
              "status": AgreementStatus.IN_FORCE, **extra}  # fmt: skip
    return partner_service.save_agreement(actor(users["chief"]), partner, values)


def commitment_for(users, agreement, **values):
    values.setdefault("title", "每季度刊发稿件")
    values.setdefault("measure", "stories")
    values.setdefault("period", "quarter")
    values.setdefault("target", 2)
    return partner_service.save_commitment(actor(users["chief"]), agreement, values)


def channels(users, sink, *kinds: str) -> list:
    return [
        make_channel(users["admin"], kind, "webhook", slug=f"ch-{kind}", url=sink.url, secret="k") for kind in kinds
    ]


def published(users, partner, chans, title: str, on: dt.date | None = None, tags=("森林防火",)):
    """A story for `partner` published on `chans`, its deliveries dated `on` (noon, local time)."""
    story = approved_story(users["reporter"], title=title, partner=partner.slug, tags=list(tags))
    publication = publish_story(actor(users["desk"]), story.pk, [c.pk for c in chans])
    drain()
    if on is not None:
        noon = dt.datetime.combine(on, dt.time(12), tzinfo=timezone.get_current_timezone())
        Delivery.objects.filter(rendition__publication=publication).update(delivered_at=noon)
    return story, publication
