"""The `tongpin` command: Django's management commands with Tongpin's settings.

`tongpin serve`, `tongpin worker`, `tongpin createuser`, `tongpin token` and `tongpin reindex` are Tongpin's
own; every other Django command works as `tongpin COMMAND` or `tongpin manage COMMAND`.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongpin.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["manage"]:
        args = args[1:]
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tongpin", *args])
