"""`tongpin check`: configuration, database, workers, fonts, espeak-ng and disk on one screen (tongpin.web.doctor).

Replaces Django's `check` command; Django's system checks are one of its lines (`--deploy` adds the deployment
ones). Exit status 0 when every line is ok or warn, 1 when any fails, 2 on a usage error.
"""

import json
import sys

from django.core.management.base import BaseCommand
from django.utils import translation

from tongpin import __version__
from tongpin.commands import cli_language
from tongpin.web import doctor

FAILED = 1


class Command(BaseCommand):
    help = "Check configuration, database, delivery workers, fonts, espeak-ng and disk space (ok / warn / fail)."
    requires_system_checks = []  # Django's system checks are reported, not allowed to stop the report

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="one JSON object instead of the screen")
        parser.add_argument("--deploy", action="store_true", help="also Django's deployment checks")

    def handle(self, *args, **options) -> None:
        with translation.override(cli_language()):
            found = doctor.run(deploy=options["deploy"])
            status = doctor.overall(found)
            if options["json"]:
                self.stdout.write(
                    json.dumps(
                        {"status": status, "version": __version__, "checks": [f.as_dict() for f in found]},
                        ensure_ascii=False,
                        indent=2,
                    )
                )
            else:
                self._screen(found, status)
        if status == doctor.FAIL:
            sys.exit(FAILED)

    def _screen(self, found: list[doctor.Finding], status: str) -> None:
        from django.conf import settings
        from django.utils.translation import gettext as _

        self.stdout.write(_("同频自检（Tongpin %(v)s，数据目录 %(h)s）") % {"v": __version__, "h": settings.HOME})
        width = max(_display_width(f.label) for f in found)
        style = {doctor.OK: self.style.SUCCESS, doctor.WARN: self.style.WARNING, doctor.FAIL: self.style.ERROR}
        group = None
        for finding in found:
            if finding.group != group:
                group = finding.group
                self.stdout.write("")
                self.stdout.write(doctor.group_labels()[group])
            mark = style[finding.status](f"[{doctor.status_label(finding.status)}]")
            padding = " " * (width - _display_width(finding.label))
            self.stdout.write(f"  {mark} {finding.label}{padding}  {finding.detail}")
        failed = sum(f.status == doctor.FAIL for f in found)
        warned = sum(f.status == doctor.WARN for f in found)
        self.stdout.write("")
        if status == doctor.OK:
            self.stdout.write(_("结果：全部正常"))
        else:
            self.stdout.write(_("结果：%(f)d 项失败，%(w)d 项警告") % {"f": failed, "w": warned})


def _display_width(text: str) -> int:
    """Columns a terminal gives the text: CJK characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))
