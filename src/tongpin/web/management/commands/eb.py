import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

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
        "Emergency-broadcast packages: `eb verify FILE --public-key KEY` checks the SM2 signature and every "
        "resource digest and prints the instruction as JSON; exit 0 valid, 1 invalid."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify")
        verify.add_argument("file")
        verify.add_argument("--public-key", required=True,
                            help="the signer's SM2 public key: 128 hex digits, or a file holding them")  # fmt: skip

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _verify(self, file, public_key, **options):
        key_path = Path(public_key)
        key = key_path.read_text().strip() if key_path.is_file() else public_key
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
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
        if not checked.valid:
            sys.exit(1)
