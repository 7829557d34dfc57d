"""The audit log as a hash chain (docs/security.md, 安全审计).

Every event carries its place in the chain (`seq`, 1, 2, 3 … with no gaps), the hash of the event before it
(`prev_hash`; the first event's is GENESIS) and its own hash: SHA-256 over its canonical content (below) including
`seq` and `prev_hash`. Changing any stored field of any event, deleting an event in the middle or inserting one
breaks a link that `verify()` (`tongpin audit verify`) finds and names.

Appending is serialised so that several processes writing at once never fork the chain: on PostgreSQL a
transaction-level advisory lock, on SQLite the database's write lock (Tongpin's SQLite opens write transactions
IMMEDIATE). The lock is held from a transaction's first audit event until it commits or rolls back, so a rolled
back event leaves no hole. `seq` is also unique in the database: a second writer that somehow chained onto the
same event would fail, never fork.

Retention: `purge()` deletes the oldest events (a contiguous prefix of the chain, all older than the retention
window, never fewer than MIN_RETENTION_DAYS) after writing an anchor (`AuditAnchor`: the last deleted `seq` and
its hash) and an `audit.purge` event in the chain naming the same. The chain then starts at the anchor. The
database triggers refuse any DELETE that is not such a purge (core/audittriggers.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

ALGORITHM = "sha256"
GENESIS = "0" * 64  # the `prev_hash` of the first event ever written
MIN_RETENTION_DAYS = 180  # 等保 2.0 / 网络安全法 第二十一条: logs kept at least six months
LOCK_KEY = 0x7470_6175  # PostgreSQL advisory lock key ("tpau")
PURGE_ACTION = "audit.purge"
_SAFE_INTEGER = 2**53


def _plain(value: Any) -> Any:
    """A change record as JSON keeps it on every database: integral floats as integers (PostgreSQL's jsonb prints
    `1.0` and `1e20` as numbers Python reads back differently), floats JSON cannot hold exactly as text."""
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) >= _SAFE_INTEGER:
            return repr(value)
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def normalise_changes(changes: dict | None) -> dict:
    """What is stored: the change record after one trip through JSON (dates, decimals and UUIDs as text)."""
    return _plain(json.loads(json.dumps(changes or {}, cls=DjangoJSONEncoder)))


def _at(value: dt.datetime) -> str:
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return str(value)


def canonical(event) -> bytes:
    """The bytes an event's hash covers: its fields as sorted-key JSON, UTF-8, no spaces, time in UTC to the
    microsecond. The same for an event about to be written and for the row read back, on SQLite and PostgreSQL."""
    content = {
        "seq": event.seq,
        "prev": event.prev_hash,
        "at": _at(event.at),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name or "",
        "action": event.action,
        "object_type": event.object_type or "",
        "object_id": event.object_id or "",
        "object_repr": event.object_repr or "",
        "changes": _plain(event.changes or {}),
        "ip": _ip(event.ip),
        "via": event.via or "",
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def digest(event) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


def lock(using: str) -> None:
    """Serialise chain appends until the current transaction ends (call inside `transaction.atomic`)."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
    # SQLite: Tongpin's write transactions are IMMEDIATE, so the transaction already holds the only write lock.


def _head(model, using: str) -> tuple[int, str]:
    """The last event's seq and hash; after a purge that left nothing, the anchor's; at the very start 0, GENESIS.
    Plain SQL: it runs once per appending transaction, and the ORM's query building cost more than the query."""
    from .models import AuditAnchor

    table = connections[using].ops.quote_name(model._meta.db_table)
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT seq, hash FROM {table} WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1")  # noqa: S608
        last = cursor.fetchone()
    if last is not None:
        return int(last[0]), last[1]
    anchor = AuditAnchor.objects.using(using).order_by("-upto_seq").values_list("upto_seq", "hash").first()
    return anchor if anchor is not None else (0, GENESIS)


def append(events: list) -> None:
    """Chain and write `events` (unsaved AuditEvents) in order, in one INSERT for several."""
    if not events:
        return
    model = type(events[0])
    using = router.db_for_write(model)
    with transaction.atomic(using=using, savepoint=False):  # the caller's transaction, or one of its own
        lock(using)
        seq, previous = _head(model, using)
        for event in events:
            event.changes = normalise_changes(event.changes)
            seq += 1
            event.seq, event.prev_hash = seq, previous
            event.hash = previous = digest(event)
        if len(events) == 1:
            events[0].save_chained(using)
        else:
            model.objects.using(using).bulk_create(events)


# --- Verifying -------------------------------------------------------------------------------------------------


@dataclass
class Broken:
    seq: int | None
    id: int | None
    code: str  # missing, prev_mismatch, hash_mismatch, unchained, anchor_missing
    message: str


@dataclass
class Verification:
    ok: bool
    count: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    head_hash: str = ""
    anchor_seq: int | None = None  # the chain starts after this purged event (None: at the genesis)
    broken: Broken | None = None
    algorithm: str = ALGORITHM
    checked_at: str = field(default_factory=lambda: timezone.now().isoformat())

    def as_dict(self) -> dict:
        return asdict(self)


def verify(using: str = "default", chunk: int = 2000) -> Verification:
    """Walk the chain from its start (the genesis or the last purge's anchor) and stop at the first broken link."""
    from .models import AuditAnchor, AuditEvent

    events = AuditEvent.objects.using(using)
    unchained = events.filter(seq__isnull=True).order_by("id").values_list("id", flat=True).first()
    if unchained is not None:
        return Verification(
            ok=False, broken=Broken(None, unchained, "unchained", f"event id {unchained} has no place in the chain")
        )
    result = Verification(ok=True)
    expected_seq, expected_prev = None, None
    purges: dict[int, str] = {}
    for event in events.order_by("seq").iterator(chunk_size=chunk):
        if expected_seq is None:  # the first event still stored: the genesis, or right after the last anchor
            result.first_seq = event.seq
            if event.seq == 1:
                expected_prev = GENESIS
            else:
                anchor = AuditAnchor.objects.using(using).filter(upto_seq=event.seq - 1).first()
                if anchor is None:
                    result.broken = Broken(
                        event.seq,
                        event.pk,
                        "anchor_missing",
                        f"events before seq {event.seq} are gone and no purge anchor accounts for them",
                    )
                    break
                result.anchor_seq, expected_prev = anchor.upto_seq, anchor.hash
            expected_seq = event.seq
        if event.seq != expected_seq:
            result.broken = Broken(
                event.seq, event.pk, "missing", f"events seq {expected_seq}–{event.seq - 1} are missing"
            )
            break
        if event.prev_hash != expected_prev:
            result.broken = Broken(
                event.seq,
                event.pk,
                "prev_mismatch",
                f"seq {event.seq} does not follow the event before it (prev_hash differs)",
            )
            break
        if digest(event) != event.hash:
            result.broken = Broken(
                event.seq,
                event.pk,
                "hash_mismatch",
                f"seq {event.seq} was changed after it was written (its hash does not match)",
            )
            break
        if event.action == PURGE_ACTION:
            purges[int(event.changes.get("upto_seq", 0))] = str(event.changes.get("anchor", ""))
        result.count += 1
        result.last_seq, result.head_hash = event.seq, event.hash
        expected_seq, expected_prev = event.seq + 1, event.hash
    if (
        result.broken is None
        and result.anchor_seq is not None
        and purges.get(result.anchor_seq) != expected_anchor(using, result.anchor_seq)
    ):
        result.broken = Broken(
            result.first_seq,
            None,
            "anchor_missing",
            f"the anchor at seq {result.anchor_seq} has no matching audit.purge event in the chain",
        )
    result.ok = result.broken is None
    return result


def expected_anchor(using: str, upto_seq: int) -> str | None:
    from .models import AuditAnchor

    return AuditAnchor.objects.using(using).filter(upto_seq=upto_seq).values_list("hash", flat=True).first()


# --- Retention ---------------------------------------------------------------------------------------------------


class RetentionTooShort(ValueError):
    pass


@dataclass
class Purge:
    deleted: int
    upto_seq: int | None
    cutoff: str


def purge(actor, days: int | None = None, now: dt.datetime | None = None, using: str = "default") -> Purge:
    """Delete the events older than `days` (TONGPIN_KEEP_AUDIT_DAYS; 0 keeps everything), never fewer than
    MIN_RETENTION_DAYS, as a contiguous prefix of the chain, leaving an anchor so the rest still verifies."""
    from . import audit
    from .models import AuditAnchor, AuditEvent

    days = settings.TONGPIN_KEEP_AUDIT_DAYS if days is None else days
    now = now or timezone.now()
    if not days:
        return Purge(0, None, "")
    if days < MIN_RETENTION_DAYS:
        raise RetentionTooShort(
            _("审计事件至少保留 %(minimum)s 天（给出的是 %(days)s）") % {"minimum": MIN_RETENTION_DAYS, "days": days}
        )
    cutoff = now - dt.timedelta(days=days)
    with transaction.atomic(using=using):
        lock(using)
        events = AuditEvent.objects.using(using).filter(seq__isnull=False)
        first_kept = events.filter(at__gte=cutoff).order_by("seq").values_list("seq", flat=True).first()
        oldest = events.order_by("seq").values_list("seq", flat=True).first()
        last = events.order_by("-seq").values_list("seq", flat=True).first()
        upto = (first_kept - 1) if first_kept is not None else last
        if oldest is None or upto is None or upto < oldest:
            return Purge(0, None, cutoff.isoformat())
        anchor_hash = events.get(seq=upto).hash
        deleted = events.filter(seq__lte=upto).count()
        AuditAnchor.objects.using(using).create(
            upto_seq=upto, hash=anchor_hash, deleted=deleted, cutoff=cutoff, at=now, actor_name=actor.name
        )
        audit.record(
            actor,
            PURGE_ACTION,
            changes={
                "upto_seq": upto,
                "anchor": anchor_hash,
                "deleted": deleted,
                "before": cutoff.isoformat(),
                "days": days,
            },
            object_type="core.auditevent",
        )
        with connections[using].cursor() as cursor:  # past the model's refusal; the trigger checks anchor and age
            cursor.execute("DELETE FROM core_auditevent WHERE seq <= %s", [upto])
    return Purge(deleted, upto, cutoff.isoformat())


# --- Export --------------------------------------------------------------------------------------------------------

EXPORT_FIELDS = [
    "seq",
    "id",
    "at",
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "ip",
    "via",
    "prev_hash",
    "hash",
]


def export_rows(date_from: dt.date | None, date_to: dt.date | None, using: str = "default") -> Iterator[dict]:
    """Events of a date range (inclusive, station time) in chain order, with their hashes: an archive that can be
    verified on its own (each row's hash over its content, each prev_hash the row before's hash)."""
    from .dates import day_bounds
    from .models import AuditEvent

    events = AuditEvent.objects.using(using).filter(**day_bounds("at", date_from, date_to)).order_by("seq")
    for event in events.iterator(chunk_size=2000):
        yield {
            "seq": event.seq,
            "id": event.pk,
            "at": _at(event.at),
            "actor_id": event.actor_id,
            "actor_name": event.actor_name,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "object_repr": event.object_repr,
            "changes": event.changes,
            "ip": _ip(event.ip),
            "via": event.via,
            "prev_hash": event.prev_hash,
            "hash": event.hash,
        }


def jsonl_lines(rows: Iterable[dict]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n"


def csv_lines(rows: Iterable[dict]) -> Iterator[str]:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_FIELDS)
    yield "\ufeff" + buffer.getvalue()  # a BOM: spreadsheet programs then read the Chinese right
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        values = [
            json.dumps(row[name], ensure_ascii=False, sort_keys=True) if name == "changes" else row[name]
            for name in EXPORT_FIELDS
        ]
        writer.writerow(["" if value is None else value for value in values])
        yield buffer.getvalue()


def verify_rows(rows: Iterable[dict]) -> Broken | None:
    """Check an exported range on its own: each row's hash and each link inside the range."""
    from types import SimpleNamespace

    previous = None
    for row in rows:
        event = SimpleNamespace(**{**row, "at": dt.datetime.fromisoformat(row["at"])})
        if previous is not None and row["prev_hash"] != previous:
            return Broken(row["seq"], row["id"], "prev_mismatch", f"seq {row['seq']} does not follow the row before")
        if digest(event) != row["hash"]:
            return Broken(row["seq"], row["id"], "hash_mismatch", f"seq {row['seq']} differs from what was hashed")
        previous = row["hash"]
    return None
