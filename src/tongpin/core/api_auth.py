"""Authentication for the REST API: bearer tokens for machines, the session (with CSRF) for the browser.

A token stops working when revoked, past its expiry, or when its user is deactivated; its scope narrows what it
reaches: `read` only safe methods, `alerts` only the warning endpoints (`/alerts…`) and `/me`, `full` all that its
user's role may do."""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer, SessionAuth

from .errors import FieldError, Forbidden
from .models import ApiToken, hash_token

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
API_PREFIX = "/api/v1/"


def _within_scope(token: ApiToken, request) -> bool:
    if token.scope == ApiToken.Scope.READ:
        return request.method in SAFE_METHODS
    if token.scope == ApiToken.Scope.ALERTS:
        path = request.path.split(API_PREFIX, 1)[-1]
        return path == "me" or path == "alerts" or path.startswith("alerts/")
    return token.scope == ApiToken.Scope.FULL


class BearerToken(HttpBearer):
    def authenticate(self, request, token: str):
        if not token or len(token) > 200:
            return None
        now = timezone.now()
        found = (
            ApiToken.objects.select_related("user")
            .filter(digest=hash_token(token), revoked_at__isnull=True, user__is_active=True)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .first()
        )
        if found is None:
            return None
        if not _within_scope(found, request):
            raise Forbidden(FieldError("token_scope", _("此接口令牌的范围不包括这项操作。")))
        # Touch at most once a minute, so busy machines do not turn every read into a write.
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


class BrowserSession(SessionAuth):
    """Django's session; unsafe methods still need the CSRF token, as for any form."""


API_AUTH = [BearerToken(), BrowserSession()]
