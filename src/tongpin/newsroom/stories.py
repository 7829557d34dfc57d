"""Story rules: who may see and change a story, and how every change becomes a revision.

Views and API handlers call these functions; each write runs in one transaction with its revision,
its audit event and its search-index row, so an error leaves nothing half-written.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tongpin.core import audit, roles
from tongpin.core.audit import Actor
from tongpin.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from tongpin.core.ids import clean_id
from tongpin.core.models import User
from tongpin.core.roles import Role
from tongpin.core.text import html_to_text
from tongpin.partners.models import Partner
from tongpin.partners.scope import partner_scope
from tongpin.planning.models import Assignment, Campaign, Topic
from tongpin.publishing.kinds import ChannelKind
from tongpin.publishing.models import Publication
from tongpin.publishing.services import withdraw_source

from .models import Revision, Story, StoryStatus, Tag
from .sanitise import sanitise_html
from .search.indexing import index_story
from .signals import story_revised

MAX_TITLE = 200
MAX_SUMMARY = 500
MAX_BODY_CHARS = 200_000
MAX_TAGS = 20
MAX_TAG_CHARS = 32
# What partner liaisons may see of their partner's stories: finished work, not drafts.
LIAISON_STATUSES = (StoryStatus.APPROVED, StoryStatus.PUBLISHED)
# Published and archived stories change only through review (withdraw first), never by a plain edit.
EDITABLE_STATUSES = (StoryStatus.DRAFT, StoryStatus.IN_REVIEW, StoryStatus.APPROVED, StoryStatus.WITHDRAWN)
SUBMITTABLE_STATUSES = (StoryStatus.DRAFT, StoryStatus.WITHDRAWN)
# Which status may follow which, and the action that moves it (review and publishing call set_status).
TRANSITIONS: dict[tuple[str, str], str] = {
    (StoryStatus.DRAFT, StoryStatus.IN_REVIEW): "submit",
    (StoryStatus.WITHDRAWN, StoryStatus.IN_REVIEW): "submit",
    (StoryStatus.IN_REVIEW, StoryStatus.DRAFT): "return",
    (StoryStatus.IN_REVIEW, StoryStatus.APPROVED): "approve",
    (StoryStatus.IN_REVIEW, StoryStatus.ARCHIVED): "reject",
    (StoryStatus.APPROVED, StoryStatus.PUBLISHED): "publish",
    (StoryStatus.APPROVED, StoryStatus.WITHDRAWN): "withdraw",
    (StoryStatus.PUBLISHED, StoryStatus.WITHDRAWN): "withdraw",
}


@dataclass
class StoryInput:
    """Fields a writer sends. For an update, only the names in `given` are changed."""

    title: str | None = None
    summary: str | None = None
    body_html: str | None = None
    partner: str | None = None  # slug, or "" for none
    campaign_id: int | None = None
    topic_id: int | None = None
    assignment_id: int | None = None
    tags: list[str] | None = None
    channel_intentions: list[str] | None = None
    author_ids: list[int] | None = None
    given: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, **values: Any) -> "StoryInput":
        return cls(**values, given=set(values))


def visible_stories(user: User) -> QuerySet[Story]:
    """Every story the user may see: all for station staff; finished stories of their partner for liaisons."""
    if not roles.can(user, roles.STORY_VIEW):
        return Story.objects.none()
    scope = partner_scope(user)
    stories = Story.objects.filter(scope.filter("partner"))
    if user.role == Role.PARTNER_LIAISON:
        stories = stories.filter(status__in=LIAISON_STATUSES)
    return stories


def get_story(user: User, story_id: int) -> Story:
    """The story if the user may see it; NotFound otherwise (never revealing that it exists)."""
    story_id = clean_id(story_id)
    story = (
        visible_stories(user).select_related("partner", "created_by").filter(pk=story_id).first() if story_id else None
    )
    if story is None:
        raise NotFound(FieldError("story_not_found", _("稿件不存在或无权查看。"), "id"))
    return story


def can_edit(user: User, story: Story) -> bool:
    if roles.can(user, roles.STORY_EDIT_ANY):
        return True
    if not roles.can(user, roles.STORY_EDIT_OWN):
        return False
    return story.created_by_id == user.pk or story.authors.filter(pk=user.pk).exists()


def can_view_history(user: User) -> bool:
    return roles.can(user, roles.STORY_HISTORY)


def can_edit_now(user: User, story: Story) -> bool:
    """`can_edit`, and the story is still edited directly (published and archived ones change through review)."""
    return can_edit(user, story) and story.status in EDITABLE_STATUSES


def can_submit(user: User, story: Story) -> bool:
    """Whether `user` may send the story into review now: a draft or a withdrawn story they may edit."""
    return story.status in SUBMITTABLE_STATUSES and can_edit(user, story) and roles.can(user, roles.STORY_SUBMIT)


def possible_authors() -> QuerySet[User]:
    """People a story can be credited to: active users whose role writes stories — not the alert senders'
    machine accounts, liaisons, duty officers or the system administrator, nor anyone who has left."""
    writers = set(roles.roles_with(roles.STORY_CREATE)) & set(roles.roles_with(roles.ASSIGNMENT_TAKE))  # not 三员
    return User.objects.filter(is_active=True, role__in=writers)


def _clean_tags(raw: Iterable[str], errors: list[FieldError]) -> list[str]:
    tags: list[str] = []
    for tag in raw:
        tag = str(tag).strip().lstrip("#")
        if not tag:
            continue
        if len(tag) > MAX_TAG_CHARS:
            errors.append(FieldError("tag_too_long", _("标签不能超过 %(n)d 个字。") % {"n": MAX_TAG_CHARS}, "tags"))
        elif tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        errors.append(FieldError("too_many_tags", _("标签最多 %(n)d 个。") % {"n": MAX_TAGS}, "tags"))
    return tags


def _clean_assignment(user: User, data: StoryInput, out: dict[str, Any], errors: list[FieldError]) -> None:
    """Link the story to its assignment (派单) so the work is counted once; the assignment brings its topic,
    campaign and partner along. Only the assignee (or an editor) may claim an assignment."""
    assignment_id = clean_id(data.assignment_id)
    assignment = Assignment.objects.select_related("topic").filter(pk=assignment_id).first() if assignment_id else None
    out["assignment"] = assignment
    if data.assignment_id and assignment is None:
        errors.append(FieldError("unknown_assignment", _("派单不存在。"), "assignment_id"))
        return
    if assignment is None:
        return
    if assignment.assignee_id != user.pk and not roles.can(user, roles.STORY_EDIT_ANY):
        errors.append(FieldError("not_your_assignment", _("这不是派给您的单。"), "assignment_id"))
        return
    out["topic"] = assignment.topic
    out.setdefault("campaign", assignment.topic.campaign)
    if assignment.topic.partner_id and not data.partner:
        out["partner"] = assignment.topic.partner


def _clean(data: StoryInput, creating: bool, user: User | None = None) -> dict[str, Any]:
    """Validate every given field, collecting all errors before refusing."""
    errors: list[FieldError] = []
    out: dict[str, Any] = {}
    given = data.given

    if creating or "title" in given:
        title = (data.title or "").strip()
        if not title:
            errors.append(FieldError("required", _("请填写标题。"), "title"))
        elif len(title) > MAX_TITLE:
            errors.append(FieldError("too_long", _("标题不能超过 %(n)d 个字。") % {"n": MAX_TITLE}, "title"))
        out["title"] = title
    if "summary" in given:
        summary = (data.summary or "").strip()
        if len(summary) > MAX_SUMMARY:
            errors.append(FieldError("too_long", _("摘要不能超过 %(n)d 个字。") % {"n": MAX_SUMMARY}, "summary"))
        out["summary"] = summary
    if "body_html" in given:
        raw = data.body_html or ""
        if len(raw) > MAX_BODY_CHARS:
            errors.append(
                FieldError("too_long", _("正文过长（上限 %(n)d 字符）。") % {"n": MAX_BODY_CHARS}, "body_html")
            )
        else:
            out["body_html"] = sanitise_html(raw)
    if "partner" in given:
        slug = (data.partner or "").strip()
        out["partner"] = Partner.objects.filter(slug=slug).first() if slug else None
        if slug and out["partner"] is None:
            errors.append(FieldError("unknown_partner", _("合作方不存在。"), "partner"))
    if "campaign_id" in given:
        campaign_id = clean_id(data.campaign_id)
        out["campaign"] = Campaign.objects.filter(pk=campaign_id).first() if campaign_id else None
        if data.campaign_id and out["campaign"] is None:
            errors.append(FieldError("unknown_campaign", _("策划不存在。"), "campaign_id"))
    if "topic_id" in given:
        topic_id = clean_id(data.topic_id)
        out["topic"] = Topic.objects.filter(pk=topic_id).first() if topic_id else None
        if data.topic_id and out["topic"] is None:
            errors.append(FieldError("unknown_topic", _("选题不存在。"), "topic_id"))
    if "assignment_id" in given and user is not None:
        _clean_assignment(user, data, out, errors)
    if "tags" in given:
        out["tags"] = _clean_tags(data.tags or [], errors)
    if "channel_intentions" in given:
        kinds = list(dict.fromkeys(data.channel_intentions or []))
        unknown = [k for k in kinds if k not in ChannelKind.values]
        if unknown:
            errors.append(
                FieldError(
                    "unknown_channel",
                    _("未知渠道：%(k)s") % {"k": "、".join(map(str, unknown))},
                    "channel_intentions",
                )
            )
        out["channel_intentions"] = kinds
    if "author_ids" in given:
        ids = list(dict.fromkeys(data.author_ids or []))
        valid = [i for i in ids if clean_id(i)]
        authors = list(possible_authors().filter(pk__in=valid))
        if len(authors) != len(ids):
            errors.append(FieldError("unknown_author", _("作者不存在或不能署名。"), "author_ids"))
        out["authors"] = authors
    if errors:
        raise ValidationFailed(errors)
    return out


def _asset_snapshot(story: Story) -> list[dict]:
    return [
        {"key": a.key.hex, "name": a.original_name, "sha256": a.sha256, "caption": a.caption}
        for a in story.assets.order_by("uploaded_at", "id")
    ]


def _channel_versions(story: Story, edited: dict | None) -> list[dict]:
    """The previous revision's hand-edited channel versions of publications not yet released, with `edited`
    replacing its own earlier one (released ones went out as reviewed; they no longer wait for review)."""
    previous = story.revisions.filter(number=story.version - 1).values_list("channel_versions", flat=True).first()
    versions = list(previous or [])
    if versions:
        held = set(
            Publication.objects.filter(pk__in=[v.get("publication") for v in versions], released_at__isnull=True)
            .values_list("pk", flat=True)
        )
        versions = [v for v in versions if v.get("publication") in held]
    if edited is not None:
        same = (edited["publication"], edited["channel"])
        versions = [v for v in versions if (v.get("publication"), v.get("channel")) != same] + [edited]
    return versions


def _snapshot(story: Story, actor: Actor, note: str = "", channel_version: dict | None = None) -> Revision:
    return Revision.objects.create(
        story=story,
        number=story.version,
        title=story.title,
        summary=story.summary,
        body_html=story.body_html,
        body_text=story.body_text,
        tags=sorted(story.tags.values_list("name", flat=True)),
        channel_intentions=story.channel_intentions,
        partner_id_snapshot=story.partner_id,
        assets=_asset_snapshot(story) if story.pk else [],
        channel_versions=_channel_versions(story, channel_version) if story.version > 1 else [],
        created_by=actor.user,
        note=note,
    )


def _apply(story: Story, values: dict[str, Any]) -> dict[str, Any]:
    """Set the cleaned values on the story; return {field: [old, new]} for what actually changed."""
    changed: dict[str, Any] = {}
    for name, value in values.items():
        if name in ("tags", "authors"):
            continue
        old = getattr(story, name)
        if old != value:
            changed[name] = [_loggable(old), _loggable(value)]
            setattr(story, name, value)
    if "body_html" in changed:
        story.body_text = html_to_text(story.body_html)
    return changed


def _loggable(value: Any) -> Any:
    if hasattr(value, "pk"):
        return str(value)
    if isinstance(value, str) and len(value) > 200:
        return value[:200] + "…"
    return value


def _set_relations(story: Story, values: dict[str, Any], changed: dict[str, Any]) -> None:
    if "tags" in values:
        old = sorted(story.tags.values_list("name", flat=True)) if story.pk else []
        if sorted(values["tags"]) != old:
            tags = [Tag.objects.get_or_create(name=name)[0] for name in values["tags"]]
            story.tags.set(tags)
            changed["tags"] = [old, sorted(values["tags"])]
    if "authors" in values:
        old_ids = sorted(story.authors.values_list("pk", flat=True))
        new_ids = sorted(a.pk for a in values["authors"])
        if old_ids != new_ids:
            story.authors.set(values["authors"])
            changed["authors"] = [old_ids, new_ids]


def create_story(actor: Actor, data: StoryInput) -> Story:
    user = actor.user
    roles.require(user, roles.STORY_CREATE, _("您没有新建稿件的权限。"))
    values = _clean(data, creating=True, user=user)
    values.setdefault("authors", [user])
    with transaction.atomic():
        story = Story(created_by=user, station_id=user.station_id, status=StoryStatus.DRAFT, version=1)
        changed = _apply(story, values)
        story.save()
        _set_relations(story, values, changed)
        _snapshot(story, actor, note=_("新建"))
        audit.record(actor, "story.create", story, {"fields": sorted(changed)})
        index_story(story)
    return story


def _conflict(story: Story) -> Conflict:
    latest = story.revisions.select_related("created_by").order_by("-number").first()
    who = str(latest.created_by) if latest else "?"
    when = date_format(timezone.localtime(story.updated_at), "Y-m-d H:i")
    return Conflict(
        FieldError(
            "edit_conflict",
            _("稿件已被 %(who)s 于 %(when)s 修改（当前为第 %(v)d 版），您的修改尚未保存。请对照最新版本后再保存。")
            % {"who": who, "when": when, "v": story.version},
            "version",
        )
    )


def _lock_for_edit(actor: Actor, story_id: int, base_version: int | None) -> Story:
    story = get_story(actor.user, story_id)  # visibility first: a hidden story is simply not found
    if not can_edit(actor.user, story):
        raise Forbidden(FieldError("forbidden", _("您没有修改这篇稿件的权限。")))
    # select_for_update locks the row on PostgreSQL; SQLite's IMMEDIATE transactions serialise writers.
    story = Story.objects.select_for_update().get(pk=story.pk)
    if story.status not in EDITABLE_STATUSES:
        raise Conflict(
            FieldError("not_editable", _("稿件处于“%(s)s”状态，不能直接修改。") % {"s": story.get_status_display()})
        )
    if base_version is None:
        raise ValidationFailed(FieldError("required", _("缺少所依据的版本号。"), "version"))
    if story.version != base_version:
        raise _conflict(story)
    return story


def set_status(actor: Actor, story: Story, status: str, reason: str = "") -> Story:
    """Move a (locked) story to `status` if the table allows it; audited. Callers check who may do it."""
    action = TRANSITIONS.get((story.status, status))
    if action is None:
        raise Conflict(
            FieldError(
                "invalid_transition",
                _("稿件不能从“%(a)s”变为“%(b)s”。") % {"a": story.get_status_display(), "b": StoryStatus(status).label},
                "status",
            )
        )
    old = story.status
    story.status = status
    story.save(update_fields=["status"])
    audit.record(
        actor,
        f"story.{action}",
        story,
        {"status": [old, status], "reason": reason} if reason else {"status": [old, status]},
    )
    if status == StoryStatus.WITHDRAWN:
        # Off every channel too: queued sends cancelled, published ones taken down where the channel can.
        withdraw_source(actor, "story", story.pk, reason)
    return story


def lock_story(story_id: int) -> Story:
    return Story.objects.select_for_update().get(pk=story_id)


def update_story(actor: Actor, story_id: int, data: StoryInput, base_version: int | None) -> Story:
    """Save the given fields as a new revision, only if nobody saved since `base_version`."""
    linked = Story.objects.filter(pk=clean_id(story_id)).values_list("assignment_id", flat=True).first()
    if "assignment_id" in data.given and clean_id(data.assignment_id) == linked:
        data.given.discard("assignment_id")  # unchanged: a co-author editing is not claiming the assignment
    values = _clean(data, creating=False, user=actor.user)
    with transaction.atomic():
        story = _lock_for_edit(actor, story_id, base_version)
        changed = _apply(story, values)
        _set_relations(story, values, changed)
        if not changed:
            return story
        _new_revision(actor, story, "story.update", {"version": [base_version, story.version + 1], "fields": changed})
    return story


def lock_for_change(story_id: int) -> Story:
    """Lock a story for a change to what goes out with it other than its text (its assets, a channel version):
    allowed in the same states as a text edit. The caller has checked who may make it."""
    story = Story.objects.select_for_update().get(pk=story_id)
    if story.status not in EDITABLE_STATUSES:
        raise Conflict(
            FieldError("not_editable", _("稿件处于“%(s)s”状态，不能直接修改。") % {"s": story.get_status_display()})
        )
    return story


def record_change(
    actor: Actor,
    story: Story,
    action: str,
    changes: dict[str, Any],
    note: str = "",
    channel_version: dict | None = None,
) -> Revision:
    """A change to a (locked) story's assets or channel versions becomes its next revision, like a text edit:
    an approved story goes back to draft and an open review restarts, so nothing unreviewed goes out."""
    changes = {"version": [story.version, story.version + 1], **changes}
    return _new_revision(actor, story, action, changes, note, channel_version)


def _new_revision(
    actor: Actor,
    story: Story,
    action: str,
    changes: dict[str, Any],
    note: str = "",
    channel_version: dict | None = None,
) -> Revision:
    """Save the story as its next revision; approval of older text no longer holds."""
    story.version += 1
    story.updated_at = timezone.now()
    if story.status in (StoryStatus.APPROVED, StoryStatus.WITHDRAWN):
        changes["status"] = [story.status, StoryStatus.DRAFT]
        story.status = StoryStatus.DRAFT
    story.save()
    revision = _snapshot(story, actor, note=note, channel_version=channel_version)
    audit.record(actor, action, story, changes)
    index_story(story)
    story_revised.send(sender=Story, story=story, revision=revision, actor=actor)
    return revision


def get_revision(user: User, story: Story, number: int) -> Revision:
    if not can_view_history(user):
        raise Forbidden(FieldError("forbidden", _("您没有查看修改历史的权限。")))
    number = clean_id(number)
    revision = story.revisions.select_related("created_by").filter(number=number).first() if number else None
    if revision is None:
        raise NotFound(FieldError("revision_not_found", _("版本不存在。"), "number"))
    return revision


def restore_revision(actor: Actor, story_id: int, number: int, base_version: int | None) -> Story:
    """Bring an old revision back as a new one; history is never rewritten."""
    with transaction.atomic():
        story = _lock_for_edit(actor, story_id, base_version)
        old = get_revision(actor.user, story, number)
        partner = Partner.objects.filter(pk=old.partner_id_snapshot).first() if old.partner_id_snapshot else None
        values = {
            "title": old.title,
            "summary": old.summary,
            "body_html": old.body_html,
            "partner": partner,
            "channel_intentions": old.channel_intentions,
            "tags": old.tags,
        }
        changed = _apply(story, values)
        _set_relations(story, values, changed)
        _new_revision(
            actor,
            story,
            "story.restore",
            {"from_revision": number, "version": story.version + 1, "fields": changed},
            note=_("恢复自第 %(n)d 版") % {"n": number},
        )
    return story
