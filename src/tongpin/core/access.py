"""Where the permission vocabulary of `core.roles` meets requests: one decorator for pages, one for API operations.

The rule for 403 or 404 (docs/architecture.md, "403 or 404"): an object the caller may not see answers 404 —
looked up through `partners.scope.scoped_get`, so a liaison never learns that another partner's object exists —
and a verb the caller's role does not grant answers 403. Services check again (`roles.require`): the decorators
only make the refusal come before any work and state on the handler what it needs.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from . import roles


def page_needs(*capabilities: str) -> Callable:
    """A page for signed-in users holding at least one of `capabilities` (else 403); sign-in comes first."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not any(roles.can(request.user, capability) for capability in capabilities):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorate


def api_needs(*capabilities: str) -> Callable:
    """An API operation for callers holding at least one of `capabilities` (else 403 `forbidden`). Put it below
    the router's decorator. Operations on one object look it up first instead (404 hides it)."""

    def decorate(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def wrapper(request, *args, **kwargs):
            roles.require_any(request.auth, *capabilities)
            return handler(request, *args, **kwargs)

        # django-ninja reads the parameters from the signature and resolves string annotations in the function's
        # own module: hand it the handler's, already resolved.
        wrapper.__signature__ = inspect.signature(handler, eval_str=True)
        return wrapper

    return decorate
