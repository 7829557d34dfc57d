"""The audit log: every state change is recorded through `record()`, inside the caller's transaction."""

import ipaddress
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models

from . import auditchain
from .models import AuditEvent, User


@dataclass(frozen=True)
class Actor:
    """Who is acting and from where; services take one instead of a request."""

    user: User | None
    ip: str | None = None
    via: str = "web"

    @property
    def name(self) -> str:
        return self.user.get_username() if self.user else "system"


SYSTEM = Actor(user=None, via="system")
_batch = threading.local()


def client_ip(request) -> str | None:
    """The client address, trusting X-Forwarded-For only as far as TONGPIN_TRUSTED_PROXIES says."""
    address = request.META.get("REMOTE_ADDR")
    hops = settings.TONGPIN_TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops and forwarded:
        chain = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(chain) >= hops:
            address = chain[-hops]
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


def actor_from_request(request, via: str = "web") -> Actor:
    user = getattr(request, "auth", None) or getattr(request, "user", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return Actor(user=user, ip=client_ip(request), via=via)


def record(
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    *,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    event = AuditEvent(
        actor=actor.user,
        actor_name=actor.name,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        changes=changes or {},
        ip=actor.ip,
        via=actor.via,
    )
    pending = getattr(_batch, "events", None)
    if pending is not None:
        pending.append(event)
    else:
        event.save()
    return event


def record_download(
    actor: Actor, obj: models.Model | None, file_name: str, *, object_type: str = "", **context: Any
) -> AuditEvent:
    """Who fetched which stored file (scan, attachment, report) or export: files leave the building, so each
    download is an audit event ("download", with the file's name and what it belongs to)."""
    return record(actor, "download", obj, {"file": file_name, **context}, object_type=object_type)


@contextmanager
def batched() -> Iterator[None]:
    """Events recorded inside are written together, in one INSERT when the block ends (call it inside the
    transaction they belong to: an error in the block writes none of them, like the rest of its work)."""
    if getattr(_batch, "events", None) is not None:  # already batching: the outer block writes
        yield
        return
    _batch.events = []
    try:
        yield
        if _batch.events:
            auditchain.append(_batch.events)
    finally:
        _batch.events = None
