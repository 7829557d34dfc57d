"""`tongpin backup [--to DIR] [--json]`: one archive of the database, uploaded files and secret key."""

import json

from django.core.management.base import BaseCommand, CommandError

from tongpin.web.backups import BackupError, create_backup, summary


class Command(BaseCommand):
    help = "Back up the database, uploaded files and secret key into one archive (safe while Tongpin runs)."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--to", dest="directory", help="folder for the archive (default TONGPIN_BACKUP_DIR)")
        parser.add_argument("--json", action="store_true", help="print the archive path and counts as JSON")

    def handle(self, *args, directory=None, json=False, **options):  # noqa: A002
        try:
            path, manifest = create_backup(directory)
        except BackupError as error:
            raise CommandError(str(error)) from error
        result = summary(path, manifest)
        if json:
            self.stdout.write(_dumps(result))
            return
        self.stdout.write(
            f"{path}\n{result['tables']} tables, {result['rows']} rows, {result['files']} files "
            f"({result['file_bytes']} bytes)"
        )


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
