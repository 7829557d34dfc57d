"""Story pages. Thin: parse the request, call the services, render; domain errors become form errors
or the error pages (tongpin.web.middleware)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tongpin.core import roles
from tongpin.core.access import page_needs
from tongpin.core.audit import actor_from_request
from tongpin.core.errors import Conflict, ValidationFailed, flash_errors
from tongpin.core.pages import act, attempt, form_errors, form_refusal, post_only, whole_number
from tongpin.partners.models import Partner
from tongpin.partners.scope import partner_scope
from tongpin.publishing.models import PublicationState
from tongpin.publishing.services import publications_of

from . import assets as asset_service
from . import stories as story_service
from .diff import diff_revisions
from .downloads import asset_response, export_response
from .forms import AssetForm, FilterForm, StoryForm
from .listing import StoryFilters, list_stories
from .maintenance import reindex_status, request_reindex
from .models import Story
from .publish import can_publish


def _visible_partners(user):
    return Partner.objects.filter(partner_scope(user).filter("pk")).order_by("name")


def _filters(form: FilterForm) -> StoryFilters:
    return StoryFilters(**{k: v for k, v in form.cleaned_data.items() if v})


@login_required
def story_list(request):
    form = FilterForm(request.GET or None, partners=_visible_partners(request.user))
    page = None
    if form.is_valid() or not request.GET:
        try:
            filters = _filters(form) if request.GET else StoryFilters()
            page = list_stories(request.user, filters, whole_number(request.GET.get("page"), 1))
        except ValidationFailed as error:
            form_errors(form, error)
    context = {
        "form": form,
        "page": page,
        "query_string": _without_page(request),
        "can_create": roles.can(request.user, roles.STORY_CREATE),
    }
    template = "newsroom/_results.html" if request.htmx else "newsroom/story_list.html"
    return render(request, template, context)


@login_required
def story_export(request):
    form = FilterForm(request.GET, partners=_visible_partners(request.user))
    if not form.is_valid():
        raise form_refusal(form, "invalid_filter")
    return export_response(actor_from_request(request), _filters(form), request.GET.dict())


@page_needs(roles.SEARCH_REINDEX)
def maintenance(request):
    if request.method == "POST":
        task_id = request_reindex(actor_from_request(request))
        messages.success(
            request, _("已安排后台重建检索索引（任务 %(id)s），由后台任务进程执行。") % {"id": task_id[:8]}
        )
        return redirect("maintenance")
    context = {"story_count": Story.objects.count(), "status": reindex_status()}
    if request.htmx:  # the status box polls itself while the rebuild is queued or running
        return render(request, "newsroom/_reindex_status.html", context)
    return render(request, "newsroom/maintenance.html", context)


def _without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@page_needs(roles.STORY_CREATE)
def story_new(request):
    initial = {"assignment": request.GET.get("assignment")} if request.GET.get("assignment") else None
    form = StoryForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        create = lambda actor: story_service.create_story(actor, form.story_input())  # noqa: E731
        created = attempt(request, create, _("稿件已保存（第 1 版）。"), form=form, refusals=ValidationFailed)
        if created.ok:
            return redirect("story-detail", story_id=created.value.pk)
    return render(request, "newsroom/story_form.html", {"form": form, "story": None})


@login_required
def story_detail(request, story_id: int):
    story = story_service.get_story(request.user, story_id)
    return render(
        request,
        "newsroom/story_detail.html",
        {
            "story": story,
            "assets": story.assets.all(),
            "can_edit": story_service.can_edit_now(request.user, story),
            "can_history": story_service.can_view_history(request.user),
            "asset_form": AssetForm(),
            "can_publish": can_publish(request.user, story),
            # Sending for review starts here too, so an author need not look for it on the review page.
            "can_submit": story_service.can_submit(request.user, story),
            # A held publication given up (放弃) is history, not something still to do: not listed here.
            "publications": publications_of(request.user, "story", story.pk)
            .exclude(state=PublicationState.CANCELLED, released_at__isnull=True)
            .prefetch_related("renditions__channel", "renditions__deliveries"),
        },
    )


@login_required
def story_edit(request, story_id: int):
    story = story_service.get_story(request.user, story_id)
    if not story_service.can_edit(request.user, story):
        raise PermissionDenied
    form, conflict = StoryForm.editing(story, request.POST if request.method == "POST" else None, request.user), None
    if request.method == "POST" and form.is_valid():
        # "Save mine anyway" after a conflict sends the version the person has now seen.
        base = whole_number(request.POST.get("overwrite_version"), 0) or form.cleaned_data.get("version")
        try:
            story = story_service.update_story(actor_from_request(request), story.pk, form.story_input(), base)
        except Conflict as error:  # shown beside the form, with a way to compare or to save anyway
            conflict = error.errors[0]
            story.refresh_from_db()
        except ValidationFailed as error:
            form.add_domain_errors(error)
        else:
            messages.success(request, _("已保存为第 %(v)d 版。") % {"v": story.version})
            return redirect("story-detail", story_id=story.pk)
    return render(request, "newsroom/story_form.html", {"form": form, "story": story, "conflict": conflict})


@login_required
def story_history(request, story_id: int):
    story = story_service.get_story(request.user, story_id)
    if not story_service.can_view_history(request.user):
        raise PermissionDenied
    revisions = list(story.revisions.select_related("created_by"))
    return render(
        request,
        "newsroom/story_history.html",
        {
            "story": story,
            "revisions": revisions,
            "can_edit": story_service.can_edit_now(request.user, story),
        },
    )


@login_required
def revision_detail(request, story_id: int, number: int):
    story = story_service.get_story(request.user, story_id)
    revision = story_service.get_revision(request.user, story, number)
    return render(request, "newsroom/revision_detail.html", {"story": story, "revision": revision})


@login_required
def revision_diff(request, story_id: int):
    story = story_service.get_story(request.user, story_id)
    newest = story.version
    chosen = whole_number(request.GET.get("old"), max(1, newest - 1)), whole_number(request.GET.get("new"), newest)
    old_n, new_n = sorted(chosen)
    diff = diff_revisions(
        story_service.get_revision(request.user, story, old_n),
        story_service.get_revision(request.user, story, new_n),
    )
    return render(
        request,
        "newsroom/revision_diff.html",
        {
            "story": story,
            "diff": diff,
            "numbers": range(newest, 0, -1),
        },
    )


@post_only
def revision_restore(request, story_id: int, number: int):
    seen = whole_number(request.POST.get("version"), 0)
    restored = attempt(request, lambda actor: story_service.restore_revision(actor, story_id, number, seen),
                       refusals=Conflict)  # fmt: skip
    if not restored.ok:
        return redirect("story-history", story_id=story_id)
    story = restored.value
    messages.success(request, _("已将第 %(n)d 版恢复为新的第 %(v)d 版。") % {"n": number, "v": story.version})
    return redirect("story-detail", story_id=story.pk)


@post_only
def asset_upload(request, story_id: int):
    form = AssetForm(request.POST, request.FILES)
    if not form.is_valid():
        flash_errors(request, form_refusal(form))
        return redirect("story-detail", story_id=story_id)
    file, caption = form.cleaned_data["file"], form.cleaned_data.get("caption", "")
    attached = attempt(
        request, lambda actor: asset_service.attach_asset(actor, story_id, file, caption),
        refusals=(ValidationFailed, Conflict),
    )  # fmt: skip
    if attached.ok:
        messages.success(request, _("素材“%(n)s”已上传。") % {"n": attached.value.original_name})
    return redirect("story-detail", story_id=story_id)


@login_required
def asset_download(request, key: str):
    return asset_response(asset_service.get_asset(request.user, key), actor_from_request(request))


@login_required
def asset_thumbnail(request, key: str):
    return asset_response(asset_service.get_asset(request.user, key), actor_from_request(request), thumbnail=True)


@post_only
def asset_delete(request, key: str):
    asset = asset_service.get_asset(request.user, key)
    delete = lambda actor: asset_service.delete_asset(actor, key)  # noqa: E731
    return act(request, delete, "story-detail", story_id=asset.story_id, success=_("素材已删除。"), refusals=Conflict)
