"""The partner portal (合作概况): what a liaison sees of their own partner — agreements and live fulfilment,
publicity requests, published output, the plans and meetings that concern them. Staff may preview any
partner's portal with ?partner=<slug>; a liaison always gets their own, whatever they ask for."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.shortcuts import render
from django.utils import timezone

from tongpin.core import roles
from tongpin.newsroom.models import Story, StoryStatus
from tongpin.newsroom.publish import with_published_at
from tongpin.partners.fulfilment import agreement_fulfilment
from tongpin.partners.models import ActionState, AgreementStatus, Partner
from tongpin.partners.scope import partner_scope
from tongpin.partners.services import get_partner
from tongpin.planning.keydates import upcoming
from tongpin.planning.models import CampaignState, EventState, KeyDate
from tongpin.planning.requests import requests_for


def _portal_partner(request) -> Partner:
    scope = partner_scope(request.user)
    if not roles.can(request.user, roles.PARTNER_VIEW):
        raise PermissionDenied
    if scope.everything:
        slug = request.GET.get("partner") or ""
        partner = get_partner(request.user, slug) if slug else Partner.objects.filter(archived_at__isnull=True).first()
        if partner is None:
            raise PermissionDenied
        return partner
    if not scope.partner_ids:
        raise PermissionDenied
    return Partner.objects.get(pk=next(iter(scope.partner_ids)))


@login_required
def portal(request):
    partner = _portal_partner(request)
    today = timezone.localdate()
    agreements = [(a, agreement_fulfilment(a)) for a in partner.agreements.exclude(status=AgreementStatus.DRAFT)]
    # By the day each went out (the day the partner report counts it on); the last edit where nothing has.
    stories = Story.objects.filter(partner=partner, status=StoryStatus.PUBLISHED).only("title", "updated_at")
    published = (
        with_published_at(stories)
        .annotate(shown_on=Coalesce("published_at", "updated_at"))
        .order_by("-shown_on", "-id")
    )
    key_dates = KeyDate.objects.filter(is_active=True).filter(Q(partner=partner) | Q(partner__isnull=True))
    return render(
        request,
        "web/portal.html",
        {
            "partner": partner,
            "preview": partner_scope(request.user).everything,
            "agreements": agreements,
            "requests": requests_for(request.user).filter(partner=partner)[:20],
            "published": published[:20],
            "published_count": published.count(),
            "campaigns": partner.campaigns.exclude(state__in=[CampaignState.ARCHIVED, CampaignState.DONE]),
            "events": partner.events.exclude(state=EventState.CANCELLED).filter(ends_on__gte=today),
            "key_dates": upcoming(key_dates, today, 90)[:8],
            "meetings": partner.meetings.filter(held_at__gte=timezone.now()).order_by("held_at")[:5],
            "actions": partner.actions.filter(state=ActionState.OPEN).select_related("owner"),
            "can_submit": roles.can(request.user, roles.REQUEST_SUBMIT),
        },
    )
