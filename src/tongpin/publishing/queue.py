"""The delivery queue: claiming rows, recording results, backoff, leases, pausing failing channels.

The Delivery table is the queue. A worker claims due rows in priority order inside one transaction
(`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite's IMMEDIATE transactions serialise claimers), stamps them
with its name and a lease, sends, then records the outcome only if the row is still its own. A worker that
dies leaves rows whose lease runs out; `reclaim_expired` hands them back to the queue. Every attempt carries
the same idempotency key, so a send repeated after a crash is recognised by the receiver.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from tongpin.core import audit
from tongpin.core.models import User
from tongpin.core.notify import notify
from tongpin.core.outbound import redact
from tongpin.core.roles import Role
from tongpin.core.weblinks import web_url

from . import workers
from .models import (
    OPEN_STATES,
    Channel,
    Delivery,
    DeliveryAction,
    DeliveryAttempt,
    DeliveryRecipient,
    DeliveryState,
    Publication,
    PublicationState,
    Reach,
    Rendition,
    WorkerBeat,
)
from .plugins import Outcome, TransmitError

log = logging.getLogger(__name__)

# Sent inside the transaction that changed a publication's state: (publication, old, new).
publication_changed = Signal()

POLL_DEADLINE = timedelta(hours=1)  # an accepted send still not confirmed after this is failed


def lease_seconds() -> float:
    return float(settings.TONGPIN_DELIVERY_LEASE)


def backoff(attempt: int) -> timedelta:
    """Exponential with jitter: ~2 s, 4 s, 8 s … capped at ten minutes."""
    base = min(600.0, settings.TONGPIN_DELIVERY_BACKOFF * (2 ** max(0, attempt - 1)))
    return timedelta(seconds=base * random.uniform(0.8, 1.2))  # noqa: S311  (jitter, not security)


# The statements a worker runs for every batch, written out once: building them with the ORM on every call
# cost more CPU than running them (docs/benchmarks.md). Table names come from the models.
def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    return {
        "delivery": quote(Delivery._meta.db_table),
        "channel": quote(Channel._meta.db_table),
        "rendition": quote(Rendition._meta.db_table),
        "publication": quote(Publication._meta.db_table),
    }


def _ready(by_priority: bool) -> str:
    """Due, on a channel that is active and not paused (the state is the first parameter, or two of them)."""
    return (
        "d.due_at <= %s AND c.paused = %s AND c.is_active = %s" + (" AND d.priority >= %s" if by_priority else "")
    )


def _due_params(now, min_priority: int | None) -> list:
    params = [_db_time(now), False, True]
    return params + [min_priority] if min_priority is not None else params


def _db_time(value: datetime | None):
    return Delivery._meta.get_field("due_at").get_db_prep_value(value, connection)


def _anything_due(now, min_priority: int | None) -> bool:
    t = _tables()
    sql = (
        f"SELECT 1 FROM {t['delivery']} d JOIN {t['channel']} c ON c.id = d.channel_id "
        f"WHERE d.state IN (%s, %s) AND {_ready(min_priority is not None)} LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [DeliveryState.PENDING, DeliveryState.RETRYING, *_due_params(now, min_priority)])
        return cursor.fetchone() is not None


def _due_sql(min_priority: int | None, lock: str) -> str:
    """Due rows of one state (the first parameter), in claiming order. One state per query: an IN over both
    would make the database sort the whole backlog."""
    t = _tables()
    return (
        f"SELECT d.priority, d.due_at, d.id FROM {t['delivery']} d JOIN {t['channel']} c ON c.id = d.channel_id "
        f"WHERE d.state = %s AND {_ready(min_priority is not None)} "
        f"ORDER BY d.priority DESC, d.due_at, d.id LIMIT %s{lock}"
    )


def _due(now, limit: int, min_priority: int | None) -> list[int]:
    candidates = []
    with connection.cursor() as cursor:
        for state in (DeliveryState.PENDING, DeliveryState.RETRYING):
            cursor.execute(_due_sql(min_priority, ""), [state, *_due_params(now, min_priority), limit])
            candidates += cursor.fetchall()
    return [row[2] for row in sorted(candidates, key=lambda r: (-r[0], r[1], r[2]))[:limit]]


def _marks(count: int) -> str:
    return ", ".join(["%s"] * count)


def claim(worker: str, limit: int, min_priority: int | None = None) -> list[Delivery]:
    """Take up to `limit` due deliveries, highest priority first, for `worker`."""
    return record_and_claim(worker, [], limit, min_priority)


def record_and_claim(worker: str, results: list[Result], limit: int, min_priority: int | None = None) -> list[Delivery]:
    """Write finished sends (`record_results`) and take up to `limit` due deliveries, in one transaction: one
    turn of a worker's loop waits for the write lock once, not twice."""
    # Look first without a transaction: an idle worker must not take SQLite's write lock 20 times a second
    # (every other writer would wait for it). Whether anything is due needs no order, so one query does. With
    # results to write the transaction is taken anyway, and writing them may queue work (withdrawals).
    due = limit > 0 and (bool(results) or _anything_due(timezone.now(), min_priority))
    if not results and not due:
        return []
    with transaction.atomic():
        record_results(worker, results)
        ids = _take(worker, timezone.now(), limit, min_priority) if due else []
    if not ids:
        return []
    # Without the publication's content snapshot: decoding it for every delivery cost more than sending.
    rows = (
        Delivery.objects.filter(id__in=ids)
        .select_related("channel", "rendition__publication")
        .defer("rendition__publication__content")
    )
    return sorted(rows, key=lambda d: (-d.priority, d.due_at, d.id))


def _take(worker: str, now: datetime, limit: int, min_priority: int | None) -> list[int]:
    lease = now + timedelta(seconds=lease_seconds())
    claim = [DeliveryState.IN_PROGRESS, worker, _db_time(lease), _db_time(now)]
    update = (
        f"UPDATE {_tables()['delivery']} SET state = %s, claimed_by = %s, lease_until = %s, "
        f"attempts = attempts + 1, started_at = COALESCE(started_at, %s) WHERE id IN "
    )
    with connection.cursor() as cursor:
        if connection.features.has_select_for_update_skip_locked:
            # One round trip: pick and lock the due rows of both states (rows locked by another claimer are
            # skipped) and stamp them. MATERIALIZED: the picked set is computed once, so a re-scan can never
            # pick further rows past the limit.
            due = _due_sql(min_priority, " FOR UPDATE OF d SKIP LOCKED")
            both = [*_due_params(now, min_priority), limit]
            cursor.execute(
                f"WITH pending AS MATERIALIZED ({due}), retrying AS MATERIALIZED ({due}), "
                "picked AS MATERIALIZED (SELECT id FROM (SELECT * FROM pending UNION ALL SELECT * FROM retrying) due "
                "ORDER BY priority DESC, due_at, id LIMIT %s) "
                f"{update}(SELECT id FROM picked) RETURNING id",
                [DeliveryState.PENDING, *both, DeliveryState.RETRYING, *both, limit, *claim],
            )
            return [row[0] for row in cursor.fetchall()]
        ids = _due(now, limit, min_priority)  # SQLite: the IMMEDIATE transaction already serialises claimers
        if ids:
            cursor.execute(f"{update}({_marks(len(ids))})", [*claim, *ids])
    return ids


def reclaim_expired(worker: str = "") -> int:
    """Give deliveries whose worker stopped answering back to the queue: its heartbeat is older than
    `TONGPIN_WORKER_DEAD_AFTER` (a few seconds), or, for a claimer that never beat, the lease ran out. `worker`
    (the caller) never reclaims its own."""
    now = timezone.now()
    dead = WorkerBeat.objects.filter(Q(beat_at__lt=workers.dead_before(now)) | Q(stopped_at__isnull=False))
    expired = Delivery.objects.filter(
        Q(lease_until__lt=now) | Q(claimed_by__in=dead.values("name")), state=DeliveryState.IN_PROGRESS
    ).exclude(claimed_by=worker)
    if not expired.exists():  # a read, so that the usual case takes no write lock
        return 0
    # due_at stays as it was (a claimed row was due): the rows keep their place in line instead of going to the
    # back of a backlog queued since.
    return expired.update(
        state=DeliveryState.RETRYING,
        claimed_by="",
        lease_until=None,
        last_code="lease_expired",
        last_error=_("上一个发送进程中断，重新排队。"),
    )


@dataclass
class Result:
    delivery_id: int
    attempt: int
    worker: str
    started_at: datetime
    finished_at: datetime
    outcome: Outcome | None = None
    error: TransmitError | None = None
    delivery: Delivery | None = None  # the row as claimed, when the caller still holds it


RESULT_FIELDS = (
    "state", "lease_until", "claimed_by", "delivered_at", "finished_at", "last_code", "last_error",
    "remote_ref", "remote_url", "due_at", "attempts", "sent_at", "received_at", "reached_at", "reach", "reach_total",
)  # fmt: skip


ATTEMPT_FIELDS = ("delivery", "number", "worker", "started_at", "finished_at", "outcome", "code", "message", "detail")


def record_results(worker: str, results: list[Result]) -> None:
    """Write a batch of outcomes in one transaction; rows no longer ours (lease lost) are left alone.

    The worker passes the rows it claimed (`Result.delivery`), so only their ids are read back here, to
    check they are still ours; reading whole rows again cost more than the sends themselves.
    """
    if not results:
        return
    # No savepoint inside record_and_claim's transaction: a failure undoes the whole turn anyway, and a
    # savepoint costs two round trips on every turn of a worker's loop.
    with transaction.atomic(savepoint=False):
        ids = [r.delivery_id for r in results]
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        sql = (
            f"SELECT id FROM {_tables()['delivery']} WHERE id IN ({_marks(len(ids))}) "
            f"AND claimed_by = %s AND state = %s{lock}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*ids, worker, DeliveryState.IN_PROGRESS])
            mine = {row[0] for row in cursor.fetchall()}
        missing = [r.delivery_id for r in results if r.delivery is None and r.delivery_id in mine]
        loaded = Delivery.objects.select_related("channel", "rendition").in_bulk(missing) if missing else {}
        changed, attempts, tally, recipients = [], [], {}, []
        for result in results:
            if result.delivery_id not in mine:
                continue
            delivery = result.delivery or loaded[result.delivery_id]
            _apply(delivery, result)
            if result.error is not None:
                _log_failure(delivery, result)
            changed.append(delivery)
            attempts.append(_attempt(result))
            if result.outcome is not None and result.outcome.recipients:
                recipients += _recipients(delivery, result.outcome.recipients)
            counts = tally.setdefault(delivery.channel_id, [delivery.channel, 0, False])
            if result.error is None:
                counts[2] = True
            else:
                counts[1] += 1
        _save(changed)
        _save_attempts(attempts)
        if recipients:  # a repeat of the same send (same key) gets the gateway's ids again: update, never add
            DeliveryRecipient.objects.bulk_create(
                recipients, update_conflicts=True, unique_fields=["delivery", "recipient"], update_fields=["remote_id"]
            )
        for channel, failures, succeeded in tally.values():
            _count_failures(channel, failures, succeeded)
        withdrawn = refresh_publications({d.rendition.publication_id for d in changed})
        _withdraw_late_arrivals(changed, withdrawn)


def enqueue(deliveries: list[Delivery]) -> None:
    """Insert new deliveries (all their fields as built, no ids read back)."""
    _insert(Delivery, [f for f in Delivery._meta.concrete_fields if not f.primary_key], deliveries)


def _save_attempts(attempts: list[DeliveryAttempt]) -> None:
    _insert(DeliveryAttempt, [DeliveryAttempt._meta.get_field(name) for name in ATTEMPT_FIELDS], attempts)


def _insert(model, fields: list, rows: list) -> None:
    """One prepared INSERT run for every row (executemany), as `_save` does for updates."""
    if not rows:
        return
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({_marks(len(fields))})"
    params = [[f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _withdraw_late_arrivals(changed: list[Delivery], withdrawn: set[int]) -> None:
    """Sends that succeeded after their publication was withdrawn are taken down again (where possible)."""
    succeeded = [d for d in changed if d.state == DeliveryState.SUCCESS and d.action == DeliveryAction.PUBLISH]
    if not succeeded or not withdrawn:
        return
    from .services import enqueue_withdrawal

    for delivery in succeeded:
        if delivery.rendition.publication_id in withdrawn:
            enqueue_withdrawal(delivery)


def _save(deliveries: list[Delivery]) -> None:
    """One prepared UPDATE run for every row (executemany): ORM bulk_update builds a CASE per field and row,
    which cost more than the sending itself at hundreds of deliveries a second."""
    if not deliveries:
        return
    fields = [Delivery._meta.get_field(name) for name in RESULT_FIELDS]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(Delivery._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"  # noqa: S608
    params = [[f.get_db_prep_save(getattr(d, f.attname), connection) for f in fields] + [d.pk] for d in deliveries]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _apply(delivery: Delivery, result: Result) -> None:
    """Set the delivery's fields for this outcome (saved by the caller, with the rest of the batch)."""
    now = result.finished_at
    delivery.lease_until, delivery.claimed_by = None, ""
    outcome, error = result.outcome, result.error
    if outcome is not None:
        note_reach(delivery, now, sent=True, received=outcome.received, reach=outcome.reach,
                   total=len(outcome.recipients))  # fmt: skip
    elif error is not None and (error.received or error.reach):
        note_reach(delivery, now, sent=True, received=error.received, reach=error.reach)
    if outcome is not None and outcome.done:
        delivery.state, delivery.delivered_at, delivery.finished_at = DeliveryState.SUCCESS, now, now
        delivery.last_code, delivery.last_error = outcome.code[:40], ""
        delivery.remote_ref = outcome.remote_ref[:200] or delivery.remote_ref
        delivery.remote_url = web_url(outcome.remote_url[:500]) or delivery.remote_url  # shown as a link
    elif outcome is not None:  # accepted, to be polled: polls do not use up attempts
        if now - (delivery.started_at or now) > POLL_DEADLINE:
            delivery.state, delivery.finished_at = DeliveryState.FAILED, now
            delivery.last_code, delivery.last_error = "poll_deadline", _("对方长时间未确认发布结果。")
        else:
            delivery.state = DeliveryState.RETRYING
            delivery.due_at = now + timedelta(seconds=outcome.poll_after)
            delivery.attempts = max(0, delivery.attempts - 1)
            delivery.last_code, delivery.remote_ref = outcome.code[:40], outcome.remote_ref[:200]
    else:
        assert error is not None  # noqa: S101
        delivery.last_code, delivery.last_error = error.code[:40], redact(str(error.message))[:500]
        if error.permanent or delivery.attempts >= delivery.max_attempts:
            delivery.state, delivery.finished_at = DeliveryState.FAILED, now
        else:
            delivery.state, delivery.due_at = DeliveryState.RETRYING, now + backoff(delivery.attempts)


def _recipients(delivery: Delivery, given: list[dict]) -> list[DeliveryRecipient]:
    rows = {}
    for item in given:
        recipient = str(item.get("recipient", ""))[:40]
        if recipient:
            rows[recipient] = DeliveryRecipient(
                delivery_id=delivery.pk, channel_id=delivery.channel_id, recipient=recipient,
                remote_id=str(item.get("remote_id", ""))[:120],
            )  # fmt: skip
    return list(rows.values())


def note_reach(delivery: Delivery, now: datetime, *, sent: bool, received: bool, reach: str, total: int = 0) -> None:
    """Keep what the far end said: the first time it was sent, confirmed, reached; the latest reach state."""
    if sent and delivery.sent_at is None:
        delivery.sent_at = now
    if received and delivery.received_at is None:
        delivery.received_at = now
    if reach:
        delivery.reach = reach
        if reach in (Reach.REACHED, Reach.PARTIAL) and delivery.reached_at is None:
            delivery.reached_at = now
    if total:
        delivery.reach_total = total


def _log_failure(delivery: Delivery, result: Result) -> None:
    """One line per failed send: which delivery and channel, the error, and what happens next."""
    assert result.error is not None  # noqa: S101
    then = "given up" if delivery.state == DeliveryState.FAILED else f"retry at {delivery.due_at:%H:%M:%S}"
    log.warning(
        "delivery %s to channel %s failed (attempt %d): %s %s; %s",
        delivery.pk, delivery.channel.slug, result.attempt, result.error.code, str(result.error.message)[:200], then,
    )  # fmt: skip


def _attempt(result: Result) -> DeliveryAttempt:
    detail = ""
    if result.error is not None:
        outcome, code, message = "error", result.error.code, str(result.error.message)
        detail = redact(str(getattr(result.error, "detail", "") or ""))
        if result.error.permanent:
            outcome = "permanent"
    else:
        assert result.outcome is not None  # noqa: S101
        outcome = "success" if result.outcome.done else "accepted"
        code, message = result.outcome.code, result.outcome.message
    return DeliveryAttempt(
        delivery_id=result.delivery_id,
        number=result.attempt,
        worker=result.worker[:80],
        started_at=result.started_at,
        finished_at=result.finished_at,
        outcome=outcome,
        code=code[:40],
        message=redact(message)[:500],
        detail=detail[:300],
    )


def _count_failures(channel: Channel, failures: int, succeeded: bool) -> None:
    if succeeded and not failures:
        if channel.consecutive_failures:
            Channel.objects.filter(pk=channel.pk).update(consecutive_failures=0)
        return
    if not failures:
        return
    Channel.objects.filter(pk=channel.pk).update(consecutive_failures=F("consecutive_failures") + failures)
    channel.refresh_from_db(fields=["consecutive_failures", "paused"])
    limit = settings.TONGPIN_CHANNEL_PAUSE_AFTER
    if channel.paused or channel.consecutive_failures < limit:
        return
    reason = _("连续失败 %(n)d 次，已自动暂停。") % {"n": channel.consecutive_failures}
    Channel.objects.filter(pk=channel.pk).update(paused=True, paused_reason=reason)
    log.warning("channel %s paused after %d failures in a row", channel.slug, channel.consecutive_failures)
    audit.record(audit.SYSTEM, "channel.paused", channel, {"reason": reason})
    admins = User.objects.filter(role=Role.ADMIN, is_active=True)
    notify(admins, _("渠道“%(c)s”%(r)s") % {"c": channel.name, "r": reason}, f"/channels/{channel.pk}/")


def repair_publications(limit: int = 500) -> int:
    """Bring in line publications left "sending" or "scheduled" although none of their publishing deliveries is
    open any more (lost by an older version's race, or by a crash between two writes). Returns how many were
    looked at; the usual case is one read and no write lock."""
    open_ones = Delivery.objects.filter(
        rendition__publication=OuterRef("pk"), action=DeliveryAction.PUBLISH, state__in=OPEN_STATES
    )
    any_one = Delivery.objects.filter(rendition__publication=OuterRef("pk"), action=DeliveryAction.PUBLISH)
    stale = set(
        Publication.objects.filter(
            state__in=(PublicationState.SENDING, PublicationState.SCHEDULED), released_at__isnull=False
        )
        .filter(Exists(any_one), ~Exists(open_ones))
        .values_list("id", flat=True)[:limit]
    )
    if stale:
        with transaction.atomic():
            refresh_publications(stale)
        log.warning("repaired the state of %d publication(s) whose deliveries had all finished", len(stale))
    return len(stale)


def publication_state(counts: dict[str, int], scheduled: bool) -> str:
    """A publication's state from how many of its publishing deliveries are in each state."""
    open_count = sum(counts.get(s, 0) for s in OPEN_STATES)
    success, failed = counts.get(DeliveryState.SUCCESS, 0), counts.get(DeliveryState.FAILED, 0)
    cancelled = counts.get(DeliveryState.CANCELLED, 0)
    if open_count:
        started = success or failed or counts.get(DeliveryState.IN_PROGRESS, 0) or counts.get(DeliveryState.RETRYING)
        return PublicationState.SENDING if started or not scheduled else PublicationState.SCHEDULED
    if success and not failed:
        return PublicationState.DONE
    if success:
        return PublicationState.PARTIAL
    if failed:
        return PublicationState.FAILED
    return PublicationState.CANCELLED if cancelled else PublicationState.DRAFT


def refresh_publications(ids: set[int]) -> set[int]:
    """Bring these publications' states in line with their deliveries; the ids of those withdrawn come back."""
    if not ids:
        return set()
    t, marks, ordered = _tables(), _marks(len(ids)), sorted(ids)
    counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    current: dict[int, dict] = {}
    # Lock the publications (in id order, so two workers never wait on each other crosswise) before counting:
    # another worker that finished deliveries of the same publication then commits first, and the count below,
    # a new statement, sees its results. Counting first, each of two workers could see the other's deliveries
    # still in progress and both leave the publication "sending" for ever (PostgreSQL; SQLite's writers queue).
    # NO KEY UPDATE: it still queues two workers' recounts of one publication, but does not wait for a
    # transaction that merely references the row (a withdrawal inserting deliveries holds a KEY SHARE lock).
    features = connection.features
    lock = " ORDER BY id FOR UPDATE" if features.has_select_for_update else ""
    lock = " ORDER BY id FOR NO KEY UPDATE" if features.has_select_for_no_key_update else lock
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(SIGNALLED)}, scheduled_at, released_at FROM {t['publication']} "
            f"WHERE id IN ({marks}){lock}",
            ordered,
        )
        for row in cursor.fetchall():
            current[row[0]] = dict(zip([*SIGNALLED, "scheduled_at", "released_at"], row, strict=True))
        cursor.execute(
            f"SELECT r.publication_id, d.state, COUNT(*) FROM {t['delivery']} d "
            f"JOIN {t['rendition']} r ON r.id = d.rendition_id "
            f"WHERE r.publication_id IN ({marks}) AND d.action = %s GROUP BY r.publication_id, d.state",
            [*ordered, DeliveryAction.PUBLISH],
        )
        for publication_id, state, count in cursor.fetchall():
            counts[publication_id][state] = count
        withdrawn = {i for i, row in current.items() if row["state"] == PublicationState.WITHDRAWN}
        moves: dict[str, list[dict]] = {}
        for publication_id, row in current.items():
            state = row["state"]
            if state == PublicationState.WITHDRAWN or (state == PublicationState.DRAFT and not row["released_at"]):
                continue
            new = publication_state(counts[publication_id], row["scheduled_at"] is not None)
            if new != state:
                moves.setdefault(new, []).append(row)
        for new, rows in moves.items():
            moved = [row["id"] for row in rows]
            sql = f"UPDATE {t['publication']} SET state = %s WHERE id IN ({_marks(len(moved))})"
            cursor.execute(sql, [new, *moved])
    for new, rows in moves.items():
        for row in rows:
            # The receivers get the row as read (other fields load if they ask for them), in its new state.
            publication = Publication.from_db(connection.alias, SIGNALLED, [row[name] for name in SIGNALLED])
            old, publication.state = publication.state, new
            publication_changed.send(sender=Publication, publication=publication, old=old, new=new)
    return withdrawn


# In the model's field order (Model.from_db expects it).
SIGNALLED = [f.attname for f in Publication._meta.concrete_fields if f.name in {
    "id", "source_type", "source_id", "source_version", "priority", "state", "created_by"
}]  # fmt: skip
