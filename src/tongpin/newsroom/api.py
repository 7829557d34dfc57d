"""REST endpoints for stories, revisions and assets. Thin: each one calls the services."""

import datetime as dt

from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import Field

from tongpin.core import roles
from tongpin.core.audit import actor_from_request
from tongpin.core.errors import FieldError, Forbidden
from tongpin.core.resources import Resource, on_one, patch_of, shown
from tongpin.core.schemas import ERRORS
from tongpin.publishing.api import PublicationOut
from tongpin.publishing.kinds import ChannelKind
from tongpin.publishing.services import publications_of

from . import assets as asset_service
from . import stories as story_service
from .diff import diff_revisions
from .downloads import asset_response, export_response
from .listing import MAX_PAGE, StoryFilters, StoryRow, list_stories
from .maintenance import request_reindex
from .models import Asset, Story
from .publish import publish_story, published_at, story_ninjs
from .stories import StoryInput

router = Router(tags=["stories"])


class StoryIn(Schema):
    title: str = Field(description="标题, 1–200 characters")
    summary: str = ""
    body_html: str = Field("", description="HTML (sanitised to the allowed subset) or plain text paragraphs")
    partner: str | None = Field(None, description="partner slug")
    campaign_id: int | None = None
    topic_id: int | None = None
    assignment_id: int | None = Field(None, description="the assignment (派单) this story fulfils")
    tags: list[str] = []
    channel_intentions: list[ChannelKind] = []
    author_ids: list[int] | None = None


class StoryVersion(Schema):
    version: int = Field(description="the version this edit starts from (optimistic locking)")


# The version the edit starts from, then StoryIn's fields, each optional (pydantic puts the last base's fields first).
class StoryPatch(patch_of(StoryIn, "StoryChanges"), StoryVersion):
    pass


class AuthorOut(Schema):
    id: int
    username: str
    name: str

    resolve_name = shown()


class StoryOut(Schema):
    id: int
    title: str
    summary: str
    body_html: str
    status: str
    status_label: str = Field(alias="get_status_display")
    version: int
    partner: str | None
    campaign_id: int | None
    topic_id: int | None
    assignment_id: int | None
    tags: list[str]
    channel_intentions: list[str]
    authors: list[AuthorOut]
    created_at: dt.datetime
    updated_at: dt.datetime
    published_at: dt.datetime | None = Field(
        None, description="when the story first reached a channel (its first successful delivery); null until then"
    )

    @staticmethod
    def resolve_partner(story: Story) -> str | None:
        return story.partner.slug if story.partner_id else None

    @staticmethod
    def resolve_published_at(story: Story) -> dt.datetime | None:
        return published_at(story)

    @staticmethod
    def resolve_tags(story: Story) -> list[str]:
        return [tag.name for tag in story.tags.all()]


class StoryListItem(Schema):
    id: int = Field(alias="pk")
    title: str
    summary: str
    status: str
    version: int
    partner: str | None = Field(alias="partner_slug")
    tags: list[str]
    updated_at: dt.datetime
    highlight_title: str | None = None
    highlight: str | None = None

    @staticmethod
    def resolve_highlight_title(row: StoryRow) -> str | None:
        return str(row.snippet.title) if row.snippet else None

    @staticmethod
    def resolve_highlight(row: StoryRow) -> str | None:
        return str(row.snippet.excerpt) if row.snippet else None


# Reads a `listing.StoryPage`: its rows are read straight from the database, with the search's snippets.
class StoryListOut(Schema):
    count: int = Field(alias="total", description="matches; counting stops at 10,000 (then `more` is true)")
    more: bool = False
    page: int
    page_size: int
    results: list[StoryListItem] = Field(alias="stories")


class StoryQuery(Schema):
    q: str = Field("", max_length=200, description="full-text search (Chinese, either script)")
    partner: str = ""
    status: str = ""
    author: str = ""
    tag: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(20, ge=1, le=100)


class RevisionOut(Schema):
    number: int
    title: str
    summary: str
    body_html: str
    tags: list[str]
    channel_intentions: list[str]
    created_by: str
    created_at: dt.datetime
    note: str

    resolve_created_by = shown("created_by")


class RevisionListItem(Schema):
    number: int
    title: str
    created_by: str
    created_at: dt.datetime
    note: str

    resolve_created_by = shown("created_by")


class DiffLineOut(Schema):
    kind: str
    html: str


# Reads a `diff.RevisionDiff`.
class DiffOut(Schema):
    old: int = Field(alias="old.number")
    new: int = Field(alias="new.number")
    title_html: str = Field(alias="title")
    summary_html: str = Field(alias="summary")
    body: list[DiffLineOut]
    tags_added: list[str]
    tags_removed: list[str]


class RestoreIn(Schema):
    version: int


class AssetOut(Schema):
    key: str
    kind: str
    mime_type: str
    original_name: str
    size: int
    sha256: str
    width: int | None
    height: int | None
    caption: str
    download_url: str
    thumbnail_url: str | None

    @staticmethod
    def resolve_key(asset: Asset) -> str:
        return asset.key.hex

    @staticmethod
    def resolve_download_url(asset: Asset) -> str:
        return f"/api/v1/assets/{asset.key.hex}/download"

    @staticmethod
    def resolve_thumbnail_url(asset: Asset) -> str | None:
        return f"/api/v1/assets/{asset.key.hex}/thumbnail" if asset.thumbnail else None


def story_input(request, payload: Schema) -> dict:
    """The service's input (a `StoryInput` of the fields sent), as the values `save_story` takes."""
    values = payload.dict(exclude_unset=True, exclude={"version"})
    if values.get("channel_intentions") is not None:
        values["channel_intentions"] = [str(k) for k in values["channel_intentions"]]
    return {"input": StoryInput.of(**values)}


def save_story(actor, values: dict) -> Story:
    return story_service.create_story(actor, values["input"])


STORIES = Resource("story", Story, input=StoryIn, output=StoryOut, lookup=story_service.get_story, save=save_story,
                   values=story_input, patch=StoryPatch,
                   summaries={"create": "Create a story (revision 1)", "get": "One story"})  # fmt: skip


@router.get("/stories", response={200: StoryListOut, **ERRORS}, summary="List or search stories")
def stories_list(request, filters: Query[StoryQuery]):
    roles.require_any(request.auth, roles.STORY_VIEW)
    criteria = StoryFilters(**filters.dict(exclude={"page", "page_size"}))
    return list_stories(request.auth, criteria, filters.page, filters.page_size)


@router.get("/stories/export.csv", response={200: None, **ERRORS}, summary="The list (same filters and scope) as CSV")
def stories_export(request, filters: Query[StoryQuery]):
    roles.require_any(request.auth, roles.STORY_VIEW)
    criteria = StoryFilters(**filters.dict(exclude={"page", "page_size"}))
    return export_response(actor_from_request(request, "api"), criteria, filters.dict(exclude_defaults=True))


class ReindexTaskOut(Schema):
    task_id: str


@router.post("/search/reindex", response={202: ReindexTaskOut, **ERRORS}, summary="Queue a rebuild of the search index")
def search_reindex(request):
    return Status(202, {"task_id": request_reindex(actor_from_request(request, "api"))})


STORIES.routes(router, "/stories", "story_id", verbs=("create", "get"))


# Not a routes() change: the service checks the fields before it looks the story up (422 before 404), kept so.
@router.patch("/stories/{story_id}", response={200: StoryOut, **ERRORS},
              summary="Edit a story; answers 409 if someone saved since `version`")  # fmt: skip
def stories_patch(request, story_id: int, payload: StoryPatch):
    edit = story_input(request, payload)["input"]
    return story_service.update_story(actor_from_request(request, "api"), story_id, edit, payload.version)


def history_story(user, story_id: int) -> Story:
    """The story (404 when hidden), then 403 for a role that may not read its history."""
    story = story_service.get_story(user, story_id)
    if not story_service.can_view_history(user):
        raise Forbidden(FieldError("forbidden", "history not available to this role"))
    return story


@on_one(router.get, "/stories/{story_id}/revisions", history_story, list[RevisionListItem], "Revisions")
def revisions_list(actor, story):
    return list(story.revisions.select_related("created_by"))


@router.get("/stories/{story_id}/revisions/{number}", response={200: RevisionOut, **ERRORS}, summary="One revision")
def revisions_get(request, story_id: int, number: int):
    story = history_story(request.auth, story_id)
    return story_service.get_revision(request.auth, story, number)


@router.get("/stories/{story_id}/diff", response={200: DiffOut, **ERRORS}, summary="Diff between two revisions")
def revisions_diff(request, story_id: int, old: int, new: int):
    story = history_story(request.auth, story_id)
    return diff_revisions(
        story_service.get_revision(request.auth, story, old), story_service.get_revision(request.auth, story, new)
    )


@router.post("/stories/{story_id}/revisions/{number}/restore", response={200: StoryOut, **ERRORS},
             summary="Restore an old revision as a new one")  # fmt: skip
def revisions_restore(request, story_id: int, number: int, payload: RestoreIn):
    story = story_service.restore_revision(actor_from_request(request, "api"), story_id, number, payload.version)
    return story


@on_one(router.get, "/stories/{story_id}/assets", story_service.get_story, list[AssetOut], "Assets of a story")
def assets_list(actor, story):
    return list(story.assets.all())


@router.post("/stories/{story_id}/assets", response={201: AssetOut, **ERRORS}, summary="Upload an asset")
def assets_upload(request, story_id: int, file: File[UploadedFile], caption: Form[str] = ""):
    asset = asset_service.attach_asset(actor_from_request(request, "api"), story_id, file, caption)
    return Status(201, asset)


@on_one(router.get, "/assets/{key}/download", asset_service.get_asset, None, "Download an asset (access-checked)")
def assets_download(actor, asset):
    return asset_response(asset, actor)


@on_one(router.get, "/assets/{key}/thumbnail", asset_service.get_asset, None, "Thumbnail of an image asset")
def assets_thumbnail(actor, asset):
    return asset_response(asset, actor, thumbnail=True)


@router.delete("/assets/{key}", response={204: None, **ERRORS}, summary="Delete an asset")
def assets_delete(request, key: str):
    asset_service.delete_asset(actor_from_request(request, "api"), key)
    return Status(204, None)


class PublishIn(Schema):
    channels: list[int] = Field(description="channel ids")
    at: dt.datetime | None = Field(None, description="publish at this time (ISO 8601 with time zone); now if absent")
    hold: bool = Field(False, description="prepare renditions only; send later with /publications/{id}/release")


@on_one(router.post, "/stories/{story_id}/publish", story_service.get_story, PublicationOut,
        "Publish the approved story to channels (now, at a time, or held for editing)", status=201)  # fmt: skip
def stories_publish(actor, story, payload: PublishIn):
    return publish_story(actor, story.pk, payload.channels, at=payload.at, release_now=not payload.hold)


@on_one(router.get, "/stories/{story_id}/publications", story_service.get_story, list[PublicationOut],
        "Where and how a story was published")  # fmt: skip
def stories_publications(actor, story):
    return list(publications_of(actor.user, "story", story.pk))


@on_one(router.get, "/stories/{story_id}/ninjs", story_service.get_story, dict,
        "The story as IPTC ninjs 2.0 JSON (approved text once approved)")  # fmt: skip
def stories_ninjs(actor, story):
    return story_ninjs(story)
