"""HTTP webhook: a signed JSON POST.

Headers: `X-Tongpin-Timestamp` (Unix seconds), `X-Tongpin-Signature: sha256=<hex>` = HMAC-SHA256 with the
channel's secret over `<timestamp>.<body>`, and `Idempotency-Key`. A receiver checks the signature, refuses
timestamps older than a few minutes (replays) and keeps the keys it has seen (`verify()` does the first two).
2xx is success; 408, 425, 429 and 5xx are retried; any other 4xx fails at once.
"""

import hashlib
import hmac
import json
import time

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongpin.core.weblinks import is_web_url

from ..plugins import Outcome, Parcel, PermanentError, Setting, TemporaryError, Transmitter, register_transmitter
from .http import Reply, request
from .payload import payload_bytes

SIGNATURE_HEADER = "X-Tongpin-Signature"
TIMESTAMP_HEADER = "X-Tongpin-Timestamp"
RETRYABLE_4XX = {408, 425, 429}


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: str, timestamp: str, signature: str, body: bytes, tolerance: int = 300, now: float | None = None
) -> bool:
    """True when the signature matches and the timestamp is within `tolerance` seconds of now."""
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except (TypeError, ValueError):
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature or "")


def http_error(reply: Reply) -> Exception:
    """The status for everyone; the far end's body only as the admins' detail."""
    message = _("对方返回 HTTP %(s)d。") % {"s": reply.status}
    detail = reply.data[:200].decode("utf-8", "replace")
    code = f"http_{reply.status}"
    if 400 <= reply.status < 500 and reply.status not in RETRYABLE_4XX:
        return PermanentError(message, code, detail)
    return TemporaryError(message, code, detail)


def post_signed(parcel: Parcel, body: bytes, extra_headers: dict[str, str] | None = None) -> Outcome:
    """POST `body` (JSON) signed with the channel's secret; the far end's JSON `id`, if any, is the remote ref."""
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(parcel.settings.get("secret", ""), timestamp, body),
        "Idempotency-Key": parcel.idempotency_key,
        **(extra_headers or {}),
    }
    timeout = float(parcel.settings.get("timeout") or 10)
    reply = request("POST", parcel.settings["url"], body=body, headers=headers, timeout=timeout)
    if not reply.ok:
        raise http_error(reply)
    remote = ""
    if reply.header("Content-Type").startswith("application/json") and reply.data:
        try:
            data = json.loads(reply.data)
            remote = str(data.get("id", ""))[:200] if isinstance(data, dict) else ""
        except ValueError:
            remote = ""
    return Outcome(remote_ref=remote, code=str(reply.status), received=True)


@register_transmitter
class Webhook(Transmitter):
    name = "webhook"
    label = gettext_lazy("HTTP 回调（Webhook）")
    supports_withdraw = True
    reports = ("received",)  # a 2xx answer is the receiver saying it has the document
    settings = (
        Setting("url", gettext_lazy("地址"), kind="url", required=True),
        Setting("secret", gettext_lazy("签名密钥"), kind="secret", required=True, bound_to=("url",),
                help=gettext_lazy("更改地址后须重新输入签名密钥。")),  # fmt: skip
        Setting("timeout", gettext_lazy("超时（秒）"), kind="int", default=10),
    )

    def send(self, parcel: Parcel) -> Outcome:
        return post_signed(parcel, payload_bytes(parcel), {"X-Tongpin-Delivery": str(parcel.delivery_id)})

    def withdraw(self, parcel: Parcel) -> Outcome:
        return self.send(parcel)

    def check_settings(self, values: dict) -> list[tuple[str, str]]:
        url = str(values.get("url", ""))
        if url and not is_web_url(url):
            return [("url", _("地址必须以 http:// 或 https:// 开头。"))]
        return []
