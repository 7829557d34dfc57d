"""`tongpin restore ARCHIVE [--force] [--json]`: restore a backup into an empty home and database, then check it."""

import tarfile
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongpin.core.commandbase import TongpinCommand, Unreadable
from tongpin.web.backups import BackupError, read_manifest, restore_backup


class Command(TongpinCommand):
    help = gettext_lazy(
        "把 `tongpin backup` 生成的归档恢复到本数据目录和数据库（除非加 --force，二者必须为空），然后按归档清单"
        "核对每张表的行数和每个文件的哈希；核对不符时退出状态为 1。"
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("archive", help=gettext_lazy("备份归档文件"))
        parser.add_argument("--force", action="store_true", help=gettext_lazy("覆盖已有的数据库和文件"))
        self.add_json_flag(parser)

    def handle(self, *args, archive, force=False, json=False, **options):  # noqa: A002
        if not Path(archive).is_file():
            raise Unreadable(_("没有这个归档文件：%(file)s") % {"file": archive})
        try:
            read_manifest(Path(archive))
        except (tarfile.TarError, ValueError) as error:  # not a tar archive, or a manifest that is not JSON
            raise Unreadable(_("%(file)s 不是可读的备份归档：%(error)s") % {"file": archive, "error": error}) from error
        except BackupError as error:
            raise CommandError(str(error)) from error
        try:
            result = restore_backup(Path(archive), force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        if not json:
            for problem in result["problems"]:
                self.stderr.write(problem)
        counts = {"archive": archive, "tables": result["tables"], "rows": result["rows"], "files": result["files"]}
        lines = [
            _("已恢复 %(archive)s：%(tables)d 张表，%(rows)d 行，%(files)d 个文件") % counts,
            _("核对：每张表的行数和每个文件的哈希都与清单一致") if result["ok"] else
            _("核对失败：恢复的数据与清单不符"),
        ]  # fmt: skip
        self.report(dict(sorted(result.items())), lines, as_json=json, failed=not result["ok"])
