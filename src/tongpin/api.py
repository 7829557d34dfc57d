"""The REST API under /api/v1/: one NinjaAPI, one router per app, one error format.

Every error answers `{"errors": [{"code": …, "message": …, "location": …}]}` with a fitting status.
"""

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from tongpin.alerts.api import router as alerts_router
from tongpin.alerts.api_duty import router as alert_duty_router
from tongpin.alerts.api_lane import router as alert_lane_router
from tongpin.alerts.api_senders import router as alert_senders_router
from tongpin.analytics.api import router as analytics_router
from tongpin.core.api import router as core_router
from tongpin.core.api_auth import API_AUTH
from tongpin.core.errors import DomainError
from tongpin.live.api import router as live_router
from tongpin.newsroom.api import router as newsroom_router
from tongpin.partners.api import router as partners_router
from tongpin.planning.api import router as planning_router
from tongpin.publishing.api import router as publishing_router
from tongpin.publishing.api_journal import router as journal_router
from tongpin.review.api import router as review_router
from tongpin.web.api import router as web_router
from tongpin.web.middleware import database_unavailable

api = NinjaAPI(
    title="Tongpin 同频 API",
    version="1",
    description="REST API of Tongpin. Machines authenticate with `Authorization: Bearer <token>` "
    "(`tongpin token create NAME`); the browser uses its session and CSRF token.",
    auth=API_AUTH,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _errors(request: HttpRequest, status: int, errors: list[dict]) -> HttpResponse:
    return api.create_response(request, {"errors": errors}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    response = _errors(request, exc.status, [e.as_dict() for e in exc.errors])
    if getattr(exc, "retry_after", None):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    return _errors(request, 413, [{"code": "too_large", "message": _("请求内容过大。"), "location": ""}])


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    errors = []
    for item in exc.errors:
        location = ".".join(str(part) for part in item.get("loc", ()) if part not in ("body", "payload", "query"))
        errors.append({"code": item.get("type", "invalid"), "message": item.get("msg", ""), "location": location})
    return _errors(request, 422, errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return _errors(
        request,
        401,
        [{"code": "unauthenticated", "message": _("需要登录或有效的接口令牌。"), "location": ""}],
    )


@api.exception_handler(AuthorizationError)
def _forbidden(request, exc):
    return _errors(request, 403, [{"code": "forbidden", "message": _("没有权限。"), "location": ""}])


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _errors(request, 404, [{"code": "not_found", "message": _("资源不存在。"), "location": ""}])


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def _database_unavailable(request, exc):
    return database_unavailable(request)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return _errors(request, exc.status_code, [{"code": "http_error", "message": str(exc), "location": ""}])


api.add_router("/", core_router)
api.add_router("/", newsroom_router)
api.add_router("/", review_router)
api.add_router("/", publishing_router)
api.add_router("/", journal_router)
api.add_router("/", alert_lane_router)  # before alerts: /alerts/policies is not /alerts/{id}
api.add_router("/", alert_duty_router)
api.add_router("/", alerts_router)
api.add_router("/", alert_senders_router)
api.add_router("/", partners_router)
api.add_router("/", planning_router)
api.add_router("/", analytics_router)
api.add_router("/", live_router)
api.add_router("/", web_router)
