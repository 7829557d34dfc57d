"""`tongpin backup [--to DIR] [--json]`: one archive of the database, uploaded files and secret key."""

from django.core.management.base import CommandError
from django.utils.translation import gettext_lazy

from tongpin.core.commandbase import TongpinCommand
from tongpin.web.backups import BackupError, create_backup, summary


class Command(TongpinCommand):
    help = gettext_lazy("把数据库、上传的文件和密钥备份到一个归档文件（同频运行时也可以备份）。")
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--to", dest="directory",
                            help=gettext_lazy("归档文件所在的文件夹（默认 TONGPIN_BACKUP_DIR）"))  # fmt: skip
        self.add_json_flag(parser)

    def handle(self, *args, directory=None, json=False, **options):  # noqa: A002
        try:
            path, manifest = create_backup(directory)
        except BackupError as error:
            raise CommandError(str(error)) from error
        result = summary(path, manifest)
        lines = [
            str(path),
            f"{result['tables']} tables, {result['rows']} rows, {result['files']} files ({result['file_bytes']} bytes)",
        ]
        self.report(dict(sorted(result.items())), lines, as_json=json)
