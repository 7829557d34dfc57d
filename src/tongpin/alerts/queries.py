"""Reading alerts for pages and the API: who may see them, the chain, what went out where and when."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from tongpin.core import roles
from tongpin.core.errors import FieldError, NotFound
from tongpin.core.ids import clean_id
from tongpin.core.roles import ALERT_VIEW
from tongpin.publishing import reach
from tongpin.publishing.models import Delivery, Rendition

from .models import Alert


def visible_alerts(user, state: str | None = None, level: str | None = None) -> QuerySet[Alert]:
    roles.require(user, ALERT_VIEW, _("您没有查看预警的权限。"))
    rows = Alert.objects.all()
    if state:
        rows = rows.filter(state=state)
    if level:
        rows = rows.filter(level=level)
    return rows


def get_alert(user, alert_id: int) -> Alert:
    alert = visible_alerts(user).filter(pk=clean_id(alert_id) or 0).first()
    if alert is None:
        raise NotFound(FieldError("alert_not_found", _("预警信息不存在。"), "alert"))
    return alert


def chain(alert: Alert) -> list[Alert]:
    """The alert's whole chain, oldest first: what it updates or cancels, and what updated or cancelled it."""
    seen: dict[int, Alert] = {alert.pk: alert}
    node = alert
    while node.previous_id and node.previous_id not in seen:
        node = node.previous
        seen[node.pk] = node
    frontier = list(seen.values())
    while frontier:
        followers = list(Alert.objects.filter(previous__in=frontier).exclude(pk__in=seen))
        for follower in followers:
            seen[follower.pk] = follower
        frontier = followers
    return sorted(seen.values(), key=lambda a: (a.received_at, a.pk))


def deliveries(alert: Alert) -> list[Delivery]:
    if alert.publication_id is None:
        return []
    return reach.attach(
        list(
            Delivery.objects.filter(rendition__publication_id=alert.publication_id)
            .select_related("channel", "rendition")
            .order_by("channel__name", "id")
        )
    )


def alert_out(alert: Alert) -> dict:
    """The alert for the API, the intake's answer included: by then a released alert's renditions and deliveries
    exist (they were written in the intake's transaction), and the sender wants to know where it went."""
    renditions = (
        Rendition.objects.filter(publication_id=alert.publication_id).select_related("channel")
        if alert.publication_id
        else []
    )
    return {
        "id": alert.pk,
        "identifier": alert.identifier,
        "sender": alert.sender,
        "sent": alert.sent,
        "msg_type": alert.msg_type,
        "status": alert.status,
        "state": alert.state,
        "state_label": str(alert.get_state_display()),
        "level": alert.level,
        "severity": alert.severity,
        "urgency": alert.urgency,
        "certainty": alert.certainty,
        "event": alert.event,
        "headline": alert.headline,
        "description": alert.description,
        "instruction": alert.instruction,
        "area_desc": alert.area_desc,
        "source_format": alert.source_format,
        "signature": alert.signature,
        "signature_detail": alert.signature_detail,
        "hold_reason": alert.hold_reason,
        "warnings": alert.validation.get("warnings", []),
        "received_at": alert.received_at,
        "released_at": alert.released_at,
        "expires_at": alert.expires_at,
        "previous_id": alert.previous_id,
        "pages": page_rows(alert),
        "chain": [
            {"id": a.pk, "msg_type": a.msg_type, "state": a.state, "identifier": a.identifier, "sent": a.sent}
            for a in chain(alert)
        ],
        "renditions": [{"id": r.pk, "channel": r.channel.slug, "kind": r.kind, "fields": r.fields} for r in renditions],
        "deliveries": [
            {
                "channel": d.channel.slug,
                "kind": d.rendition.kind,
                "state": d.state,
                "attempts": d.attempts,
                "created_at": d.created_at,
                "delivered_at": d.delivered_at,
                "last_error": d.last_error,
                "sent_at": d.reach_view["sent_at"],
                "received_at": d.received_at,
                "reached_at": d.reached_at,
                "reach": d.reach_view,
            }
            for d in deliveries(alert)
        ],
    }


def page_rows(alert: Alert) -> list[dict]:
    """Who was paged about the alert, over which routes, and when they answered (issue 16)."""
    return [
        {
            "step": call.step,
            "user": call.user.get_username() if call.user else "",
            "called_at": call.called_at,
            "acked_at": call.acked_at,
            "sends": [
                {"route": send.route.name, "kind": send.route.kind, "state": send.state, "attempts": send.attempts,
                 "sent_at": send.sent_at, "error": send.error}  # fmt: skip
                for send in call.sends.all()
            ],
        }
        for call in alert.duty_calls.select_related("user").prefetch_related("sends__route")
    ]
