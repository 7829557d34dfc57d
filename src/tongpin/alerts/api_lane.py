"""Configuring the warning lane over the API: release policies, channel coverage, sender certificates.
Reading: admins and duty officers; changing: admins (`ALERT_POLICY`). Rules and audit: lane_config.py."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Router, Schema
from ninja.responses import Status

from tongpin.core.audit import actor_from_request
from tongpin.core.schemas import ERRORS
from tongpin.publishing import channels_admin

from . import lane_config as lane

router = Router(tags=["alerts"])


class ReleasePolicyIO(Schema):  # one name for in and out, unique across routers (OpenAPI keys by class name)
    id: int | None = None
    name: str
    sender: str = "*"
    min_level: str = "blue"
    urgencies: list[str] = []
    action: str = "confirm"
    escalate_after: int = 300
    position: int = 0
    is_active: bool = True


class ChannelCoverageIn(Schema):
    area_codes: list[str] = Field([], description="GB/T 2260 codes, 6 or 12 digits")
    polygons: list[list[list[float]]] = Field([], description="rings of [lat, lon] points (WGS 84)")
    everywhere: bool = False
    min_level: str = "blue"
    accepts_restricted: bool = False


class CoverageAreaOut(Schema):
    code: str
    name: str


class ChannelCoverageOut(ChannelCoverageIn):
    channel_id: int
    configured: bool
    areas: list[CoverageAreaOut]


class SenderCertificateIn(Schema):
    sender: str
    pem: str = Field(..., max_length=65536, description="an X.509 certificate in PEM (no private key)")
    note: str = ""


class SenderCertificateOut(Schema):
    id: int
    sender: str
    note: str
    subject: str
    issuer: str
    fingerprint: str
    not_after: dt.datetime | None
    expired: bool
    added_at: dt.datetime


def _coverage_out(channel) -> dict:
    coverage = lane.get_coverage(channel)
    values = lane.coverage_values(coverage) or {}
    described = lane.describe_coverage(coverage)
    return {**lane.CoverageInput().__dict__, **values, "channel_id": channel.pk,
            "configured": described["configured"], "areas": described["areas"]}  # fmt: skip


def _certificate_out(certificate, info) -> dict:
    return {"id": certificate.pk, "sender": certificate.sender, "note": certificate.note,
            "subject": info.subject if info else "", "issuer": info.issuer if info else "",
            "fingerprint": info.fingerprint if info else "", "not_after": info.not_after if info else None,
            "expired": info.expired if info else False, "added_at": certificate.added_at}  # fmt: skip


@router.get("/alerts/policies", response={200: list[ReleasePolicyIO], **ERRORS}, summary="Release policies")
def lane_policies_get(request):
    return [lane.policy_values(p) for p in lane.policies(actor_from_request(request, "api"))]


@router.put(
    "/alerts/policies", response={200: list[ReleasePolicyIO], **ERRORS}, summary="Replace the release policies"
)
def lane_policies_put(request, payload: list[ReleasePolicyIO]):
    items = [lane.PolicyInput(**item.dict()) for item in payload]
    return [lane.policy_values(p) for p in lane.replace_policies(actor_from_request(request, "api"), items)]


@router.get("/channels/{channel_id}/coverage", response={200: ChannelCoverageOut, **ERRORS}, summary="Coverage")
def lane_coverage_get(request, channel_id: int):
    lane.require_read(actor_from_request(request, "api"))
    return _coverage_out(channels_admin.get_channel(channel_id))


@router.put("/channels/{channel_id}/coverage", response={200: ChannelCoverageOut, **ERRORS}, summary="Set coverage")
def lane_coverage_put(request, channel_id: int, payload: ChannelCoverageIn):
    lane.save_coverage(actor_from_request(request, "api"), channel_id, lane.CoverageInput(**payload.dict()))
    return _coverage_out(channels_admin.get_channel(channel_id))


@router.get("/alerts/certificates", response={200: list[SenderCertificateOut], **ERRORS}, summary="Certificates")
def lane_certificates_get(request):
    return [_certificate_out(c, info) for c, info in lane.certificates(actor_from_request(request, "api"))]


@router.post(
    "/alerts/certificates", response={201: SenderCertificateOut, **ERRORS}, summary="Register a sender certificate"
)
def lane_certificates_post(request, payload: SenderCertificateIn):
    certificate = lane.add_certificate(actor_from_request(request, "api"), payload.sender, payload.pem, payload.note)
    return Status(201, _certificate_out(certificate, lane.certificate_info(certificate.pem)))


@router.delete("/alerts/certificates/{certificate_id}", response={204: None, **ERRORS}, summary="Remove a certificate")
def lane_certificates_delete(request, certificate_id: int):
    lane.remove_certificate(actor_from_request(request, "api"), certificate_id)
    return Status(204, None)
