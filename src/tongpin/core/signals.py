"""Sign-ins, failed sign-ins and lock-outs go to the audit log too."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils import timezone

from . import sessions, signin
from .audit import Actor, actor_from_request, client_ip, record
from .models import AccountState, User


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    actor = Actor(user=user, ip=client_ip(request) if request else None)
    record(actor, "auth.login", user)
    if getattr(user, "is_superuser", False):  # break-glass: recorded as such, and the two overseers are told
        from .accounts import break_glass_signed_in

        break_glass_signed_in(actor, user, getattr(request, "path", "") if request else "")
    signin.forget_name(user.get_username())
    if request is not None and hasattr(request, "session"):
        sessions.started(request)


@receiver(pre_save, sender=User)
def _reactivated(sender, instance, **kwargs):
    """An account switched back on (by an admin, anywhere) counts as active from now: the dormant-account rule
    (core.dormancy) starts counting again instead of disabling it at its next pass."""
    if instance.pk is None or not instance.is_active:
        return
    was_active = User.objects.filter(pk=instance.pk).values_list("is_active", flat=True).first()
    if was_active is False:
        AccountState.objects.update_or_create(
            user_id=instance.pk, defaults={"active_since": timezone.now(), "disabled_reason": "", "disabled_at": None}
        )


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(Actor(user=user, ip=client_ip(request) if request else None), "auth.logout", user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    actor = actor_from_request(request) if request is not None else Actor(user=None)
    if credentials.get(signin.SECOND_FACTOR):
        return  # a wrong code at the second step: counted by axes, recorded as auth.2fa_failed by the sign-in view
    if credentials.get(signin.API_TOKEN):
        record(actor, "auth.token_failed", object_type="core.apitoken")
        return
    # The attempted name is recorded for the admin; the person signing in is never told whether it exists.
    record(
        actor,
        "auth.login_failed",
        object_type="core.user",
        object_repr=str(credentials.get("username", ""))[:150],
    )


@receiver(user_locked_out)
def _locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    """Each refused attempt while locked out is recorded too (axes signals every one)."""
    record(
        Actor(user=None, ip=ip_address or (client_ip(request) if request is not None else None)),
        "auth.locked_out",
        object_type="core.user",
        object_repr=str(username or "")[:150],
        changes={"path": getattr(request, "path", "")[:200]},
    )
