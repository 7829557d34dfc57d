"""REST endpoints of 三审三校. Thin: each one calls the services."""

import datetime as dt

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import Field

from tongpin.core import roles, throttle
from tongpin.core.access import api_needs
from tongpin.core.audit import actor_from_request
from tongpin.core.errors import FieldError, NotFound, TooLarge, TooManyRequests, ValidationFailed
from tongpin.core.resources import on_one, shown
from tongpin.core.schemas import ERRORS
from tongpin.newsroom import stories as story_service

from . import proofing, workflow
from .models import ReviewRun, ReviewStep

router = Router(tags=["review"])


class SubmitIn(Schema):
    version: int | None = Field(None, description="the version being submitted (refused if a newer one exists)")
    priority: int = Field(0, description="0 normal, 1 high, 2 urgent")


class DecisionIn(Schema):
    decision: str = Field(description="approve | changes | reject")
    comment: str = ""
    same_person_reason: str = ""
    author_reason: str = Field("", description="required when an author decides on their own story (if allowed)")


class CommentOut(Schema):
    author: str
    text: str
    decision: str
    created_at: dt.datetime

    resolve_author = shown("author")


class StepOut(Schema):
    order: int
    name: str
    role: str
    status: str
    due_at: dt.datetime | None
    claimed_by: str | None
    decided_by: str | None
    decided_at: dt.datetime | None
    comments: list[CommentOut]

    resolve_claimed_by, resolve_decided_by = shown("claimed_by"), shown("decided_by")


class RunOut(Schema):
    id: int
    status: str
    revision: int = Field(alias="revision.number")
    workflow: str = Field(alias="workflow.name")
    priority: int
    submitted_by: str
    submitted_at: dt.datetime
    finished_at: dt.datetime | None
    steps: list[StepOut]

    resolve_submitted_by = shown("submitted_by")

    @staticmethod
    def resolve_steps(run: ReviewRun) -> list[ReviewStep]:
        return list(workflow.run_steps(run))


class FindingOut(Schema):
    key: str
    start: int
    end: int
    text: str
    category: str
    severity: str
    suggestion: str | None
    rule: str
    source: str
    message: str
    overridden: str | None


# Reads a report's view (`proofing.report_view`): its findings with their keys and overrides.
class ProofreadReportOut(Schema):
    revision: int = Field(alias="report.revision.number")
    rules_version: int = Field(alias="report.rules_version")
    blocking: int
    findings: list[FindingOut]

    @staticmethod
    def resolve_blocking(view: proofing.ReportView) -> int:
        return len(view.blocking)


class OverrideIn(Schema):
    key: str
    reason: str


# /proofread takes any text from anyone who writes or reviews: bounded in size (a long story's worth) and rate.
MAX_CHECK_CHARS = 200_000
CHECKS_PER_MINUTE = 30


class CheckIn(Schema):
    text: str = Field(description=f"at most {MAX_CHECK_CHARS} characters (413 too_large beyond)")
    max_chars: int | None = None
    strict_advert: bool = False


class FlagIn(Schema):
    reason: str


@router.post("/stories/{story_id}/submit", response={201: RunOut, **ERRORS},
             summary="Send the latest revision into review")  # fmt: skip
def submit(request, story_id: int, payload: SubmitIn):
    run = workflow.submit(actor_from_request(request, "api"), story_id, payload.version, payload.priority)
    return Status(201, run)


@router.post("/stories/{story_id}/review", response={200: RunOut, **ERRORS}, summary="Decide on the current step")
def review(request, story_id: int, payload: DecisionIn):
    answer = (payload.decision, payload.comment, payload.same_person_reason, payload.author_reason)
    return workflow.decide(actor_from_request(request, "api"), story_id, *answer)


def visible_run(user, story_id: int) -> ReviewRun:
    """The story's latest review run, for whoever may read its history or is named on it (404 otherwise)."""
    story = workflow.reviewable_story(user, story_id)
    if not workflow.may_see_review(user, story):
        raise NotFound(FieldError("no_review", "no review visible"))
    run = workflow.latest_run(story)
    if run is None:
        raise NotFound(FieldError("no_review", "this story has not been submitted"))
    return run


@on_one(router.get, "/stories/{story_id}/review", visible_run, RunOut, "The latest review run and its steps")
def review_get(actor, run) -> None:
    """Answers the run."""


@router.post("/stories/{story_id}/review/claim", response={200: RunOut, **ERRORS}, summary="Claim the current step")
def review_claim(request, story_id: int):
    step = workflow.claim(actor_from_request(request, "api"), story_id)
    return step.run


def story_report(user, story_id: int):
    """The proofreading report of the story's latest revision, for whoever may read its history (404 otherwise)."""
    story = story_service.get_story(user, story_id)
    if not story_service.can_view_history(user):
        raise NotFound(FieldError("story_not_found", "not visible"))
    return proofing.latest_report(story.revisions.get(number=story.version))


@on_one(router.get, "/stories/{story_id}/proofread", story_report, ProofreadReportOut,
        "Proofreading findings of the latest revision")  # fmt: skip
def proofread_get(actor, report):
    return proofing.report_view(report)


@on_one(router.post, "/stories/{story_id}/proofread", story_report, ProofreadReportOut,
        "Proofread the latest revision again")  # fmt: skip
def proofread_run(actor, report):
    return proofing.report_view(proofing.proofread_revision(report.revision))


@on_one(router.post, "/stories/{story_id}/proofread/overrides", story_report, ProofreadReportOut,
        "Keep an error, with a reason")  # fmt: skip
def proofread_override(actor, report, payload: OverrideIn):
    proofing.override_finding(actor, report, payload.key, payload.reason)
    return proofing.report_view(report)


@router.post("/proofread", response={200: list[FindingOut], **ERRORS}, summary="Proofread any text (not stored)")
@api_needs(roles.PROOFREAD)
def proofread_text(request, payload: CheckIn):
    wait = throttle.rate_limited("proofread", request.auth.pk, CHECKS_PER_MINUTE, 60)
    if wait:
        raise TooManyRequests(FieldError("rate_limited", _("校对请求过于频繁，请稍后再试。")), retry_after=wait)
    if len(payload.text) > MAX_CHECK_CHARS:
        raise TooLarge(FieldError("too_large", _("文本过长（上限 %(n)d 字）。") % {"n": MAX_CHECK_CHARS}, "text"))
    if payload.max_chars is not None and payload.max_chars < 1:
        raise ValidationFailed(FieldError("invalid", "max_chars must be positive", "max_chars"))
    findings = proofing.check_text(payload.text, payload.max_chars, payload.strict_advert)
    return [{**f.as_dict(), "key": proofing.finding_key(f.as_dict()), "overridden": None} for f in findings]


# A step of `workflow.review_queue`, which reads the runs, stories and claimants with it.
class QueueStepOut(Schema):
    story_id: int = Field(alias="run.story_id")
    title: str = Field(alias="run.story.title")
    step: str = Field(alias="name")
    due_at: dt.datetime | None
    priority: int = Field(alias="run.priority")
    claimed_by: str | None

    resolve_claimed_by = shown("claimed_by")


@router.get("/review/queue", response={200: list[QueueStepOut], **ERRORS}, summary="Steps waiting for me")
def queue(request):
    roles.require_any(request.auth, roles.STORY_VIEW)
    return workflow.review_queue(request.auth)


class FlagOut(Schema):
    id: int
    state: str


@router.post("/stories/{story_id}/flags", response={201: FlagOut, **ERRORS},
             summary="Flag a published story (post-publication)")  # fmt: skip
def flag(request, story_id: int, payload: FlagIn):
    return Status(201, workflow.flag_story(actor_from_request(request, "api"), story_id, payload.reason))


class ResolveIn(Schema):
    withdraw: bool
    note: str


@router.post("/flags/{flag_id}/resolve", response={200: FlagOut, **ERRORS},
             summary="Withdraw the story, or dismiss the flag")  # fmt: skip
def resolve(request, flag_id: int, payload: ResolveIn):
    return workflow.resolve_flag(actor_from_request(request, "api"), flag_id, payload.withdraw, payload.note)


@router.get("/proofread/rules.csv", summary="Export the rule lists as CSV")
def rules_export(request):
    exported = proofing.export_rules_csv(actor_from_request(request, "api"))
    response = HttpResponse("\ufeff" + exported, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="rules.csv"'
    return response


class RulesImportOut(Schema):
    imported: int = Field(description="rules read from the file")


class RosterImportOut(Schema):
    people: int = Field(description="leaders on the roster now")


@router.post("/proofread/rules.csv", response={200: RulesImportOut, **ERRORS}, summary="Import rules from CSV (admins)")
def rules_import(request, file: File[UploadedFile]):
    text = _decode(file.read(5 * 1024 * 1024 + 1), 5 * 1024 * 1024)
    count = proofing.import_rules_csv(actor_from_request(request, "api"), text, file.name or "upload.csv")
    return {"imported": count}


@router.post("/proofread/roster.csv", response={200: RosterImportOut, **ERRORS},
             summary="Replace the leader roster from CSV (admins)")  # fmt: skip
def roster_import(request, file: File[UploadedFile]):
    text = _decode(file.read(1024 * 1024 + 1), 1024 * 1024)
    return {"people": proofing.import_roster_csv(actor_from_request(request, "api"), text, file.name or "roster.csv")}


def _decode(data: bytes, limit: int) -> str:
    if len(data) > limit:
        raise ValidationFailed(FieldError("too_large", "file too large", "file"))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationFailed(FieldError("not_utf8", f"not UTF-8 (byte {error.start})", "file")) from error
