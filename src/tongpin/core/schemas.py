"""API schemas every app shares: the one error shape."""

from ninja import Schema


class ErrorItem(Schema):
    code: str
    message: str
    location: str


class ErrorsOut(Schema):
    errors: list[ErrorItem]


ERRORS = {400: ErrorsOut, 401: ErrorsOut, 403: ErrorsOut, 404: ErrorsOut, 409: ErrorsOut, 422: ErrorsOut}
