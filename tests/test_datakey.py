"""Secrets at rest (issue 20, 数据保密性; docs/security.md): channel credentials and iCal feed keys are sealed with a
data key kept outside the database, opened only where they are used, and the key can be rotated.

Every test here has a key ring of its own (a data_key file in its own folder), so rotating it touches no other
test."""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import json
import os
import subprocess
import sys
from binascii import unhexlify
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tongpin.core import datakey, twofactor
from tongpin.core.models import ApiToken, AuditEvent, SealedTOTPDevice
from tongpin.newsroom.publish import publish_story
from tongpin.planning import ical
from tongpin.planning.models import FeedKey
from tongpin.publishing import channels_admin, dispatcher
from tongpin.publishing.models import Channel, Delivery, DeliveryState
from tongpin.publishing.secrets import reveal
from tongpin.publishing.transmitters import webhook

from .conftest import actor
from .publishing_support import Sink, approved_story, drain, make_channel

SM2_PRIVATE = "3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8"  # GM/T 0003 example key
SM2_PUBLIC = (
    "09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
    "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13"
)
SECRETS = {
    "webhook": ("app", "webhook", {"url": "https://hooks.partner.example/a", "secret": "whsec-PLAIN-1"}),
    "smtp": ("web", "smtp", {"host": "mail.partner.example", "password": "smtp-PLAIN-2",
                             "from_address": "a@station.example", "to": "b@partner.example"}),
    "wechat": ("wechat", "wechat_api", {"app_id": "wx-1", "app_secret": "wxsec-PLAIN-3"}),
    "eb": ("emergency", "eb_platform", {"url": "https://eb.example/api", "signer_code": "P36000000000000001",
                                 "private_key": SM2_PRIVATE, "platform_public_key": SM2_PUBLIC}),
    "feed": ("web", "feed", {"access_key": "feedkey-PLAIN-5"}),
}  # fmt: skip
PLAINTEXTS = ["whsec-PLAIN-1", "smtp-PLAIN-2", "wxsec-PLAIN-3", SM2_PRIVATE, "feedkey-PLAIN-5"]


@pytest.fixture(autouse=True)
def own_keys(db, settings, tmp_path, monkeypatch):
    """A key ring of this test's own, in a folder of its own."""
    home = tmp_path / "home"
    home.mkdir()
    settings.HOME = home
    monkeypatch.delenv(datakey.ENV, raising=False)
    datakey.forget_cache()
    yield home
    datakey.forget_cache()


def _raw_settings() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT settings FROM publishing_channel ORDER BY id")
        return "\n".join(str(row[0]) for row in cursor.fetchall())


def _code(seed: str) -> str:
    """The authenticator app's current code for a hex seed."""
    return f"{TOTP(unhexlify(seed)).token():06d}"


def _channels(users) -> dict[str, Channel]:
    made = {}
    for name, (kind, transmitter, values) in SECRETS.items():
        made[name] = make_channel(users["admin"], kind, transmitter, slug=f"k-{name}", **dict(values))
    return made


# -- the cipher is what it says ------------------------------------------------------------------------------


def test_the_platform_sm4_gcm_is_sm4_and_matches_the_rfc_8998_example():
    """The primitives under the seal: SM4 (GB/T 32907's example, and the same block from gmssl's independent
    implementation), SM4-GCM (RFC 8998 appendix A.1) and SM3 (GB/T 32905's "abc")."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from gmssl import sm3
    from gmssl.sm4 import SM4_ENCRYPT, CryptSM4

    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    block = Cipher(algorithms.SM4(key), modes.ECB()).encryptor().update(key)  # noqa: S305  (one block: the standard's example)
    assert block.hex() == "681edf34d206965e86b3e94f536e4246"
    reference = CryptSM4()
    reference.set_key(key, SM4_ENCRYPT)
    assert reference.crypt_ecb(key)[:16] == block
    nonce, aad = bytes.fromhex("00001234567800000000ABCD"), bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plain = bytes.fromhex("".join(c * 16 for c in "ABCDEFEA"))
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    sealed = encryptor.update(plain) + encryptor.finalize()
    assert sealed.hex().upper().startswith("17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735")
    assert encryptor.tag.hex().upper() == "83DE3541E4C2B58177E065A9BF7B62EC"
    digest = hashes.Hash(hashes.SM3())
    digest.update(b"abc")
    assert digest.finalize().hex() == sm3.sm3_hash(list(b"abc"))
    assert sm3.sm3_hash(list(b"abc")).startswith("66c7f0f462eeedd9d1f2d46bdc10e4e2")


def test_the_hmac_sm3_key_derivation_agrees_with_rfc_2104_over_gmssl_sm3():
    from gmssl import sm3

    def gm(data: bytes) -> bytes:
        return bytes.fromhex(sm3.sm3_hash(list(data)))

    key, message = b"k" * 32, b"tongpin data key/sm4-gcm"
    padded = key.ljust(64, b"\0")
    expected = gm(bytes(b ^ 0x5C for b in padded) + gm(bytes(b ^ 0x36 for b in padded) + message))
    assert datakey._sm3_hmac(key, message) == expected


@pytest.mark.parametrize("cipher", datakey.CIPHERS)
def test_a_sealed_value_opens_only_in_its_own_place_and_untampered(settings, cipher):
    settings.TONGPIN_DATA_CIPHER = cipher
    sealed = datakey.seal("机密口令 s3cret", "channel-setting:secret")
    assert sealed.startswith(f"tpenc:1:{cipher}:") and "s3cret" not in sealed
    assert datakey.seal("机密口令 s3cret", "channel-setting:secret") != sealed  # a fresh nonce each time
    assert datakey.unseal(sealed, "channel-setting:secret") == "机密口令 s3cret"
    with pytest.raises(datakey.DataKeyError, match="altered, or moved"):
        datakey.unseal(sealed, "channel-setting:password")  # copied into another place
    head, _, body = sealed.rpartition(":")
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[15] ^= 1
    tampered = f"{head}:{base64.urlsafe_b64encode(bytes(raw)).decode().rstrip('=')}"
    with pytest.raises(datakey.DataKeyError, match="altered"):
        datakey.unseal(tampered, "channel-setting:secret")


def test_the_key_file_is_made_0600_beside_the_secret_key_and_holds_no_id_the_database_could_hold(own_keys):
    datakey.seal("x", "c")
    path = own_keys / "data_key"
    assert path.is_file() and (path.stat().st_mode & 0o777) == 0o600
    key = datakey.parse_key(path.read_text())
    assert datakey.keyring().current == key and len(key.material) == 32


# -- channel secrets at rest -----------------------------------------------------------------------------------


def test_every_channel_secret_is_stored_sealed_and_opens_at_the_point_of_use(users):
    channels = _channels(users)
    raw = _raw_settings()
    for plain in PLAINTEXTS:
        assert plain not in raw
    assert raw.count("tpenc:1:sm4-gcm:") == len(PLAINTEXTS)
    assert "https://hooks.partner.example/a" in raw  # only the secrets are sealed
    for name, (_kind, _transmitter, values) in SECRETS.items():
        channel = Channel.objects.get(pk=channels[name].pk)
        assert reveal(channel) == {**reveal(channel), **values}
    # What the pages and the API show is a mask, never the sealed value or the plaintext.
    shown = json.dumps([channels_admin.public_settings(c) for c in channels.values()], ensure_ascii=False)
    assert "tpenc" not in shown and not any(p in shown for p in PLAINTEXTS)


def test_channels_made_or_edited_over_the_api_and_pages_store_no_plaintext(users, client_for, settings):
    token = ApiToken.issue(users["admin"], "t")[1]
    from django.test import Client

    api = Client()
    made = api.post("/api/v1/channels", data=json.dumps({
        "name": "回调", "slug": "api-hook", "kind": "app", "transmitter": "webhook",
        "settings": {"url": "https://hooks.partner.example/b", "secret": "api-PLAIN-7"}}),
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")  # fmt: skip
    assert made.status_code == 201, made.content
    assert "api-PLAIN-7" not in made.content.decode() and "tpenc" not in made.content.decode()
    admin = client_for("admin")
    admin.post("/channels/new/", {"kind": "sms", "transmitter": "webhook", "name": "短信", "slug": "page-sms",
                                  "s_url": "https://sms.example/h", "s_secret": "page-PLAIN-8", "s_timeout": "5",
                                  "s_max_segments": "2", "save": "1"})  # fmt: skip
    channel = Channel.objects.get(slug="page-sms")
    page = admin.get(f"/channels/{channel.pk}/").content.decode()
    raw = _raw_settings()
    assert "api-PLAIN-7" not in raw and "page-PLAIN-8" not in raw and "page-PLAIN-8" not in page
    assert reveal(channel)["secret"] == "page-PLAIN-8"
    changes = json.dumps(list(AuditEvent.objects.values_list("changes", flat=True)), ensure_ascii=False)
    assert "page-PLAIN-8" not in changes and "api-PLAIN-7" not in changes


def test_a_webhook_is_signed_with_the_opened_secret_and_the_parcel_never_prints_it(users, allow_loopback):
    with Sink() as sink:
        channel = make_channel(users["admin"], "app", "webhook", url=sink.url, secret="sign-PLAIN-9")
        story = approved_story(users["reporter"])
        publish_story(actor(users["desk"]), story.pk, [channel.pk])
        delivery = Delivery.objects.get(channel=channel)
        assert "sign-PLAIN-9" not in repr(dispatcher.parcel_for(delivery))
        drain()
        assert Delivery.objects.get(pk=delivery.pk).state == DeliveryState.SUCCESS
        got = sink.received[0]
        headers = got["headers"]
        assert webhook.verify("sign-PLAIN-9", headers["X-Tongpin-Timestamp"], headers["X-Tongpin-Signature"],
                              got["body"])  # fmt: skip


def test_a_wrong_or_missing_key_fails_clearly_and_the_send_says_so(users, own_keys, allow_loopback):
    channel = make_channel(users["admin"], "app", "webhook", url="http://127.0.0.1:9/", secret="k-PLAIN")
    held = datakey.keyring().current.id
    datakey.write_key_file([datakey.new_key()])  # somebody replaced the key file
    with pytest.raises(datakey.DataKeyError, match=f"sealed with data key {held}, which .* does not hold"):
        reveal(Channel.objects.get(pk=channel.pk))
    # A delivery on that channel fails with a status that says what to do, not with a crash of the worker.
    story = approved_story(users["reporter"])
    publish_story(actor(users["desk"]), story.pk, [channel.pk])
    drain()
    delivery = Delivery.objects.get(channel=channel)
    attempt = delivery.attempt_log.first()
    assert attempt.code == "data_key" and "tongpin keys status" in attempt.message
    assert held in attempt.detail
    # `tongpin keys status` names the key that is missing and fails.
    with pytest.raises(Exception, match=held):
        call_command("keys", "status")


def test_without_the_data_key_the_app_is_refused_clearly_and_recovery_codes_still_sign_in(users, own_keys):
    from django.test import Client

    from .conftest import PASSWORD

    seed = twofactor.new_key()
    codes = twofactor.enrol(actor(users["duty"]), users["duty"], seed)
    SealedTOTPDevice.objects.filter(user=users["duty"]).update(last_t=-1)
    (own_keys / "data_key").unlink()
    datakey.forget_cache()
    browser = Client()
    browser.post("/login/", {"username": "duty", "password": PASSWORD})
    refused = browser.post("/login/verify/", {"code": _code(seed)})
    assert refused.status_code == 200 and "服务器缺少数据密钥" in refused.content.decode()
    assert browser.post("/login/verify/", {"code": codes[0]}).status_code == 302
    assert browser.get("/account/").status_code == 200


def test_no_new_key_is_made_where_the_database_holds_secrets_sealed_with_another(users, own_keys):
    make_channel(users["admin"], "app", "webhook", url="https://hooks.partner.example/a", secret="k-PLAIN")
    (own_keys / "data_key").unlink()
    datakey.forget_cache()
    with pytest.raises(datakey.DataKeyError, match="copy that key file here"):
        make_channel(users["admin"], "app", "webhook", slug="second", url="https://x.example/", secret="k2")
    assert not (own_keys / "data_key").exists()


def test_the_environment_key_is_used_instead_of_the_file(users, own_keys, monkeypatch):
    key = datakey.new_key()
    monkeypatch.setenv(datakey.ENV, datakey.format_key(key))
    datakey.forget_cache()
    channel = make_channel(users["admin"], "app", "webhook", url="https://x.example/", secret="env-PLAIN")
    assert datakey.sealed_key_id(Channel.objects.get(pk=channel.pk).settings["secret"]) == key.id
    assert not (own_keys / "data_key").exists()


# -- rotation --------------------------------------------------------------------------------------------------


def test_rotation_reseals_everything_with_a_new_key_and_drops_the_old_one(users, own_keys, capsys):
    from tongpin.alerts.models import PagingRoute

    channels = _channels(users)
    ical.rotate(actor(users["editor"]))
    feed_url_before = ical.feed_token(users["editor"], "person")
    route = PagingRoute.objects.create(name="钉钉", kind="dingtalk", url="https://oapi.example/robot", secret="SECpage")
    seed = twofactor.new_key()
    twofactor.enrol(actor(users["duty"]), users["duty"], seed)
    SealedTOTPDevice.objects.filter(user=users["duty"]).update(last_t=-1)  # (enrolment used up the current step)
    old = datakey.keyring().current.id
    call_command("keys", "status", "--json")
    before = json.loads(capsys.readouterr().out)
    stores = {"channel_settings": 5, "ical_feed_keys": 1, "paging_route_secrets": 1, "totp_device_keys": 1}
    assert before["stores"] == {name: {old: n} for name, n in stores.items()}
    call_command("keys", "rotate")
    capsys.readouterr()
    new = datakey.keyring().current.id
    assert new != old and [k.id for k in datakey.keyring().keys] == [new]
    assert old not in (own_keys / "data_key").read_text()
    call_command("keys", "status", "--json")
    after = json.loads(capsys.readouterr().out)
    assert after["stores"] == {name: {new: n} for name, n in stores.items()}
    route.refresh_from_db()
    assert route.opened_secret == "SECpage" and route.secret.startswith(f"tpenc:1:sm4-gcm:{new}:")
    for name, (_kind, _transmitter, values) in SECRETS.items():
        opened = reveal(Channel.objects.get(pk=channels[name].pk))
        assert {k: opened[k] for k in values} == values
    raw = _raw_settings()
    assert old not in raw and not any(p in raw for p in PLAINTEXTS)
    assert ical.read_token(feed_url_before) is not None  # the feed addresses handed out still work
    assert FeedKey.objects.get(user=users["editor"]).secret.startswith(f"tpenc:1:sm4-gcm:{new}:")
    assert SealedTOTPDevice.objects.get(user=users["duty"]).key.startswith(f"tpenc:1:sm4-gcm:{new}:")
    assert twofactor.verify(users["duty"], _code(seed)).ok  # the authenticator app still signs in
    event = AuditEvent.objects.filter(action="datakey.rotate").get()
    assert event.changes["retired"] == [old] and event.changes["current"] == new
    assert event.changes["resealed"] == sum(stores.values())  # each secret once (the second pass finds none)


def test_a_process_holding_the_old_key_ring_reads_values_sealed_during_rotation(users, own_keys):
    channel = make_channel(users["admin"], "app", "webhook", url="https://x.example/", secret="mid-PLAIN")
    stale = datakey.keyring()  # what a running worker read earlier
    key = datakey.new_key()
    datakey.write_key_file([key, *stale.keys])  # rotation's first step: the new key first, the old still there
    datakey._cache["ring"] = stale  # the worker has not looked at the file since
    datakey.reseal_all(key)
    assert reveal(Channel.objects.get(pk=channel.pk))["secret"] == "mid-PLAIN"  # it reads the file again
    datakey._cache["ring"] = stale
    sealed = datakey.seal("new-PLAIN", "c")  # and seals with the current key, not the one it held
    assert datakey.sealed_key_id(sealed) == key.id


def test_rotation_with_the_key_in_the_environment(users, own_keys, monkeypatch, capsys):
    first = datakey.new_key()
    monkeypatch.setenv(datakey.ENV, datakey.format_key(first))
    datakey.forget_cache()
    channel = make_channel(users["admin"], "app", "webhook", url="https://x.example/", secret="env-PLAIN")
    call_command("keys", "generate")
    second = datakey.parse_key(capsys.readouterr().out)
    monkeypatch.setenv(datakey.ENV, f"{datakey.format_key(second)},{datakey.format_key(first)}")
    datakey.forget_cache()
    monkeypatch.setenv("LANGUAGE", "en")  # the words checked are the English ones (the command speaks the shell's)
    call_command("keys", "rotate")
    assert f"nothing uses {first.id} now" in capsys.readouterr().out
    monkeypatch.setenv(datakey.ENV, datakey.format_key(second))
    datakey.forget_cache()
    assert reveal(Channel.objects.get(pk=channel.pk))["secret"] == "env-PLAIN"


# -- the migration ---------------------------------------------------------------------------------------------


def test_the_data_migration_seals_plaintext_secrets_stored_before(users):
    channel = make_channel(users["admin"], "app", "webhook", url="https://x.example/", secret="x")
    Channel.objects.filter(pk=channel.pk).update(settings={"url": "https://x.example/", "secret": "old-PLAIN"})
    FeedKey.objects.create(user=users["editor"], secret="feed-PLAIN")
    assert "old-PLAIN" in _raw_settings()
    assert reveal(Channel.objects.get(pk=channel.pk))["secret"] == "old-PLAIN"  # read as it is until sealed
    call_command("keys", "status")  # counts it as plaintext, does not fail

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    importlib.import_module("tongpin.planning.migrations.0004_seal_feed_keys").seal(django_apps, editor)
    importlib.import_module("tongpin.publishing.migrations.0006_seal_channel_secrets").seal(django_apps, editor)
    assert "old-PLAIN" not in _raw_settings()
    assert reveal(Channel.objects.get(pk=channel.pk))["secret"] == "old-PLAIN"
    stored = FeedKey.objects.get(user=users["editor"]).secret
    assert stored.startswith("tpenc:") and datakey.unseal(stored, ical.KEY_CONTEXT) == "feed-PLAIN"


def _migration(name: str):
    class Editor:
        connection = connection

    return importlib.import_module(f"tongpin.core.migrations.{name}"), Editor()


def test_the_migration_moves_clear_totp_seeds_into_sealed_devices_and_back(users):
    """Someone who set up the app before the upgrade signs in with it after: their django-otp device (seed in
    clear hex) becomes a sealed device with the same state — the last step used stays used."""
    seed = twofactor.new_key()
    step = TOTP(unhexlify(seed)).t()
    TOTPDevice.objects.create(user=users["duty"], name="default", key=seed, confirmed=True, last_t=step - 5, drift=0,
                              throttling_failure_count=2)  # fmt: skip
    created = TOTPDevice.objects.get(user=users["duty"]).created_at
    migration, editor = _migration("0010_sealed_totp_device")
    migration.seal(django_apps, editor)
    assert not TOTPDevice.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM core_sealedtotpdevice WHERE user_id = %s", [users["duty"].pk])
        raw = cursor.fetchone()[0]
    assert raw.startswith("tpenc:1:") and seed not in raw
    device = SealedTOTPDevice.objects.get(user=users["duty"])
    assert (device.last_t, device.throttling_failure_count, device.created_at) == (step - 5, 2, created)
    assert twofactor.enrolled(users["duty"])
    SealedTOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    assert twofactor.verify(users["duty"], _code(seed)).ok
    assert not twofactor.verify(users["duty"], _code(seed)).ok
    used = SealedTOTPDevice.objects.get(user=users["duty"]).last_t
    call_command("keys", "status")  # the store counts it
    assert datakey.status()["stores"]["totp_device_keys"] == {datakey.keyring().current.id: 1}

    migration.unseal(django_apps, editor)
    assert not SealedTOTPDevice.objects.exists()
    back = TOTPDevice.objects.get(user=users["duty"])
    assert (back.key, back.last_t, back.created_at) == (seed, used, created)


# -- backup and restore ----------------------------------------------------------------------------------------


def _run(home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TONGPIN_", "DJANGO_"))}
    env |= {"TONGPIN_HOME": str(home), "PYTHONPATH": str(root / "src"), "TONGPIN_LOG_LEVEL": "WARNING"} | extra
    return subprocess.run([sys.executable, "-m", "tongpin", *args], env=env, capture_output=True, text=True,
                          timeout=180, cwd=root)  # fmt: skip


MAKE = ("from tongpin.publishing.models import Channel; "
        "Channel.objects.create(name='回调', slug='hook', kind='app', transmitter='webhook', "
        "settings={'url': 'https://x.example/', 'secret': 'backup-PLAIN'})")  # fmt: skip
READ = ("from tongpin.publishing.models import Channel; from tongpin.publishing.secrets import reveal; "
        "print(reveal(Channel.objects.get(slug='hook'))['secret'])")  # fmt: skip


def test_backup_carries_the_data_key_and_a_restore_opens_the_secrets(tmp_path):
    source, target = tmp_path / "source", tmp_path / "target"
    assert _run(source, "migrate", "-v0").returncode == 0
    assert _run(source, "shell", "-c", MAKE).returncode == 0
    done = _run(source, "backup", "--json")
    assert done.returncode == 0, done.stderr
    archive = Path(json.loads(done.stdout)["archive"])
    import tarfile

    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
        dump = tar.extractfile(manifest["database"]["file"]).read()
    assert "data_key" in names and manifest["data_key"]["sha256"]
    assert b"backup-PLAIN" not in dump  # the database copy holds the sealed value only
    restored = _run(target, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert ((target / "data_key").stat().st_mode & 0o777) == 0o600
    assert _run(target, "shell", "-c", READ).stdout.strip().splitlines()[-1] == "backup-PLAIN"
    # Restored without its key (kept apart from the archive and lost), the secrets do not open, and it says why.
    (target / "data_key").unlink()
    lost = _run(target, "keys", "status", LANGUAGE="en")  # the words checked below are the English ones
    assert lost.returncode != 0 and "does not hold" not in lost.stdout
    assert "no data key" in lost.stdout and "sealed with keys this machine does not hold" in lost.stderr


SEED = "3132333435363738393031323334353637383930"  # RFC 6238's seed, "12345678901234567890"
OLD_DEVICE = ("from django_otp.plugins.otp_totp.models import TOTPDevice; from tongpin.core.models import User; "
              "user = User.objects.create_user('duty1', password='x'); "
              f"TOTPDevice.objects.create(user=user, name='default', key='{SEED}', confirmed=True)")  # fmt: skip
SIGN_IN = ("from django.db import connection; from django_otp.oath import TOTP; from tongpin.core import twofactor; "
           "from tongpin.core.models import User; cursor = connection.cursor(); "
           "cursor.execute('SELECT key FROM core_sealedtotpdevice'); print(cursor.fetchone()[0]); "
           f"code = '%06d' % TOTP(bytes.fromhex('{SEED}')).token(); user = User.objects.get(username='duty1'); "
           "print(twofactor.verify(user, code).ok, twofactor.verify(user, code).ok)")  # fmt: skip
CLEAR = ("from django_otp.plugins.otp_totp.models import TOTPDevice; "
         "print(TOTPDevice.objects.get(user__username='duty1').key)")  # fmt: skip


def test_upgrading_with_migrate_seals_a_totp_seed_set_up_before(tmp_path):
    """Through `tongpin migrate` (Django's migration executor, historical models): a device set up before the
    upgrade signs in after it, its seed sealed in the database; migrating back gives django-otp the hex again."""
    home = tmp_path / "home"
    assert _run(home, "migrate", "-v0").returncode == 0
    assert _run(home, "migrate", "core", "0009", "-v0").returncode == 0  # the version before
    assert _run(home, "shell", "-c", OLD_DEVICE).returncode == 0
    # another app's sealing migration, run before core 0010, makes the first data key: the TOTP store has no table
    first_key = _run(home, "shell", "-c", "from tongpin.core import datakey; datakey.seal('x', 'c')")
    assert first_key.returncode == 0, first_key.stderr
    upgraded = _run(home, "migrate", "-v0")
    assert upgraded.returncode == 0, upgraded.stderr
    raw, verdicts = _run(home, "shell", "-c", SIGN_IN).stdout.strip().splitlines()[-2:]
    assert raw.startswith("tpenc:1:sm4-gcm:") and SEED not in raw
    assert verdicts == "True False"  # the app's code signs in, once
    assert (home / "data_key").exists()
    assert _run(home, "migrate", "core", "0009", "-v0").returncode == 0
    assert _run(home, "shell", "-c", CLEAR).stdout.strip().splitlines()[-1] == SEED


def test_hmac_sha256_derives_the_aes_key(own_keys, settings):
    """The alternative cipher's key derivation, checked against the standard library."""
    settings.TONGPIN_DATA_CIPHER = datakey.AES_GCM
    key = datakey.keyring(create=True).current
    aead = datakey._aead(datakey.AES_GCM, key)
    assert aead.key == hmac.new(key.material, b"tongpin data key/aes-256-gcm", hashlib.sha256).digest()


def test_the_status_page_and_api_show_the_key_id_and_counts_never_a_key(users, client_for, own_keys):
    make_channel(users["admin"], "app", "webhook", url="https://x.example/", secret="status-PLAIN")
    current = datakey.keyring().current
    admin = client_for("admin")
    shown = admin.get("/api/v1/status").json()["data_key"]
    assert shown == {"cipher": "sm4-gcm", "source": "file", "current": current.id, "keys": [current.id],
                     "sealed": 1, "plaintext": 0, "missing": []}  # fmt: skip
    page = admin.get("/status/").content.decode()
    assert "数据加密密钥" in page and current.id in page and "SM4" in page
    material = (own_keys / "data_key").read_text().split(":")[1].strip()
    assert material not in page and "status-PLAIN" not in page
    datakey.write_key_file([datakey.new_key()])
    page = admin.get("/status/").content.decode()
    assert "本机缺少以下数据密钥" in page and current.id in page
