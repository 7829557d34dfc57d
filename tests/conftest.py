import datetime as dt
import importlib
import json
import os
import socket
import tempfile

os.environ.setdefault("TONGPIN_HOME", tempfile.mkdtemp(prefix="tongpin-test-"))

import pytest  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client, testcases  # noqa: E402

from tongpin.core.audit import Actor  # noqa: E402
from tongpin.core.models import ApiToken, User  # noqa: E402
from tongpin.core.roles import Role  # noqa: E402
from tongpin.newsroom import stories as story_service  # noqa: E402
from tongpin.partners.models import Liaison, Partner  # noqa: E402

# The browser tests' fixtures (a demo server per test module, headless Chromium).
pytest_plugins = ["tests.browser_support"]

PASSWORD = "correct-horse-42"


def _flush_past_the_audit_triggers() -> None:
    """`transactional_db` tests are emptied by a flush (DELETE or TRUNCATE), which the audit log's append-only
    triggers refuse: only here are they dropped for the flush and put back after (docs/architecture.md)."""
    append_only = importlib.import_module("tongpin.core.audittriggers")
    original = testcases.TransactionTestCase._fixture_teardown

    def teardown(self):
        aliases = list(self._databases_names(include_mirrors=False))
        for alias in aliases:
            append_only.drop(connections[alias])
        try:
            original(self)
        finally:
            for alias in aliases:
                append_only.install(connections[alias])

    testcases.TransactionTestCase._fixture_teardown = teardown


_flush_past_the_audit_triggers()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Real hashing costs ~0.5 s a user; tests need the behaviour, not the cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # /readyz would start the lane watch in a thread of its own; tests call lanewatch.watch() themselves.
    settings.TONGPIN_LANE_WATCH_EVERY = 0
    cache.clear()  # search hints must not leak between tests (sign-in counts are rows, rolled back)


@pytest.fixture
def partners(db):
    return {
        "em": Partner.objects.create(slug="em", name="江西省应急管理厅", short_name="省应急管理厅"),
        "zone": Partner.objects.create(slug="zone", name="清远高新区管委会", short_name="清远高新区"),
    }


def free_port() -> int:
    """A TCP port nobody listens on right now, for local servers started by tests."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_user(username: str, role: str, partner: Partner | None = None) -> User:
    user = User(username=username, role=role, display_name=username)
    user.set_password(PASSWORD)
    user.save()
    if partner is not None:
        Liaison.objects.create(user=user, partner=partner)
    return user


@pytest.fixture
def users(db, partners):
    return {
        "reporter": make_user("reporter", Role.REPORTER),
        "reporter2": make_user("reporter2", Role.REPORTER),
        "editor": make_user("editor", Role.EDITOR),
        "editor2": make_user("editor2", Role.EDITOR),
        "desk": make_user("desk", Role.DESK_CHIEF),
        "chief": make_user("chief", Role.CHIEF_EDITOR),
        "duty": make_user("duty", Role.DUTY_OFFICER),
        "admin": make_user("admin", Role.ADMIN),
        "secadmin": make_user("secadmin", Role.SECURITY_ADMIN),
        "auditor": make_user("auditor", Role.AUDIT_ADMIN),
        "liaison_em": make_user("liaison_em", Role.PARTNER_LIAISON, partners["em"]),
        "liaison_zone": make_user("liaison_zone", Role.PARTNER_LIAISON, partners["zone"]),
        "orphan_liaison": make_user("orphan", Role.PARTNER_LIAISON),
    }


def actor(user: User) -> Actor:
    return Actor(user=user, ip="127.0.0.1", via="test")


def new_story(user: User, **fields):
    fields.setdefault("title", "测试稿件")
    fields.setdefault("body_html", "<p>正文</p>")
    return story_service.create_story(actor(user), story_service.StoryInput.of(**fields))


def api(client: Client, method: str, path: str, token: str | None = None, body=None, **extra):
    """A JSON call to `/api/v1{path}`, as the bearer of `token` (None: the client's session, if any)."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = json.dumps(body) if body is not None else None
    return getattr(client, method)(f"/api/v1{path}", data=data, content_type="application/json", **headers, **extra)


def codes(error) -> set[str]:
    """The error codes of a refusal caught with `pytest.raises(DomainError subclass) as error`."""
    return {e.code for e in error.value.errors}


@pytest.fixture
def client_for(users):
    def make(name: str) -> Client:
        client = Client()
        client.force_login(users[name])
        return client

    return make


@pytest.fixture
def token_for(users):
    def make(name: str) -> str:
        return ApiToken.issue(users[name], "test")[1]

    return make


@pytest.fixture
def allow_loopback(settings):
    """Outbound connections refuse loopback and private addresses (core.outbound); a test whose fake server
    listens on 127.0.0.1 allow-lists loopback explicitly, as a station would allow-list its own network."""
    settings.TONGPIN_OUTBOUND_ALLOW = ["127.0.0.0/8"]


@pytest.fixture
def sink(allow_loopback):
    """A fake far end on loopback (publishing_support.Sink) that records what it is sent."""
    from .publishing_support import Sink  # imported here: publishing_support imports this module

    with Sink() as running:
        yield running


@pytest.fixture
def sender(users):
    """The weather office's machine account, bound (by an admin) to its CAP sender identity (issue 20)."""
    from tongpin.alerts.models import SenderIdentity

    account = make_user("jxqx", Role.ALERT_SENDER)
    SenderIdentity.objects.create(user=account, sender="jxqx@cma.gov.cn")
    return account


@pytest.fixture
def wsgi_keeps_connection():
    """Calls straight into the WSGI application (schemathesis' from_wsgi) must not close the test's database
    connection at the end of each request, as Django's test client ensures for its own requests: on PostgreSQL
    that would close the connection holding the test's transaction."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def wait_until_serving(process, base: str, log, log_path, seconds: float) -> None:
    """Wait for a `tongpin serve` subprocess to answer /healthz at `base`; fail the test with its log if it dies or
    does not answer within `seconds`."""
    import time
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310  (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    process.kill()
    log.close()
    pytest.fail("tongpin serve did not start:\n" + log_path.read_text()[-3000:])


def signing_certificate() -> tuple[bytes, bytes]:
    """A CAP sender's RSA key and its self-signed certificate (valid from yesterday for 30 days), both PEM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jxqx.example")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())  # fmt: skip
    return pem_key, certificate.public_bytes(serialization.Encoding.PEM)


def xml_signed(data: bytes, pem_key: bytes, pem_cert: bytes) -> bytes:
    """A CAP message with an enveloped XML signature (exclusive canonicalisation, as senders use)."""
    from lxml import etree
    from signxml import XMLSigner

    signer = XMLSigner(c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
    return etree.tostring(signer.sign(etree.fromstring(data), key=pem_key, cert=pem_cert), encoding="UTF-8")
