"""`tongpin cap validate [--profile NAME] [--json] [-v 2] FILE…`: one line per file (with `-v 2`, each warning on
a line of its own below it), or one JSON object with every file.

Exit 0 when every file is valid, 1 when any is invalid, 2 on a usage error or a file that cannot be read."""

import argparse

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongpin.alerts.cap.parse import MAX_BYTES
from tongpin.alerts.cap.profiles import PROFILES
from tongpin.alerts.cap.validate import validate_bytes
from tongpin.core.commandbase import TongpinCommand


class Command(TongpinCommand):
    help = gettext_lazy("校验 CAP 1.2 / CAP 1.1 / 12379 预警消息文件：模式、规范的规则和可选的配置（profile）。")

    def add_arguments(self, parser):
        sub = self.add_actions(parser)
        validate = sub.add_parser("validate", help=gettext_lazy("校验文件"))
        validate.add_argument("files", nargs="+", help=gettext_lazy("CAP 文件，- 表示标准输入"))
        validate.add_argument(
            "--profile", choices=sorted(PROFILES), help=gettext_lazy("同时按配置检查（china、ipaws）")
        )
        self.add_json_flag(validate)
        validate.add_argument("--max-bytes", type=int, default=MAX_BYTES, help=gettext_lazy("单个文件的大小上限"))
        # Also after `validate` (Django reads -v only before it); unset here, the command's own value stands.
        validate.add_argument("-v", "--verbosity", type=int, choices=[0, 1, 2, 3], default=argparse.SUPPRESS,
                              help=gettext_lazy("2 或以上：逐条列出警告"))  # fmt: skip

    def _validate(self, files, profile=None, json=False, max_bytes=MAX_BYTES, **options):
        results = []
        for name in files:
            data = self.read_bytes(name, max_bytes=max_bytes)  # missing or too large: exit 2
            reports = validate_bytes(data, profile=profile, max_bytes=max_bytes)
            results.append({
                "file": name,
                "valid": all(r.valid for r in reports),
                "alerts": len(reports),
                "errors": [e.as_dict() for r in reports for e in r.errors],
                "warnings": [w.as_dict() for r in reports for w in r.warnings],
            })  # fmt: skip
        ok = all(r["valid"] for r in results)
        lines = [text for result in results for text in self._lines(result, options.get("verbosity", 1))]
        self.report({"ok": ok, "files": results}, lines, as_json=json, failed=not ok)

    def _lines(self, result: dict, verbosity: int) -> list[str]:
        warnings = [f"  ⚠ {w['code']}: {w['message']}" for w in result["warnings"]] if verbosity >= 2 else []
        return [self._line(result), *warnings]

    @staticmethod
    def _line(line: dict) -> str:
        verdict = _("有效") if line["valid"] else _("无效")
        details = "; ".join(f"{e['code']}: {e['message']}" for e in line["errors"][:5])
        warned = _("%(n)d 条警告") % {"n": len(line["warnings"])}
        return (
            f"{line['file']}: {verdict}"
            + (f" — {details}" if details else "")
            + (f" ({warned})" if line["warnings"] else "")
        )
