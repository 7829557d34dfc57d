"""`tongpin check`: configuration, database, workers, fonts, espeak-ng and disk on one screen (tongpin.web.doctor).

Replaces Django's `check` command; Django's system checks are one of its lines (`--deploy` adds the deployment
ones). Exit status 0 when every line is ok or warn, 1 when any fails, 2 on a usage error.
"""

from django.utils.translation import gettext_lazy

from tongpin import __version__
from tongpin.core.commandbase import TongpinCommand
from tongpin.web import doctor


class Command(TongpinCommand):
    help = gettext_lazy("自检：配置、数据库、投递工作进程、字体、espeak-ng 和磁盘空间（正常 / 警告 / 失败）。")
    requires_system_checks = []  # Django's system checks are reported, not allowed to stop the report

    def add_arguments(self, parser) -> None:
        self.add_json_flag(parser)
        parser.add_argument("--deploy", action="store_true", help=gettext_lazy("同时运行 Django 的部署检查"))

    def handle(self, *args, **options) -> None:
        # TongpinCommand.execute runs this in the shell's language (tongpin.commands.cli_language).
        found = doctor.run(deploy=options["deploy"])
        status = doctor.overall(found)
        if not options["json"]:
            self._screen(found, status)
        document = {"status": status, "version": __version__, "checks": [f.as_dict() for f in found]}
        self.report(document, as_json=options["json"], failed=status == doctor.FAIL)

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
