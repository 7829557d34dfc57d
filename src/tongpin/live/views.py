"""Live-commerce pages: sessions (plan, check, sign off, go live, results), the anchor roster, products,
results import and sales. Thin: forms type-check, services decide."""

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongpin.core import roles
from tongpin.core.access import page_needs
from tongpin.core.audit import actor_from_request
from tongpin.core.errors import DomainError
from tongpin.core.forms import edit_page, form_page
from tongpin.core.pages import add_form, attempt
from tongpin.core.spreadsheets import table_response

from . import results, services
from .forms import AnchorForm, DocumentForm, ProductForm, QualificationForm, ResultForm, ResultsImportForm, SessionForm
from .models import Anchor, LiveSession, Product, SessionHost, SessionStatus


@page_needs(roles.LIVE_VIEW)
def session_list(request):
    now = timezone.now()
    sessions = LiveSession.objects.select_related("partner", "studio").prefetch_related("hosts__anchor")
    return render(
        request,
        "live/sessions.html",
        {
            "upcoming": sessions.filter(ends_at__gte=now).exclude(status=SessionStatus.CANCELLED).order_by("starts_at"),
            "past": sessions.filter(ends_at__lt=now)[:30],
            "can_manage": roles.can(request.user, roles.LIVE_MANAGE),
        },
    )


def _save_session(actor, values: dict, session=None):
    hosts = [(a, SessionHost.Role.HOST) for a in values.pop("hosts")]
    hosts += [(a, SessionHost.Role.ASSISTANT) for a in values.pop("assistants", []) if a not in dict(hosts)]
    return services.save_session(actor, values, hosts, _lineup(values.pop("products", []), session), session)


def _lineup(products: list, session=None) -> list[dict]:
    """The run order from the form's product choice (a set): products already on the session keep their place,
    minutes and talking points (the trial lost the run sheet on every edit of the script); new ones go last with
    five minutes each; products no longer chosen leave."""
    chosen = {p.pk: p for p in products}
    kept = [] if session is None else [i for i in session.lineup.order_by("position", "pk") if i.product_id in chosen]
    lineup = [{"product": chosen[i.product_id], "minutes": i.minutes, "talking_points": i.talking_points} for i in kept]
    held = {i.product_id for i in kept}
    return lineup + [{"product": p, "minutes": 5, "talking_points": ""} for p in products if p.pk not in held]


@page_needs(roles.LIVE_MANAGE)
def session_edit(request, session_id: int | None = None):
    session = services.get_session(request.user, session_id) if session_id else None
    initial = {}
    if session:
        initial = {
            "hosts": [h.anchor for h in session.hosts.filter(role="host")],
            "assistants": [h.anchor for h in session.hosts.filter(role="assistant")],
            "products": [i.product for i in session.lineup.all()],
        }
    actor = actor_from_request(request)
    form = SessionForm(request.POST or None, instance=copy.copy(session), initial=initial)
    return form_page(
        request,
        form,
        lambda values: _save_session(actor, values, session),
        lambda saved: reverse("live-session", args=[saved.pk]),
        context={"title": _("修改直播场次") if session else _("新建直播场次"), "back": reverse("live-sessions")},
    )


@login_required
def session_detail(request, session_id: int):
    session = services.get_session(request.user, session_id)
    result = getattr(session, "result", None) if hasattr(session, "result") else None
    can_manage = roles.can(request.user, roles.LIVE_MANAGE)
    record = lambda actor, values: services.record_result(actor, session, values)  # noqa: E731
    form = add_form(request, ResultForm, can_manage, record, "live-session", session_id=session.pk,
                    success=_("直播数据已保存。"))  # fmt: skip
    if isinstance(form, HttpResponseRedirect):
        return form
    editable = session.status in (SessionStatus.PLANNED, SessionStatus.REHEARSED)
    early = services.early_by(session) if editable else None  # going live now would be this early
    stale = editable and services.changed_since_sign_off(session)
    # Signing is offered where the sign-off is missing or no longer covers the text.
    may_sign = roles.can(request.user, roles.LIVE_SIGNOFF) and editable and (stale or not session.signed_off_at)
    return render(
        request,
        "live/session.html",
        {
            "session": session,
            "hosts": session.hosts.select_related("anchor"),
            "run_sheet": services.run_sheet(session),
            "check": services.compliance_check(session) if editable else None,
            "stale": stale,
            "result": result,
            "form": form if session.status in (SessionStatus.LIVE, SessionStatus.REVIEWED) else None,
            "can_manage": can_manage,
            "can_sign": may_sign,
            "moves": [(m, services.MOVE_LABELS[m]) for m in sorted(services.MOVES.get(session.status, set()))]
            if can_manage
            else [],
            "early": services.lead_text(early) if early else "",
            "clashes": services.assignment_clashes([session]).get(session.pk, []),
        },
    )


@login_required
@require_POST
def session_action(request, session_id: int, action: str):
    session = services.get_session(request.user, session_id)
    if action == "delete":
        if attempt(request, lambda actor: services.delete_session(actor, session), _("已删除。")).ok:
            return redirect("live-sessions")
    elif action == "sign-off":
        attempt(request, lambda actor: services.sign_off(actor, session), _("合规审核已签字。"))
    elif action == "status":
        status, confirmed = request.POST.get("status", ""), request.POST.get("confirm_early") == "1"
        attempt(request, lambda actor: services.move_session(actor, session, status, confirm_early=confirmed))
    else:
        raise Http404
    return redirect("live-session", session_id=session.pk)


@page_needs(roles.LIVE_VIEW)
def anchor_list(request):
    today = timezone.localdate()
    anchors = Anchor.objects.prefetch_related("qualifications", "accounts")
    rows = [(a, services.age_on(a.birth_date, today)) for a in anchors]
    return render(request, "live/anchors.html", {"rows": rows, "can_manage": roles.can(request.user, roles.LIVE_MANAGE),
                                                 "today": today})  # fmt: skip


@page_needs(roles.LIVE_MANAGE)
def anchor_edit(request, anchor_id: int | None = None):
    done = lambda saved: reverse("live-anchor", args=[saved.pk])  # noqa: E731
    titles = (_("登记主播"), _("修改主播"))
    return edit_page(
        request, Anchor, anchor_id, AnchorForm, services.save_anchor, done, titles, reverse("live-anchors")
    )


@page_needs(roles.LIVE_VIEW)
def anchor_detail(request, anchor_id: int):
    anchor = services.get_anchor(request.user, anchor_id)
    save = lambda actor, values: services.save_qualification(actor, anchor, values)  # noqa: E731
    form = add_form(request, QualificationForm, roles.can(request.user, roles.LIVE_MANAGE), save, "live-anchor",
                    anchor_id=anchor.pk)  # fmt: skip
    if isinstance(form, HttpResponseRedirect):
        return form
    return render(
        request,
        "live/anchor.html",
        {"anchor": anchor, "age": services.age_on(anchor.birth_date, timezone.localdate()), "form": form,
         "today": timezone.localdate(), "sales": services.sales(anchor=anchor),
         "bookings": anchor.bookings.select_related("session").order_by("-session__starts_at")[:20]},
    )  # fmt: skip


@page_needs(roles.LIVE_VIEW)
def product_list(request):
    products = Product.objects.select_related("partner").prefetch_related("documents")
    can_manage = roles.can(request.user, roles.LIVE_MANAGE)
    context = {"products": products, "today": timezone.localdate(), "can_manage": can_manage}
    return render(request, "live/products.html", context)


@page_needs(roles.LIVE_MANAGE)
def product_edit(request, product_id: int | None = None):
    done = lambda saved: reverse("live-product", args=[saved.pk])  # noqa: E731
    titles = (_("新增商品"), _("修改商品"))
    return edit_page(
        request, Product, product_id, ProductForm, services.save_product, done, titles, reverse("live-products")
    )


@login_required  # get_product decides: 404 for a product the caller may not see, as the API answers
def product_detail(request, product_id: int):
    product = services.get_product(request.user, product_id)
    save = lambda actor, values: services.add_document(actor, product, values)  # noqa: E731
    form = add_form(request, DocumentForm, roles.can(request.user, roles.LIVE_MANAGE), save, "live-product",
                    product_id=product.pk, success=_("已添加。"))  # fmt: skip
    if isinstance(form, HttpResponseRedirect):
        return form
    rows = services.documents_marked(product.documents.all())
    context = {"product": product, "form": form, "today": timezone.localdate(), "documents": rows}
    return render(request, "live/product.html", context)


@page_needs(roles.LIVE_MANAGE)
@require_POST
def document_delete(request, product_id: int, document_id: int):
    product = services.get_product(request.user, product_id)
    attempt(request, lambda actor: services.remove_document(actor, product, document_id), _("资质文件已删除。"))
    return redirect("live-product", product_id=product.pk)


IMAGE_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


@page_needs(roles.LIVE_VIEW)
def product_image(request, product_id: int):
    """The product's picture, to people who may see live commerce (media has no public URL)."""
    product = Product.objects.filter(pk=product_id).exclude(image="").first()
    content_type = IMAGE_TYPES.get(product.image.name.rsplit(".", 1)[-1].lower()) if product else None
    if content_type is None:  # no picture, or not one checked on upload
        raise Http404
    response = FileResponse(product.image.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=300"
    return response


@page_needs(roles.LIVE_MANAGE)
def results_import(request):
    if request.GET.get("template") in ("csv", "xlsx"):
        header, example = results.template()
        return table_response("tongpin-live-results-template", header, [example], request.GET["template"])
    form = ResultsImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            count = results.import_results(
                actor_from_request(request), upload.name or "results.csv", upload.read(20 * 1024 * 1024 + 1)
            )
        except DomainError as error:
            for item in error.errors:
                form.add_error(None, str(item.message))
        else:
            messages.success(request, _("已导入 %(n)d 场直播的数据。") % {"n": count})
            return redirect("live-sessions")
    return render(request, "live/results_import.html", {"form": form})


@page_needs(roles.LIVE_VIEW)
def sales_page(request):
    from tongpin.partners.models import Partner

    enterprises = Partner.objects.filter(live_sessions__result__isnull=False).distinct()
    anchors = Anchor.objects.filter(bookings__session__result__isnull=False).distinct()
    return render(
        request,
        "live/sales.html",
        {"by_partner": [(p, services.sales(partner=p)) for p in enterprises],
         "by_anchor": [(a, services.sales(anchor=a)) for a in anchors]},
    )  # fmt: skip
