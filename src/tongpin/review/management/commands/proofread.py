"""`tongpin proofread [--json] [--roster FILE.csv] [--rules DIR] [--max-chars N] [--strict-advert] FILE|-`"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from tongpin.review.proofreading import Checker, RuleError, load_roster, load_rules, starter_rules

MAX_BYTES = 50 * 1024 * 1024


class Command(BaseCommand):
    help = "Proofread Chinese text (三校) and print the findings; exit 0 whenever it ran."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a UTF-8 text file, or - for standard input")
        parser.add_argument("--json", action="store_true", help="a JSON array of findings")
        parser.add_argument("--roster", help="leader roster CSV: name,title,rank[,former_titles]")
        parser.add_argument("--rules", help="a folder of rule CSV files (default: the starter lists)")
        parser.add_argument("--max-chars", type=int, help="the channel's length limit")
        parser.add_argument("--strict-advert", action="store_true", help="advert terms are errors (promotional copy)")

    def handle(self, *args, file, json: bool, roster=None, rules=None, max_chars=None, strict_advert=False, **options):
        try:
            checker = Checker(
                load_rules(rules) if rules else starter_rules(),
                load_roster(roster) if roster else (),
            )
        except (RuleError, OSError) as error:
            raise CommandError(f"cannot use the rules: {error}", returncode=2) from error
        text = self._read(file)
        findings = checker.check(text, max_chars=max_chars, strict_advert=strict_advert)
        if json:
            self.stdout.write(_dumps([f.as_dict() for f in findings]))
            return
        line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        for f in findings:
            line, column = _line_column(line_starts, f.start)
            arrow = f" → {f.suggestion}" if f.suggestion is not None else ""
            self.stdout.write(f"{line}:{column}\t{f.severity}\t{f.category}\t{f.text}{arrow}\t{f.message}\t[{f.rule}]")
        self.stderr.write(f"{len(findings)} findings in {len(text)} characters")

    @staticmethod
    def _read(file: str) -> str:
        try:
            if file == "-":
                data = sys.stdin.buffer.read(MAX_BYTES + 1)
            else:
                with open(file, "rb") as handle:
                    data = handle.read(MAX_BYTES + 1)
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}", returncode=2) from error
        if len(data) > MAX_BYTES:
            raise CommandError(f"{file} is larger than {MAX_BYTES // (1024 * 1024)} MB", returncode=2)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise CommandError(
                f"{file} is not UTF-8 text (byte {error.start}: {error.reason})", returncode=2
            ) from error


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _line_column(line_starts: list[int], position: int) -> tuple[int, int]:
    from bisect import bisect_right

    line = bisect_right(line_starts, position)
    return line, position - line_starts[line - 1] + 1
