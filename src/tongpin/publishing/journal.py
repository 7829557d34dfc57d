"""The partner's printed journal: choose delivered print renditions, assemble an issue, render a print PDF.

WeasyPrint renders with the Noto CJK fonts (Debian's fonts-noto-cjk); it may read files only from the media
folder (pictures), never from the network.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from tongpin.core import audit, roles
from tongpin.core.audit import Actor
from tongpin.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from tongpin.core.ids import clean_id
from tongpin.core.pdf import render_pdf

from .channels_admin import get_channel
from .kinds import ChannelKind
from .listing import delivered_renditions
from .models import (
    Channel,
    JournalArticle,
    JournalIssue,
    Rendition,
)

MAX_ARTICLES = 40


def print_channel(user, channel_id: int) -> Channel:
    """A partner journal's channel for those who publish: an area check first (403 whatever the id, so a caller
    without the capability learns nothing of channel ids, as channels_admin.visible_channel), then 404 for no
    channel or one of another kind."""
    roles.require(user, roles.PUBLISH)
    channel = get_channel(channel_id)
    if channel.kind != ChannelKind.PRINT:
        raise NotFound(FieldError("not_print", _("这不是刊物渠道。"), "channel"))
    return channel


def get_issue(user, issue_id: int) -> JournalIssue:
    """One issue for those who publish (403 whatever the id for the others), else 404."""
    roles.require(user, roles.PUBLISH)
    issue = JournalIssue.objects.select_related("channel").filter(pk=clean_id(issue_id) or 0).first()
    if issue is None:
        raise NotFound(FieldError("issue_not_found", _("这一期不存在。"), "issue"))
    return issue


def article_pool(channel: Channel) -> QuerySet[Rendition]:
    """Print renditions delivered to this journal and not withdrawn: what an issue can carry."""
    return delivered_renditions(channel)


def _date(raw: str | dt.date) -> dt.date:
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError as error:
        raise ValidationFailed(FieldError("invalid_date", _("出版日期格式应为 YYYY-MM-DD。"), "issue_date")) from error


def create_issue(
    actor: Actor, channel: Channel, number: str, title: str, issue_date: str | dt.date, rendition_ids: list[int]
) -> JournalIssue:
    roles.require(actor.user, roles.PUBLISH)
    if channel.kind != ChannelKind.PRINT:
        raise ValidationFailed(FieldError("not_print", _("这不是刊物渠道。"), "channel"))
    number, title = (number or "").strip(), (title or "").strip()
    errors = []
    if not number or len(number) > 40:
        errors.append(FieldError("required", _("请填写期号（不超过 40 字）。"), "number"))
    if not title or len(title) > 120:
        errors.append(FieldError("required", _("请填写刊名（不超过 120 字）。"), "title"))
    if not rendition_ids:
        errors.append(FieldError("required", _("请至少选择一篇稿件。"), "renditions"))
    if len(rendition_ids) > MAX_ARTICLES:
        errors.append(FieldError("too_many", _("一期最多 %(n)d 篇。") % {"n": MAX_ARTICLES}, "renditions"))
    if errors:
        raise ValidationFailed(errors)
    date = _date(issue_date)
    pool = {r.pk: r for r in article_pool(channel).filter(pk__in=rendition_ids)}
    missing = [i for i in rendition_ids if i not in pool]
    if missing:
        raise ValidationFailed(FieldError("not_in_pool", _("所选稿件不在本刊稿库中。"), "renditions"))
    with transaction.atomic():
        if JournalIssue.objects.filter(channel=channel, number=number).exists():
            raise Conflict(FieldError("duplicate", _("这一期已经存在。"), "number"))
        issue = JournalIssue.objects.create(
            channel=channel, number=number, title=title, issue_date=date, created_by=actor.user
        )
        JournalArticle.objects.bulk_create(
            [
                JournalArticle(issue=issue, rendition=pool[r], position=i)
                for i, r in enumerate(dict.fromkeys(rendition_ids))
            ]
        )
        build_pdf(issue)
        audit.record(actor, "journal.issue", issue, {"articles": len(pool), "pages": issue.pages})
    return issue


def render_html(issue: JournalIssue) -> str:
    articles = []
    for article in issue.articles.select_related("rendition__publication"):
        fields = article.rendition.fields
        content = article.rendition.publication.content
        chosen = set(fields.get("images") or [])
        pictures = [
            {"url": Path(default_storage.path(i["path"])).as_uri(), "caption": i.get("caption", "")}
            for i in content.get("images", [])
            if i.get("name") in chosen
        ]
        articles.append({"fields": fields, "pictures": pictures})
    return render_to_string("publishing/journal_print.html", {"issue": issue, "articles": articles})


def build_pdf(issue: JournalIssue) -> None:
    data, pages = render_pdf(render_html(issue))
    if issue.pdf:
        issue.pdf.delete(save=False)
    issue.pdf.save(f"{issue.pk}.pdf", ContentFile(data), save=False)
    issue.pages = pages
    issue.built_at = timezone.now()
    issue.save(update_fields=["pdf", "pages", "built_at"])
