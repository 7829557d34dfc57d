"""`tongpin cap validate [--profile NAME] [--json] FILE…`: one line per file; exit 0 when every file is valid."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tongpin.alerts.cap.parse import MAX_BYTES
from tongpin.alerts.cap.profiles import PROFILES
from tongpin.alerts.cap.validate import validate_bytes


class Command(BaseCommand):
    help = "Validate CAP 1.2 / CAP 1.1 / 12379 files: schema, the specification's rules and an optional profile."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        validate = sub.add_parser("validate", help="validate files")
        validate.add_argument("files", nargs="+")
        validate.add_argument("--profile", choices=sorted(PROFILES), help="also check a profile (china, ipaws)")
        validate.add_argument("--json", action="store_true", help="one JSON object per line")
        validate.add_argument("--max-bytes", type=int, default=MAX_BYTES)

    def handle(self, *args, action, files, profile=None, json=False, max_bytes=MAX_BYTES, **options):
        all_valid = True
        for name in files:
            path = Path(name)
            try:
                data = path.read_bytes() if name != "-" else sys.stdin.buffer.read()
            except OSError as error:
                raise CommandError(f"{name}: {error.strerror}") from error
            reports = validate_bytes(data, profile=profile, max_bytes=max_bytes)
            valid = all(r.valid for r in reports)
            all_valid &= valid
            line = {
                "file": name,
                "valid": valid,
                "alerts": len(reports),
                "errors": [e.as_dict() for r in reports for e in r.errors],
                "warnings": [w.as_dict() for r in reports for w in r.warnings],
            }
            self.stdout.write(self._format(line, json))
        if not all_valid:
            sys.exit(1)

    @staticmethod
    def _format(line: dict, as_json: bool) -> str:
        if as_json:
            return json.dumps(line, ensure_ascii=False)
        verdict = "valid" if line["valid"] else "INVALID"
        details = "; ".join(f"{e['code']}: {e['message']}" for e in line["errors"][:5])
        return (
            f"{line['file']}: {verdict}"
            + (f" — {details}" if details else "")
            + (f" ({len(line['warnings'])} warnings)" if line["warnings"] else "")
        )
