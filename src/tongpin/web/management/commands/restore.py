"""`tongpin restore ARCHIVE [--force] [--json]`: restore a backup into an empty home and database, then check it."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tongpin.web.backups import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore an archive made by `tongpin backup` into this home and database (which must be empty unless "
        "--force), then check every table's row count and every file's hash against the archive's manifest."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument("--force", action="store_true", help="replace a database and files already there")
        parser.add_argument("--json", action="store_true", help="print the archive path, counts and check as JSON")

    def handle(self, *args, archive, force=False, json=False, **options):  # noqa: A002
        if not Path(archive).is_file():
            raise CommandError(f"no such archive: {archive}")
        try:
            result = restore_backup(Path(archive), force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        if json:
            self.stdout.write(_dumps(result))
        else:
            self.stdout.write(f"restored {archive}: {result['tables']} tables, {result['rows']} rows, "
                              f"{result['files']} files")  # fmt: skip
            for problem in result["problems"]:
                self.stderr.write(problem)
            self.stdout.write("check: every row count and file hash matches the manifest" if result["ok"] else
                              "check FAILED: the restored data differs from the manifest")  # fmt: skip
        if not result["ok"]:
            raise CommandError("the restored data does not match the manifest")


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
