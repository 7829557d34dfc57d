"""Sign-ins and failed sign-ins go to the audit log too."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .audit import Actor, actor_from_request, client_ip, record


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record(Actor(user=user, ip=client_ip(request) if request else None), "auth.login", user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(Actor(user=user, ip=client_ip(request) if request else None), "auth.logout", user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    actor = actor_from_request(request) if request is not None else Actor(user=None)
    # The attempted name is recorded for the admin; the person signing in is never told whether it exists.
    record(
        actor,
        "auth.login_failed",
        object_type="core.user",
        object_repr=str(credentials.get("username", ""))[:150],
    )
