"""Operator warning interface (运营商预警接口): hands a warning to whoever broadcasts it on their network — a mobile
operator's cell-broadcast centre (小区广播/闪信) or a cable operator's set-top pop-up system (电视弹窗) — as one
flat, signed JSON document with the fields they need.

Document (docs/publishing.md "Operator warning interface"): id, action (publish | withdraw), kind, identifier,
msg_type, references, event, level, level_code, severity, area_codes (GB/T 2260, 12 digits), area_desc, title,
text, pages, display_seconds, start, end, drill, sender_name, priority, sent_at. Headers as the webhook's:
`X-Tongpin-Timestamp`, `X-Tongpin-Signature` (HMAC-SHA256 over `<timestamp>.<body>`), `Idempotency-Key`. A 2xx
answer means the operator has it (received); 408, 425, 429 and 5xx are retried; other 4xx fail at once.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django.utils.translation import gettext_lazy

from ..plugins import Outcome, Parcel, Setting, register_transmitter
from .webhook import Webhook, post_signed

WARNING_FIELDS = (
    "identifier", "msg_type", "references", "event", "level", "level_code", "severity", "area_codes", "area_desc",
    "start", "end", "drill", "sender_name",
)  # fmt: skip


def document(parcel: Parcel) -> dict:
    fields = parcel.fields
    doc = {
        "id": parcel.idempotency_key,
        "action": parcel.action,
        "channel": parcel.channel_slug,
        "kind": parcel.kind,
        "title": fields.get("title", ""),
        "text": fields.get("text", ""),
        "pages": fields.get("pages"),
        "display_seconds": fields.get("display_seconds"),
        "priority": "urgent" if parcel.priority >= 100 else ("high" if parcel.priority >= 50 else "normal"),
        "sent_at": datetime.now(UTC).isoformat(),
    }
    for name in WARNING_FIELDS:
        doc[name] = fields.get(name)
    doc["area_codes"] = doc["area_codes"] or []
    doc["references"] = doc["references"] or []
    doc["drill"] = bool(doc["drill"])
    return doc


@register_transmitter
class WarningPush(Webhook):  # the webhook's signed POST and checks; its own document
    name = "warning_push"
    label = gettext_lazy("运营商预警接口")
    supports_withdraw = True
    reports = ("received",)  # the operator's 2xx; whether phones or screens showed it, it does not tell
    settings = (
        Setting("url", gettext_lazy("接口地址"), kind="url", required=True),
        Setting("secret", gettext_lazy("签名密钥"), kind="secret", required=True, bound_to=("url",),
                help=gettext_lazy("与运营商约定的共享密钥；更改地址后须重新输入")),  # fmt: skip
        Setting("timeout", gettext_lazy("超时（秒）"), kind="int", default=10),
    )

    def send(self, parcel: Parcel) -> Outcome:
        body = json.dumps(document(parcel), ensure_ascii=False, separators=(",", ":")).encode()
        return post_signed(parcel, body)
