"""Who may speak for which warning agency, and when a message must wait for a duty officer whatever the release
policy says.

- A sender account (role 预警发布单位) submits only as the CAP `<sender>` identities an admin bound to it
  (`SenderIdentity`); anything else is refused with `sender_not_allowed`. An account with no binding submits
  nothing (fail closed).
- Duty officers and admins (who may decide alerts) are trusted: they submit, update and cancel for any sender —
  relaying a warning by hand — and the audit names them (`on_behalf_of`).
- Where a sender has registered certificates (`SenderCertificate`), only a message whose signature one of them
  verifies releases by itself; an unsigned or otherwise signed one waits for a duty officer, the reason stored.
  A signature that does not verify at all (the text changed after signing) always waits.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from tongpin.core import audit, roles
from tongpin.core.audit import Actor
from tongpin.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from tongpin.core.ids import clean_id
from tongpin.core.models import User
from tongpin.core.roles import ALERT_DECIDE, ALERT_POLICY, Role, can

from .models import Alert, SenderCertificate, SenderIdentity, SignatureState


def trusted(user: User | None) -> bool:
    """Duty officers and admins act for any sender (their acts are audited under their own name)."""
    return user is not None and can(user, ALERT_DECIDE)


def identities(user: User) -> set[str]:
    return set(SenderIdentity.objects.filter(user=user).order_by().values_list("sender", flat=True))


def check_senders(actor: Actor, senders: list[str]) -> None:
    """Refuse the whole document unless every message's sender is bound to the submitting account."""
    if actor.user is None or trusted(actor.user):
        return
    allowed = identities(actor.user)
    refused = sorted({sender for sender in senders if sender not in allowed})
    if not refused:
        return
    audit.record(actor, "alert.refused", object_type="alerts.alert", object_repr=", ".join(refused)[:200],
                 changes={"code": "sender_not_allowed", "senders": refused, "allowed": sorted(allowed)})  # fmt: skip
    if not allowed:
        message = _("这个账号尚未绑定发送方标识，不能提交预警；请联系管理员绑定。")
    else:
        message = _("这个账号不能以“%(s)s”的名义发送预警（可用的发送方标识：%(a)s）。") % {
            "s": refused[0],
            "a": "、".join(sorted(allowed)),
        }
    raise Forbidden(FieldError("sender_not_allowed", message, "sender"))


def acts_on(alert_sender: str, earlier: Alert, user: User | None) -> bool:
    """May a message from `alert_sender`, submitted by `user`, update or cancel `earlier`?"""
    return earlier.sender == alert_sender or trusted(user)


def hold_reason(alert: Alert) -> str:
    """Why this message must wait for a duty officer, or "" when the release policy alone decides."""
    if trusted(alert.received_by):
        return ""
    if alert.signature == SignatureState.INVALID:
        return _("签名无效：消息可能在签发后被改动，须值班员核实后发布。")
    if alert.signature == SignatureState.VALID:
        return ""
    if not SenderCertificate.objects.filter(sender=alert.sender).exists():
        return ""
    if alert.signature == SignatureState.UNSIGNED:
        return _("发送方已登记证书，但这条消息没有签名，须值班员核实后发布。")
    return _("签名不是用发送方登记的证书签发的，须值班员核实后发布。")


# -- bindings, managed by admins (API and the Django admin) ----------------------------------------------


def _admin(actor: Actor) -> None:
    roles.require(actor.user, ALERT_POLICY, _("只有管理员可以绑定发送方标识。"))


def bindings(actor: Actor) -> QuerySet[SenderIdentity]:
    _admin(actor)
    return SenderIdentity.objects.select_related("user")


def bind(actor: Actor, username: str, sender: str, note: str = "") -> SenderIdentity:
    _admin(actor)
    sender = sender.strip()
    user = User.objects.filter(username=username).first()
    if user is None:
        raise ValidationFailed(FieldError("user_not_found", _("账号不存在。"), "username"))
    if user.role != Role.ALERT_SENDER:
        raise ValidationFailed(
            FieldError("not_a_sender_account", _("只有预警发布单位账号需要绑定发送方标识。"), "username")
        )
    if not sender or len(sender) > 200 or any(ch.isspace() or ch in ",<&" for ch in sender):
        message = _("发送方标识不能为空，不能含空格、逗号、<、&。")
        raise ValidationFailed(FieldError("invalid_sender", message, "sender"))
    try:
        with transaction.atomic():
            identity = SenderIdentity.objects.create(user=user, sender=sender, note=note[:200])
            audit.record(actor, "alert.sender_bound", identity, {"user": username, "sender": sender})
    except IntegrityError as error:
        raise Conflict(FieldError("duplicate", _("这个账号已绑定该发送方标识。"), "sender")) from error
    return identity


def unbind(actor: Actor, identity_id: int) -> None:
    _admin(actor)
    with transaction.atomic():
        identity = SenderIdentity.objects.select_related("user").filter(pk=clean_id(identity_id) or 0).first()
        if identity is None:
            raise NotFound(FieldError("not_found", _("绑定不存在。")))
        audit.record(actor, "alert.sender_unbound", identity,
                     {"user": identity.user.username, "sender": identity.sender})  # fmt: skip
        identity.delete()
