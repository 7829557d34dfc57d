"""The life of an alert: the release policy, targeting channels, publishing, updates, cancellations, expiry.

Every step is audited. Alerts skip the three-level review (they have this policy instead) and ride the
publishing queue's priority lane: red interrupts everything (URGENT), every other level goes HIGH.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tongpin.core import audit
from tongpin.core.audit import Actor
from tongpin.core.errors import Conflict, FieldError, NotFound
from tongpin.core.ids import clean_id
from tongpin.core.models import User
from tongpin.core.notify import notify
from tongpin.core.notify import settle as settle_notices
from tongpin.core.roles import Role
from tongpin.publishing import services as publishing
from tongpin.publishing.models import Channel, Priority

from . import areas, authority, duty, paging, renditions
from . import senders as trust
from .models import LEVEL_RANK, Alert, AlertState, Coverage, PolicyAction, ReleasePolicy

log = logging.getLogger(__name__)
DEFAULT_ESCALATION = 300
POLICY = Actor(user=None, via="alert-policy")


def _link(alert: Alert) -> str:
    return f"/alerts/{alert.pk}/"


def matching_policy(alert: Alert) -> ReleasePolicy | None:
    for policy in ReleasePolicy.objects.filter(is_active=True).filter(Q(sender="*") | Q(sender=alert.sender)):
        if LEVEL_RANK.get(alert.level, 0) < LEVEL_RANK[policy.min_level]:
            continue
        if policy.urgencies and alert.urgency not in policy.urgencies:
            continue
        return policy
    return None


HOLD, RELEASE, CONFIRM = "hold", "release", "confirm"


def choose(alert: Alert) -> tuple[str, ReleasePolicy | None]:
    """What the policy says for a new alert: hold (never public), release now, or wait for a duty officer.

    Sets `alert.hold_reason` when the sender's trust, not the policy, makes it wait (see senders.py)."""
    if alert.status in ("System", "Draft") or alert.msg_type in ("Ack", "Error"):
        return HOLD, None
    policy = matching_policy(alert)
    alert.hold_reason = trust.hold_reason(alert)
    if alert.hold_reason:  # a Cancel too: a forged 解除 would take a real warning off the air
        return CONFIRM, policy
    if alert.msg_type == "Cancel" or (policy is not None and policy.action == PolicyAction.AUTO):
        # A cancellation always goes out at once: keeping a withdrawn warning on air is the greater harm.
        return RELEASE, policy
    return CONFIRM, policy


@dataclass
class Decision:
    """What becomes of a new alert, worked out without a lock: the policy's choice (HOLD, RELEASE or CONFIRM),
    the policy that made it (None: no policy matched, or a cancellation), why the sender's trust makes it wait,
    and for a release the earlier alerts it acts on and the publication to store."""

    choice: str
    policy: ReleasePolicy | None
    hold_reason: str = ""
    earlier: list[Alert] = field(default_factory=list)
    plan: publishing.Draft | None = None


def plan_decision(alert: Alert) -> Decision:
    """The decision for `alert` (stored or not yet), with everything a release needs prepared outside any lock."""
    choice, policy = choose(alert)
    earlier, plan = plan_release(alert) if choice == RELEASE else ([], None)
    return Decision(choice, policy, alert.hold_reason, earlier, plan)


def settle(actor: Actor, alert: Alert, decision: Decision) -> Alert:
    """The one place an alert's fate is decided: move a stored, undecided (`received`) alert to held, pending
    (duty officers asked) or released, audited. Runs inside the caller's transaction."""
    policy_name = decision.policy.name if decision.policy else None
    if decision.choice == HOLD:
        return _set_state(actor, alert, AlertState.HELD, "alert.held")
    if decision.choice == RELEASE:
        audit.record(actor, "alert.auto_release", alert, {"policy": policy_name or "cancel"})
        return apply_release(actor, alert, decision.earlier, decision.plan)
    waiting = {"policy": policy_name or "default", **({"reason": decision.hold_reason} if decision.hold_reason else {})}
    _set_state(actor, alert, AlertState.PENDING, "alert.awaiting_confirmation", noted=waiting,
               escalate_after=decision.policy.escalate_after if decision.policy else DEFAULT_ESCALATION,
               hold_reason=decision.hold_reason)  # fmt: skip
    ask_duty_officers(alert)
    return alert


def decide(actor: Actor, alert: Alert) -> Alert:
    """Apply the policy to a stored alert never decided (the intake decides new ones in its own transaction).
    One decided meanwhile by another request is answered as it stands."""
    decision = plan_decision(alert)
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        if locked.state != AlertState.RECEIVED:
            return locked
        return settle(actor, locked, decision)


def ask_duty_officers(alert: Alert) -> None:
    officers = User.objects.filter(role=Role.DUTY_OFFICER, is_active=True)
    notify(officers, _("待确认预警：%(t)s") % {"t": str(alert)[:80]}, _link(alert), about=_about(alert))
    paging.page_alert(alert)  # the officer on duty by every route (sent when the transaction commits)


def _about(alert: Alert) -> str:
    return f"alert:{alert.pk}"


def _set_state(actor: Actor, alert: Alert, state: str, action: str, noted: dict | None = None, **changes) -> Alert:
    """`noted`: more to put in the audit entry than the state change (a duty officer's note)."""
    old = alert.state
    alert.state = state
    for key, value in changes.items():
        setattr(alert, key, value)
    # Only what changed: the row also holds the whole CAP text, and this runs inside the write lock.
    alert.save(update_fields=["state", *changes])
    audit.record(actor, action, alert, {"state": [old, state], **(noted or {})})
    if old == AlertState.PENDING:  # decided, released by policy or gone: the "please confirm" notices are done
        settle_notices(_about(alert))
    log.info("alert %s (%s) %s → %s: %s", alert.pk, alert.identifier[:60], old, state, action)
    return alert


def target_channels(alert: Alert) -> list[Channel]:
    """Channels whose coverage meets the alert's area and carries its level; test channels for tests; for a
    Restricted or Private alert only the channels marked to accept them (internal ones)."""
    wanted = []
    rank = max(LEVEL_RANK.get(alert.level, 0), 1)  # an unknown level is treated as blue
    coverages = Coverage.objects.select_related("channel").filter(
        channel__is_active=True, channel__for_tests=not alert.public, channel__kind__in=renditions.ALERT_KINDS
    )
    if not alert.open_to_everyone:
        coverages = coverages.filter(accepts_restricted=True)
    for coverage in coverages:
        if rank < LEVEL_RANK[coverage.min_level]:
            continue
        if coverage.everywhere or _meets(coverage, alert):
            wanted.append(coverage.channel)
    return wanted


def _meets(coverage: Coverage, alert: Alert) -> bool:
    if coverage.area_codes and areas.codes_meet(coverage.area_codes, [code for _name, code in alert.geocodes]):
        return True
    theirs = [[tuple(p) for p in polygon] for polygon in alert.polygons]
    return any(areas.polygons_meet([tuple(p) for p in mine], other) for mine in coverage.polygons for other in theirs)


def _plan(alert: Alert, channels: list[Channel], cancelling: Alert | None = None) -> publishing.Draft | None:
    """The publication for these channels, renditions and synthesised speech included; worked out before any
    lock is taken, because speech synthesis is the slow part and must not hold up other writers."""
    if not channels:
        return None
    kinds = {c.kind for c in channels}
    sms = next((c.settings for c in channels if c.kind == "sms"), {})
    content = renditions.content(alert, kinds, sms, cancelling, renditions.operator_limits(channels))
    priority = Priority.URGENT if (cancelling or alert).level == "red" else Priority.HIGH
    # Published under the release policy, not a person's publishing right; who decided is in the alert's audit.
    return publishing.draft(
        POLICY,
        content,
        [c.pk for c in channels],
        priority=priority,
        allow_test_channels=not alert.public,
        skip_blocked=True,
        proofread=False,  # official warning text; proofreading would only add hints, and time
        channels=channels,
    )


def _publish(actor: Actor, alert: Alert, plan: publishing.Draft | None):
    if plan is None:
        return None
    plan.content.source_id = alert.pk  # the content was built before the alert had its id
    return publishing.store(Actor(user=None, ip=actor.ip, via=POLICY.via), plan)


def _reached(alert: Alert) -> list[Channel]:
    if alert.publication_id is None:
        return []
    return list(Channel.objects.filter(renditions__publication_id=alert.publication_id, is_active=True).distinct())


def _withdraw(actor: Actor, alert: Alert, reason: str) -> None:
    """Take an earlier alert off its channels (the 解除 message's channels come from `_reached`, before)."""
    if alert.publication_id is not None:
        publishing.withdraw_publication(actor, alert.publication, reason)


def plan_release(alert: Alert) -> tuple[list[Alert], publishing.Draft | None]:
    """Everything a release needs that can be worked out without a lock: the earlier alerts it acts on and the
    renditions (speech included) for the channels it reaches."""
    earlier = _earlier(alert)
    if alert.msg_type == "Cancel":
        reached = {c.pk: c for previous in earlier for c in _reached(previous) if c.kind in renditions.ALERT_KINDS}
        return earlier, (_plan(alert, list(reached.values()), cancelling=earlier[0]) if earlier else None)
    return earlier, _plan(alert, target_channels(alert))


def apply_release(actor: Actor, alert: Alert, earlier: list[Alert], plan: publishing.Draft | None) -> Alert:
    """Withdraw what this replaces or cancels, publish, mark released. Runs inside the caller's transaction."""
    if alert.msg_type == "Cancel":
        for previous in earlier:
            _withdraw(actor, previous, "cancelled")
            _set_state(actor, previous, AlertState.CANCELLED, "alert.cancelled", ended_at=timezone.now())
    else:
        for previous in earlier:
            if previous.state in (AlertState.RELEASED, AlertState.PENDING):
                _withdraw(actor, previous, "updated")
                _set_state(actor, previous, AlertState.SUPERSEDED, "alert.superseded", ended_at=timezone.now())
    publication = _publish(actor, alert, plan)
    alert.released_at = timezone.now()
    return _set_state(
        actor, alert, AlertState.RELEASED, "alert.released", publication=publication, released_at=alert.released_at
    )


def release(actor: Actor, alert: Alert) -> Alert:
    """Publish now (policy or duty officer said so); an Update replaces, a Cancel withdraws and announces."""
    earlier, plan = plan_release(alert)
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.state not in (AlertState.RECEIVED, AlertState.PENDING):
            raise Conflict(FieldError("already_decided", _("这条预警已经处理过了。")))
        return apply_release(actor, alert, earlier, plan)


def _earlier(alert: Alert) -> list[Alert]:
    """The alerts this one refers to that we hold and it may act on (newest first).

    A sender updates or cancels only its own messages; naming another sender's takes a duty officer (the
    composer) — otherwise one sender account could take down everybody's warnings.
    """
    found = []
    for sender, identifier, sent in alert.references:
        rows = Alert.objects.filter(sender=sender, identifier=identifier).exclude(pk=alert.pk)
        if sent:
            rows = rows.filter(sent=sent)
        found.extend(row for row in rows if trust.acts_on(alert.sender, row, alert.received_by))
    unique = {a.pk: a for a in found}
    return sorted(unique.values(), key=lambda a: a.received_at, reverse=True)


def _decidable(actor: Actor, alert_id: int) -> tuple[Alert, str]:
    """The pending alert, locked, and the authority the actor decides it with (authority.py: the role, or a place
    on the shift running now)."""
    how = authority.require_decide(actor.user)
    alert = Alert.objects.select_for_update().filter(pk=clean_id(alert_id) or 0).first()
    if alert is None:
        raise NotFound(FieldError("alert_not_found", _("预警信息不存在。"), "alert"))
    if alert.state != AlertState.PENDING:
        raise Conflict(
            FieldError("not_pending", _("这条预警不在待确认状态（%(s)s）。") % {"s": alert.get_state_display()})
        )
    return alert, how


def confirm(actor: Actor, alert_id: int, note: str = "") -> Alert:
    with transaction.atomic():
        alert, how = _decidable(actor, alert_id)
        alert.decided_by, alert.decided_at, alert.decision_note = actor.user, timezone.now(), note[:300]
        alert.save(update_fields=["decided_by", "decided_at", "decision_note"])
        audit.record(actor, "alert.confirmed", alert, {"note": note, "authority": how})
        paging.decided(actor, alert, how)
        return release(actor, alert)


def reject(actor: Actor, alert_id: int, note: str = "") -> Alert:
    with transaction.atomic():
        alert, how = _decidable(actor, alert_id)
        paging.decided(actor, alert, how)
        return _set_state(
            actor,
            alert,
            AlertState.REJECTED,
            "alert.rejected",
            noted={"note": note, "authority": how},
            decided_by=actor.user,
            decided_at=timezone.now(),
            decision_note=note[:300],
            ended_at=timezone.now(),
        )


def escalate_overdue(now=None) -> int:
    """Tell more people about alerts nobody confirmed in time (run by the worker every few seconds)."""
    now = now or timezone.now()
    count = 0
    for alert in Alert.objects.filter(state=AlertState.PENDING, escalated_at__isnull=True):
        if alert.received_at + timedelta(seconds=alert.escalate_after) > now:
            continue
        with transaction.atomic():
            if not Alert.objects.filter(pk=alert.pk, escalated_at__isnull=True).update(escalated_at=now):
                continue
            told = [Role.DUTY_OFFICER, Role.CHIEF_EDITOR, Role.ADMIN]
            people = set(User.objects.filter(role__in=told, is_active=True))
            # and whoever is on the shift now, whatever their role: they may decide it (authority.py)
            people |= {p for step, _f in authority.ROSTER_FIELDS for p in duty.people_on_duty(step, now)}
            minutes = max(1, alert.escalate_after // 60)
            notify(people, _("预警超过 %(m)d 分钟未确认：%(t)s") % {"m": minutes, "t": str(alert)[:80]}, _link(alert),
                   about=_about(alert))  # fmt: skip
            audit.record(audit.SYSTEM, "alert.escalated", alert, {"after_seconds": alert.escalate_after})
            log.warning("alert %s (%s) escalated: unconfirmed after %d s", alert.pk, alert.identifier[:60],
                        alert.escalate_after)  # fmt: skip
            count += 1
    return count


def expire_due(now=None) -> int:
    """Released alerts past their expiry come down by themselves."""
    now = now or timezone.now()
    count = 0
    for alert in Alert.objects.filter(state=AlertState.RELEASED, expires_at__lt=now).exclude(msg_type="Cancel"):
        with transaction.atomic():
            locked = Alert.objects.select_for_update().get(pk=alert.pk)
            if locked.state != AlertState.RELEASED:
                continue
            _withdraw(audit.SYSTEM, locked, "expired")
            _set_state(audit.SYSTEM, locked, AlertState.EXPIRED, "alert.expired", ended_at=now)
            count += 1
    return count
