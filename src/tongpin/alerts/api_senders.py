"""Admins bind sender accounts to the CAP sender identities they may use (also in the Django admin)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Router, Schema
from ninja.responses import Status

from tongpin.core.audit import actor_from_request
from tongpin.core.schemas import ERRORS

from . import senders

router = Router(tags=["alerts"])


class SenderIdentityIn(Schema):
    username: str
    sender: str
    note: str = ""


class SenderIdentityOut(Schema):
    id: int
    username: str = Field(alias="user.username")
    sender: str
    note: str
    added_at: dt.datetime


@router.get("/alert-senders", response={200: list[SenderIdentityOut], **ERRORS}, summary="Sender bindings (admins)")
def sender_identities_list(request):
    return list(senders.bindings(actor_from_request(request, "api")))


@router.post(
    "/alert-senders", response={201: SenderIdentityOut, **ERRORS}, summary="Bind a sender account to a CAP sender"
)
def sender_identities_create(request, payload: SenderIdentityIn):
    identity = senders.bind(actor_from_request(request, "api"), payload.username, payload.sender, payload.note)
    return Status(201, identity)


@router.delete("/alert-senders/{identity_id}", response={204: None, **ERRORS}, summary="Remove a sender binding")
def sender_identities_delete(request, identity_id: int):
    senders.unbind(actor_from_request(request, "api"), identity_id)
    return Status(204, None)
