"""Stories into the publishing pipeline: the approved revision as content, and the story's status kept in step.

Newsroom uses publishing (DESIGN.md); publishing tells newsroom what happened through its
`publication_changed` signal, connected in apps.ready.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from tongpin.core import roles
from tongpin.core.audit import Actor
from tongpin.core.errors import Conflict, FieldError
from tongpin.planning.services import story_delivered
from tongpin.publishing import services as publishing
from tongpin.publishing.feeds import ninjs
from tongpin.publishing.models import Delivery, DeliveryAction, DeliveryState, Priority, Publication, PublicationState
from tongpin.publishing.plugins import Content, formatter_for

from .models import AssetKind, Story, StoryStatus
from .stories import get_story, lock_for_change, record_change, set_status

SOURCE = "story"
PUBLISHABLE = (StoryStatus.APPROVED, StoryStatus.PUBLISHED)


def can_publish(user, story: Story) -> bool:
    """Whether the story page offers `user` to publish the story: a releaser, and a story that passed review."""
    return roles.can(user, roles.PUBLISH) and story.status in PUBLISHABLE


def story_content(story: Story) -> Content:
    """The approved text: an approved or published story cannot change without going back to draft,
    so its latest revision is the one the review approved."""
    revision = story.revisions.get(number=story.version)
    reviewed = {a["key"] for a in revision.assets}  # the assets as of the approved revision, nothing added since
    images, names = [], set()
    for asset in story.assets.filter(kind=AssetKind.IMAGE).order_by("uploaded_at", "id"):
        if asset.key.hex not in reviewed:
            continue
        name = asset.original_name
        while name in names:
            name = f"{asset.key.hex[:6]}-{asset.original_name}"
        names.add(name)
        images.append({"path": asset.file.name, "name": name, "caption": asset.caption, "mime": asset.mime_type})
    byline = "、".join(a.display_name or a.get_username() for a in story.authors.all()[:4])
    base = settings.TONGPIN_BASE_URL
    return Content(
        source_type=SOURCE,
        source_id=story.pk,
        version=revision.number,
        title=revision.title,
        summary=revision.summary,
        body_html=revision.body_html,
        body_text=revision.body_text,
        tags=list(revision.tags),
        images=images,
        byline=byline,
        link=f"{base}/s/{story.pk}" if base else "",
        partner_id=story.partner_id,
    )


def publish_story(
    actor: Actor, story_id: int, channel_ids: list[int], at: datetime | None = None, release_now: bool = True
) -> Publication:
    story = get_story(actor.user, story_id)
    if story.status not in PUBLISHABLE:
        raise Conflict(
            FieldError(
                "not_approved", _("稿件需要三审通过后才能发布（当前：%(s)s）。") % {"s": story.get_status_display()}
            )
        )
    return publishing.prepare(
        actor, story_content(story), channel_ids, at=at, priority=Priority.NORMAL, release_now=release_now
    )


def rendition_edited(actor: Actor, publication: Publication, rendition) -> int:
    """A channel version of a story edited by hand is part of what goes out: it becomes the story's next
    revision (kept in `channel_versions`), so an approved story goes back to review (publishing's source rule)."""
    story = lock_for_change(publication.source_id)
    channel = rendition.channel
    edited = {
        "publication": publication.pk,
        "channel": channel.slug,
        "name": channel.name,
        "kind": rendition.kind,
        "fields": rendition.fields,
        "labels": formatter_for(rendition.kind).labels(),
    }
    record_change(
        actor,
        story,
        "story.rendition_edit",
        {"publication": publication.pk, "channel": channel.slug},
        note=_("修改渠道稿：%(c)s") % {"c": channel.name},
        channel_version=edited,
    )
    return story.version


def check_release(publication: Publication) -> None:
    """A held publication goes out only while its story is approved at exactly the version it was made from
    (or its channel versions were last edited at)."""
    story = Story.objects.filter(pk=publication.source_id).first()
    if story is None or story.status not in PUBLISHABLE:
        shown = story.get_status_display() if story else "-"
        raise Conflict(
            FieldError("not_approved", _("稿件需要三审通过后才能发布（当前：%(s)s）。") % {"s": shown})
        )
    if story.version != publication.source_version:
        raise Conflict(
            FieldError("stale_version", _("稿件在准备发布后已有新版本，请重新准备发布。"), "publication")
        )


def _first_delivery(story_ref, live_only: bool) -> Subquery:
    sent = Delivery.objects.filter(
        action=DeliveryAction.PUBLISH,
        state=DeliveryState.SUCCESS,
        delivered_at__isnull=False,
        rendition__publication__source_type=SOURCE,
        rendition__publication__source_id=story_ref,
    )
    if live_only:
        sent = sent.exclude(rendition__publication__state=PublicationState.WITHDRAWN)
    return Subquery(sent.order_by("delivered_at").values("delivered_at")[:1])


def with_published_at(stories: QuerySet[Story]) -> QuerySet[Story]:
    """`stories` each with `published_at`: when it first reached a channel (its earliest successful publishing
    delivery) — the day commitments and partner reports count it on, so the same everywhere. Publications
    withdrawn since are passed over while another still stands; None while nothing has gone out."""
    ref = OuterRef("pk")
    return stories.annotate(published_at=Coalesce(_first_delivery(ref, True), _first_delivery(ref, False)))


def published_at(story: Story) -> datetime | None:
    """`with_published_at` for one story (the API's `published_at`)."""
    found = getattr(story, "published_at", None)
    if found is not None:
        return found
    return with_published_at(Story.objects.filter(pk=story.pk)).values_list("published_at", flat=True).first()


def mark_published(sender, publication: Publication, old: str, new: str, **kwargs) -> None:
    """First channel out: the story is published (receiver of publishing's publication_changed)."""
    if publication.source_type != SOURCE or new not in (PublicationState.DONE, PublicationState.PARTIAL):
        return
    story = Story.objects.select_for_update().filter(pk=publication.source_id).first()
    if story is not None and story.status == StoryStatus.APPROVED:
        actor = Actor(user=publication.created_by, via="system")
        set_status(actor, story, StoryStatus.PUBLISHED)
        story_delivered(story)


def story_ninjs(story: Story) -> dict:
    """ninjs of the story's latest revision (the approved text once it is approved)."""
    content = story_content(story)
    publication = Publication(
        source_type=SOURCE,
        source_id=story.pk,
        source_version=content.version,
        title=content.title,
        content=asdict(content),
        created_at=story.created_at,
        released_at=story.updated_at,
        state=PublicationState.WITHDRAWN if story.status == StoryStatus.WITHDRAWN else PublicationState.DONE,
    )
    return ninjs(publication)
