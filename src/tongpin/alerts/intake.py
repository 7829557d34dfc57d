"""Receiving warning messages: validate, store once, chain, check the signature, then apply the release policy.

A document is taken whole or not at all (a wrapper of several alerts included); an exact repeat of a stored
message (same sender, identifier and sent) returns the stored alert and changes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from lxml import etree

from tongpin.core import audit, roles
from tongpin.core.audit import Actor
from tongpin.core.errors import FieldError, ValidationFailed
from tongpin.core.roles import ALERT_SUBMIT

from . import release as lifecycle
from . import senders as trust
from .cap.model import Message, parse_time
from .cap.validate import Report, validate_bytes
from .models import Alert, AlertState
from .signature import check_signature

RACE_RETRIES = 2  # a document staged again after another request stored one of its alerts first


@dataclass
class Received:
    alert: Alert
    created: bool


class TooLarge(ValidationFailed):
    status = 413


def _errors(reports: list[Report]) -> list[FieldError]:
    found = []
    for index, report in enumerate(reports):
        prefix = f"alert[{index}]" if len(reports) > 1 else ""
        for issue in report.errors:
            where = "/".join(part for part in (prefix, issue.location) if part)
            found.append(FieldError(issue.code, issue.message, where))
    return found


def receive(actor: Actor, data: bytes, profile: str | None = None) -> list[Received]:
    if actor.user is not None:  # None: a message from the listener, not an account
        roles.require(actor.user, ALERT_SUBMIT, _("这个账号不能提交预警信息。"))
    limit = settings.TONGPIN_CAP_MAX_BYTES
    if len(data) > limit:
        raise TooLarge(FieldError("too_large", _("消息超过 %(n)d 字节。") % {"n": limit}))
    reports = validate_bytes(
        data, profile=profile if profile is not None else settings.TONGPIN_CAP_PROFILE or None, max_bytes=limit
    )
    errors = _errors(reports)
    if errors:
        raise ValidationFailed(errors)
    # Before anything is looked up: a sender account speaks only as the identities bound to it.
    trust.check_senders(actor, [report.message.sender for report in reports])
    # Everything that needs no lock first (reads, signature, policy, renditions and speech), then one write
    # transaction per document: the alert stored already in its decided state, and published.
    for attempt in range(RACE_RETRIES + 1):
        staged = [_stage(actor, report) for report in reports]
        try:
            with transaction.atomic(), audit.batched():
                results = _commit_all(actor, staged)
            break
        except IntegrityError:
            # The same message arrived twice at once and the other request stored it first: the whole document
            # is undone and staged again, which now finds the stored alert. (Cheaper than a savepoint around
            # every insert, two round trips on every warning, for a race that is rare.)
            if attempt == RACE_RETRIES or not any(_stored_meanwhile(stage) for stage in staged):
                raise
    for result in results:
        # A repeat of a message stored but never decided (its first request failed half-way) is decided now.
        if not result.created and result.alert.state == AlertState.RECEIVED:
            result.alert = lifecycle.decide(actor, result.alert)
    return results


@dataclass
class Stage:
    """A new alert, not yet stored, with its decision (release.plan_decision) prepared outside the lock."""

    alert: Alert
    warnings: int
    decision: lifecycle.Decision


def _commit_all(actor: Actor, staged: list[Received | Stage]) -> list[Received]:
    """Store the document's new alerts; one repeated inside the same document is stored once."""
    results: list[Received] = []
    stored: dict[tuple, Alert] = {}
    for stage in staged:
        if isinstance(stage, Received):
            results.append(stage)
            continue
        key = (stage.alert.sender, stage.alert.identifier, stage.alert.sent)
        if key in stored:
            results.append(Received(stored[key], False))
            continue
        result = _commit(actor, stage)
        stored[key] = result.alert
        results.append(result)
    return results


def _stored_meanwhile(stage: Received | Stage) -> bool:
    """Whether a staged new alert has since been stored by another request (read after the rollback)."""
    if isinstance(stage, Received):
        return False
    alert = stage.alert
    return Alert.objects.filter(sender=alert.sender, identifier=alert.identifier, sent=alert.sent).exists()


def _commit(actor: Actor, stage: Stage) -> Received:
    alert = stage.alert
    alert.save()
    received = {
        "format": alert.source_format, "msg_type": alert.msg_type, "status": alert.status, "level": alert.level,
        "signature": alert.signature, "warnings": stage.warnings,
    }  # fmt: skip
    if trust.trusted(actor.user) and alert.sender != settings.TONGPIN_CAP_SENDER:
        received["on_behalf_of"] = alert.sender  # a duty officer relaying an agency's warning by hand
    audit.record(actor, "alert.received", alert, received)
    return Received(lifecycle.settle(actor, alert, stage.decision), True)


def _stage(actor: Actor, report: Report) -> Received | Stage:
    message: Message = report.message
    existing = Alert.objects.filter(sender=message.sender, identifier=message.identifier, sent=message.sent).first()
    if existing is not None:
        return Received(existing, False)
    warnings = [w.as_dict() for w in report.warnings]
    references = message.reference_keys
    earlier = []
    for sender, identifier, sent in references:
        rows = Alert.objects.filter(sender=sender, identifier=identifier)
        rows = rows.filter(sent=sent) if sent else rows
        found = rows.order_by("-received_at").first()
        if found is None:
            warnings.append(
                {
                    "code": "unknown_reference",
                    "message": _("没有找到所引用的预警 %(r)s。") % {"r": f"{sender},{identifier},{sent}"},
                    "location": "references",
                    "severity": "warning",
                }
            )
        elif not trust.acts_on(message.sender, found, actor.user):
            # Another agency's warning: neither linked nor touched (release.py's _earlier skips it too).
            warnings.append(
                {
                    "code": "foreign_reference",
                    "message": _("引用了其他发送方的预警 %(r)s，不会更新或解除它；须由值班员处理。")
                    % {"r": f"{sender},{identifier},{sent}"},
                    "location": "references",
                    "severity": "warning",
                }
            )
        else:
            earlier.append(found)
    if message.msg_type == "Update" and any(a.state == AlertState.CANCELLED for a in earlier):
        raise ValidationFailed(
            FieldError("references_cancelled", _("更新所指的预警已解除，不能再更新。"), "references")
        )
    info = message.preferred_info()
    signature = check_signature(report.parsed.element, message.sender) if message.signed else None
    area_codes = [(name, value) for area in (info.areas if info else []) for name, value in area.geocodes]
    polygons = []
    for area in info.areas if info else []:
        polygons.extend([list(p) for p in area.polygons])
        polygons.extend([list(p) for p in _circles(area)])
    cap_bytes = etree.tostring(report.parsed.element, encoding="UTF-8", xml_declaration=True)
    channel_texts = {
        name.split(":", 1)[1]: value for name, value in (info.parameters if info else []) if name.startswith("12379:")
    }
    alert = Alert(
        identifier=message.identifier,
        sender=message.sender,
        sent=message.sent,
        sent_at=parse_time(message.sent),
        msg_type=message.msg_type,
        status=message.status,
        scope=message.scope,
        source_format=report.parsed.source_format,
        level=info.level if info else "",
        severity=info.severity if info else "",
        urgency=info.urgency if info else "",
        certainty=info.certainty if info else "",
        event=(info.event if info else "")[:200],
        headline=(info.headline if info else "")[:300],
        description=info.description if info else "",
        instruction=info.instruction if info else "",
        sender_name=(info.sender_name if info else "")[:200],
        language=(info.language if info else "")[:20],
        area_desc="；".join(a.description for a in (info.areas if info else [])),
        geocodes=area_codes,
        polygons=polygons,
        channel_texts=channel_texts,
        effective_at=parse_time(info.effective) if info else None,
        expires_at=parse_time(info.expires) if info else None,
        references=[list(r) for r in references],
        previous=earlier[0] if earlier else None,
        cap_xml=cap_bytes.decode("utf-8"),
        sha256=hashlib.sha256(report.parsed.original or cap_bytes).hexdigest(),
        validation={"errors": [], "warnings": warnings},
        signature=signature.state if signature else "unsigned",
        signature_detail=signature.detail[:300] if signature else "",
        received_by=actor.user,
    )
    return Stage(alert, len(warnings), lifecycle.plan_decision(alert))


def _circles(area) -> list[list[tuple[float, float]]]:
    from .areas import circle_polygon

    return [circle_polygon(lat, lon, radius) for lat, lon, radius in area.circles]
