"""Where Tongpin keeps its data, decided without importing Django and without creating anything.

The settings module and the `tongpin` command both ask here, so the command can tell before Django starts
(and before the settings create the folder) whether the database it would use exists.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

from tongpin.config import env

DATABASE_FILE = "tongpin.sqlite3"


def data_home() -> Path:
    """$TONGPIN_HOME if set (a relative value such as `var` is taken from the current folder), else the user's
    data folder: $XDG_DATA_HOME/tongpin, ~/.local/share/tongpin on Linux. It does not move with the shell."""
    configured = env.str("TONGPIN_HOME")
    if configured:
        return Path(configured).expanduser().resolve()
    return platformdirs.user_data_path("tongpin", appauthor=False).resolve()


def sqlite_path(home: Path | None = None) -> Path:
    """The embedded database's file (used unless TONGPIN_DATABASE_URL names another database)."""
    return (home or data_home()) / DATABASE_FILE
