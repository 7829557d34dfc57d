"""预警通道设置 pages: release policies, channel coverage, sender certificates; admins edit, duty officers read.

Thin: the rules and the audit are in lane_config.py. Division search is a plain GET form (no script: the
site's CSP allows scripts only from static files) and a small JSON endpoint for other clients.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tongpin.core.audit import Actor, actor_from_request
from tongpin.core.pages import act_or_stay
from tongpin.publishing import channels_admin

from . import divisions, labels
from . import lane_config as lane
from .models import Level, PolicyAction


def _int(value, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _policy_from_post(post, policy_id: int | None) -> lane.PolicyInput:
    return lane.PolicyInput(
        id=policy_id,
        name=post.get("name", ""),
        sender=post.get("sender", "*"),
        min_level=post.get("min_level", ""),
        urgencies=post.getlist("urgencies"),
        action=post.get("action", ""),
        escalate_after=_int(post.get("escalate_after"), -1),
        position=_int(post.get("position"), -1),
        is_active="is_active" in post,
    )


def _told(request, write: Callable[[Actor], str]) -> Callable[[Actor], None]:
    """`write`, whose answer (what it did, "" when it told already) is told once it went through."""

    def call(actor: Actor) -> None:
        if said := write(actor):
            messages.success(request, said)

    return call


def tab_post(request, to: str, write: Callable[[Actor], str], *args: Any, stay: bool = False,
             **kwargs: Any) -> HttpResponseRedirect | None:  # fmt: skip
    """A settings tab's POST, back to the tab: admins only (a duty officer's post is a 403, not a message);
    `write(actor)` makes the change and answers what to tell on success ("" when it told already). A refused save
    (`stay`) answers None: the caller shows the tab again with what was typed (a redirect would lose it)."""
    lane.require_edit(actor_from_request(request))
    return act_or_stay(request, _told(request, write), to, *args, stay=stay, **kwargs)


def _policy_write(actor: Actor, post, typed: lane.PolicyInput | None) -> str:
    if typed is None:
        lane.delete_policy(actor, _int(post.get("id")))
        return _("发布策略已删除。")
    lane.save_policy(actor, typed)
    return _("发布策略已保存，下一条预警起生效。")


@login_required
def policies(request):
    rows = lane.policies(actor_from_request(request))  # refuses those who may not read
    typed = None
    if request.method == "POST":
        if not request.POST.get("delete"):
            typed = _policy_from_post(request.POST, _int(request.POST.get("id")) or None)
        write = lambda actor: _policy_write(actor, request.POST, typed)  # noqa: E731
        if done := tab_post(request, "alert-settings", write, stay=typed is not None):
            return done
    return render(request, "alerts/settings_policies.html", {
        "tab": "policies", "policies": rows, "can_edit": lane.may_edit(request.user), "typed": typed,
        "levels": Level.choices, "actions": PolicyAction.choices,
        "urgencies": [(code, labels.label("urgency", code)) for code in lane.URGENCIES],
        "without_coverage": lane.channels_without_coverage(),
    })  # fmt: skip


@login_required
def coverage_list(request):
    lane.require_read(actor_from_request(request))
    rows = [{"channel": c, "coverage": lane.describe_coverage(getattr(c, "coverage", None))}
            for c in lane.alert_channels()]  # fmt: skip
    context = {"tab": "coverage", "rows": rows, "can_edit": lane.may_edit(request.user)}
    return render(request, "alerts/settings_coverage.html", context)


def _coverage_from_post(post) -> lane.CoverageInput:
    codes = post.getlist("area_codes") + post.get("more_codes", "").replace("，", ",").replace(",", " ").split()
    return lane.CoverageInput(
        area_codes=codes,
        polygons=lane.parse_polygons(post.get("polygons", "")),
        everywhere="everywhere" in post,
        min_level=post.get("min_level", ""),
        accepts_restricted="accepts_restricted" in post,
    )


def _coverage_form(coverage, post=None) -> dict:
    """What the coverage form shows: the saved coverage, or what was typed when the save was refused."""
    if post is not None:
        codes, more, polygons = post.getlist("area_codes"), post.get("more_codes", ""), post.get("polygons", "")
        flags = {name: name in post for name in ("everywhere", "accepts_restricted")}
        return {"areas": [{"code": c, "name": divisions.label(c)} for c in codes], "more_codes": more,
                "polygons_text": polygons, "min_level": post.get("min_level", ""), **flags}  # fmt: skip
    rings = coverage.polygons if coverage else []
    return {
        "areas": lane.describe_coverage(coverage)["areas"], "more_codes": "",
        "polygons_text": "\n".join(" ".join(f"{lat},{lon}" for lat, lon in ring) for ring in rings),
        "min_level": coverage.min_level if coverage else Level.BLUE,
        "everywhere": bool(coverage and coverage.everywhere),
        "accepts_restricted": bool(coverage and coverage.accepts_restricted),
    }  # fmt: skip


@login_required
def coverage_edit(request, channel_id: int):
    lane.require_read(actor_from_request(request))
    channel = channels_admin.get_channel(channel_id)
    if request.method == "POST":
        data = _coverage_from_post(request.POST)

        def save(actor: Actor) -> str:
            lane.save_coverage(actor, channel.pk, data)
            return _("覆盖范围已保存，下一条预警起生效。")

        if done := tab_post(request, "alert-settings-coverage-edit", save, stay=True, channel_id=channel.pk):
            return done
    coverage = lane.get_coverage(channel)
    form = _coverage_form(coverage, request.POST if request.method == "POST" else None)
    query = request.GET.get("q", "").strip()[:40]
    chosen = {area["code"] for area in form["areas"]}
    found = [d for d in divisions.search(query, limit=30) if d.code not in chosen] if query else []
    return render(request, "alerts/settings_coverage_edit.html", {
        "tab": "coverage", "channel": channel, "coverage": coverage, "described": lane.describe_coverage(coverage),
        "query": query, "found": found, "levels": Level.choices, "form": form, "can_edit": lane.may_edit(request.user),
    })  # fmt: skip


@login_required
def certificates(request):
    rows = lane.certificates(actor_from_request(request))
    typed: dict[str, str] = {}
    if request.method == "POST":
        # A refusal shows the page again with what was typed (a redirect would clear the sender and note).
        add = lambda actor: _add_certificate(actor, request)  # noqa: E731
        if done := tab_post(request, "alert-settings-certificates", add, stay=True):
            return done
        typed = {name: request.POST.get(name, "") for name in ("sender", "pem", "note")}
    return render(request, "alerts/settings_certificates.html", {
        "tab": "certificates", "rows": rows, "can_edit": lane.may_edit(request.user), "typed": typed,
    })  # fmt: skip


def _add_certificate(actor: Actor, request) -> str:
    upload = request.FILES.get("pem_file")
    pem = request.POST.get("pem", "")
    if upload is not None:
        pem = upload.read(65536).decode("utf-8", errors="replace")
    lane.add_certificate(actor, request.POST.get("sender", ""), pem, request.POST.get("note", ""))
    return _("证书已登记。")


@login_required
@require_POST
def certificate_remove(request, certificate_id: int):
    def remove(actor: Actor) -> str:
        lane.remove_certificate(actor, certificate_id)
        return _("证书已删除。")

    return tab_post(request, "alert-settings-certificates", remove)


@login_required
@require_GET
def division_search(request):
    """`?q=南昌` or `?q=3601`: up to 20 divisions as JSON (code, name, level, path)."""
    lane.require_read(actor_from_request(request))
    found = divisions.search(request.GET.get("q", "")[:40])
    results = [{"code": d.code, "name": d.name, "level": d.level, "level_label": d.level_label, "path": d.path}
               for d in found]  # fmt: skip
    return JsonResponse({"results": results}, json_dumps_params={"ensure_ascii": False})
