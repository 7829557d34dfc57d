"""Authentication for the REST API: bearer tokens for machines, the session (with CSRF) for the browser.

Machine accounts (`roles.MACHINE_ROLES`, e.g. a warning agency's sender account) are refused by every endpoint
except those that declare `auth=MACHINE_AUTH` — today only the CAP intake. An endpoint that forgets its own
capability check therefore still cannot hand a machine account anything.

A token stops working when revoked, past its expiry, or when its user is deactivated; its scope narrows what it
reaches: `read` only safe methods, `alerts` only the warning endpoints (`/alerts…`) and `/me`, `full` all that its
user's role may do."""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer, SessionAuth

from . import signin
from .errors import FieldError, Forbidden, TooManyRequests
from .models import ApiToken, hash_token
from .roles import MACHINE_ROLES


def _admit(user, machines: bool):
    if user.role in MACHINE_ROLES and not machines:
        raise Forbidden(FieldError("machine_account", _("接口账号只能使用为其开放的接口（提交预警）。")))
    return user


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
    def __init__(self, machines: bool = False):
        super().__init__()
        self.machines = machines

    def authenticate(self, request, token: str):
        # An address that sent too many bad tokens is refused before the token is even looked at.
        if not signin.token_allowed(request):
            message = _("接口令牌错误次数过多，请 15 分钟后再试。")
            raise TooManyRequests(FieldError("too_many_attempts", message), retry_after=15 * 60)
        now = timezone.now()
        found = None
        if token and len(token) <= 200:
            found = (
                ApiToken.objects.select_related("user")
                .filter(digest=hash_token(token), revoked_at__isnull=True, user__is_active=True)
                .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
                .first()
            )
        if found is None:
            signin.token_failed(request)
            return None
        if not _within_scope(found, request):
            raise Forbidden(FieldError("token_scope", _("此接口令牌的范围不包括这项操作。")))
        # Touch at most once a minute, so busy machines do not turn every read into a write.
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return _admit(found.user, self.machines)


class BrowserSession(SessionAuth):
    """Django's session; unsafe methods still need the CSRF token, as for any form. Machine accounts cannot
    sign in to the web, and a session one somehow holds is refused here too."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return _admit(user, machines=False) if user else user


API_AUTH = [BearerToken(), BrowserSession()]
# For the endpoints machine accounts may call (each still checks the capability it needs).
MACHINE_AUTH = [BearerToken(machines=True), BrowserSession()]
