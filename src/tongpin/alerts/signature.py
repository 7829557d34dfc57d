"""XML-DSig on CAP messages (enveloped signatures), checked with signxml against the sender's registered
certificates. Results: unsigned; valid (a registered certificate verifies it); untrusted (the signature
matches the certificate the message carries, but nobody registered that certificate); invalid."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lxml import etree

from .models import SenderCertificate, SignatureState

DSIG = "http://www.w3.org/2000/09/xmldsig#"


@dataclass
class SignatureCheck:
    state: str
    detail: str = ""


def _verify(root: etree._Element, pem: str, at: dt.datetime | None = None) -> None:
    from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLVerifier

    config = SignatureConfiguration(
        require_x509=True, signature_methods=frozenset(SignatureMethod), digest_algorithms=frozenset(DigestAlgorithm)
    )
    XMLVerifier().verify(root, x509_cert=pem, validate_schema=False, expect_config=config, verification_time=at)


def _embedded(root: etree._Element) -> str | None:
    found = root.find(f".//{{{DSIG}}}X509Certificate")
    if found is None or not (found.text or "").strip():
        return None
    body = "".join((found.text or "").split())
    return "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n"


def check_signature(root: etree._Element, sender: str) -> SignatureCheck:
    from signxml.exceptions import InvalidCertificate, InvalidInput, InvalidSignature

    if root.find(f"{{{DSIG}}}Signature") is None:
        return SignatureCheck(SignatureState.UNSIGNED)
    errors = (InvalidSignature, InvalidCertificate, InvalidInput, ValueError)
    registered = list(SenderCertificate.objects.filter(sender=sender).values_list("pem", flat=True))
    for pem in registered:
        try:
            _verify(root, pem)
            return SignatureCheck(SignatureState.VALID, "verified with the sender's registered certificate")
        except errors as error:
            last = f"{error.__class__.__name__}: {str(error)[:200]}"
    if registered:
        return SignatureCheck(SignatureState.INVALID, last)
    pem = _embedded(root)
    if pem is None:
        return SignatureCheck(SignatureState.INVALID, "signed, but carries no certificate and none is registered")
    try:
        _verify(root, pem)
        return SignatureCheck(SignatureState.UNTRUSTED, "matches the certificate it carries; not registered")
    except InvalidCertificate:
        try:  # an expired certificate: was the signature right while it was valid?
            from cryptography import x509

            certificate = x509.load_pem_x509_certificate(pem.encode())
            _verify(root, pem, certificate.not_valid_before_utc + dt.timedelta(seconds=1))
            return SignatureCheck(SignatureState.UNTRUSTED, "matches its certificate, which has expired")
        except errors as error:
            return SignatureCheck(SignatureState.INVALID, f"{error.__class__.__name__}: {str(error)[:200]}")
    except errors as error:
        return SignatureCheck(SignatureState.INVALID, f"{error.__class__.__name__}: {str(error)[:200]}")
