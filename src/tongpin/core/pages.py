"""The page handlers' one shape for a write: run the service, show its refusal in Chinese, go on.

    task = services.get_task(request.user, task_id)
    return act(request, lambda actor: services.toggle_task(actor, task), "event-detail", event_id=task.event_id)

`attempt` runs `call(actor)`; a refusal (`DomainError`) becomes its messages on the next page (or, given a `form`,
on the form's fields, so that what was typed stays), otherwise `success` is flashed. `act` is `attempt` and then a
redirect, whatever the outcome. Services check capabilities and rules themselves; a page never decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect

from .audit import Actor, actor_from_request
from .errors import DomainError, flash_errors

Refusals = type[DomainError] | tuple[type[DomainError], ...]  # the errors a page shows; others propagate


@dataclass(frozen=True)
class Outcome:
    """What a page's service call came to: `ok` false when the services refused (already shown to the person)."""

    ok: bool
    value: Any = None


def form_errors(form, error: DomainError) -> None:
    """A refusal's messages on the form: each on its field when the form has it, else on top of the form."""
    for item in error.errors:
        form.add_error(item.location if item.location in form.fields else None, str(item.message))


def attempt(request, call: Callable[[Actor], Any], success: str = "", form=None,
            refusals: Refusals = DomainError) -> Outcome:  # fmt: skip
    """Run `call(actor)`; a refusal of the kind `refusals` goes on `form` (when given) or to the next page's
    messages and answers a failed Outcome; otherwise `success` (when given) is flashed."""
    try:
        value = call(actor_from_request(request))
    except refusals as error:
        if form is not None:
            form_errors(form, error)
        else:
            flash_errors(request, error)
        return Outcome(False)
    if success:
        messages.success(request, success)
    return Outcome(True, value)


def act(request, call: Callable[[Actor], Any], to: str, *args: Any, success: str = "",
        refusals: Refusals = DomainError, **kwargs: Any) -> HttpResponseRedirect:  # fmt: skip
    """`attempt(request, call, success)`, then a redirect to `to` (a URL name with `args`/`kwargs`, or a URL)
    whether it went through or not: the page it lands on shows the message either way."""
    attempt(request, call, success, refusals=refusals)
    return redirect(to, *args, **kwargs)
