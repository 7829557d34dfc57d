"""Delivery reports (状态报告) from SMS gateways: which recipients a message reached.

The gateway POSTs `{"reports": [{"message_id", "recipient", "status", "at"}]}` to
`/api/v1/sms/reports/{channel slug}`, signed like our webhooks (`X-Tongpin-Timestamp`, `X-Tongpin-Signature`:
HMAC-SHA256 over `<timestamp>.<body>` with the channel's 状态报告签名密钥). A batch is taken whole or not at all:
a bad signature, an unknown channel, an unknown message id or status changes nothing, is answered with its code and
logged. Repeats are harmless (the last word on a recipient counts).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from tongpin.core.errors import DomainError, FieldError, NotFound, ValidationFailed

from . import reach
from .models import Channel, DeliveryRecipient, RecipientState
from .secrets import reveal_one
from .transmitters import webhook

log = logging.getLogger(__name__)

MAX_BYTES = 1_000_000
MAX_REPORTS = 5000
# Words gateways use (the SMPP/CMPP ones too): delivered, or not and never will be.
STATUSES = {
    "delivered": RecipientState.REACHED,
    "delivrd": RecipientState.REACHED,
    "failed": RecipientState.FAILED,
    "undeliverable": RecipientState.FAILED,
    "undeliv": RecipientState.FAILED,
    "expired": RecipientState.FAILED,
    "rejected": RecipientState.FAILED,
    "rejectd": RecipientState.FAILED,
}


class BadSignature(DomainError):
    status = 401


def receive(slug: str, body: bytes, timestamp: str, signature: str) -> dict:
    """Check and apply one batch of reports; the number applied comes back."""
    channel = Channel.objects.filter(slug=slug, transmitter="sms_gateway").first()
    if channel is None:
        log.warning("SMS report refused: no SMS gateway channel %r", slug[:60])
        raise NotFound(FieldError("unknown_channel", _("没有这个短信网关渠道。")))
    secret = str(reveal_one(channel, "report_secret") or "")  # stored sealed (publishing/secrets.py)
    if not secret or not webhook.verify(secret, timestamp, signature, body):
        log.warning("SMS report for channel %s refused: bad or missing signature", channel.slug)
        raise BadSignature(FieldError("bad_signature", _("状态报告的签名无效或已过期。")))
    items = _parse(channel, body)
    with transaction.atomic():
        ids = {item["message_id"] for item in items}
        rows: dict[str, list[DeliveryRecipient]] = {}
        for row in DeliveryRecipient.objects.select_for_update().filter(channel=channel, remote_id__in=ids):
            rows.setdefault(row.remote_id, []).append(row)
        matched, unknown = [], []
        for item in items:
            candidates = rows.get(item["message_id"], [])
            if item["recipient"]:
                candidates = [r for r in candidates if r.recipient == item["recipient"]]
            if len(candidates) != 1:  # none, or a batch id naming several recipients without saying which
                unknown.append(item["message_id"])
            else:
                matched.append((candidates[0], item))
        if unknown:
            named = ", ".join(sorted(set(unknown))[:10])
            log.warning("SMS report for channel %s refused: unknown message id(s) %s", channel.slug, named)
            message = _("未知的消息编号：%(ids)s") % {"ids": named}
            raise ValidationFailed(FieldError("unknown_message", message, "reports"))
        for row, item in matched:
            row.state, row.code, row.reported_at = item["state"], item["code"], item["at"]
        DeliveryRecipient.objects.bulk_update([row for row, _item in matched], ["state", "code", "reported_at"])
        reach.apply_counts({row.delivery_id for row, _item in matched})
    return {"accepted": len(matched)}


def _parse(channel: Channel, body: bytes) -> list[dict]:
    def refuse(message: str) -> ValidationFailed:
        log.warning("SMS report for channel %s refused: %s", channel.slug, message)
        return ValidationFailed(FieldError("bad_report", _("状态报告格式不正确。"), "reports"))

    try:
        data = json.loads(body)
    except ValueError as error:
        raise refuse("not JSON") from error
    reports = data.get("reports") if isinstance(data, dict) else None
    if not isinstance(reports, list) or not reports or len(reports) > MAX_REPORTS:
        raise refuse("no reports list")
    items = []
    for report in reports:
        if not isinstance(report, dict):
            raise refuse("a report is not an object")
        message_id = str(report.get("message_id") or report.get("id") or "")[:120]
        status = str(report.get("status") or "").strip().lower()
        if not message_id:
            raise refuse("a report without message_id")
        if status not in STATUSES:
            log.warning("SMS report for channel %s refused: unknown status %r", channel.slug, status[:40])
            raise ValidationFailed(
                FieldError("unknown_status", _("未知的状态：%(s)s") % {"s": status[:40]}, "reports")
            )
        at = parse_datetime(str(report.get("at") or "")) if report.get("at") else None
        items.append(
            {
                "message_id": message_id,
                "recipient": str(report.get("recipient") or report.get("to") or "")[:40],
                "state": STATUSES[status],
                "code": str(report.get("code") or status)[:40],
                "at": _aware(at) if at else timezone.now(),
            }
        )
    return items


def _aware(moment: datetime) -> datetime:
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
