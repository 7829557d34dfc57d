"""Domain errors that escape a page view become the calm error pages, never a 500."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import check_for_language

from tongpin.core.errors import DomainError


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
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
