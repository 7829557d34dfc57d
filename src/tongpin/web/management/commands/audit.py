"""`tongpin audit verify|export|purge`: the audit log's hash chain, archive and retention (docs/security.md)."""

import datetime as dt
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from tongpin.core import auditchain
from tongpin.core.audit import Actor
from tongpin.core.auditlog import export_audit, verify_chain

CLI = Actor(user=None, via="cli")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {text!r}") from None


class Command(BaseCommand):
    help = (
        "The audit log: `audit verify [--json]` walks the hash chain (exit 0 intact, 1 broken); "
        "`audit export [--from DATE] [--to DATE] [--format jsonl|csv] [--output FILE]` writes a range with its "
        "hashes (audited); `audit purge [--days N]` deletes events older than N days (TONGPIN_KEEP_AUDIT_DAYS, "
        "at least 180) behind an anchor."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify")
        verify.add_argument("--json", action="store_true", help="one JSON object on stdout")
        export = sub.add_parser("export")
        export.add_argument("--from", dest="date_from", type=_date)
        export.add_argument("--to", dest="date_to", type=_date)
        export.add_argument("--format", default="jsonl", choices=["jsonl", "csv"])
        export.add_argument("--output", help="file to write (default: stdout)")
        purge = sub.add_parser("purge")
        purge.add_argument("--days", type=int, help="default: TONGPIN_KEEP_AUDIT_DAYS")

    def handle(self, *args, action, **options):
        return getattr(self, f"_{action}")(**options)

    def _verify(self, json=False, **options):
        result = verify_chain(CLI)
        if json:
            self.stdout.write(_dumps(result.as_dict()))
        elif result.ok:
            start = f"after purge anchor seq {result.anchor_seq}" if result.anchor_seq else "from the genesis"
            self.stdout.write(
                f"audit chain intact: {result.count} events, seq {result.first_seq}–{result.last_seq} ({start}), "
                f"head {result.head_hash or '-'} ({result.algorithm})"
            )
        else:
            broken = result.broken
            self.stdout.write(
                f"audit chain BROKEN at seq {broken.seq} (id {broken.id}): {broken.code}: {broken.message}"
            )
        if not result.ok:
            sys.exit(1)

    def _export(self, date_from=None, date_to=None, format="jsonl", output=None, **options):
        export = export_audit(CLI, date_from, date_to, format)
        if output:
            with open(output, "w", encoding="utf-8", newline="") as handle:
                count = 0
                for line in export.lines:
                    handle.write(line)
                    count += 1
            self.stderr.write(f"wrote {output} ({export.file_name})")
        else:
            for line in export.lines:
                self.stdout.write(line, ending="")

    def _purge(self, days=None, **options):
        try:
            done = auditchain.purge(CLI, days=days)
        except auditchain.RetentionTooShort as error:
            raise CommandError(str(error)) from None
        if done.upto_seq is None:
            self.stdout.write(
                "nothing to purge"
                + (f" (older than {done.cutoff})" if done.cutoff else " (TONGPIN_KEEP_AUDIT_DAYS is 0)")
            )
        else:
            self.stdout.write(f"purged {done.deleted} events up to seq {done.upto_seq} (older than {done.cutoff})")


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
