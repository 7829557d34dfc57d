import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tongpin.publishing import ebpackage


def _instruction_json(element) -> object:
    """An XML element as JSON: text for a leaf, else its children by tag (repeated tags become lists)."""
    children = list(element)
    if not children:
        return (element.text or "").strip()
    out: dict = dict(element.attrib)
    for child in children:
        value = _instruction_json(child)
        if child.tag in out:
            out[child.tag] = out[child.tag] if isinstance(out[child.tag], list) else [out[child.tag]]
            out[child.tag].append(value)
        else:
            out[child.tag] = value
    return out


class Command(BaseCommand):
    help = (
        "Emergency-broadcast packages: `eb verify FILE --public-key KEY|--cert FILE` checks the SM2 signature and "
        "every resource digest and prints the instruction as JSON; exit 0 valid, 1 invalid."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify")
        verify.add_argument("file")
        signer = verify.add_mutually_exclusive_group(required=True)
        signer.add_argument("--public-key", help="the signer's SM2 public key: 128 hex digits, or a file holding them")
        signer.add_argument("--cert", help="the signer's X.509 certificate with an SM2 key (PEM or DER file)")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _key(self, public_key: str | None, cert: str | None) -> tuple[str, dict]:
        """The public key to check with, and what the certificate says (an expired one is a problem)."""
        if public_key is not None:
            key_path = Path(public_key)
            return (key_path.read_text().strip() if key_path.is_file() else public_key), {}
        try:
            key, certificate = ebpackage.public_key_from_certificate(Path(cert).read_bytes())
        except OSError as error:
            raise CommandError(f"cannot read {cert}: {error.strerror}") from error
        except ebpackage.PackageError as error:
            raise CommandError(str(error)) from error
        now = timezone.now()
        return key, {
            "subject": certificate.subject.rfc4514_string(),
            "serial": format(certificate.serial_number, "x"),
            "not_after": certificate.not_valid_after_utc.isoformat(),
            "current": certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc,
        }

    def _verify(self, file, public_key=None, cert=None, **options):
        key, certificate = self._key(public_key, cert)
        try:
            checked = ebpackage.check(Path(file).read_bytes(), key)
            instruction = _instruction_json(ebpackage.parse_xml(checked.instruction))
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}") from error
        except ebpackage.PackageError as error:
            self.stdout.write(json.dumps({"file": file, "valid": False, "problems": [str(error)]}))
            sys.exit(1)
        result = {
            "file": file,
            "valid": checked.valid,
            "signer": checked.signer,
            "problems": checked.problems,
            "resources": sorted(checked.resources),
            "instruction": instruction,
        }
        if certificate:
            result["certificate"] = certificate
            if not certificate["current"]:
                result["valid"] = False
                result["problems"].append("certificate not valid at this time")
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
        if not result["valid"]:
            sys.exit(1)
