"""The page handlers' one shape for a write: run the service, show its refusal in Chinese, go on.

    task = services.get_task(request.user, task_id)
    return act(request, lambda actor: services.toggle_task(actor, task), "event-detail", event_id=task.event_id)

`attempt` runs `call(actor)`; a refusal (`DomainError`) becomes its messages on the next page (or, given a `form`,
on the form's fields, so that what was typed stays), otherwise `success` is flashed. `act` is `attempt` and then a
redirect, whatever the outcome. Services check capabilities and rules themselves; a page never decides.

A write whose refusal must keep what was typed does not redirect then (that would lose it): `act_or_stay` answers
None and the page is shown again with the typed values, and `add_form` is a detail page's add form, bound and
saved, answering the form to show (or the redirect once saved):

    form = add_form(request, TaskForm, can_manage, lambda actor, values: services.save_task(actor, event, values),
                    "event-detail", event_id=event.pk, success=_("已添加。"))
    if isinstance(form, HttpResponseRedirect):
        return form
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Model, QuerySet
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from .audit import Actor, actor_from_request, record_download
from .errors import DomainError, FieldError, ValidationFailed, flash_errors
from .ids import clean_id
from .weblinks import local_next

F = TypeVar("F", bound=forms.BaseForm)
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


def act_or_stay(request, call: Callable[[Actor], Any], to: str, *args: Any, success: str = "", form=None,
                stay: bool = True, **kwargs: Any) -> HttpResponseRedirect | None:  # fmt: skip
    """`attempt(request, call, success, form)`, then a redirect to `to` (as `act`) once it went through. Refused, None
    while `stay`: the caller shows its page again with what was typed and the refusal (on `form`, or in the
    messages). Without `stay` (a delete, a test: nothing typed) a refusal redirects too."""
    if attempt(request, call, success, form=form).ok or not stay:
        return redirect(to, *args, **kwargs)
    return None


def add_form(request, form_class: Callable[..., F], allowed: bool, save: Callable[[Actor, dict], Any], to: str,
             *args: Any, success: str = "", **kwargs: Any) -> F | HttpResponseRedirect | None:  # fmt: skip
    """A detail page's form for adding to its object: None unless `allowed`; bound to a POST (and its files) and,
    when valid, `save(actor, cleaned_data)` then a redirect to `to` (as `act`). Otherwise the form to show: empty,
    or with what was typed and why it was not saved (a refusal on its fields)."""
    form = form_class(request.POST or None, request.FILES or None) if allowed else None
    if request.method == "POST" and form is not None and form.is_valid():
        values = form.cleaned_data
        return act_or_stay(request, lambda actor: save(actor, values), to, *args, success=success, form=form,
                           **kwargs) or form  # fmt: skip
    return form


def post_only(view: Callable) -> Callable:
    """A button's action: signed-in people only (else the sign-in page), then POST only (else 405)."""
    return login_required(require_POST(view))


def row_or_404(rows: type[Model] | QuerySet, pk: Any) -> Model:
    """The row of `rows` with the id `pk` as it came from outside (checked with `clean_id`), else a 404. For kinds
    that no partner scope hides; a scoped kind is looked up with `partners.scope.scoped_get`."""
    return get_object_or_404(rows, pk=clean_id(pk) or 0)


def whole_number(raw: Any, default: int, most: int | None = None) -> int:
    """A positive whole number typed into a URL or a form (a page, a version): at least 1 and at most `most`,
    or `default` when it is not a number at all."""
    try:
        number = max(1, int(raw))
    except (TypeError, ValueError):
        return default
    return number if most is None else min(number, most)


def form_refusal(form: forms.BaseForm, code: str = "invalid") -> ValidationFailed:
    """An invalid form's errors as a refusal (`code`, each message on its field): the way back of `form_errors`,
    for a page that answers with an error page or shows the messages on the next page instead of the form."""
    return ValidationFailed([FieldError(code, str(e), name) for name, errors in form.errors.items() for e in errors])


def page_of(name: str, field: str = "pk", anchor: str = "") -> Callable[[Any], str]:
    """A `done` for `form_page`/`edit_page`: the saved object's own page, the URL name `name` with the object's
    `field` (its pk, or a slug) as the one argument, and `anchor` after it."""
    return lambda saved: reverse(name, args=[getattr(saved, field)]) + anchor


def act_back(request, call: Callable[[Actor], Any], fallback: str, success: str = "") -> HttpResponseRedirect:
    """`act`, then back to the page the button was on (the form's `next`, when it is an address on this site)
    or else to `fallback`: the same button sits on a list and on a detail page."""
    return act(request, call, local_next(request, request.POST.get("next"), fallback), success=success)


def submit_form(request, form, save: Callable[[Actor, dict], Any], success: str = "") -> Outcome:
    """A posted form's write: on a POST with `form` valid, `save(actor, cleaned_data)` through `attempt` (a refusal
    on the form's fields, what was typed kept); else a failed Outcome and nothing run (the form says why). The
    caller redirects once it went through and otherwise shows its page again with `form`."""
    if request.method != "POST" or not form.is_valid():
        return Outcome(False)
    values = form.cleaned_data
    return attempt(request, lambda actor: save(actor, values), success, form=form)


def download(request, obj: Any, file: Any, name: str, /, content_type: str | None = None,
             **context: Any) -> FileResponse:  # fmt: skip
    """`obj`'s stored `file` as an attachment saved as `name` (404 when there is none), audited as a download first
    (with `context`, what the file belongs to, whatever its keys: `request=` is the publicity request of an
    attachment); the browser is told not to guess another type."""
    if not file:
        raise Http404
    record_download(actor_from_request(request), obj, name, **context)
    response = FileResponse(file.open("rb"), content_type=content_type, as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    return response
