"""The `tongpin` command: Django's management commands with Tongpin's settings.

`tongpin serve`, `tongpin worker`, `tongpin createuser`, `tongpin token`, `tongpin account` and `tongpin reindex`
are Tongpin's own; every other Django command works as `tongpin COMMAND` or `tongpin manage COMMAND`.

A command that needs the database refuses, with one line on stderr and exit status 2, when the database it would
use does not exist or has no tables yet: it names the database and how to create it or point at another one.
`serve` and `migrate` create the database; the other commands in NO_DATABASE_NEEDED never touch it.
"""

from __future__ import annotations

import os
import sys

NO_DATABASE_NEEDED = {
    "serve",  # migrates first
    "migrate",
    "restore",  # fills an empty home or database from a backup archive
    # Tongpin's offline commands: they read files, never the database.
    "cap",
    "proofread",
    "wci",
    "eb",  # checks an emergency-broadcast package's signature
    "help",
    "version",
    "--help",
    "-h",
    "--version",
    "check",
    "makemigrations",
    "makemessages",
    "compilemessages",
    "diffsettings",
    "collectstatic",
    "findstatic",
    "sendtestemail",
}
REFUSED = 2  # the exit status of a refused command (a command's own failure is 1, as in Django)

HOW_TO_POINT = (
    "create it with `tongpin migrate` (or `tongpin serve`), or point at an existing one with TONGPIN_HOME=FOLDER "
    "(or TONGPIN_DATABASE_URL=URL)"
)


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongpin.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["manage"]:
        args = args[1:]
    if args[:1] == ["--version"]:  # Tongpin's own version (Django's `--version` would print Django's)
        from tongpin import __version__

        print(__version__)
        return
    if _needs_database(args):
        problem = missing_sqlite_database()
        if problem is None:
            import django

            django.setup()
            problem = unusable_database()
        if problem is not None:
            print(f"tongpin: {problem}", file=sys.stderr)
            sys.exit(REFUSED)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tongpin", *args])


def _needs_database(args: list[str]) -> bool:
    command = args[0] if args else "help"
    if command in NO_DATABASE_NEEDED or "--help" in args or "-h" in args:
        return False
    # Only Tongpin's own settings are known here; a custom settings module is its owner's business.
    return os.environ.get("DJANGO_SETTINGS_MODULE") == "tongpin.settings"


def missing_sqlite_database() -> str | None:
    """Checked before Django starts (importing the settings creates the data folder)."""
    if os.environ.get("TONGPIN_DATABASE_URL"):
        return None
    from tongpin.home import sqlite_path

    path = sqlite_path()
    if path.is_file():
        return None
    where = "TONGPIN_HOME" if os.environ.get("TONGPIN_HOME", "").strip() else "the per-user default"
    return f"no database at {path} ({where}): {HOW_TO_POINT}"


def unusable_database() -> str | None:
    """After Django has started: the database answers and has been migrated."""
    from django.db import connection
    from django.db.utils import Error as DatabaseError

    name = _describe(connection.settings_dict)
    try:
        tables = connection.introspection.table_names()
    except DatabaseError as error:
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return f"cannot open the database {name} ({first_line}): {HOW_TO_POINT}"
    finally:
        connection.close()
    if "django_migrations" not in tables:
        return f"the database {name} has no tables yet: {HOW_TO_POINT}"
    return None


def _describe(database: dict) -> str:
    """The database's file, or vendor, host and name (never its password)."""
    if "sqlite" in database["ENGINE"]:
        return str(database["NAME"])
    host = database.get("HOST") or "localhost"
    port = f":{database['PORT']}" if database.get("PORT") else ""
    return f"{database['NAME']} on {host}{port}"
