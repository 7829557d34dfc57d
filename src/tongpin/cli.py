"""The `tongpin` command: Django's management commands with Tongpin's settings.

`tongpin` (or `tongpin help`, `--help`) lists Tongpin's own commands with a line of help each (tongpin.commands);
every Django command works as well, as `tongpin COMMAND` or `tongpin manage COMMAND` (`tongpin help --django`
lists them all). A TONGPIN_* variable that does not parse stops every command with one line naming it (status 2).

A command that needs the database refuses, with one line on stderr and exit status 2, when the database it would
use does not exist or has no tables yet: it names the database and how to create it or point at another one.
`serve` and `migrate` create the database; the other commands in NO_DATABASE_NEEDED never touch it.

A name that is no command (`tongpin bogus`, `tongpin help bogus`) is refused first, in the shell's language with
exit status 2, before the settings are read (which would create the data folder) or a database is looked for.
"""

from __future__ import annotations

import difflib
import importlib.util
import os
import sys
from pathlib import Path

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
    "check",  # reports on the database itself, reachable or not (tongpin.web.doctor)
    "doctor",
    "makemigrations",
    "makemessages",
    "compilemessages",
    "diffsettings",
    "collectstatic",
    "findstatic",
    "sendtestemail",
}
# Names that are no command but that main() or Django's ManagementUtility answers.
NOT_COMMANDS = {"help", "version", "--help", "-h", "--version"}
# The exit status of a refused command: that of a usage error or unreadable input in Tongpin's convention
# (tongpin.core.commandbase: 0 ok, 1 findings or invalid input, 2 usage or unreadable input).
REFUSED = 2

HOW_TO_POINT = (  # said through _say, in the shell's language
    "用 `tongpin migrate`（或 `tongpin serve`）创建，或用 TONGPIN_HOME=FOLDER（或 TONGPIN_DATABASE_URL=URL）"
    "指向已有的数据库"
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
    unknown = unknown_command(args)
    if unknown is not None:
        print(f"tongpin: {unknown}", file=sys.stderr)
        sys.exit(REFUSED)
    if _needs_database(args):
        problem = missing_sqlite_database()
        if problem is None:
            _setup_django()
            problem = unusable_database()
        if problem is not None:
            print(f"tongpin: {problem}", file=sys.stderr)
            sys.exit(REFUSED)
    elif os.environ.get("DJANGO_SETTINGS_MODULE") == "tongpin.settings":
        _setup_django()  # a bad TONGPIN_* value stops every command here, with the variable's name
    if args[:1] in ([], ["help"], ["--help"], ["-h"]) and len(args) <= 1:
        from tongpin.commands import print_overview

        try:
            print_overview(sys.stdout)
            sys.stdout.flush()
        except BrokenPipeError:  # `tongpin help | head`: the reader has what it wanted; no traceback
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return
    if args == ["help", "--django"]:  # Django's own overview of every command
        from django.core.management import ManagementUtility

        print(ManagementUtility(["tongpin"]).main_help_text())
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tongpin", *args])


def unknown_command(args: list[str]) -> str | None:
    """The line that refuses a command name that is none (`tongpin bogus`, `tongpin help bogus`); None for a
    command, or for arguments that name none."""
    named = args[1:2] if args[:1] == ["help"] else args[:1]
    if not named or named[0] in NOT_COMMANDS or named[0] == "--django":
        return None
    known = known_commands()
    if named[0] in known:
        return None
    line = _say(gettext_noop("没有名为“%(name)s”的命令（命令列表见 tongpin help）")) % {"name": named[0]}
    close = difflib.get_close_matches(named[0], sorted(known), n=1)
    if close:
        line += _say(gettext_noop("；是不是 tongpin %(command)s？")) % {"command": close[0]}
    return line


def known_commands() -> set[str]:
    """Every command `tongpin` runs. With Tongpin's settings, found in the apps' folders without reading the
    settings (tongpin.installed); with another settings module, asked of Django."""
    from django.core import management

    if os.environ.get("DJANGO_SETTINGS_MODULE") != "tongpin.settings":
        _setup_django()
        return set(management.get_commands())
    from tongpin.installed import APPS

    names = set(management.find_commands(management.__path__[0]))
    for app in APPS:
        folder = _package_folder(app)
        if folder is not None:
            names.update(management.find_commands(str(folder / "management")))
    return names


def _package_folder(dotted: str) -> Path | None:
    """A package's folder, found without importing it (an app's __init__ may need the settings)."""
    top, *rest = dotted.split(".")
    spec = importlib.util.find_spec(top)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)), *rest)


def gettext_noop(text: str) -> str:
    """Marks a text for the catalogue (a makemessages keyword); Django's own would read the settings."""
    return text


def _say(text: str) -> str:
    """A message in the shell's language before Django starts: Django's translations need the settings, so
    the catalogue is read with the standard library's gettext."""
    import gettext

    from tongpin.commands import cli_language

    if cli_language() != "en":
        return text
    locale = Path(__file__).resolve().parent / "locale"
    return gettext.translation("django", localedir=locale, languages=["en"], fallback=True).gettext(text)


def _setup_django() -> None:
    """Start Django; a TONGPIN_* variable that does not parse refuses the command in one line (status 2)."""
    import django

    from tongpin.config import SettingError

    try:
        django.setup()
    except SettingError as error:
        print(f"tongpin: {error} (docs/configuration.md)", file=sys.stderr)
        sys.exit(REFUSED)


def _needs_database(args: list[str]) -> bool:
    command = args[0] if args else "help"
    if command in NO_DATABASE_NEEDED or "--help" in args or "-h" in args:
        return False
    # Only Tongpin's own settings are known here; a custom settings module is its owner's business.
    return os.environ.get("DJANGO_SETTINGS_MODULE") == "tongpin.settings"


def missing_sqlite_database() -> str | None:
    """Checked before Django starts (importing the settings creates the data folder)."""
    from tongpin.config import env
    from tongpin.home import sqlite_path

    if env.is_set("TONGPIN_DATABASE_URL"):
        return None

    path = sqlite_path()
    if path.is_file():
        return None
    where = "TONGPIN_HOME" if env.is_set("TONGPIN_HOME") else _say(gettext_noop("每个用户的默认位置"))
    return _say(gettext_noop("%(path)s 处没有数据库（%(where)s）：%(how)s")) % {
        "path": path,
        "where": where,
        "how": _say(HOW_TO_POINT),
    }


def unusable_database() -> str | None:
    """After Django has started: the database answers and has been migrated."""
    from django.db import connection
    from django.db.utils import Error as DatabaseError

    name = _describe(connection.settings_dict)
    try:
        tables = connection.introspection.table_names()
    except DatabaseError as error:
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return _say(gettext_noop("无法打开数据库 %(name)s（%(error)s）：%(how)s")) % {
            "name": name,
            "error": first_line,
            "how": _say(HOW_TO_POINT),
        }
    finally:
        connection.close()
    if "django_migrations" not in tables:
        return _say(gettext_noop("数据库 %(name)s 还没有表：%(how)s")) % {"name": name, "how": _say(HOW_TO_POINT)}
    return None


def _describe(database: dict) -> str:
    """The database's file, or vendor, host and name (never its password)."""
    if "sqlite" in database["ENGINE"]:
        return str(database["NAME"])
    host = database.get("HOST") or "localhost"
    port = f":{database['PORT']}" if database.get("PORT") else ""
    return f"{database['NAME']} on {host}{port}"
