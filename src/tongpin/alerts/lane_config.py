"""Configuring the warning lane: release policies, channel coverage and sender certificates.

Admins change them (`ALERT_POLICY`); duty officers may read them. Every change is checked, then written with an
audit entry holding the old and the new values in the same transaction. Nothing here is cached: the release
policy and coverage are read from the database for each alert (release.py), so a change applies to the next
alert in every process without a restart.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tongpin.core import audit
from tongpin.core.audit import Actor
from tongpin.core.errors import FieldError, Forbidden, NotFound, ValidationFailed
from tongpin.core.ids import clean_id
from tongpin.core.roles import ALERT_DECIDE, ALERT_POLICY, can
from tongpin.publishing.models import Channel

from . import divisions
from .models import LEVEL_RANK, Coverage, Level, PolicyAction, ReleasePolicy, SenderCertificate
from .renditions import ALERT_KINDS

URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
MAX_AREAS = 500
MAX_POLYGONS = 50
MAX_POINTS = 2000


# -- who may -----------------------------------------------------------------------------------------------


def may_edit(user) -> bool:
    return can(user, ALERT_POLICY)


def may_read(user) -> bool:
    """Admins, and duty officers (read-only: they should know what releases by itself and where it goes)."""
    return can(user, ALERT_POLICY) or can(user, ALERT_DECIDE)


def require_read(actor: Actor) -> None:
    if not may_read(actor.user):
        raise Forbidden(FieldError("forbidden", _("没有权限查看预警通道设置。")))


def require_edit(actor: Actor) -> None:
    if not may_edit(actor.user):
        raise Forbidden(FieldError("forbidden", _("只有管理员可以修改预警通道设置。")))


# -- release policies --------------------------------------------------------------------------------------


@dataclass
class PolicyInput:
    name: str
    sender: str = "*"
    min_level: str = Level.BLUE
    urgencies: list[str] = field(default_factory=list)
    action: str = PolicyAction.CONFIRM
    escalate_after: int = 300
    position: int = 0
    is_active: bool = True
    id: int | None = None


def policy_values(policy: ReleasePolicy) -> dict:
    return {
        "id": policy.pk,
        "name": policy.name,
        "sender": policy.sender,
        "min_level": policy.min_level,
        "urgencies": list(policy.urgencies),
        "action": policy.action,
        "escalate_after": policy.escalate_after,
        "position": policy.position,
        "is_active": policy.is_active,
    }


def policies(actor: Actor) -> list[ReleasePolicy]:
    require_read(actor)
    return list(ReleasePolicy.objects.all())


def _check_policy(data: PolicyInput) -> list[FieldError]:
    errors = []
    if not data.name.strip() or len(data.name.strip()) > 80:
        errors.append(FieldError("invalid_name", _("名称不能为空，最多 80 个字。"), "name"))
    sender = data.sender.strip() or "*"
    if len(sender) > 200 or any(ch.isspace() or ch in ",<&" for ch in sender):
        errors.append(FieldError("invalid_sender", _("发送方标识不能含空格、逗号、<、&。"), "sender"))
    if data.min_level not in Level.values:
        errors.append(FieldError("invalid_level", _("最低级别须为红色、橙色、黄色或蓝色。"), "min_level"))
    unknown = [u for u in data.urgencies if u not in URGENCIES]
    if unknown:
        message = _("未知的紧急程度：%(u)s。") % {"u": "、".join(unknown)}
        errors.append(FieldError("invalid_urgency", message, "urgencies"))
    if data.action not in PolicyAction.values:
        errors.append(FieldError("invalid_action", _("处理方式须为自动发布或值班员确认。"), "action"))
    if not 0 <= int(data.escalate_after) <= 86400:
        errors.append(FieldError("invalid_escalation", _("超时升级须在 0 到 86400 秒之间。"), "escalate_after"))
    if not 0 <= int(data.position) <= 10000:
        errors.append(FieldError("invalid_position", _("顺序须在 0 到 10000 之间。"), "position"))
    return errors


def save_policy(actor: Actor, data: PolicyInput) -> ReleasePolicy:
    """Create a policy (no id) or change one; audited as `alert.policy_saved` with old and new values."""
    require_edit(actor)
    errors = _check_policy(data)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        policy = ReleasePolicy() if data.id is None else _policy(data.id, lock=True)
        old = policy_values(policy) if policy.pk else None
        policy.name = data.name.strip()
        policy.sender = data.sender.strip() or "*"
        policy.min_level = data.min_level
        policy.urgencies = sorted(set(data.urgencies), key=URGENCIES.index)
        policy.action = data.action
        policy.escalate_after = int(data.escalate_after)
        policy.position = int(data.position)
        policy.is_active = bool(data.is_active)
        policy.save()
        audit.record(actor, "alert.policy_saved", policy, {"old": old, "new": policy_values(policy)})
    return policy


def delete_policy(actor: Actor, policy_id: int) -> None:
    require_edit(actor)
    with transaction.atomic():
        policy = _policy(policy_id, lock=True)
        audit.record(actor, "alert.policy_deleted", policy, {"old": policy_values(policy), "new": None})
        policy.delete()


def replace_policies(actor: Actor, items: list[PolicyInput]) -> list[ReleasePolicy]:
    """The whole policy list at once (the API's PUT): listed ids are changed, new items added, the rest deleted."""
    require_edit(actor)
    with transaction.atomic():
        kept = [save_policy(actor, item) for item in items]
        for policy in ReleasePolicy.objects.exclude(pk__in=[p.pk for p in kept]):
            delete_policy(actor, policy.pk)
    return list(ReleasePolicy.objects.all())


def _policy(policy_id: int, lock: bool = False) -> ReleasePolicy:
    rows = ReleasePolicy.objects.select_for_update() if lock else ReleasePolicy.objects
    policy = rows.filter(pk=clean_id(policy_id) or 0).first()
    if policy is None:
        raise NotFound(FieldError("policy_not_found", _("发布策略不存在。"), "id"))
    return policy


# -- channel coverage --------------------------------------------------------------------------------------


@dataclass
class CoverageInput:
    area_codes: list[str] = field(default_factory=list)
    polygons: list[list[list[float]]] = field(default_factory=list)
    everywhere: bool = False
    min_level: str = Level.BLUE
    accepts_restricted: bool = False


def coverage_values(coverage: Coverage | None) -> dict | None:
    if coverage is None or coverage.pk is None:
        return None
    return {
        "area_codes": list(coverage.area_codes),
        "polygons": list(coverage.polygons),
        "everywhere": coverage.everywhere,
        "min_level": coverage.min_level,
        "accepts_restricted": coverage.accepts_restricted,
    }


def clean_codes(codes: list[str]) -> tuple[list[str], list[FieldError]]:
    """Codes as stored (6 or 12 digits, no duplicates), and what is wrong with the others: a code must name a
    division in the table, or be a well-formed 6- or 12-digit code under a real province."""
    cleaned, errors = [], []
    for raw in codes:
        code = str(raw).strip()
        if not code:
            continue
        if not (code.isdigit() and len(code) in (6, 12)):
            message = _("“%(c)s”不是行政区划代码（应为 6 位或 12 位数字）。") % {"c": code[:30]}
            errors.append(FieldError("invalid_area_code", message, "area_codes"))
        elif divisions.get(code) is None and not divisions.province_known(code):
            message = _("“%(c)s”不是已知的行政区划代码。") % {"c": code}
            errors.append(FieldError("unknown_area_code", message, "area_codes"))
        elif code not in cleaned:
            cleaned.append(code)
    if len(cleaned) > MAX_AREAS:
        errors.append(FieldError("too_many_areas", _("覆盖区划最多 %(n)d 个。") % {"n": MAX_AREAS}, "area_codes"))
    return cleaned, errors


def clean_polygons(polygons: list) -> tuple[list[list[list[float]]], list[FieldError]]:
    """Rings of [lat, lon] points inside WGS 84, at least three distinct points, closed (closed here if open)."""
    cleaned, errors = [], []
    if len(polygons) > MAX_POLYGONS:
        return [], [FieldError("too_many_polygons", _("覆盖多边形最多 %(n)d 个。") % {"n": MAX_POLYGONS}, "polygons")]
    for number, polygon in enumerate(polygons, start=1):
        ring = _ring(polygon)
        if ring is None:
            message = _("第 %(n)d 个多边形无效：须为“纬度,经度”点的序列，纬度在 -90 到 90、经度在 -180 到 180 之间。")
            errors.append(FieldError("invalid_polygon", message % {"n": number}, "polygons"))
        elif len({tuple(p) for p in ring}) < 3 or len(ring) > MAX_POINTS:
            message = _("第 %(n)d 个多边形至少要有三个不同的点（最多 %(m)d 个）。") % {"n": number, "m": MAX_POINTS}
            errors.append(FieldError("invalid_polygon", message, "polygons"))
        else:
            cleaned.append(ring if ring[0] == ring[-1] else [*ring, ring[0]])
    return cleaned, errors


def _ring(polygon) -> list[list[float]] | None:
    if not isinstance(polygon, list | tuple):
        return None
    ring = []
    for point in polygon:
        if not isinstance(point, list | tuple) or len(point) != 2:
            return None
        try:
            lat, lon = float(point[0]), float(point[1])
        except (TypeError, ValueError):
            return None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):  # also refuses NaN
            return None
        ring.append([lat, lon])
    return ring


def parse_polygons(text: str) -> list:
    """Polygons pasted as CAP writes them: one per line, points `lat,lon` separated by spaces. Whatever does not
    parse is kept as a broken ring so that `clean_polygons` names it."""
    polygons = []
    for line in text.replace("，", ",").splitlines():
        if not line.strip():
            continue
        points = []
        for pair in line.split():
            parts = pair.split(",")
            points.append(parts if len(parts) == 2 else [pair])
        polygons.append(points)
    return polygons


def get_coverage(channel: Channel) -> Coverage | None:
    return Coverage.objects.filter(channel=channel).first()


def coverage_of(channel: Channel) -> Coverage:
    """The channel's coverage, or an unsaved one with the defaults (nowhere, from blue) while none is set."""
    return get_coverage(channel) or Coverage(channel=channel)


def save_coverage(actor: Actor, channel_id: int, data: CoverageInput) -> Coverage:
    """Set where a channel reaches and what it carries; audited as `alert.coverage_saved` (old and new)."""
    require_edit(actor)
    codes, errors = clean_codes(list(data.area_codes))
    polygons, polygon_errors = clean_polygons(list(data.polygons))
    errors += polygon_errors
    if data.min_level not in Level.values:
        errors.append(FieldError("invalid_level", _("最低播发级别须为红色、橙色、黄色或蓝色。"), "min_level"))
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        channel = Channel.objects.select_for_update().filter(pk=clean_id(channel_id) or 0).first()
        if channel is None:
            raise NotFound(FieldError("channel_not_found", _("渠道不存在。"), "channel"))
        coverage = coverage_of(channel)
        old = coverage_values(coverage)
        coverage.area_codes = codes
        coverage.polygons = polygons
        coverage.everywhere = bool(data.everywhere)
        coverage.min_level = data.min_level
        coverage.accepts_restricted = bool(data.accepts_restricted)
        coverage.save()
        audit.record(actor, "alert.coverage_saved", coverage, {"old": old, "new": coverage_values(coverage)})
    return coverage


def describe_coverage(coverage: Coverage | None) -> dict:
    """What a channel takes, for pages: areas by name, polygon count, lowest level, restricted flag."""
    if coverage is None:
        return {"configured": False, "areas": [], "polygons": 0}
    areas = [{"code": code, "name": divisions.label(code)} for code in coverage.area_codes]
    return {
        "configured": bool(coverage.everywhere or coverage.area_codes or coverage.polygons),
        "everywhere": coverage.everywhere,
        "areas": areas,
        "polygons": len(coverage.polygons),
        "rings": [" ".join(f"{lat},{lon}" for lat, lon in ring) for ring in coverage.polygons],
        "sketch": sketch(coverage.polygons),
        "min_level": coverage.min_level,
        "min_level_label": Level(coverage.min_level).label,
        "levels": [Level(v).label for v in Level.values if LEVEL_RANK[v] >= LEVEL_RANK[coverage.min_level]],
        "accepts_restricted": coverage.accepts_restricted,
    }


def sketch(rings: list, width: int = 240, max_height: int = 160, pad: int = 6) -> dict | None:
    """The coverage polygons as SVG outlines (no map tiles: just their shape and relative place), north up,
    longitude shortened by the cosine of the latitude so a square area looks square."""
    points = [(float(lat), float(lon)) for ring in rings for lat, lon in ring]
    if not points:
        return None
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    shrink = max(math.cos(math.radians((min(lats) + max(lats)) / 2)), 0.05)
    span_x, span_y = max((max(lons) - min(lons)) * shrink, 1e-6), max(max(lats) - min(lats), 1e-6)
    scale = min((width - 2 * pad) / span_x, (max_height - 2 * pad) / span_y)
    height = round(span_y * scale + 2 * pad)

    def xy(lat: float, lon: float) -> str:
        return f"{pad + (lon - min(lons)) * shrink * scale:.1f},{pad + (max(lats) - lat) * scale:.1f}"

    shapes = [" ".join(xy(float(lat), float(lon)) for lat, lon in ring) for ring in rings]
    return {"width": width, "height": max(height, 2 * pad + 1), "shapes": shapes}


def alert_channels() -> list[Channel]:
    return list(Channel.objects.filter(kind__in=ALERT_KINDS).select_related("coverage").order_by("name"))


def channels_without_coverage() -> list[Channel]:
    """Active channels that could carry warnings but reach nowhere: no coverage row, or one with no area, no
    polygon and not everywhere. They get no warnings at all (release.target_channels), which the status page
    flags."""
    covered = Coverage.objects.filter(Q(everywhere=True) | ~Q(area_codes=[]) | ~Q(polygons=[]))
    rows = Channel.objects.filter(is_active=True, kind__in=ALERT_KINDS).exclude(pk__in=covered.values("channel_id"))
    return list(rows.order_by("name"))


# -- sender certificates -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateInfo:
    subject: str
    issuer: str
    fingerprint: str  # SHA-256, colon-separated hex
    not_before: dt.datetime
    not_after: dt.datetime

    @property
    def expired(self) -> bool:
        return self.not_after <= timezone.now()


def certificate_info(pem: str) -> CertificateInfo:
    """Read a PEM certificate; ValueError when it is not one."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    certificate = x509.load_pem_x509_certificate(pem.encode("utf-8"))
    digest = certificate.fingerprint(hashes.SHA256()).hex().upper()
    return CertificateInfo(
        subject=certificate.subject.rfc4514_string(),
        issuer=certificate.issuer.rfc4514_string(),
        fingerprint=":".join(digest[i : i + 2] for i in range(0, len(digest), 2)),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )


def readable(certificate: SenderCertificate) -> CertificateInfo | None:
    """What the stored PEM says, or None when it cannot be read (stored before these checks, in the Django admin)."""
    try:
        return certificate_info(certificate.pem)
    except ValueError:
        return None


def certificates(actor: Actor) -> list[SenderCertificate]:
    """Every certificate, each with `info` (what its PEM says; None when unreadable), read once here."""
    require_read(actor)
    rows = list(SenderCertificate.objects.order_by("sender", "-added_at"))
    for certificate in rows:
        certificate.info = readable(certificate)
    return rows


def _certificate_values(certificate: SenderCertificate, info: CertificateInfo | None) -> dict:
    return {
        "sender": certificate.sender,
        "note": certificate.note,
        "subject": info.subject if info else "",
        "fingerprint": info.fingerprint if info else "",
        "not_after": info.not_after.isoformat() if info else "",
    }


def add_certificate(actor: Actor, sender: str, pem: str, note: str = "") -> SenderCertificate:
    """Register a sender's certificate (public, no key): it must parse and be valid now."""
    require_edit(actor)
    sender = sender.strip()
    errors = []
    if not sender or len(sender) > 200 or any(ch.isspace() or ch in ",<&" for ch in sender):
        errors.append(FieldError("invalid_sender", _("发送方标识不能为空，不能含空格、逗号、<、&。"), "sender"))
    pem = pem.strip().replace("\r\n", "\n") + "\n"
    if "PRIVATE KEY" in pem:
        errors.append(FieldError("private_key", _("请只上传证书，不要上传私钥。"), "pem"))
        raise ValidationFailed(errors)
    try:
        info = certificate_info(pem)
    except ValueError:
        errors.append(FieldError("invalid_certificate", _("无法读取证书：请上传 PEM 格式的 X.509 证书。"), "pem"))
        raise ValidationFailed(errors) from None
    if info.expired:
        message = _("证书已于 %(d)s 过期。") % {"d": info.not_after.strftime("%Y-%m-%d")}
        errors.append(FieldError("certificate_expired", message, "pem"))
    elif info.not_before > timezone.now():
        message = _("证书自 %(d)s 起才生效。") % {"d": info.not_before.strftime("%Y-%m-%d")}
        errors.append(FieldError("certificate_not_yet_valid", message, "pem"))
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        certificate = SenderCertificate.objects.create(sender=sender, pem=pem, note=note.strip()[:200])
        audit.record(actor, "alert.certificate_added", certificate,
                     {"old": None, "new": _certificate_values(certificate, info)})  # fmt: skip
    certificate.info = info
    return certificate


def remove_certificate(actor: Actor, certificate_id: int) -> None:
    require_edit(actor)
    with transaction.atomic():
        certificate = SenderCertificate.objects.select_for_update().filter(pk=clean_id(certificate_id) or 0).first()
        if certificate is None:
            raise NotFound(FieldError("certificate_not_found", _("证书不存在。"), "id"))
        audit.record(actor, "alert.certificate_removed", certificate,
                     {"old": _certificate_values(certificate, readable(certificate)), "new": None})  # fmt: skip
        certificate.delete()
