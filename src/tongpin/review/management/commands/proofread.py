"""`tongpin proofread [--json] [--roster FILE.csv] [--rules DIR] [--max-chars N] [--strict-advert] FILE|-`

Exit 0 when no finding is an error (warnings and notes only), 1 when any is, 2 on a usage error, unreadable input
(missing, not UTF-8, larger than 50 MB) or a broken rule or roster file."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongpin.core.commandbase import TongpinCommand, Unreadable
from tongpin.review.proofreading import Checker, RuleError, load_roster, load_rules, starter_rules
from tongpin.review.proofreading.finding import Severity

MAX_BYTES = 50 * 1024 * 1024


class Command(TongpinCommand):
    help = gettext_lazy("校对中文文本（三校）并列出问题；有“错误”级问题时退出状态为 1。")

    def add_arguments(self, parser):
        parser.add_argument("file", help=gettext_lazy("UTF-8 文本文件，- 表示标准输入"))
        self.add_json_flag(parser)
        parser.add_argument("--roster", help=gettext_lazy("领导人名单 CSV：name,title,rank[,former_titles]"))
        parser.add_argument("--rules", help=gettext_lazy("规则 CSV 文件所在的文件夹（默认：内置词表）"))
        parser.add_argument("--max-chars", type=int, help=gettext_lazy("渠道的字数上限"))
        parser.add_argument(
            "--strict-advert", action="store_true", help=gettext_lazy("广告法用语按错误处理（推广文案）")
        )

    def handle(self, *args, file, json: bool, roster=None, rules=None, max_chars=None, strict_advert=False, **options):
        try:
            checker = Checker(
                load_rules(rules) if rules else starter_rules(),
                load_roster(roster) if roster else (),
            )
        except (RuleError, OSError) as error:
            raise Unreadable(_("无法使用规则：%(error)s") % {"error": error}) from error
        text = self.read_text(file, MAX_BYTES)
        findings = checker.check(text, max_chars=max_chars, strict_advert=strict_advert)
        errors = sum(f.severity == Severity.ERROR for f in findings)
        document = {
            "file": file,
            "ok": not errors,
            "characters": len(text),
            "errors": errors,
            "findings": [f.as_dict() for f in findings],
        }
        if not json:
            self.stderr.write(
                _("%(n)d 个问题（其中 %(e)d 个错误），共 %(c)d 个字符")
                % {"n": len(findings), "e": errors, "c": len(text)}
            )
        self.report(document, self._lines(text, findings), as_json=json, failed=bool(errors))

    @staticmethod
    def _lines(text: str, findings) -> list[str]:
        line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        lines = []
        for f in findings:
            line, column = _line_column(line_starts, f.start)
            arrow = f" → {f.suggestion}" if f.suggestion is not None else ""
            lines.append(f"{line}:{column}\t{f.severity}\t{f.category}\t{f.text}{arrow}\t{f.message}\t[{f.rule}]")
        return lines


def _line_column(line_starts: list[int], position: int) -> tuple[int, int]:
    from bisect import bisect_right

    line = bisect_right(line_starts, position)
    return line, position - line_starts[line - 1] + 1
