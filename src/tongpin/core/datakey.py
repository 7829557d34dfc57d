"""Secrets at rest: the data key and sealed values (docs/security.md, 数据保密性).

Channel credentials (every `Setting(kind="secret")` of a channel: webhook signing keys, SMTP passwords, WeChat
AppSecrets, the emergency-broadcast SM2 private key, feed access keys) and people's iCal feed keys are stored
*sealed*: encrypted and authenticated with a data key that is never in the database — the file `data_key` in
TONGPIN_HOME (mode 0600, beside `secret_key`) or the environment variable TONGPIN_DATA_KEY.

A sealed value is one string, `tpenc:1:<cipher>:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`:

- `sm4-gcm` (default): SM4 (GB/T 32907) in GCM mode (GB/T 17964, RFC 8998), 16-byte key, 12-byte nonce,
  16-byte tag, through `cryptography` (OpenSSL). `aes-256-gcm` is the alternative (TONGPIN_DATA_CIPHER), for an
  OpenSSL built without SM4; either is read whatever the setting.
- the cipher key is derived from the 32-byte data key per cipher (HMAC-SM3 for SM4, HMAC-SHA256 for AES);
- the additional authenticated data is the value's *context* (e.g. `channel-setting:secret`), so a sealed value
  copied into another place does not open there;
- the key id is the first 8 hex digits of the key's SM3 digest: a wrong key is named as such, never guessed at.

A key ring holds the current key (sealing) and older ones (opening only), so `tongpin keys rotate` can re-seal
everything while other processes still hold the previous key. A process that meets a key id it does not know
reads the file again; before sealing it checks that the file has not changed under it.

Stores register here (`register_store`) what they keep sealed, so rotation and `tongpin keys status` reach every
sealed value without core importing the apps.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

PREFIX = "tpenc:"
VERSION = "1"
SM4_GCM = "sm4-gcm"
AES_GCM = "aes-256-gcm"
CIPHERS = (SM4_GCM, AES_GCM)
KEY_FILE = "data_key"
ENV = "TONGPIN_DATA_KEY"
KEY_BYTES = 32
NONCE_BYTES = 12


class DataKeyError(Exception):
    """A sealed value cannot be opened (its key is missing or wrong, or it was altered), or no key can be made."""


@dataclass(frozen=True)
class DataKey:
    id: str
    material: bytes = field(repr=False)


def key_id(material: bytes) -> str:
    from cryptography.hazmat.primitives import hashes

    digest = hashes.Hash(hashes.SM3())
    digest.update(material)
    return digest.finalize().hex()[:8]


def _sm3_hmac(key: bytes, message: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import hmac as crypto_hmac

    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(message)
    return mac.finalize()


def parse_key(text: str) -> DataKey:
    """A key as written in the file or the environment: base64url of 32 bytes (an `id:` prefix is allowed)."""
    text = text.strip()
    _, _, encoded = text.rpartition(":")
    try:
        material = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (ValueError, TypeError) as error:
        raise DataKeyError("a data key must be base64url of 32 bytes") from error
    if len(material) != KEY_BYTES:
        raise DataKeyError(f"a data key must be 32 bytes, not {len(material)}")
    return DataKey(key_id(material), material)


def format_key(key: DataKey) -> str:
    return f"{key.id}:{base64.urlsafe_b64encode(key.material).decode().rstrip('=')}"


def new_key() -> DataKey:
    material = secrets.token_bytes(KEY_BYTES)
    return DataKey(key_id(material), material)


def key_file() -> Path:
    return Path(settings.HOME) / KEY_FILE


@dataclass
class Keyring:
    keys: list[DataKey]  # the first seals; all open
    source: str  # "env" or the file's path
    stamp: tuple = ()

    @property
    def current(self) -> DataKey:
        return self.keys[0]

    def get(self, kid: str) -> DataKey | None:
        return next((k for k in self.keys if k.id == kid), None)


def _stamp(path: Path) -> tuple:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return ()
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def _read_lines(text: str) -> list[DataKey]:
    keys = [parse_key(line) for line in text.replace(",", "\n").splitlines() if line.strip()]
    if not keys:
        raise DataKeyError("the data key is empty")
    return keys


def write_key_file(keys: list[DataKey], path: Path | None = None) -> None:
    """Replace the key file atomically (0600), current key first."""
    path = path or key_file()
    partial = path.with_name(f".{path.name}.{os.getpid()}.new")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("".join(format_key(k) + "\n" for k in keys))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)
    _cache.clear()


_lock = threading.Lock()
_cache: dict[str, Keyring] = {}
_stores: dict[str, Store] = {}


def configured() -> bool:
    """Whether a data key is given at all (the variable, or the key file), readable or not: without one, it is
    made when the first secret is sealed."""
    return bool(os.environ.get(ENV, "").strip()) or bool(_stamp(key_file()))


def _load() -> Keyring | None:
    if os.environ.get(ENV, "").strip():
        return Keyring(_read_lines(os.environ[ENV]), "env")
    path = key_file()
    stamp = _stamp(path)
    if not stamp:
        return None
    return Keyring(_read_lines(path.read_text()), str(path), stamp)


def keyring(create: bool = False) -> Keyring:
    """The key ring, read once per process and again when the file changed. With `create`, a missing key file
    is made — unless the database already holds values sealed with a key this machine does not have."""
    with _lock:
        ring = _cache.get("ring")
        if ring is None or (ring.source != "env" and _stamp(Path(ring.source)) != ring.stamp):
            ring = _load()
            if ring is None:
                if not create:
                    raise DataKeyError(f"no data key: neither {ENV} nor {key_file()} is set")
                ring = _create()
            _cache["ring"] = ring
        return ring


def _create() -> Keyring:
    used = set()
    for store in _stores.values():
        used |= set(store.key_ids())
    used.discard("")
    if used:
        raise DataKeyError(
            f"no data key at {key_file()} while the database holds values sealed with key {', '.join(sorted(used))}: "
            f"copy that key file here (or set {ENV}) instead of making a new key"
        )
    key = new_key()
    path = key_file()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return Keyring(_read_lines(path.read_text()), str(path), _stamp(path))
    with os.fdopen(fd, "w") as handle:
        handle.write(format_key(key) + "\n")
    return Keyring([key], str(path), _stamp(path))


def forget_cache() -> None:
    _cache.clear()


# --- sealing --------------------------------------------------------------------------------------------------


def cipher_name() -> str:
    name = (getattr(settings, "TONGPIN_DATA_CIPHER", "") or SM4_GCM).strip().lower()
    if name not in CIPHERS:
        raise DataKeyError(f"TONGPIN_DATA_CIPHER must be one of {', '.join(CIPHERS)}, not {name!r}")
    return name


def _aead(cipher: str, key: DataKey):
    from cryptography.hazmat.primitives.ciphers import algorithms

    if cipher == SM4_GCM:
        return algorithms.SM4(_sm3_hmac(key.material, b"tongpin data key/sm4-gcm")[:16])
    if cipher == AES_GCM:
        return algorithms.AES(hmac.new(key.material, b"tongpin data key/aes-256-gcm", hashlib.sha256).digest())
    raise DataKeyError(f"unknown cipher {cipher!r}")


def _encrypt(cipher: str, key: DataKey, nonce: bytes, data: bytes, aad: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers import Cipher, modes

    encryptor = Cipher(_aead(cipher, key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    return encryptor.update(data) + encryptor.finalize() + encryptor.tag


def _decrypt(cipher: str, key: DataKey, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers import Cipher, modes

    body, tag = sealed[:-16], sealed[-16:]
    decryptor = Cipher(_aead(cipher, key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(aad)
    try:
        return decryptor.update(body) + decryptor.finalize()
    except InvalidTag as error:
        raise DataKeyError(
            f"a value sealed with data key {key.id} does not open: altered, or moved from another place"
        ) from error


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def sealed_key_id(value: str) -> str:
    """The key id of a sealed value ("" for anything else)."""
    parts = value.split(":", 4) if is_sealed(value) else []
    return parts[3] if len(parts) == 5 else ""


def seal(plaintext: str, context: str, key: DataKey | None = None) -> str:
    """Encrypt `plaintext` for the place `context` names. An already sealed value is returned as it is."""
    if is_sealed(plaintext):
        return plaintext
    key = key or keyring(create=True).current
    cipher = cipher_name()
    nonce = secrets.token_bytes(NONCE_BYTES)
    data = _encrypt(cipher, key, nonce, str(plaintext).encode(), context.encode())
    encoded = base64.urlsafe_b64encode(nonce + data).decode().rstrip("=")
    return f"{PREFIX}{VERSION}:{cipher}:{key.id}:{encoded}"


def unseal(value: str, context: str) -> str:
    """The plaintext of a sealed value; a value that is not sealed (written before sealing, or empty) is
    returned as it is. Raises DataKeyError when the key is missing or wrong or the value was altered."""
    if not is_sealed(value):
        return value
    parts = value.split(":", 4)
    if len(parts) != 5 or parts[1] != VERSION or parts[2] not in CIPHERS:
        raise DataKeyError("a sealed value in an unknown format")
    _, _, cipher, kid, encoded = parts
    ring = keyring()
    key = ring.get(kid)
    if key is None:
        forget_cache()  # rotated by another process since we read the key ring?
        ring = keyring()
        key = ring.get(kid)
    if key is None:
        held = ", ".join(k.id for k in ring.keys)
        where = ENV if ring.source == "env" else ring.source
        raise DataKeyError(f"this value is sealed with data key {kid}, which {where} does not hold (it holds {held})")
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except ValueError as error:
        raise DataKeyError("a sealed value that is not base64") from error
    return _decrypt(cipher, key, raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()).decode()


def reseal(value: str, context: str, key: DataKey) -> str:
    """`value` (sealed or not) sealed again with `key`."""
    return seal(unseal(value, context), context, key)


# --- stores: what is kept sealed, for rotation and status -----------------------------------------------------


@dataclass(frozen=True)
class Store:
    """One kind of sealed value. `key_ids()` lists the key id of every stored secret ("" for one not sealed
    yet); `reseal(rewrite)` rewrites each stored secret with `rewrite(value, context)` and answers how many."""

    name: str
    key_ids: Callable[[], Iterable[str]]
    reseal: Callable[[Callable[[str, str], str]], int]


def register_store(store: Store) -> None:
    _stores[store.name] = store


def stores() -> list[Store]:
    return list(_stores.values())


def status() -> dict:
    """Which keys this process holds, and how many stored secrets each key (or none) seals, per store."""
    try:
        ring = keyring()
        held = {"source": ring.source, "current": ring.current.id, "keys": [k.id for k in ring.keys]}
    except DataKeyError as error:
        held = {"source": "", "current": "", "keys": [], "problem": str(error)}
    counts: dict[str, dict[str, int]] = {}
    for store in stores():
        per: dict[str, int] = {}
        for kid in store.key_ids():
            per[kid or "plaintext"] = per.get(kid or "plaintext", 0) + 1
        counts[store.name] = per
    return held | {"cipher": cipher_name(), "stores": counts}


def reseal_all(key: DataKey) -> int:
    """Seal every stored secret with `key` (plaintext ones too); answer how many were written."""
    from django.db import transaction

    def rewrite(value: str, context: str) -> str:
        if not value:
            return value
        return value if sealed_key_id(value) == key.id else reseal(value, context, key)

    total = 0
    with transaction.atomic():
        for store in stores():
            total += store.reseal(rewrite)
    return total


def rotate() -> dict:
    """A new data key: the key file gets it first (the old ones stay readable), every stored secret is sealed
    with it, then the old keys leave the file. With TONGPIN_DATA_KEY the operator puts the new key first in the
    variable (`tongpin keys generate`); rotation then re-seals with it and says which old keys may go."""
    ring = keyring(create=True)
    if ring.source == "env":
        old = [k.id for k in ring.keys[1:]]
        count = reseal_all(ring.current)
        left = _still_using(old)
        return {"source": "env", "current": ring.current.id, "resealed": count, "retired": old, "left": left}
    key = new_key()
    write_key_file([key, *ring.keys])
    count = reseal_all(key)
    count += reseal_all(key)  # a second pass: anything sealed with the old key by a process mid-rotation
    retired = [k.id for k in ring.keys]
    left = _still_using(retired)
    if not left:
        write_key_file([key])
    return {"source": str(key_file()), "current": key.id, "resealed": count, "retired": retired, "left": left}


def _still_using(ids: list[str]) -> int:
    wanted = set(ids)
    return sum(1 for store in stores() for kid in store.key_ids() if kid in wanted)
