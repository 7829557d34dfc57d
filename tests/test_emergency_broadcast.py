"""Emergency broadcasting (issue 16): the EBM instruction built from an alert, SM2-signed packages, `eb verify`,
and the platform transmitter against a fake platform that checks signatures and answers with signed feedback."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile

import pytest
from django.core.management import call_command
from lxml import etree

from tongpin.alerts import ebm
from tongpin.alerts.models import Alert, Coverage, ReleasePolicy
from tongpin.publishing import ebpackage
from tongpin.publishing.models import Delivery, DeliveryState

from .publishing_support import LocalServer, Sink, drain, make_channel
from .test_alerts_cap import cap

STATION_KEY = ebpackage.new_private_key()
PLATFORM_KEY = ebpackage.new_private_key()


class FakePlatform(LocalServer):
    """An emergency-broadcast platform on 127.0.0.1: checks each package's signature with the station's public
    key, answers a message with 已接收 and each state request with the next state (播发中, then 播发完成), in a
    package signed with its own key. `mode`: "garbage" answers junk, "forged" signs with a stranger's key,
    "fail" reports 播发失败."""

    content_type = "application/x-tar"

    def __init__(self, mode: str = "ok"):
        self.mode = mode
        self.received: list[ebpackage.Checked] = []
        self.states: dict[str, int] = {}
        self.keys: list[str] = []  # the Idempotency-Key of each request, in order
        super().__init__("/eb")

    def answer(self, body: bytes, headers, path: str) -> tuple[int, bytes]:
        self.keys.append(headers.get("Idempotency-Key", ""))
        return self.reply_to(body)

    def reply_to(self, body: bytes) -> tuple[int, bytes]:
        checked = ebpackage.check(body, ebpackage.public_key_of(STATION_KEY))
        self.received.append(checked)
        if not checked.valid:
            return 403, b"bad signature"
        root = etree.fromstring(checked.instruction)
        kind = root.findtext("EBDType")
        ebm_id = root.findtext(".//EBMID")
        state = 1 if kind == "EBM" else min(self.states.get(ebm_id, 1) + 1, 3)
        self.states[ebm_id] = state
        if self.mode == "garbage":
            return 200, b"<html>gateway says hello</html>"
        if self.mode == "fail":
            state = 4
        feedback = (
            f"<EBD><EBDID>R{ebm_id}</EBDID><EBDType>EBMStateResponse</EBDType><EBMStateResponse>"
            f"<RptTime>2026-06-01 08:00:0{state}</RptTime><EBMID>{ebm_id}</EBMID>"
            f"<BrdStateCode>{state}</BrdStateCode><BrdStateDesc>状态{state}</BrdStateDesc></EBMStateResponse></EBD>"
        ).encode()
        key = ebpackage.new_private_key() if self.mode == "forged" else PLATFORM_KEY
        return 200, ebpackage.pack(f"R{ebm_id}"[:64], feedback, {}, key, "PLATFORM")

    def messages(self) -> list[etree._Element]:
        return [etree.fromstring(c.instruction) for c in self.received if b"<EBDType>EBM<" in c.instruction]


def _alert(**fields) -> Alert:
    values = dict(
        identifier="JX-1", sender="jxqx@cma.gov.cn", sent="2026-06-01T08:00:00+08:00", msg_type="Alert",
        status="Actual", scope="Public", level="orange", event="暴雨", sender_name="江西省气象台",
        geocodes=[["GB/T 2260", "360100"], ["GB/T 2260", "360102001"]], cap_xml=cap().decode(),
    )  # fmt: skip
    values.update(fields)
    return Alert(**values)


def _basic(xml: bytes) -> dict:
    root = etree.fromstring(xml)
    return {e.tag: e.text for e in root.find("EBM/MsgBasicInfo")}


@pytest.mark.parametrize(("level", "code"), [("red", "1"), ("orange", "2"), ("yellow", "3"), ("blue", "4"), ("", "0")])
def test_colours_map_to_levels_one_to_four(level, code):
    assert _basic(ebm.instruction(_alert(level=level), "t", "x", {}))["Severity"] == code


@pytest.mark.parametrize(("status", "drill"), [("Actual", "0"), ("Test", "1"), ("Exercise", "1")])
def test_tests_and_exercises_are_drill_messages(status, drill):
    assert _basic(ebm.instruction(_alert(status=status), "t", "x", {}))["Drill"] == drill


def test_cancel_is_a_stop_message_naming_the_cancelled_one_and_update_names_its_predecessor(settings):
    settings.TONGPIN_EB_PROFILE = {"resource_code": "3601" + "0" * 19, "sender_name": "江西省应急广播"}
    first = _alert()
    update = _alert(identifier="JX-2", msg_type="Update", previous=first)
    cancel = _alert(identifier="JX-3", msg_type="Cancel", level="")
    for made, related, msg_type in ((update, first, "1"), (cancel, update, "2")):
        root = etree.fromstring(ebm.instruction(made, "t", "x", {}, cancelling=related if made is cancel else None))
        assert root.findtext("EBM/RelatedEBM/EBMID") == ebm.message_id(related)
        assert root.findtext("EBM/MsgBasicInfo/MsgType") == msg_type
        assert root.findtext("EBM/MsgBasicInfo/SenderName") == "江西省应急广播"  # the station profile's name
    stop = etree.fromstring(ebm.instruction(cancel, "t", "x", {}, cancelling=update))
    assert stop.findtext("EBM/MsgBasicInfo/Severity") == "2"  # the level of what it cancels
    assert ebm.message_id(first).startswith("3601") and ebm.message_id(first) != ebm.message_id(update)


def test_instruction_carries_area_times_language_and_resource_digests():
    resources = {"a.txt": "文本".encode(), "a.wav": b"RIFF...."}
    root = etree.fromstring(ebm.instruction(_alert(), "暴雨橙色预警", "注意防范", resources))
    assert root.findtext("EBM/MsgContent/AreaCode") == "360100000000,360102001000"
    assert root.findtext("EBM/MsgContent/LanguageCode") == "zho"
    assert root.findtext("EBM/MsgContent/MsgTitle") == "暴雨橙色预警"
    digests = ebpackage.referenced_digests(root)
    assert digests == {name: hashlib.sha256(data).hexdigest() for name, data in resources.items()}
    types = [e.text for e in root.iter("AuxiliaryType")]
    assert types == ["text", "audio"]


def test_signature_round_trip_and_any_tampering_fails():
    public = ebpackage.public_key_of(STATION_KEY)
    instruction = ebm.instruction(_alert(), "t", "x", {"m.txt": b"hello"})
    package = ebpackage.pack("M1", instruction, {"m.txt": b"hello"}, STATION_KEY, "STATION")
    names = tarfile.open(fileobj=io.BytesIO(package)).getnames()
    assert names == ["EBDB_M1.xml", "EBDS_EBDB_M1.xml", "m.txt"]
    assert ebpackage.check(package, public).valid
    assert not ebpackage.check(package, ebpackage.public_key_of(PLATFORM_KEY)).valid  # someone else's key
    changed_text = package.replace(b"<MsgDesc>x<", b"<MsgDesc>y<")
    assert not ebpackage.check(changed_text, public).signature_valid
    changed_resource = package.replace(b"hello", b"jello")
    result = ebpackage.check(changed_resource, public)
    assert result.signature_valid and not result.valid and "does not match" in result.problems[0]


def test_eb_verify_prints_the_instruction_and_exits_by_validity(tmp_path, capsys):
    instruction = ebm.instruction(_alert(level="red"), "暴雨红色预警", "x", {})
    path = tmp_path / "EBDT_M1.tar"
    path.write_bytes(ebpackage.pack("M1", instruction, {}, STATION_KEY, "STATION"))
    key_file = tmp_path / "station.pub"
    key_file.write_text(ebpackage.public_key_of(STATION_KEY))
    call_command("eb", "verify", str(path), "--public-key", str(key_file), "--json")
    shown = json.loads(capsys.readouterr().out)
    assert shown["valid"] is True and shown["signer"] == "STATION"
    assert shown["instruction"]["EBM"]["MsgBasicInfo"]["Severity"] == "1"
    assert shown["instruction"]["EBM"]["MsgContent"]["MsgTitle"] == "暴雨红色预警"
    path.write_bytes(path.read_bytes().replace("暴雨红色".encode(), "暴雨蓝色".encode()))
    with pytest.raises(SystemExit) as exit_code:
        call_command("eb", "verify", str(path), "--public-key", ebpackage.public_key_of(STATION_KEY), "--json")
    assert exit_code.value.code == 1 and json.loads(capsys.readouterr().out)["valid"] is False


@pytest.fixture
def sender(sender):  # conftest's bound account, with every level released at once
    ReleasePolicy.objects.create(name="自动", sender="*", min_level="blue", action="auto")
    return sender


def _platform_channel(users, url: str, slug: str = "eb"):
    channel = make_channel(
        users["admin"], "emergency", "eb_platform", slug=slug, url=url, signer_code="STATION",
        private_key=STATION_KEY, platform_public_key=ebpackage.public_key_of(PLATFORM_KEY), poll_seconds=0,
    )  # fmt: skip
    Coverage.objects.create(channel=channel, area_codes=["360000"], min_level="blue")
    return channel


def _receive(sender, data: bytes):
    from tongpin.alerts.intake import receive
    from tongpin.core.audit import Actor

    [received] = receive(Actor(user=sender), data)
    return received.alert


def test_platform_receives_a_signed_package_and_feedback_is_kept_per_delivery(users, sender, allow_loopback):
    with FakePlatform() as platform:
        _platform_channel(users, platform.url)
        alert = _receive(sender, cap())
        drain()
    delivery = Delivery.objects.get(rendition__publication_id=alert.publication_id)
    assert delivery.state == DeliveryState.SUCCESS and delivery.last_code == "eb_done", delivery.last_error
    [message] = platform.messages()
    assert platform.received[0].valid  # the platform checked the station's SM2 signature
    assert sorted(platform.received[0].resources) == sorted(delivery.rendition.fields["ebm_resources"])
    assert any(name.endswith(".wav") for name in platform.received[0].resources)  # the spoken warning went along
    assert message.findtext("EBM/MsgBasicInfo/Severity") == "2"
    assert delivery.remote_ref == message.findtext("EBM/EBMID")
    log = list(delivery.attempt_log.values_list("code", "outcome", "message"))
    assert [(code, outcome) for code, outcome, _m in log] == [
        ("eb_received", "accepted"), ("eb_broadcasting", "accepted"), ("eb_done", "success"),
    ]  # fmt: skip
    assert log[0][2].startswith("2026-06-01 08:00:01")  # the platform's report time is kept with each state
    # The message carries the delivery's idempotency key; the state requests do not (they would get stale answers).
    assert platform.keys == [delivery.idempotency_key, "", ""]


def test_cancel_sends_a_stop_message_to_the_platform(users, sender, allow_loopback):
    with FakePlatform() as platform:
        _platform_channel(users, platform.url)
        first = _receive(sender, cap())
        drain()
        ref = "<references>jxqx@cma.gov.cn,JX-2026-001,2026-06-01T08:00:00+08:00</references>"
        cancel = cap(msg_type="Cancel", extra_head=ref, info="").replace(b"JX-2026-001<", b"JX-2026-003<")
        _receive(sender, cancel.replace(b"<sent>2026-06-01T08:00:00", b"<sent>2026-06-01T10:00:00"))
        drain()
    stops = [m for m in platform.messages() if m.findtext("EBM/MsgBasicInfo/MsgType") == "2"]
    first_id = platform.messages()[0].findtext("EBM/EBMID")
    assert stops and all(m.findtext("EBM/RelatedEBM/EBMID") == first_id for m in stops)
    assert first.publication_id is not None


def test_an_update_stops_the_message_it_replaces_and_names_it(users, sender, allow_loopback):
    with FakePlatform() as platform:
        _platform_channel(users, platform.url)
        _receive(sender, cap())
        drain()
        ref = "<references>jxqx@cma.gov.cn,JX-2026-001,2026-06-01T08:00:00+08:00</references>"
        update = cap(msg_type="Update", extra_head=ref).replace(b"JX-2026-001<", b"JX-2026-002<")
        _receive(sender, update.replace(b"<sent>2026-06-01T08:00:00", b"<sent>2026-06-01T09:00:00"))
        drain()
    first, *rest = platform.messages()
    first_id = first.findtext("EBM/EBMID")
    kinds = sorted((m.findtext("EBM/MsgBasicInfo/MsgType"), m.findtext("EBM/RelatedEBM/EBMID")) for m in rest)
    assert kinds == [("1", first_id), ("2", first_id)]  # the new message naming the old one, and a stop of the old


def test_a_drill_reaches_a_test_platform_channel_marked_as_drill(users, sender, allow_loopback):
    from tongpin.publishing.models import Channel

    with FakePlatform() as platform:
        channel = _platform_channel(users, platform.url)
        Channel.objects.filter(pk=channel.pk).update(for_tests=True)
        _receive(sender, cap().replace(b"<status>Actual<", b"<status>Exercise<"))
        drain()
    [message] = platform.messages()
    assert message.findtext("EBM/MsgBasicInfo/Drill") == "1"


@pytest.mark.parametrize(
    ("mode", "code", "state"),
    [
        ("garbage", "eb_bad_feedback", DeliveryState.RETRYING),
        ("forged", "eb_feedback_signature", DeliveryState.RETRYING),
        ("fail", "eb_failed", DeliveryState.FAILED),
    ],
)
def test_bad_feedback_is_a_clear_error_and_other_channels_still_go(users, sender, allow_loopback, mode, code, state):
    with FakePlatform(mode) as platform, Sink() as sink:
        _platform_channel(users, platform.url)
        web = make_channel(users["admin"], "web", "webhook", slug="jx-web", url=sink.url, secret="k")
        Coverage.objects.create(channel=web, area_codes=["360000"], min_level="blue")
        alert = _receive(sender, cap())
        drain()
    deliveries = {d.channel.kind: d for d in Delivery.objects.filter(rendition__publication_id=alert.publication_id)}
    assert deliveries["emergency"].last_code == code and deliveries["emergency"].state == state
    assert deliveries["emergency"].last_error  # a message in our words on the delivery
    assert deliveries["web"].state == DeliveryState.SUCCESS and len(sink.received) == 1


def test_a_channel_refuses_a_malformed_signing_key(users):
    from tongpin.core.errors import DomainError

    with pytest.raises(DomainError):
        make_channel(
            users["admin"], "emergency", "eb_platform", slug="eb-bad", url="https://eb.example.cn/ebd",
            signer_code="S", private_key="not-a-key", platform_public_key=ebpackage.public_key_of(PLATFORM_KEY),
        )  # fmt: skip


def _openssl_sm2(folder) -> tuple[str, object] | None:
    """A key and self-signed certificate made by OpenSSL (an independent SM2 implementation), or None."""
    import re
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        return None
    key, cert = folder / "k.pem", folder / "c.pem"
    made = subprocess.run(["openssl", "ecparam", "-name", "SM2", "-genkey", "-noout", "-out", str(key)], check=False)
    if made.returncode:
        return None
    subprocess.run(["openssl", "req", "-new", "-x509", "-key", str(key), "-sm3", "-subj", "/CN=station", "-days",
                    "30", "-out", str(cert)], check=True, capture_output=True)  # fmt: skip
    text = subprocess.run(["openssl", "pkey", "-in", str(key), "-text", "-noout"], check=True, capture_output=True)
    private = re.search(r"priv:\s*([0-9a-f:\s]+)pub:", text.stdout.decode()).group(1)
    return "".join(private.replace(":", "").split())[-64:].rjust(64, "0"), cert


def test_signatures_interoperate_with_openssl_and_eb_verify_takes_a_certificate(tmp_path, capsys):
    import subprocess

    from Cryptodome.Util.asn1 import DerInteger, DerSequence

    made = _openssl_sm2(tmp_path)
    if made is None:
        pytest.skip("OpenSSL with SM2 not available")
    private, cert = made
    instruction = ebm.instruction(_alert(), "暴雨橙色预警", "x", {})
    # Ours, checked by OpenSSL (SM2 with SM3 and the default ID, as GB/T 32918.2 describes).
    signature = ebpackage.sign(instruction, private)
    (tmp_path / "m.xml").write_bytes(instruction)
    r, s = int(signature[:64], 16), int(signature[64:], 16)
    (tmp_path / "sig.der").write_bytes(DerSequence([DerInteger(r), DerInteger(s)]).encode())
    public_pem = subprocess.run(["openssl", "x509", "-in", str(cert), "-pubkey", "-noout"], capture_output=True).stdout
    (tmp_path / "pub.pem").write_bytes(public_pem)
    # OpenSSL 3.0's dgst leaves the signer ID empty unless told: name the GB/T 32918.2 default ID.
    distid = ["-sigopt", "distid:1234567812345678"]
    checked = subprocess.run(["openssl", "dgst", "-sm3", "-verify", str(tmp_path / "pub.pem"), *distid, "-signature",
                              str(tmp_path / "sig.der"), str(tmp_path / "m.xml")], capture_output=True)  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # OpenSSL's, checked by us.
    subprocess.run(["openssl", "dgst", "-sm3", "-sign", str(tmp_path / "k.pem"), *distid, "-out",
                    str(tmp_path / "o.der"), str(tmp_path / "m.xml")], check=True)  # fmt: skip
    theirs = DerSequence().decode((tmp_path / "o.der").read_bytes())
    public, _certificate = ebpackage.public_key_from_certificate(cert.read_bytes())
    assert ebpackage.verify(instruction, f"{theirs[0]:064x}{theirs[1]:064x}", public)
    # eb verify with the station's certificate.
    package = tmp_path / "EBDT_M2.tar"
    package.write_bytes(ebpackage.pack("M2", instruction, {}, private, "STATION"))
    call_command("eb", "verify", str(package), "--cert", str(cert), "--json")
    shown = json.loads(capsys.readouterr().out)
    assert shown["valid"] is True and shown["certificate"]["subject"] == "CN=station"
    with pytest.raises(SystemExit):
        call_command("eb", "verify", str(package), "--public-key", ebpackage.public_key_of(STATION_KEY))
