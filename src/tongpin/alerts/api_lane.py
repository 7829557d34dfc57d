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
from .models import Coverage

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


# Reads a channel's coverage (`lane.coverage_of`: an unsaved one with the defaults while none is set).
class ChannelCoverageOut(ChannelCoverageIn):
    channel_id: int
    configured: bool
    areas: list[CoverageAreaOut]

    @staticmethod
    def resolve_configured(coverage: Coverage) -> bool:
        return lane.describe_coverage(coverage)["configured"]

    @staticmethod
    def resolve_areas(coverage: Coverage) -> list[dict]:
        return lane.describe_coverage(coverage)["areas"]


class SenderCertificateIn(Schema):
    sender: str
    pem: str = Field(..., max_length=65536, description="an X.509 certificate in PEM (no private key)")
    note: str = ""


def _from_info(name: str, unreadable: object) -> staticmethod:
    """A resolver of one thing the certificate's PEM says (`unreadable` when it cannot be read)."""
    return staticmethod(lambda certificate: getattr(certificate.info, name) if certificate.info else unreadable)


# Reads a certificate as `lane.certificates` and `lane.add_certificate` answer it, with `info` read once.
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

    resolve_subject = _from_info("subject", "")
    resolve_issuer = _from_info("issuer", "")
    resolve_fingerprint = _from_info("fingerprint", "")
    resolve_not_after = _from_info("not_after", None)
    resolve_expired = _from_info("expired", False)


@router.get("/alerts/policies", response={200: list[ReleasePolicyIO], **ERRORS}, summary="Release policies")
def lane_policies_get(request):
    return [lane.policy_values(p) for p in lane.policies(actor_from_request(request, "api"))]


@router.put("/alerts/policies", response={200: list[ReleasePolicyIO], **ERRORS}, summary="Replace the release policies")
def lane_policies_put(request, payload: list[ReleasePolicyIO]):
    items = [lane.PolicyInput(**item.dict()) for item in payload]
    return [lane.policy_values(p) for p in lane.replace_policies(actor_from_request(request, "api"), items)]


@router.get("/channels/{channel_id}/coverage", response={200: ChannelCoverageOut, **ERRORS}, summary="Coverage")
def lane_coverage_get(request, channel_id: int):
    lane.require_read(actor_from_request(request, "api"))
    return lane.coverage_of(channels_admin.get_channel(channel_id))


@router.put("/channels/{channel_id}/coverage", response={200: ChannelCoverageOut, **ERRORS}, summary="Set coverage")
def lane_coverage_put(request, channel_id: int, payload: ChannelCoverageIn):
    return lane.save_coverage(actor_from_request(request, "api"), channel_id, lane.CoverageInput(**payload.dict()))


@router.get("/alerts/certificates", response={200: list[SenderCertificateOut], **ERRORS}, summary="Certificates")
def lane_certificates_get(request):
    return lane.certificates(actor_from_request(request, "api"))


@router.post(
    "/alerts/certificates", response={201: SenderCertificateOut, **ERRORS}, summary="Register a sender certificate"
)
def lane_certificates_post(request, payload: SenderCertificateIn):
    certificate = lane.add_certificate(actor_from_request(request, "api"), payload.sender, payload.pem, payload.note)
    return Status(201, certificate)


@router.delete("/alerts/certificates/{certificate_id}", response={204: None, **ERRORS}, summary="Remove a certificate")
def lane_certificates_delete(request, certificate_id: int):
    lane.remove_certificate(actor_from_request(request, "api"), certificate_id)
    return Status(204, None)
