"""REST endpoints for a partner's printed journal (合作方刊物): the articles an issue can carry, the issues, and
composing one into its print PDF. Thin: publishing.journal decides (a print channel, the capability, the pool)."""

from __future__ import annotations

import datetime as dt

from django.http import FileResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from tongpin.core.audit import actor_from_request, record_download
from tongpin.core.errors import FieldError, NotFound
from tongpin.core.schemas import ERRORS

from . import journal
from .models import JournalIssue, Rendition

router = Router(tags=["publishing"])


class PoolArticleOut(Schema):
    rendition_id: int = Field(alias="id")
    publication_id: int
    title: str
    released_at: dt.datetime | None = Field(None, alias="publication.released_at")

    @staticmethod
    def resolve_title(rendition: Rendition) -> str:
        return str(rendition.fields.get("title", ""))


class JournalIssueIn(Schema):
    number: str = Field(description="the issue's number as printed (期号), unique in the journal: 2026年第11期")
    title: str = Field("", description="the journal's name on the cover; empty: the channel's name")
    issue_date: dt.date
    rendition_ids: list[int] = Field(description="print renditions from the pool, in the order they are printed")


class JournalIssueOut(Schema):
    id: int
    channel_id: int
    number: str
    title: str
    issue_date: dt.date
    pages: int
    built_at: dt.datetime | None
    rendition_ids: list[int]
    pdf: str | None = Field(description="the print PDF's address once built")

    @staticmethod
    def resolve_rendition_ids(issue: JournalIssue) -> list[int]:
        return [article.rendition_id for article in issue.articles.all()]

    @staticmethod
    def resolve_pdf(issue: JournalIssue) -> str | None:
        return f"/api/v1/journal-issues/{issue.pk}/pdf" if issue.pdf else None


@router.get("/channels/{channel_id}/journal/pool", response={200: list[PoolArticleOut], **ERRORS},
            summary="Articles a journal issue can carry")  # fmt: skip
def journal_pool(request, channel_id: int):
    channel = journal.print_channel(request.auth, channel_id)
    return list(journal.article_pool(channel).select_related("publication"))


@router.get("/channels/{channel_id}/journal/issues", response={200: list[JournalIssueOut], **ERRORS},
            summary="A journal's issues, newest first")  # fmt: skip
def journal_issues(request, channel_id: int):
    channel = journal.print_channel(request.auth, channel_id)
    return list(channel.issues.prefetch_related("articles"))


@router.post("/channels/{channel_id}/journal/issues", response={201: JournalIssueOut, **ERRORS},
             summary="Compose an issue and build its print PDF")  # fmt: skip
def journal_compose(request, channel_id: int, payload: JournalIssueIn):
    channel = journal.print_channel(request.auth, channel_id)
    issue = journal.create_issue(actor_from_request(request, "api"), channel, number=payload.number,
                                 title=payload.title or channel.name, issue_date=payload.issue_date,
                                 rendition_ids=payload.rendition_ids)  # fmt: skip
    return Status(201, issue)


@router.get("/journal-issues/{issue_id}", response={200: JournalIssueOut, **ERRORS}, summary="One issue")
def journal_issue(request, issue_id: int):
    return journal.get_issue(request.auth, issue_id)


@router.get("/journal-issues/{issue_id}/pdf", response={200: None, **ERRORS}, summary="The issue's print PDF")
def journal_pdf(request, issue_id: int):
    issue = journal.get_issue(request.auth, issue_id)
    if not issue.pdf:
        raise NotFound(FieldError("no_pdf", _("这一期还没有生成 PDF。"), "issue"))
    name = f"{issue.title}-{issue.number}.pdf"
    record_download(actor_from_request(request, "api"), issue, name)
    response = FileResponse(issue.pdf.open("rb"), content_type="application/pdf", as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    return response
