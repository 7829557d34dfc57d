"""The second factor at sign-in (docs/security.md): a TOTP authenticator app and single-use recovery codes, as
django-otp devices (`SealedTOTPDevice`, `StaticDevice`). Which roles must use it is the policy's (core.policy);
anyone may enrol.

The app's seed is stored sealed with the data key (core/datakey.py, store `totp_device_keys`): a database dump
alone cannot mint codes. django-otp's own `TOTPDevice` stored it as hex; migration core 0010 moved those devices.

Recovery codes are shown once, when made. Only a keyed hash of each is stored (an HMAC with the SECRET_KEY,
truncated to the 16 characters django-otp's token field holds): the database alone does not give them away, and
changing the SECRET_KEY voids them (make new ones after signing in with the app).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import secrets
from base64 import b32encode
from binascii import unhexlify
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from . import datakey
from .audit import Actor, record
from .models import SealedTOTPDevice, totp_key_context

log = logging.getLogger(__name__)

RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper
DEVICE_NAME = "default"


def totp_device(user, *, for_verify: bool = False) -> SealedTOTPDevice | None:
    """The user's app. `for_verify` locks its row (inside a transaction) so two requests with one code cannot
    both see the last step unused, and rotation does not re-seal it underneath a verification."""
    devices = SealedTOTPDevice.objects.filter(user=user, confirmed=True)
    return (devices.select_for_update() if for_verify else devices).first()


def enrolled(user) -> bool:
    """True when the user signs in with a second factor (an authenticator app)."""
    return user.pk is not None and SealedTOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user).count()


# --- enrolment -----------------------------------------------------------------------------------------------


def new_key() -> str:
    """A fresh TOTP secret (hex, as django-otp keeps it). Kept in the session until the first code confirms it."""
    return default_key()


def secret_text(key: str) -> str:
    """The secret as people type it into an authenticator app: base32, in groups of four."""
    text = b32encode(unhexlify(key)).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def otpauth_uri(user, key: str) -> str:
    # django-otp's own device, unsaved, only to format the address (label, issuer, base32 secret)
    return TOTPDevice(user=user, key=key).config_url


def qr_svg(uri: str) -> bytes:
    """The otpauth address as a QR code (SVG, drawn here: nothing leaves the machine)."""
    import segno

    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False, dark="#000", light="#fff")
    return out.getvalue()


def code_matches(key: str, code: str) -> bool:
    """Does a code from the app match the new secret (one step of clock drift either way)?"""
    code = normalise(code)
    if not code.isdigit():
        return False
    totp = TOTP(unhexlify(key))
    return totp.verify(int(code), tolerance=1)


@transaction.atomic
def enrol(actor: Actor, user, key: str) -> list[str]:
    """Make the app the user's second factor (replacing an earlier one) and return new recovery codes."""
    SealedTOTPDevice.objects.filter(user=user).delete()
    totp = TOTP(unhexlify(key))
    SealedTOTPDevice.objects.create(user=user, name=DEVICE_NAME, key=key, confirmed=True, last_t=totp.t())
    codes = _replace_codes(user)
    record(actor, "auth.2fa_enrolled", user)
    return codes


@transaction.atomic
def new_recovery_codes(actor: Actor, user) -> list[str]:
    codes = _replace_codes(user)
    record(actor, "auth.2fa_recovery_regenerated", user, {"codes": len(codes)})
    return codes


def _replace_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
    codes = ["".join(secrets.choice(_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=_stored(code)) for code in codes)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def _stored(code: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), b"tongpin-recovery:" + code.encode(), hashlib.sha256)
    return digest.hexdigest()[:16]


def normalise(code: str) -> str:
    return "".join(c for c in (code or "").lower() if c.isalnum())


# --- signing in ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    ok: bool
    how: str = ""  # "totp" or "recovery"
    device: object = None
    throttled: bool = False
    no_data_key: bool = False  # the app's seed does not open here: recovery codes still do


def verify(user, code: str) -> Verdict:
    """Check a code from the app or a recovery code (used up if it matches). django-otp slows down repeated
    failures per device (1, 2, 4 … seconds); a throttled device answers no whatever the code."""
    code = normalise(code)
    if not code:
        return Verdict(ok=False)
    if code.isdigit() and len(code) in (6, 8):
        with transaction.atomic():
            device = totp_device(user, for_verify=True)
            if device is None:
                return Verdict(ok=False)
            if not device.verify_is_allowed()[0]:
                return Verdict(ok=False, throttled=True)
            try:
                ok = device.verify_token(code)
            except datakey.DataKeyError as error:  # refuse, with the reason, rather than fail the page
                log.error("the TOTP seed of user %s does not open: %s", user.pk, error)
                return Verdict(ok=False, how="totp", no_data_key=True)
        return Verdict(ok=ok, how="totp", device=device if ok else None)
    static = StaticDevice.objects.filter(user=user, confirmed=True).first()
    if static is None:
        return Verdict(ok=False)
    allowed, _info = static.verify_is_allowed()
    if not allowed:
        return Verdict(ok=False, throttled=True)
    with transaction.atomic():
        ok = static.verify_token(_stored(code))
    return Verdict(ok=ok, how="recovery", device=static if ok else None)


@transaction.atomic
def remove(actor: Actor, user, *, by_admin: bool) -> bool:
    """Remove the user's second factor (app and recovery codes). An admin does it for someone who lost their
    phone and codes (`auth.2fa_reset`); the user for themselves where their role does not require it."""
    had = SealedTOTPDevice.objects.filter(user=user).exists() or StaticDevice.objects.filter(user=user).exists()
    SealedTOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    if had or by_admin:
        record(actor, "auth.2fa_reset" if by_admin else "auth.2fa_removed", user)
    return had


# --- the seeds are a sealed store (`tongpin keys rotate`, `tongpin keys status`) ---------------------------------


def _key_ids() -> list[str]:
    # Another app's migration may make the first data key (and so ask every store) before core 0010 made the table.
    if SealedTOTPDevice._meta.db_table not in connection.introspection.table_names():
        return []
    return [datakey.sealed_key_id(key) for key in SealedTOTPDevice.objects.values_list("key", flat=True)]


def _reseal(rewrite: Callable[[str, str], str]) -> int:
    count = 0
    for device in SealedTOTPDevice.objects.select_for_update().order_by("pk").only("pk", "user_id", "key"):
        new = rewrite(device.key, totp_key_context(device.user_id))
        if new != device.key:
            SealedTOTPDevice.objects.filter(pk=device.pk).update(key=new)
            count += 1
    return count


STORE = datakey.Store("totp_device_keys", _key_ids, _reseal)
