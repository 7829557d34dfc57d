"""Domain errors that services raise and views/API handlers translate.

Every error carries machine-readable codes (for the API) and a human message (Chinese first, via i18n).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    code: str
    message: str
    location: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": str(self.message), "location": self.location}


class DomainError(Exception):
    """Base class: a request the rules refuse. `status` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, errors: list[FieldError] | FieldError):
        self.errors = errors if isinstance(errors, list) else [errors]
        super().__init__("; ".join(f"{e.code}: {e.message}" for e in self.errors))


class ValidationFailed(DomainError):
    status = 422


class Forbidden(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class UpstreamFailed(DomainError):
    """A service we called (the WeChat API …) failed; the message says so in our words, not theirs."""

    status = 502


class TooLarge(DomainError):
    status = 413


class TooManyRequests(DomainError):
    """Over a rate limit; `retry_after` seconds until the next try may succeed (the API's Retry-After)."""

    status = 429

    def __init__(self, errors: list[FieldError] | FieldError, retry_after: int = 0):
        super().__init__(errors)
        self.retry_after = retry_after


def flash_errors(request, error: DomainError) -> None:
    """Show each of a refused request's messages on the next page (the web's counterpart of the API's list)."""
    from django.contrib import messages

    for item in error.errors:
        messages.error(request, str(item.message))
