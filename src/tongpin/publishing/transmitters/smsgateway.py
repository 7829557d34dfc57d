"""HTTP SMS gateway (短信网关): one JSON POST per send to the gateway, which answers with a message id per recipient
and later posts delivery reports (状态报告) to Tongpin (`publishing/reports.py`, `POST /api/v1/sms/reports/{slug}`).

A generic profile, since every gateway has its own: docs/publishing.md "SMS gateway" describes the request, the
answer and the reports; a station whose gateway speaks otherwise puts a small adapter in front of it or adds a
transmitter of its own. The file-drop SMS channel stays for demos.
"""

from __future__ import annotations

import json
import re

from django.conf import settings as django_settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Reach
from ..plugins import Outcome, Parcel, PermanentError, Setting, TemporaryError, Transmitter, register_transmitter
from .http import request
from .webhook import http_error

NUMBER = re.compile(r"^\+?[0-9]{5,20}$")
MAX_RECIPIENTS = 1000


def recipients(text: str) -> list[str]:
    """The numbers of the channel's list: one a line or separated by commas, semicolons or spaces; repeats once."""
    found = []
    for item in re.split(r"[\s,;，；、]+", text or ""):
        if item and item not in found:
            found.append(item)
    return found


def report_path(slug: str) -> str:
    return f"/api/v1/sms/reports/{slug}"


@register_transmitter
class SmsGateway(Transmitter):
    name = "sms_gateway"
    label = gettext_lazy("短信网关（HTTP）")
    reports = ("received", "reached")  # the gateway's answer (received) and its delivery reports (reached)
    settings = (
        Setting("url", gettext_lazy("网关地址"), kind="url", required=True),
        Setting("api_key", gettext_lazy("网关密钥"), kind="secret", required=True, bound_to=("url",),
                help=gettext_lazy("保存后不再显示；更改网关地址后须重新输入")),  # fmt: skip
        Setting("auth", gettext_lazy("密钥的传送方式"), kind="choice", default="bearer",
                choices=("bearer", "x-api-key"),
                choice_labels=(("bearer", gettext_lazy("Authorization 头（Bearer）")),
                               ("x-api-key", gettext_lazy("X-API-Key 头")))),  # fmt: skip
        Setting("recipients", gettext_lazy("接收号码"), kind="multiline", required=True,
                help=gettext_lazy("手机号，每行一个或以逗号分隔（例如各级预警责任人）")),  # fmt: skip
        Setting("report_secret", gettext_lazy("状态报告签名密钥"), kind="secret",
                help=gettext_lazy("网关为状态报告签名所用的共享密钥；未设置则不接受状态报告")),  # fmt: skip
        Setting("timeout", gettext_lazy("超时（秒）"), kind="int", default=10),
    )

    def send(self, parcel: Parcel) -> Outcome:
        conf = parcel.settings
        numbers = recipients(conf.get("recipients", ""))
        if not numbers:
            raise PermanentError(_("短信渠道没有接收号码。"), "no_recipients")
        base = str(getattr(django_settings, "TONGPIN_BASE_URL", "")).rstrip("/")
        body = json.dumps(
            {
                "id": parcel.idempotency_key,
                "recipients": numbers,
                "text": parcel.fields.get("text", ""),
                "segments": parcel.fields.get("segments", 1),
                "priority": "urgent" if parcel.priority >= 100 else ("high" if parcel.priority >= 50 else "normal"),
                "report_url": base + report_path(parcel.channel_slug),
            },
            ensure_ascii=False,
        ).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": parcel.idempotency_key}
        if conf.get("auth") == "x-api-key":
            headers["X-API-Key"] = conf.get("api_key", "")
        else:
            headers["Authorization"] = f"Bearer {conf.get('api_key', '')}"
        reply = request("POST", conf["url"], body=body, headers=headers, timeout=float(conf.get("timeout") or 10))
        if not reply.ok:
            raise http_error(reply)
        return _accepted(reply.data, numbers)

    def check_settings(self, values: dict) -> list[tuple[str, str]]:
        numbers = recipients(values.get("recipients", ""))
        wrong = [n for n in numbers if not NUMBER.match(n)]
        if wrong:
            return [("recipients", _("号码不正确：%(n)s") % {"n": "、".join(wrong[:5])})]
        if len(numbers) > MAX_RECIPIENTS:
            return [("recipients", _("接收号码最多 %(n)d 个。") % {"n": MAX_RECIPIENTS})]
        return []


def _accepted(data: bytes, numbers: list[str]) -> Outcome:
    """The gateway took the batch (2xx). Its answer names a message id per recipient (`messages`) or one for the
    batch (`batch_id`); without either nothing can be tracked, and the send is not repeated (that would text
    everyone twice)."""
    try:
        answer = json.loads(data) if data else {}
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        answer = {}
    ids: dict[str, str] = {}
    for item in answer.get("messages") or []:
        if isinstance(item, dict):
            number = str(item.get("recipient") or item.get("to") or "")
            message_id = str(item.get("message_id") or item.get("id") or "")
            if number in numbers and message_id:
                ids[number] = message_id
    batch = str(answer.get("batch_id") or answer.get("id") or "")[:120]
    if not ids and not batch:
        return Outcome(received=True, code="sms_untracked", message=_("网关未返回消息编号，无法跟踪状态报告。"))
    tracked = [{"recipient": n, "remote_id": ids.get(n, batch)} for n in numbers if ids.get(n, batch)]
    if not tracked:
        raise TemporaryError(_("短信网关的应答无法识别。"), "sms_bad_answer", data[:200].decode("utf-8", "replace"))
    return Outcome(remote_ref=batch or tracked[0]["remote_id"], code="sms_accepted", received=True,
                   reach=Reach.WAITING, recipients=tracked)  # fmt: skip
