"""CAP parsing and validation: safety, the layers, the adapters, profiles, the shared corpus, a fuzz test, the CLI."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tongpin.alerts.cap.model import read
from tongpin.alerts.cap.validate import validate_bytes

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "cap-samples"
ROOT = Path(__file__).resolve().parents[1]


def cap(body: str = "", msg_type: str = "Alert", extra_head: str = "", info: str | None = None) -> bytes:
    if info is None:
        info = (
            "<info><language>zh-CN</language><category>Met</category><event>暴雨</event><urgency>Immediate</urgency>"
            "<severity>Severe</severity><certainty>Likely</certainty><headline>省气象台发布暴雨橙色预警</headline>"
            "<description>预计未来6小时降雨量将达50毫米以上。</description>"
            f"<area><areaDesc>南昌市</areaDesc>{body}<geocode><valueName>GB/T 2260</valueName><value>360100</value>"
            "</geocode></area></info>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'
        "<identifier>JX-2026-001</identifier><sender>jxqx@cma.gov.cn</sender><sent>2026-06-01T08:00:00+08:00</sent>"
        f"<status>Actual</status><msgType>{msg_type}</msgType><scope>Public</scope>{extra_head}{info}</alert>"
    ).encode()


def codes(data: bytes, profile=None) -> list[str]:
    return [e.code for r in validate_bytes(data, profile=profile) for e in r.errors]


def test_a_good_chinese_alert_is_valid_and_read():
    [report] = validate_bytes(cap())
    assert report.valid, report.errors
    info = report.message.preferred_info()
    assert info.level == "orange" and info.areas[0].geocodes == [("GB/T 2260", "360100")]


@pytest.mark.parametrize(
    "attack",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b"<alert>&lol2;</alert>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><alert>&xxe;</alert>',
        b'<!doctype alert SYSTEM "http://127.0.0.1/evil.dtd"><alert/>',
    ],
)
def test_entity_bombs_and_external_entities_are_refused_before_parsing(attack):
    assert codes(attack) == ["dtd_forbidden"]


def test_malformed_deep_empty_and_oversized_documents_are_refused():
    assert codes(b"<alert><identifier>x</alert>") == ["malformed_xml"]
    assert codes(b"   ") == ["empty"]
    assert codes(b"<a>" * 100 + b"</a>" * 100) == ["too_deep"]
    assert [e.code for r in validate_bytes(cap(), max_bytes=100) for e in r.errors] == ["too_large"]
    assert codes(b"<html><body>hi</body></html>") == ["not_cap"]


def test_schema_layer_catches_structure_and_enumerations():
    bad = cap().replace(b"<urgency>Immediate</urgency>", b"<urgency>Soon</urgency>")
    assert codes(bad) == ["schema"]
    assert codes(cap().replace(b"<scope>Public</scope>", b"")) == ["schema"]


def test_rules_the_schema_cannot_check():
    assert "bad_identifier" in codes(cap().replace(b"JX-2026-001", b"JX 2026,001"))
    assert "references_required" in codes(cap(msg_type="Update"))
    assert "references_empty" in codes(cap(msg_type="Cancel", extra_head="<references/>"))
    bad_ref = "<references>jxqx@cma.gov.cn,JX-2026-000,yesterday</references>"
    assert "bad_references" in codes(cap(msg_type="Update", extra_head=bad_ref))
    assert "info_required" in codes(cap(info=""))
    assert "polygon_too_short" in codes(cap("<polygon>28.6,115.8 28.7,115.9 28.6,115.8</polygon>"))
    assert "polygon_not_closed" in codes(cap("<polygon>28.6,115.8 28.7,115.9 28.8,115.8 28.6,115.7</polygon>"))
    assert "point_out_of_range" in codes(cap("<polygon>98.6,115.8 28.7,115.9 28.8,115.8 98.6,115.8</polygon>"))
    assert "bad_circle" in codes(cap("<circle>28.6 115.8, 10</circle>"))
    assert (
        codes(cap("<polygon>28.6,115.8 28.7,115.9 28.8,115.8 28.6,115.8</polygon><circle>28.6,115.8 10</circle>")) == []
    )
    assert "restriction_required" in codes(cap().replace(b"<scope>Public</scope>", b"<scope>Restricted</scope>"))


def test_warnings_never_block():
    [report] = validate_bytes(cap(extra_head="<references/>"))
    assert report.valid and [w.code for w in report.warnings] == ["references_empty"]


def test_china_profile_checks_area_codes_and_levels():
    assert codes(cap(), "china") == []
    assert "unknown_province" in codes(cap().replace(b"360100", b"990100"), "china")
    assert "bad_area_code" in codes(cap().replace(b"360100", b"3601"), "china")
    assert "no_level" in codes(cap().replace(b"<severity>Severe</severity>", b"<severity>Unknown</severity>"), "china")


def test_ipaws_profile_wants_same_codes_and_expiry():
    found = codes(cap(), "ipaws")
    assert {"same_event_required", "expires_required", "same_area_required"} <= set(found)
    assert codes(cap(), "no-such-profile") == ["unknown_profile"]


def test_cap11_is_converted():
    data = cap().replace(b"cap:1.2", b"cap:1.1").replace(b"<certainty>Likely", b"<certainty>Very Likely")
    [report] = validate_bytes(data)
    assert report.valid and report.parsed.source_format == "cap1.1"
    assert report.message.infos[0].certainty == "Likely"


def test_12379_format_is_adapted():
    data = """<?xml version="1.0" encoding="UTF-8"?><alert><identifier>36000041600000_20260601080000</identifier>
    <sender>江西省气象局</sender><senderCode>36000041600000</senderCode><sendTime>2026-06-01 08:00:00+08:00</sendTime>
    <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
    <code><method><methodName>SMS</methodName><message>省气象台发布暴雨红色预警，请注意防范。</message></method></code>
    <info><language>zh-CN</language><eventType>11B03</eventType><urgency>Immediate</urgency><severity>Red</severity>
    <certainty>Likely</certainty><senderName>江西省气象台</senderName><headline>江西省气象台发布暴雨红色预警</headline>
    <description>南昌市区降雨量已超过100毫米。</description><area><areaDesc>南昌市</areaDesc>
    <geocode>360100000000,360102000000</geocode></area></info></alert>""".encode()
    [report] = validate_bytes(data, profile="china")
    assert report.valid, report.errors
    message = report.message
    assert message.sent == "2026-06-01T08:00:00+08:00" and message.sender == "36000041600000"
    info = message.infos[0]
    assert info.level == "red" and info.severity == "Extreme" and info.event == "暴雨"
    assert info.parameter("12379:SMS").startswith("省气象台发布暴雨红色预警")
    assert [v for _n, v in info.areas[0].geocodes] == ["360100000000", "360102000000"]


def test_model_reads_polygons_circles_and_references():
    body = "<polygon>28.6,115.8 28.7,115.9 28.8,115.8 28.6,115.8</polygon><circle>28.6,115.8 10</circle>"
    head = "<references>a@b,ID1,2026-06-01T07:00:00+08:00 a@b,ID2,2026-06-01T07:30:00+08:00</references>"
    [report] = validate_bytes(cap(body, msg_type="Update", extra_head=head))
    message = read(report.parsed.element)
    assert message.reference_keys[1] == ("a@b", "ID2", "2026-06-01T07:30:00+08:00")
    area = message.infos[0].areas[0]
    assert area.polygons[0][0] == (28.6, 115.8) and area.circles == [(28.6, 115.8, 10.0)]


@pytest.mark.skipif(not (SAMPLES / "real").is_dir(), reason="../shared/cap-samples is not here")
def test_conformance_over_the_shared_corpus():
    """Files named INVALID or MUST-REJECT are refused with a reason; every other file is accepted."""
    files = sorted((SAMPLES / "real").iterdir()) + sorted((SAMPLES / "china").glob("*.xml"))
    assert len(files) >= 30
    for path in files:
        reports = validate_bytes(path.read_bytes(), max_bytes=4 * 1024 * 1024)
        refused = not all(r.valid for r in reports)
        if "INVALID" in path.name or "MUST-REJECT" in path.name:
            assert refused, path.name
            assert all(e.code and e.message for r in reports for e in r.errors), path.name
        else:
            assert not refused, (path.name, [e.as_dict() for r in reports for e in r.errors])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_fuzz_random_bytes_never_crash(data):
    reports = validate_bytes(data)
    assert reports and all(isinstance(r.valid, bool) for r in reports)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=len(cap()) - 1), st.binary(min_size=1, max_size=8))
def test_fuzz_mutated_alerts_never_crash(position, noise):
    data = cap()
    mutated = data[:position] + noise + data[position + len(noise) :]
    for report in validate_bytes(mutated):
        assert report.valid or report.errors


def test_cli_validate_prints_one_json_document_and_exit_codes(tmp_path):
    good, bad = tmp_path / "good.xml", tmp_path / "bad.xml"
    good.write_bytes(cap())
    bad.write_bytes(cap().replace(b"<scope>Public</scope>", b""))
    run = [sys.executable, "-m", "tongpin", "cap", "validate", "--json"]
    ok = subprocess.run([*run, str(good)], capture_output=True, text=True, cwd=ROOT, check=False)
    assert ok.returncode == 0
    document = json.loads(ok.stdout)
    assert document["ok"] is True and len(document["files"]) == 1
    [line] = document["files"]
    assert line["file"] == str(good) and line["valid"] is True and line["errors"] == []
    mixed = subprocess.run([*run, "--profile", "china", str(good), str(bad)], capture_output=True, text=True, cwd=ROOT,
                           check=False)  # fmt: skip
    assert mixed.returncode == 1
    document = json.loads(mixed.stdout)
    lines = document["files"]
    assert (
        document["ok"] is False
        and [x["valid"] for x in lines] == [True, False]
        and lines[1]["errors"][0]["code"] == "schema"
    )


def test_wrong_and_unusual_encodings_get_a_clear_answer():
    assert codes(cap().replace(b'encoding="UTF-8"', b'encoding="klingon"'))[0] in {"bad_encoding", "malformed_xml"}
    latin = cap().replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"')  # UTF-8 bytes declared as Latin-1
    reports = validate_bytes(latin)
    assert reports and all(isinstance(r.valid, bool) for r in reports)
    utf16 = cap().decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    [report] = validate_bytes(utf16)
    assert report.valid and report.message.infos[0].event == "暴雨"


def test_a_doctype_hidden_in_utf16_is_refused_too():
    bomb = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY b "ccccccccccccccccccc">]><alert>&b;&b;</alert>'
    )
    assert codes(bomb.encode("utf-16")) == ["dtd_forbidden"]
