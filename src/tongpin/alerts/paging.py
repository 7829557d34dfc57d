"""Waking the duty officer: page whoever is on duty by every route, escalate to the backup and the chief, take
acknowledgements through a one-time link.

A page is a `DutyCall` (one person, one reason, one link) sent over every active `PagingRoute` as a `PageSend`.
Sends run off the request: when the transaction that called commits, a thread of that process sends them at
once; the worker's periodic hook (`send_due`) retries failures with backoff and picks up anything a process left
behind (a send being made is leased, so two processes never send the same page twice unless one died mid-send).
Every HTTP request goes through `publishing.transmitters.http` and so through the outbound guard (core.outbound).

Route formats:
- `sms`, `voice` (generic gateways): POST JSON `{"mobile", "text", "reference"}` (voice adds `"repeat": 2` and
  speaks a text without the link); `Authorization: Bearer <secret>` when a secret is set; any 2xx is accepted.
- `wecom` (企业微信群机器人): POST the webhook URL (it carries the `key`) with `{"msgtype": "text", "text":
  {"content", "mentioned_mobile_list"}}`; the answer's `errcode` must be 0.
- `dingtalk` (钉钉群机器人): POST `{"msgtype": "markdown", "markdown": {"title", "text"}, "at": {"atMobiles"}}`; with
  a secret (加签) the URL gets `timestamp` (ms) and `sign` = base64(HMAC-SHA256(secret, "timestamp\\nsecret"));
  the answer's `errcode` must be 0.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tongpin.core import audit
from tongpin.core.audit import Actor
from tongpin.core.outbound import redact
from tongpin.publishing.plugins import TransmitError
from tongpin.publishing.transmitters import http

from . import duty
from .models import Alert, AlertState, CallStep, DutyCall, PageSend, PageState, PagingRoute, RouteKind

log = logging.getLogger(__name__)
SALT = "tongpin.alerts.page-link"
LEASE = timedelta(seconds=60)  # a send being made; after this another process may take it over
STEPS = [CallStep.OFFICER, CallStep.BACKUP, CallStep.CHIEF]


def _station_language(function):
    """Pages speak the station's language (LANGUAGE_CODE), whoever's request made them."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return function(*args, **kwargs)

    return wrapper


# -- the one-time link ------------------------------------------------------------------------------------------


def link_token(call: DutyCall) -> str:
    return signing.dumps({"c": call.nonce}, salt=SALT, compress=True)


def link_path(call: DutyCall) -> str:
    return f"/duty/page/{link_token(call)}/"


def link_url(call: DutyCall) -> str:
    return settings.TONGPIN_BASE_URL + link_path(call)


class LinkError(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code  # "invalid", "expired", "used"


def open_link(actor: Actor, token: str) -> DutyCall:
    """The call behind a link opened by a signed-in person: used once (the first opening acknowledges the page),
    refused when forged or older than TONGPIN_PAGE_LINK_MAX_AGE."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.TONGPIN_PAGE_LINK_MAX_AGE)
    except signing.SignatureExpired as error:
        raise LinkError("expired") from error
    except signing.BadSignature as error:
        raise LinkError("invalid") from error
    nonce = data.get("c") if isinstance(data, dict) else None
    with transaction.atomic():
        # Lock the call only: PostgreSQL cannot lock the nullable side of the outer join to its alert.
        calls = DutyCall.objects.select_for_update(of=("self",)).select_related("alert")
        call = calls.filter(nonce=str(nonce or "")).first()
        if call is None:
            raise LinkError("invalid")
        if call.link_used_at is not None:
            raise LinkError("used")
        call.link_used_at = timezone.now()
        call.save(update_fields=["link_used_at"])
        acknowledge(actor, call, via="link")
    return call


def acknowledge(actor: Actor, call: DutyCall, via: str) -> None:
    """Someone answered this page: this call is marked answered, which stops the alert's escalation (any answered
    call does); audited once per alert. Other people's calls stay unanswered: they did nothing."""
    now = timezone.now()
    answered_before = (
        call.alert_id is not None and DutyCall.objects.filter(alert_id=call.alert_id, acked_at__isnull=False).exists()
    )
    if not DutyCall.objects.filter(pk=call.pk, acked_at__isnull=True).update(acked_at=now) or call.alert_id is None:
        return
    if answered_before:
        return
    answer = {"step": call.step, "user": call.user.get_username() if call.user else "", "via": via}
    answer.update(called_at=call.called_at.isoformat(), after_seconds=round((now - call.called_at).total_seconds(), 1))
    audit.record(actor, "alert.page_acknowledged", call.alert, answer)


def decided(actor: Actor, alert: Alert, how: str = "") -> None:
    """A decision on the alert answers its pages: the decider's own call when they were paged; otherwise the page is
    recorded as handled by them (with `how`, the authority they decided with), and nobody's call is marked answered
    — a trial showed 周航's call answered when the 带班领导 陈岚 had confirmed."""
    calls = list(DutyCall.objects.filter(alert=alert).select_related("alert", "user").order_by("called_at", "id"))
    if not calls or any(c.acked_at for c in calls):
        return  # never paged, or answered already
    own = [c for c in calls if actor.user is not None and c.user_id == actor.user.pk]
    if own:
        acknowledge(actor, own[-1], via="decision")
        return
    first = min(c.called_at for c in calls)
    audit.record(actor, "alert.page_acknowledged", alert, {
        "via": "decision", "user": actor.name, "authority": how, "role": getattr(actor.user, "role", ""),
        "after_seconds": round((timezone.now() - first).total_seconds(), 1)})  # fmt: skip


# -- calling ----------------------------------------------------------------------------------------------------


def _alert_text(alert: Alert, step: str) -> str:
    level = alert.get_level_display() if alert.level else ""
    drill = _("【演练】") if alert.status in ("Exercise", "Test") else ""
    if step == CallStep.OFFICER:
        lead = _("待确认预警")
    else:
        minutes = max(1, alert.escalate_after // 60)
        lead = _("预警超过 %(m)d 分钟无人应答") % {"m": minutes}
    return f"{drill}{lead}：{str(alert)[:80]}" + (f"（{level}）" if level else "")


def _call(alert: Alert | None, step: str, users, text: str, now: datetime) -> list[DutyCall]:
    routes = list(PagingRoute.objects.filter(is_active=True))
    made = []
    for user in users:
        call = DutyCall.objects.create(alert=alert, step=step, user=user, text=text[:500],
                                       nonce=secrets.token_urlsafe(24), called_at=now)  # fmt: skip
        PageSend.objects.bulk_create([PageSend(call=call, route=route, due_at=now) for route in routes])
        if alert is not None:
            audit.record(audit.SYSTEM, "alert.paged", alert, {
                "step": step, "user": user.get_username() if user else "", "routes": [r.name for r in routes],
                "at": now.isoformat()})  # fmt: skip
        made.append(call)
    if made and routes:
        transaction.on_commit(lambda: send_soon([c.pk for c in made]))
    return made


@_station_language
def page_alert(alert: Alert, now: datetime | None = None) -> list[DutyCall]:
    """An alert waits for confirmation: page the officers on duty (nobody on duty: the backup, then the chief)."""
    now = now or timezone.now()
    for index, step in enumerate(STEPS):
        people = duty.people_on_duty(step, now)
        if people:
            return _call(alert, step, people, _alert_text(alert, step), now)
        if index == len(STEPS) - 1:
            audit.record(audit.SYSTEM, "alert.page_nobody", alert, {"at": now.isoformat()})
    return []


@_station_language
def escalate_pages(now: datetime | None = None) -> int:
    """Pending alerts whose latest page nobody answered within the policy's time: page the next step."""
    now = now or timezone.now()
    count = 0
    waiting = Alert.objects.filter(state=AlertState.PENDING, duty_calls__isnull=False).distinct()
    for alert in waiting:
        calls = list(alert.duty_calls.all())
        if any(c.acked_at for c in calls):
            continue
        last = max(c.called_at for c in calls)
        interval = timedelta(seconds=alert.escalate_after or 300)
        if now < last + interval:
            continue
        reached = max(STEPS.index(c.step) for c in calls if c.step in STEPS)
        with transaction.atomic():
            locked = Alert.objects.select_for_update().get(pk=alert.pk)
            if locked.state != AlertState.PENDING or locked.duty_calls.filter(called_at__gt=last).exists():
                continue  # decided, or another process escalated it meanwhile
            for step in STEPS[reached + 1 :]:
                people = duty.people_on_duty(step, now)
                if people:
                    _call(locked, step, people, _alert_text(locked, step), now)
                    count += 1
                    break
    return count


@_station_language
def page_health(text: str, now: datetime | None = None) -> list[DutyCall]:
    """A message about the lane itself to the officers on duty (nobody on duty: the backup, then the chief)."""
    now = now or timezone.now()
    for step in STEPS:
        people = duty.people_on_duty(step, now)
        if people:
            return _call(None, CallStep.HEALTH, people, text, now)
    return _call(None, CallStep.HEALTH, [None], text, now)  # group robots still hear it


# -- sending ----------------------------------------------------------------------------------------------------


def send_soon(call_ids: list[int]) -> None:
    """Send these calls' pages now, from a thread of this process (the request that paged returns at once)."""

    def run() -> None:
        try:
            send_due(call_ids=call_ids)
        except Exception:  # noqa: BLE001  (the worker's periodic hook retries what this missed)
            log.exception("paging thread failed")
        finally:
            connection.close()

    threading.Thread(target=run, name="tongpin-page", daemon=True).start()


def _claim(call_ids: list[int] | None, now: datetime, limit: int) -> list[PageSend]:
    due = Q(state__in=[PageState.PENDING, PageState.RETRYING], due_at__lte=now) | Q(
        state=PageState.SENDING, due_at__lte=now
    )
    rows = PageSend.objects.filter(due)
    if call_ids is not None:
        rows = rows.filter(call_id__in=call_ids)
    claimed = []
    for send in rows.order_by("due_at", "id")[:limit]:
        taken = PageSend.objects.filter(pk=send.pk, state=send.state, due_at=send.due_at).update(
            state=PageState.SENDING, due_at=now + LEASE
        )
        if taken:
            claimed.append(send.pk)
    return list(PageSend.objects.filter(pk__in=claimed).select_related("call", "call__alert", "call__user", "route"))


def send_due(now: datetime | None = None, call_ids: list[int] | None = None, limit: int = 50) -> int:
    """Send the pages that are due; returns how many went out."""
    sent = 0
    for send in _claim(call_ids, now or timezone.now(), limit):
        sent += _send(send)
    return sent


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(300, 5 * 2 ** (attempts - 1)))


def _send(send: PageSend) -> int:
    route, call = send.route, send.call
    began = timezone.now()
    try:
        deliver(route, call)
    except TransmitError as error:
        now = timezone.now()
        send.attempts += 1
        retry = not error.permanent and send.attempts < settings.TONGPIN_PAGE_ATTEMPTS
        send.state = PageState.RETRYING if retry else PageState.FAILED
        send.due_at = now + _backoff(send.attempts) if retry else now
        send.error = redact(f"{error.message} {error.detail}".strip())[:300]
        send.save(update_fields=["state", "attempts", "due_at", "error"])
        PagingRoute.objects.filter(pk=route.pk).update(last_error_at=now, last_error=send.error)
        _audit(call, "alert.page_failed", route, began, {"error": send.error, "attempt": send.attempts,
                                                         "will_retry": retry})  # fmt: skip
        log.warning("page %s over %s failed (attempt %d): %s", send.pk, route.name, send.attempts, send.error)
        return 0
    now = timezone.now()
    send.attempts += 1
    send.state, send.sent_at, send.error = PageState.SENT, now, ""
    send.save(update_fields=["state", "attempts", "sent_at", "error"])
    PagingRoute.objects.filter(pk=route.pk).update(last_ok_at=now)
    after = round((now - call.called_at).total_seconds(), 3)
    _audit(call, "alert.page_sent", route, began, {"attempt": send.attempts, "seconds_after_call": after})
    return 1


def _audit(call: DutyCall, action: str, route: PagingRoute, began: datetime, extra: dict) -> None:
    details = {"route": route.name, "kind": route.kind, "step": call.step,
               "user": call.user.get_username() if call.user else "", "at": began.isoformat(), **extra}  # fmt: skip
    audit.record(audit.SYSTEM, action, call.alert if call.alert_id else route, details)


def _mobile(call: DutyCall) -> str:
    contact = getattr(call.user, "duty_contact", None) if call.user else None
    return contact.mobile if contact else ""


def message_text(call: DutyCall, with_link: bool = True) -> str:
    text = "【同频值班】" + call.text
    if with_link and call.alert_id:
        text += " " + _("确认或驳回：%(u)s") % {"u": link_url(call)}
    return text


def request_for(route: PagingRoute, call: DutyCall, now_ms: int | None = None) -> tuple[str, dict]:
    """The URL and JSON body this route sends for this call (see the module's docstring)."""
    mobile = _mobile(call)
    reference = f"tongpin-page-{call.nonce[:12]}"
    if route.kind == RouteKind.SMS:
        return route.url, {"mobile": mobile, "text": message_text(call), "reference": reference}
    if route.kind == RouteKind.VOICE:
        return route.url, {"mobile": mobile, "text": message_text(call, with_link=False), "repeat": 2,
                           "reference": reference}  # fmt: skip
    if route.kind == RouteKind.WECOM:
        mentioned = [mobile] if mobile else []
        content = {"content": message_text(call), "mentioned_mobile_list": mentioned}
        return route.url, {"msgtype": "text", "text": content}
    url = route.url
    if route.secret:
        timestamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
        signed = dingtalk_sign(route.opened_secret, timestamp)
        url += ("&" if "?" in url else "?") + f"timestamp={timestamp}&sign={signed}"
    text = "### " + _("同频值班") + "\n\n" + message_text(call) + (f"\n\n@{mobile}" if mobile else "")
    return url, {"msgtype": "markdown", "markdown": {"title": _("同频值班"), "text": text},
                 "at": {"atMobiles": [mobile] if mobile else [], "isAtAll": False}}  # fmt: skip


def dingtalk_sign(secret: str, timestamp: str) -> str:
    """钉钉's 加签: base64 of HMAC-SHA256 over "timestamp\\nsecret" keyed with the secret, URL-encoded."""
    from urllib.parse import quote_plus

    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


@_station_language
def deliver(route: PagingRoute, call: DutyCall) -> None:
    """One page over one route; TransmitError (PermanentError: not retried) when it did not go."""
    from tongpin.publishing.plugins import PermanentError, TemporaryError

    if route.kind in (RouteKind.SMS, RouteKind.VOICE) and not _mobile(call):
        raise PermanentError(_("%(u)s 没有登记手机号。") % {"u": call.user or _("值班员")}, "no_mobile")
    url, body = request_for(route, call)
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if route.secret and route.kind in (RouteKind.SMS, RouteKind.VOICE):
        headers["Authorization"] = f"Bearer {route.opened_secret}"
    reply = http.request("POST", url, body=json.dumps(body, ensure_ascii=False).encode(), headers=headers,
                         timeout=settings.TONGPIN_PAGE_TIMEOUT)  # fmt: skip
    if reply.status == 429 or reply.status >= 500:
        raise TemporaryError(_("呼叫网关暂时不可用（HTTP %(s)d）。") % {"s": reply.status}, "gateway_busy")
    if not reply.ok:
        raise PermanentError(_("呼叫网关拒绝（HTTP %(s)d）。") % {"s": reply.status}, "gateway_refused",
                             reply.data[:200].decode("utf-8", "replace"))  # fmt: skip
    if route.kind in (RouteKind.WECOM, RouteKind.DINGTALK):
        try:
            answer = json.loads(reply.data or b"{}")
        except ValueError as error:
            raise TemporaryError(_("群机器人的应答无法识别。"), "bad_answer") from error
        if not isinstance(answer, dict) or answer.get("errcode", 0) != 0:
            detail = str(answer.get("errmsg", "")) if isinstance(answer, dict) else ""
            raise PermanentError(_("群机器人拒绝（errcode %(c)s）。") % {"c": answer.get("errcode") if isinstance(
                answer, dict) else "?"}, "robot_refused", detail[:200])  # fmt: skip


def periodic() -> None:
    """The worker's hook: escalate unanswered pages, then send (and retry) what is due."""
    escalate_pages()
    send_due()


def routes_down() -> list[PagingRoute]:
    return [r for r in PagingRoute.objects.filter(is_active=True) if r.down]


def calls_for(alert: Alert) -> list[DutyCall]:
    return list(alert.duty_calls.select_related("user").prefetch_related("sends__route"))
