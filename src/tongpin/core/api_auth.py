"""Authentication for the REST API: bearer tokens for machines, the session (with CSRF) for the browser."""

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer, SessionAuth

from . import signin
from .errors import FieldError, TooManyAttempts
from .models import ApiToken, hash_token


class BearerToken(HttpBearer):
    def authenticate(self, request, token: str):
        # An address that sent too many bad tokens is refused before the token is even looked at.
        if not signin.token_allowed(request):
            raise TooManyAttempts(FieldError("too_many_attempts", _("接口令牌错误次数过多，请 15 分钟后再试。")))
        found = None
        if token and len(token) <= 200:
            found = (
                ApiToken.objects.select_related("user")
                .filter(digest=hash_token(token), revoked_at__isnull=True, user__is_active=True)
                .first()
            )
        if found is None:
            signin.token_failed(request)
            return None
        now = timezone.now()
        # Touch at most once a minute, so busy machines do not turn every read into a write.
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


class BrowserSession(SessionAuth):
    """Django's session; unsafe methods still need the CSRF token, as for any form."""


API_AUTH = [BearerToken(), BrowserSession()]
