"""Emergency-broadcast data packages (应急广播数据包): an instruction file, its SM2 signature file and the programme
resource files, in one tar — signed and checked here, with no knowledge of what the instruction says.

Layout (an assumption after the public descriptions of the GY/T 384/385/389 family; the standards' texts are not
freely published — docs/alerts.md "Emergency broadcasting"): `EBDB_<id>.xml` the instruction, `EBDS_EBDB_<id>.xml`
its signature (SM2 over the SM3 digest of the instruction's bytes, with the default signer ID of GB/T 32918.2),
then the resources by name. The instruction names every resource with its SHA-256, so one signature covers all.

The curve arithmetic is gmssl's (a maintained library; no elliptic-curve code of our own). SM3 comes from OpenSSL
through hashlib where it offers it, else from gmssl: gmssl's pure-Python SM3 was most of a signature's cost.
Two of gmssl's rough edges are worked around here: its nonce generator uses
`random` (we draw nonces from `secrets`), and its constructor strips any leading "0"/"4" characters from a public
key (we set the key after construction).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import re
import secrets
import tarfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from Cryptodome.Util.asn1 import DerBitString, DerInteger, DerObjectId, DerSequence
from cryptography import x509
from django.conf import settings
from gmssl import sm2, sm3
from lxml import etree

_N = int(sm2.default_ecc_table["n"], 16)
_HEX = re.compile(r"^[0-9a-fA-F]+$")
ID_PATTERN = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
RESOURCE_NAME = re.compile(r"^[0-9A-Za-z_.-]{1,100}$")
MAX_PACKAGE_BYTES = 64 * 1024 * 1024


def staging_folder(package_id: str) -> Path:
    """Where a source leaves a message's instruction and resources for the transmitter: MEDIA_ROOT/ebm/<id>/."""
    if not ID_PATTERN.match(package_id or ""):
        raise PackageError("bad package id")
    return Path(settings.MEDIA_ROOT) / "ebm" / package_id


class PackageError(ValueError):
    """A package, key or signature that cannot be used; the message says which."""


def _clean_key(text: str, length: int, what: str) -> str:
    value = "".join((text or "").split()).lower()
    if what == "public" and len(value) == 130 and value.startswith("04"):
        value = value[2:]  # uncompressed point marker
    if len(value) != length or not _HEX.match(value):
        raise PackageError(f"SM2 {what} key must be {length} hexadecimal digits")
    return value


def _crypt(private_key: str, public_key: str) -> sm2.CryptSM2:
    crypt = sm2.CryptSM2(private_key=private_key, public_key="")
    crypt.public_key = public_key  # set after construction: the constructor mangles keys starting with 0 or 4
    return crypt


@lru_cache(maxsize=32)
def public_key_of(private_key: str) -> str:
    """The 128-hex-digit public point (x‖y) of a 64-hex-digit SM2 private key."""
    private = _clean_key(private_key, 64, "private")
    d = int(private, 16)
    if not 0 < d < _N - 1:
        raise PackageError("SM2 private key out of range")
    return _crypt(private, "")._kg(d, sm2.default_ecc_table["g"])


SM2_CURVE = "1.2.156.10197.1.301"


def public_key_from_certificate(data: bytes) -> tuple[str, x509.Certificate]:
    """The SM2 public key (128 hex digits) of a PEM or DER X.509 certificate, and the certificate. `cryptography`
    reads the certificate but not SM2 keys, so the key is taken from the SubjectPublicKeyInfo by hand."""
    try:
        certificate = (
            x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data else x509.load_der_x509_certificate(data)
        )
        tbs = DerSequence().decode(certificate.tbs_certificate_bytes)
        first = 1 if tbs[0][0] == 0xA0 else 0  # an explicit [0] version comes first
        spki = DerSequence().decode(tbs[first + 5])
        algorithm = DerSequence().decode(spki[0])
        curve = DerObjectId().decode(algorithm[1]).value
        point = DerBitString().decode(spki[1]).value
    except (ValueError, IndexError, TypeError) as error:
        raise PackageError(f"not an X.509 certificate: {error}") from error
    if curve != SM2_CURVE or len(point) != 65 or point[0] != 4:
        raise PackageError("the certificate does not hold an SM2 public key")
    return point[1:].hex(), certificate


def certificate_bytes(text: str | bytes) -> bytes:
    """A certificate as pasted (PEM, its line breaks possibly lost in a form field) or DER, as DER bytes."""
    data = text.encode() if isinstance(text, str) else text
    if b"-----BEGIN" not in data:
        return data
    match = re.search(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", data, re.S)
    if match is None:
        raise PackageError("not a PEM certificate")
    try:
        return base64.b64decode(b"".join(match.group(1).split()), validate=True)
    except ValueError as error:
        raise PackageError("not a PEM certificate") from error


@dataclass
class StationCertificate:
    public_key: str
    serial: str
    subject: str
    not_before: datetime.datetime
    not_after: datetime.datetime


def station_certificate(text: str | bytes) -> StationCertificate:
    """The SM2 key, serial number, subject and validity of the station's certificate."""
    public, certificate = public_key_from_certificate(certificate_bytes(text))
    return StationCertificate(
        public_key=public,
        serial=f"{certificate.serial_number:X}",
        subject=certificate.subject.rfc4514_string(),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )


def _tlv(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def self_signed_certificate(
    private_key: str, common_name: str, not_before: datetime.datetime, not_after: datetime.datetime
) -> bytes:
    """A self-signed X.509 certificate (PEM) for an SM2 key, signed SM2-with-SM3 — for test platforms, drills and
    tests; a station's real certificate comes from its certification authority."""
    public = bytes.fromhex(public_key_of(private_key))

    def name() -> bytes:
        attribute = DerSequence([DerObjectId("2.5.4.3").encode(), _tlv(0x0C, common_name.encode())]).encode()
        return DerSequence([_tlv(0x31, attribute)]).encode()

    def utc(moment: datetime.datetime) -> bytes:
        return _tlv(0x17, moment.astimezone(datetime.UTC).strftime("%y%m%d%H%M%SZ").encode())

    algorithm = DerSequence([DerObjectId("1.2.156.10197.1.501").encode()]).encode()  # SM2-with-SM3
    key_info = DerSequence(
        [
            DerSequence([DerObjectId("1.2.840.10045.2.1").encode(), DerObjectId(SM2_CURVE).encode()]).encode(),
            DerBitString(b"\x04" + public).encode(),
        ]
    ).encode()
    tbs = DerSequence(
        [
            _tlv(0xA0, DerInteger(2).encode()),
            DerInteger(secrets.randbits(63) + 1).encode(),
            algorithm,
            name(),
            DerSequence([utc(not_before), utc(not_after)]).encode(),
            name(),
            key_info,
        ]
    ).encode()
    signature = sign(tbs, private_key)
    value = DerSequence([DerInteger(int(signature[:64], 16)), DerInteger(int(signature[64:], 16))]).encode()
    der = DerSequence([tbs, algorithm, DerBitString(value).encode()]).encode()
    body = base64.encodebytes(der).decode().replace("\n", "")
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n".encode()


def _on_curve(x: int, y: int) -> bool:
    """Whether (x, y) is a point of the SM2 curve: a key that is not is refused before gmssl sees it."""
    table = sm2.default_ecc_table
    p, a, b = (int(table[name], 16) for name in ("p", "a", "b"))
    return 0 <= x < p and 0 <= y < p and (y * y - (x * x * x + a * x + b)) % p == 0


def new_private_key() -> str:
    return f"{secrets.randbelow(_N - 2) + 1:064x}"


DEFAULT_ID = b"1234567812345678"  # GB/T 32918.2's default signer ID


def _sm3(data: bytes) -> bytes:
    """SM3 by OpenSSL where hashlib offers it (~1,000 times faster), else gmssl's pure-Python one."""
    if "sm3" in hashlib.algorithms_available:
        return hashlib.new("sm3", data).digest()
    return bytes.fromhex(sm3.sm3_hash(list(data)))


def _digest(data: bytes, public_key: str) -> int:
    """e = SM3(Z_A ‖ M), Z_A = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A)."""
    table = sm2.default_ecc_table
    z = _sm3(
        (len(DEFAULT_ID) * 8).to_bytes(2, "big") + DEFAULT_ID
        + bytes.fromhex(table["a"] + table["b"] + table["g"] + public_key)
    )  # fmt: skip
    return int.from_bytes(_sm3(z + data), "big")


def sign(data: bytes, private_key: str) -> str:
    """SM2 signature (r‖s, hex) over SM3(Z_A ‖ data)."""
    private = _clean_key(private_key, 64, "private")
    e = _digest(data, public_key_of(private))
    crypt = _crypt(private, public_key_of(private))
    while True:
        # gmssl signs the given bytes as the digest e; the nonce comes from `secrets`, not gmssl's `random`.
        signature = crypt.sign(e.to_bytes(32, "big"), f"{secrets.randbelow(_N - 1) + 1:064x}")
        if signature:  # None for the rare nonce that gives r = 0 or s = 0
            return signature


def verify(data: bytes, signature: str, public_key: str) -> bool:
    try:
        public = _clean_key(public_key, 128, "public")
        value = _clean_key(signature, 128, "signature")
        if not _on_curve(int(public[:64], 16), int(public[64:], 16)):
            return False
        r, s = int(value[:64], 16), int(value[64:], 16)
        if not (0 < r < _N and 0 < s < _N):
            return False
        e = _digest(data, public)
        return bool(_crypt("0" * 64, public).verify(value, e.to_bytes(32, "big")))
    except (PackageError, ValueError, TypeError, IndexError):
        return False


def instruction_name(package_id: str) -> str:
    return f"EBDB_{package_id}.xml"


def signature_name(package_id: str) -> str:
    return f"EBDS_EBDB_{package_id}.xml"


def signature_file(instruction: bytes, private_key: str, signer: str, cert_serial: str = "") -> bytes:
    """The signature file: who signed (the station's resource code, and its certificate's serial number when the
    channel holds one), the algorithms and the value."""
    root = etree.Element("Signature")
    etree.SubElement(root, "RelatedEBD").text = hashlib.sha256(instruction).hexdigest()
    etree.SubElement(root, "SignerCode").text = signer
    if cert_serial:
        etree.SubElement(root, "CertSN").text = cert_serial
    etree.SubElement(root, "SignatureAlgorithm").text = "SM2-with-SM3"
    etree.SubElement(root, "SignatureValue").text = base64.b64encode(bytes.fromhex(sign(instruction, private_key)))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def pack(
    package_id: str,
    instruction: bytes,
    resources: dict[str, bytes],
    private_key: str,
    signer: str,
    cert_serial: str = "",
) -> bytes:
    """The signed tar: instruction, signature, resources (in that order, fixed times, so equal input gives equal
    bytes apart from the signature's nonce)."""
    if not ID_PATTERN.match(package_id):
        raise PackageError("bad package id")
    files = [(instruction_name(package_id), instruction)]
    files.append((signature_name(package_id), signature_file(instruction, private_key, signer, cert_serial)))
    for name, data in resources.items():
        if not RESOURCE_NAME.match(name):
            raise PackageError(f"bad resource name {name!r}")
        files.append((name, data))
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


@dataclass
class Checked:
    """What a package held and whether it holds together."""

    package_id: str = ""
    instruction: bytes = b""
    signer: str = ""
    signature_valid: bool = False
    resources: dict[str, bytes] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.signature_valid and not self.problems


def _members(package: bytes) -> dict[str, bytes]:
    if len(package) > MAX_PACKAGE_BYTES:
        raise PackageError("package too large")
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(package), mode="r:") as tar:
            for member in tar.getmembers():
                if not member.isfile() or not RESOURCE_NAME.match(member.name):
                    raise PackageError(f"unexpected member {member.name!r}")
                handle = tar.extractfile(member)
                found[member.name] = handle.read() if handle else b""
    except tarfile.TarError as error:
        raise PackageError(f"not a tar package: {error}") from error
    return found


def _parse(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise PackageError("DOCTYPE not allowed")
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise PackageError(f"not XML: {error}") from error


def referenced_digests(instruction: etree._Element) -> dict[str, str]:
    """Resource file name → SHA-256 named in the instruction (`Auxiliary` entries)."""
    found = {}
    for item in instruction.iter("Auxiliary"):
        name, digest = item.findtext("FileName") or "", item.findtext("Digest") or ""
        found[name] = digest.lower()
    return found


def check(package: bytes, public_key: str) -> Checked:
    """Open a package and check its signature and every resource's digest; raises PackageError when it is not
    a package at all."""
    members = _members(package)
    names = [n for n in members if n.startswith("EBDB_") and n.endswith(".xml")]
    if len(names) != 1:
        raise PackageError("a package holds exactly one EBDB_<id>.xml instruction")
    package_id = names[0][len("EBDB_") : -len(".xml")]
    instruction = members.pop(names[0])
    signature_data = members.pop(signature_name(package_id), None)
    result = Checked(package_id=package_id, instruction=instruction, resources=members)
    if signature_data is None:
        result.problems.append("signature file missing")
        return result
    signature_root = _parse(signature_data)
    result.signer = signature_root.findtext("SignerCode") or ""
    try:
        value = base64.b64decode(signature_root.findtext("SignatureValue") or "", validate=True).hex()
    except ValueError:
        value = ""
    result.signature_valid = verify(instruction, value, public_key)
    if not result.signature_valid:
        result.problems.append("signature does not verify")
    digests = referenced_digests(_parse(instruction))
    for name, digest in digests.items():
        data = members.get(name)
        if data is None:
            result.problems.append(f"resource {name} missing")
        elif hashlib.sha256(data).hexdigest() != digest:
            result.problems.append(f"resource {name} does not match its digest")
    for name in members:
        if name not in digests:
            result.problems.append(f"resource {name} not named in the instruction")
    return result


def parse_xml(data: bytes) -> etree._Element:
    """Safe parsing for instruction and feedback files (no DTD, no entities, no network)."""
    return _parse(data)
