"""What a delivery got to: sent (our transmitter handed it over), received (the far end confirmed it has it) and
reached (it got to its audience) — the last two only where the channel can tell (`Transmitter.reports`).

`summary()` is the one shape pages and the API read; `apply_counts()` recomputes a delivery's reach from its
recipients' delivery reports (SMS gateways, `reports.py`).
"""

from __future__ import annotations

from django.utils import timezone

from .models import Delivery, DeliveryRecipient, Reach, RecipientState
from .plugins import TRANSMITTERS


def reports_of(transmitter: str) -> tuple[str, ...]:
    plugin = TRANSMITTERS.get(transmitter)
    return tuple(plugin.reports) if plugin is not None else ()


def summary(delivery: Delivery) -> dict:
    """Sent, received and reached for one delivery, with whether the channel can tell the last two at all."""
    tells = reports_of(delivery.channel.transmitter)
    counted = delivery.reach_total > 0
    return {
        "sent_at": delivery.sent_at or delivery.delivered_at,  # deliveries recorded before sent_at existed
        "received_at": delivery.received_at,
        "reached_at": delivery.reached_at,
        "reach": delivery.reach,
        "reach_label": str(Reach(delivery.reach).label) if delivery.reach in Reach.values else delivery.reach,
        "tells_received": "received" in tells,
        "tells_reached": "reached" in tells,
        "recipients": (
            {"total": delivery.reach_total, "reached": delivery.reach_ok, "failed": delivery.reach_failed}
            if counted
            else None
        ),
    }


def attach(deliveries: list[Delivery]) -> list[Delivery]:
    """Give each delivery its `reach_view` (the summary) for templates."""
    for delivery in deliveries:
        delivery.reach_view = summary(delivery)
    return deliveries


def apply_counts(delivery_ids: set[int]) -> None:
    """Recount these deliveries' recipients and set their reach: waiting while any report is missing, then
    reached (all delivered), partial, or unreached (none). Runs in the caller's transaction."""
    now = timezone.now()
    for delivery in Delivery.objects.filter(pk__in=delivery_ids).select_for_update():
        states = list(DeliveryRecipient.objects.filter(delivery=delivery).values_list("state", flat=True))
        total = len(states)
        ok, failed = states.count(RecipientState.REACHED), states.count(RecipientState.FAILED)
        if ok + failed < total:
            reach = Reach.WAITING
        elif failed == 0:
            reach = Reach.REACHED
        elif ok == 0:
            reach = Reach.UNREACHED
        else:
            reach = Reach.PARTIAL
        delivery.reach, delivery.reach_total, delivery.reach_ok, delivery.reach_failed = reach, total, ok, failed
        if reach in (Reach.REACHED, Reach.PARTIAL) and delivery.reached_at is None:
            delivery.reached_at = now
        if delivery.received_at is None:
            delivery.received_at = now
        delivery.save(update_fields=["reach", "reach_total", "reach_ok", "reach_failed", "reached_at", "received_at"])
