"""Managing channels: create, change, pause and resume; settings checked against the plug-ins' declarations.

Secret settings (passwords, app secrets, signing keys) are stored but never shown: `public_settings()`
replaces them with a flag, and an edit that leaves a secret empty keeps the stored one — unless the edit
changes where that secret is sent (`Setting.bound_to`): then the secret is dropped and must be entered again.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongpin.core import audit
from tongpin.core.audit import Actor
from tongpin.core.datakey import unseal
from tongpin.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from tongpin.core.ids import clean_id
from tongpin.core.roles import CHANNEL_MANAGE, DELIVERY_VIEW, PUBLISH, can, require_any
from tongpin.core.weblinks import is_web_url
from tongpin.partners.models import Partner

from .kinds import ChannelKind
from .models import Channel
from .plugins import FORMATTERS, TRANSMITTERS, Setting
from .secrets import context as secret_context

log = logging.getLogger(__name__)

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,49}$")
SECRET_SHOWN = "********"  # noqa: S105  (the mask shown instead of a secret)


def declared_settings(kind: str, transmitter: str) -> list[Setting]:
    found: list[Setting] = []
    for plugin in (FORMATTERS.get(kind), TRANSMITTERS.get(transmitter)):
        if plugin is not None:
            found.extend(plugin.settings)
    return found


def public_settings(channel: Channel) -> dict[str, Any]:
    shown = {}
    secrets = {s.name for s in declared_settings(channel.kind, channel.transmitter) if s.secret}
    for key, value in channel.settings.items():
        shown[key] = (SECRET_SHOWN if value else "") if key in secrets else value
    return shown


@dataclass
class ChannelInput:
    name: str | None = None
    slug: str | None = None
    kind: str | None = None
    transmitter: str | None = None
    settings: dict | None = None
    partner: str | None = None
    is_active: bool | None = None
    for_tests: bool | None = None
    max_attempts: int | None = None


def _coerce(spec: Setting, raw: Any, errors: list[FieldError]) -> Any:
    where = f"settings.{spec.name}"
    if spec.kind == "int":
        try:
            value = int(raw)
        except (TypeError, ValueError):
            errors.append(FieldError("invalid", _("“%(s)s”必须是整数。") % {"s": spec.label}, where))
            return None
        if not 0 <= value <= 100000:
            errors.append(FieldError("out_of_range", _("“%(s)s”超出范围。") % {"s": spec.label}, where))
        return value
    if spec.kind == "bool":
        return raw in (True, "1", "true", "on", "yes")
    value = str(raw).strip()
    if len(value) > (8000 if spec.kind == "multiline" else 500):  # multiline: certificates, recipient lists
        errors.append(FieldError("too_long", _("“%(s)s”太长。") % {"s": spec.label}, where))
    if spec.kind == "url" and value and not is_web_url(value):
        errors.append(FieldError("invalid_url", _("地址必须以 http:// 或 https:// 开头。"), where))
    if spec.kind == "email" and value and "@" not in value:
        errors.append(FieldError("invalid_email", _("邮箱地址不正确。"), where))
    if spec.kind == "choice" and value and value not in spec.choices:
        errors.append(FieldError("invalid_choice", _("“%(s)s”不是可选值。") % {"s": spec.label}, where))
    return value


def _moved(specs: dict[str, Setting], given: dict, stored: dict) -> set[str]:
    """Names of the settings whose value this edit changes (as typed, defaults filled in)."""

    def normal(spec: Setting, value: Any) -> str:
        if value in (None, ""):
            value = spec.default if spec.default is not None else ""
        return str(value).strip().rstrip("/").lower() if spec.kind == "url" else str(value).strip().lower()

    return {name for name, spec in specs.items() if normal(spec, given.get(name)) != normal(spec, stored.get(name))}


def clean_settings(kind: str, transmitter: str, given: dict, stored: dict | None = None) -> dict:
    if not isinstance(given, dict):
        raise ValidationFailed(FieldError("invalid", _("设置必须是对象。"), "settings"))
    specs = {s.name: s for s in declared_settings(kind, transmitter)}
    errors = [
        FieldError("unknown_setting", _("没有“%(k)s”这项设置。") % {"k": key}, f"settings.{key}")
        for key in given
        if key not in specs
    ]
    values: dict[str, Any] = {}
    moved = _moved(specs, given, stored) if stored else set()
    for name, spec in specs.items():
        raw = given.get(name)
        if spec.secret and (raw in (None, "", SECRET_SHOWN)) and stored and stored.get(name):
            destinations = [specs[d] for d in spec.bound_to if d in moved and d in specs]
            if not destinations:  # an empty secret field keeps what is stored (opened for the checks below;
                values[name] = unseal(stored[name], secret_context(name))  # Channel.save() seals it again)
            elif spec.required:  # the old secret is not sent to a new destination
                errors.append(
                    FieldError(
                        "secret_required",
                        _("“%(d)s”已更改，请重新输入“%(s)s”。") % {"d": destinations[0].label, "s": spec.label},
                        f"settings.{name}",
                    )
                )
            continue
        if raw in (None, ""):
            if spec.required:
                errors.append(FieldError("required", _("“%(s)s”不能为空。") % {"s": spec.label}, f"settings.{name}"))
            elif spec.default is not None:
                values[name] = spec.default
            continue
        values[name] = _coerce(spec, raw, errors)
    if not errors and transmitter in TRANSMITTERS:
        for name, message in TRANSMITTERS[transmitter].check_settings(values):
            errors.append(FieldError("invalid", message, f"settings.{name}"))
    if errors:
        raise ValidationFailed(errors)
    return values


def _require(actor: Actor) -> None:
    if not can(actor.user, CHANNEL_MANAGE):
        raise Forbidden(FieldError("forbidden", _("只有管理员可以管理渠道。")))


def _partner(slug: str | None, errors: list[FieldError]) -> Partner | None:
    if not slug:
        return None
    partner = Partner.objects.filter(slug=slug).first()
    if partner is None:
        errors.append(FieldError("unknown_partner", _("合作方不存在。"), "partner"))
    return partner


def create_channel(actor: Actor, data: ChannelInput) -> Channel:
    _require(actor)
    errors: list[FieldError] = []
    name = (data.name or "").strip()
    slug = (data.slug or "").strip().lower()
    if not name or len(name) > 80:
        errors.append(FieldError("required", _("请填写渠道名称（不超过 80 字）。"), "name"))
    if not SLUG.match(slug):
        errors.append(FieldError("invalid_slug", _("标识只能用小写字母、数字和连字符，2–50 个字符。"), "slug"))
    elif Channel.objects.filter(slug=slug).exists():
        errors.append(FieldError("duplicate", _("这个标识已被使用。"), "slug"))
    if data.kind not in ChannelKind.values:
        errors.append(FieldError("invalid_kind", _("渠道类型不正确。"), "kind"))
    if data.transmitter not in TRANSMITTERS:
        errors.append(FieldError("invalid_transmitter", _("发送方式不存在。"), "transmitter"))
    partner = _partner(data.partner, errors)
    if errors:
        raise ValidationFailed(errors)
    values = clean_settings(data.kind, data.transmitter, data.settings or {})
    channel = Channel(
        name=name,
        slug=slug,
        kind=data.kind,
        transmitter=data.transmitter,
        settings=values,
        partner=partner,
        is_active=True if data.is_active is None else data.is_active,
        for_tests=bool(data.for_tests),
        max_attempts=_attempts(data.max_attempts),
    )
    with transaction.atomic():
        channel.save()
        audit.record(actor, "channel.create", channel, {"kind": channel.kind, "transmitter": channel.transmitter})
    return channel


def _attempts(value: int | None) -> int:
    if value is None:
        return 6
    if not 1 <= int(value) <= 20:
        raise ValidationFailed(FieldError("out_of_range", _("尝试次数应在 1–20 之间。"), "max_attempts"))
    return int(value)


def get_channel(channel_id: int) -> Channel:
    channel = Channel.objects.filter(pk=clean_id(channel_id) or 0).select_related("partner").first()
    if channel is None:
        raise NotFound(FieldError("channel_not_found", _("渠道不存在。"), "channel"))
    return channel


def visible_channel(user, channel_id: int) -> Channel:
    """A channel for those who publish or watch deliveries (403 for the others, whatever the id), else 404."""
    require_any(user, PUBLISH, DELIVERY_VIEW)
    return get_channel(channel_id)


def update_channel(actor: Actor, channel_id: int, data: ChannelInput) -> Channel:
    _require(actor)
    with transaction.atomic():
        channel = get_channel(channel_id)
        channel = Channel.objects.select_for_update().get(pk=channel.pk)
        changed: dict[str, Any] = {}
        errors: list[FieldError] = []
        if data.name is not None:
            name = data.name.strip()
            if not name or len(name) > 80:
                errors.append(FieldError("required", _("请填写渠道名称（不超过 80 字）。"), "name"))
            changed["name"] = [channel.name, name]
            channel.name = name
        if data.partner is not None:
            channel.partner = _partner(data.partner, errors)
        if errors:
            raise ValidationFailed(errors)
        for flag in ("is_active", "for_tests"):
            value = getattr(data, flag)
            if value is not None and value != getattr(channel, flag):
                changed[flag] = [getattr(channel, flag), value]
                setattr(channel, flag, value)
        if data.max_attempts is not None:
            channel.max_attempts = _attempts(data.max_attempts)
        if data.settings is not None:
            channel.settings = clean_settings(channel.kind, channel.transmitter, data.settings, channel.settings)
            changed["settings"] = sorted(channel.settings)  # names only: values may be secret
        channel.updated_at = timezone.now()
        channel.save()
        audit.record(actor, "channel.update", channel, changed)
    return channel


def set_paused(actor: Actor, channel_id: int, paused: bool, reason: str = "") -> Channel:
    _require(actor)
    with transaction.atomic():
        channel = Channel.objects.select_for_update().filter(pk=get_channel(channel_id).pk).get()
        if channel.paused == paused:
            raise Conflict(FieldError("unchanged", _("渠道已经是这个状态。")))
        channel.paused = paused
        channel.paused_reason = reason[:300] if paused else ""
        if not paused:
            channel.consecutive_failures = 0
        channel.save(update_fields=["paused", "paused_reason", "consecutive_failures"])
        audit.record(actor, "channel.pause" if paused else "channel.resume", channel, {"reason": reason})
    change = "paused" if paused else "resumed"
    log.info("channel %s %s by %s%s", channel.slug, change, actor.name, f": {reason}" if reason else "")
    return channel
