"""Domain errors that escape a page view become the calm error pages, never a 500; a database that cannot be
reached (restarting, a connection killed) answers 503 with a retry hint, on pages and in the API alike."""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _

from tongpin.core.errors import DomainError

log = logging.getLogger(__name__)
UNAVAILABLE = (OperationalError, InterfaceError)  # not IntegrityError & co: those are bugs, and stay 500s
RETRY_AFTER = "5"


def database_unavailable(request) -> JsonResponse:
    """The API's answer when the database cannot be reached (also used by the API's own exception handler)."""
    log.warning("database unavailable during %s %s", request.method, request.path, exc_info=True)
    message = str(_("数据库暂时不可用，请稍后重试。"))
    answer = JsonResponse({"errors": [{"code": "database_unavailable", "message": message, "location": ""}]},
                          status=503)  # fmt: skip
    answer["Retry-After"] = RETRY_AFTER
    return answer


def api_error(status: int, code: str, message: str) -> JsonResponse:
    """An error in the API's one shape, `{"errors": [{"code", "message", "location"}]}`."""
    return JsonResponse({"errors": [{"code": code, "message": message, "location": ""}]}, status=status,
                        json_dumps_params={"ensure_ascii": False})  # fmt: skip


def api_not_found() -> JsonResponse:
    return api_error(404, "not_found", str(_("资源不存在。")))


def _api_shaped(request, response: HttpResponse) -> HttpResponse:
    """A 404 or 405 under /api/ that is not JSON yet (Django's URL resolver, ninja's "Method not allowed") in
    the API's error shape; a 405 keeps its Allow header. Pages outside /api/ keep their HTML."""
    if not request.path.startswith("/api/") or response.status_code not in (404, 405):
        return response
    if response.get("Content-Type", "").startswith("application/json"):
        return response
    if response.status_code == 404:
        return api_not_found()
    shaped = api_error(405, "method_not_allowed", str(_("此地址不支持 %(m)s 请求。") % {"m": request.method}))
    if response.has_header("Allow"):  # sorted: ninja lists them in no fixed order
        shaped["Allow"] = ", ".join(sorted(m.strip() for m in response["Allow"].split(",") if m.strip()))
    return shaped


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return _api_shaped(request, self.get_response(request))

    def process_exception(self, request, exception):
        if isinstance(exception, UNAVAILABLE):
            if request.path.startswith("/api/"):
                return database_unavailable(request)
            log.warning("database unavailable during %s %s", request.method, request.path, exc_info=True)
            context = {"status": 503, "messages_list": [_("数据库暂时不可用，请稍后重试。")]}
            # Rendered without the request: its context processors (the signed-in user, unread notifications,
            # messages) would ask the database again, and a killed connection turned the 503 into a 500.
            page = HttpResponse(render_to_string("web/error.html", context), status=503)
            page["Retry-After"] = RETRY_AFTER
            return page
        if isinstance(exception, DomainError) and not request.path.startswith("/api/"):
            return render(
                request,
                "web/error.html",
                {"status": exception.status, "messages_list": [str(e.message) for e in exception.errors]},
                status=exception.status,
            )
        return None


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Simplified Chinese unless the person chose another language (the language switch sets a cookie).

    The browser's Accept-Language is ignored on purpose: a newsroom's shared machines often run English
    browsers, and the product speaks Chinese first.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen and check_for_language(chosen) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
