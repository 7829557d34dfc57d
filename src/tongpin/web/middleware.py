"""Domain errors that escape a page view become the calm error pages, never a 500."""

from django.shortcuts import render

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
