"""Session limits (等保 2.0, docs/security.md): a session ends after its role's idle time without a request
(`policy.idle_limit`, 30 minutes by default) and, however busy, a fixed time after its sign-in
(`policy.absolute_limit`, 12 hours by default). The ending is audited (`auth.session_timeout`) and the person is
sent to the sign-in page with the reason; the API answers as to anyone not signed in.

The times live in the session: the sign-in time is set when the person signs in (`started`), the last request's
time at most once a minute (`SEEN_EVERY`), so a busy session is not written on every request.
"""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.utils.translation import gettext as _

from . import policy
from .audit import Actor, client_ip, record

SIGNED_IN_AT = "tp_signed_in_at"
SEEN_AT = "tp_seen_at"
SEEN_EVERY = 60  # seconds


def started(request) -> None:
    """Called when someone signs in (core.signals): the session's clocks start now."""
    now = int(time.time())
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now


def overdue(request, user, now: float) -> str:
    """"idle", "absolute" or "" for a signed-in user's session at `now`."""
    session = request.session
    signed_in = session.get(SIGNED_IN_AT)
    seen = session.get(SEEN_AT)
    if signed_in is None or seen is None:
        return ""  # a session from before these limits: its clocks start below
    limit = policy.absolute_limit()
    if limit is not None and now - signed_in > limit.total_seconds():
        return "absolute"
    idle = policy.idle_limit(user)
    if idle is not None and now - seen > idle.total_seconds():
        return "idle"
    return ""


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            reason = overdue(request, user, now)
            if reason:
                answer = self._end(request, user, reason)
                if answer is not None:
                    return answer
            elif SIGNED_IN_AT not in request.session:
                started(request)
            elif now - request.session.get(SEEN_AT, 0) >= SEEN_EVERY:
                request.session[SEEN_AT] = int(now)
        return self.get_response(request)

    @staticmethod
    def _end(request, user, reason: str):
        """Sign the person out; pages go to the sign-in page with the reason, the API carries on unsigned-in."""
        if reason == "idle":
            limit = {"idle_minutes": round(policy.idle_limit(user).total_seconds() / 60)}
        else:
            limit = {"max_hours": round(policy.absolute_limit().total_seconds() / 3600, 2)}
        record(Actor(user=user, ip=client_ip(request)), "auth.session_timeout", user, limit)
        logout(request)
        if request.path.startswith("/api/"):
            return None
        text = _("长时间未操作，已自动退出，请重新登录。") if reason == "idle" else _("登录时间已到上限，请重新登录。")
        messages.info(request, text)
        target = redirect_to_login(request.get_full_path() if request.method == "GET" else "/")
        if request.headers.get("HX-Request"):  # an htmx fragment: the whole page goes to sign-in
            answer = HttpResponse(status=204)
            answer["HX-Redirect"] = target["Location"]
            return answer
        return target
