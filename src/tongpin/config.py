"""Reading Tongpin's environment variables (django-environ), so that a bad value stops Tongpin at start with a
message that names the variable, instead of a traceback deep inside Django or a silently wrong setting.

Every TONGPIN_* variable the settings read goes through `env` below (docs/configuration.md lists them all).
An unset or empty variable takes its default; a set one must parse, or `SettingError` names it and says what
was expected. The `tongpin` command prints that message on one line and exits with status 2.
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import environ
from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


class SettingError(ImproperlyConfigured):
    """A TONGPIN_* variable whose value cannot be used; the message starts with the variable's name."""

    def __init__(self, name: str, value: str, expected: str) -> None:
        shown = value if len(value) <= 60 else value[:57] + "..."
        if "URL" in name:  # never repeat a password from a URL
            shown = _hide_password(shown)
        self.name = name
        super().__init__(f"{name}={shown!r} is not valid: {expected}")


def _hide_password(url: str) -> str:
    try:
        parts = urlparse(url)
    except ValueError:
        return url
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


class TongpinEnv:
    """Typed reads of TONGPIN_* variables through django-environ's `Env`, each failing with the variable's name."""

    def __init__(self, environ_: dict[str, str] | None = None) -> None:
        self._env = environ.Env()
        if environ_ is not None:
            self._env.ENVIRON = environ_

    def raw(self, name: str) -> str:
        """The value as set, stripped ('' when unset)."""
        return str(self._env.str(name, default="")).strip()

    def is_set(self, name: str) -> bool:
        return bool(self.raw(name))

    def str(self, name: str, default: str = "") -> str:
        return self.raw(name) or default

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.raw(name)
        if not value:
            return default
        if value.lower() not in TRUE | FALSE:
            raise SettingError(name, value, "use 1/true/yes/on or 0/false/no/off")
        return self._env.bool(name)

    def int(self, name: str, default: int, minimum: int | None = 0) -> int:
        value = self.raw(name)
        if not value:
            return default
        try:
            number = self._env.int(name)
        except ValueError:
            raise SettingError(name, value, "a whole number is expected") from None
        if minimum is not None and number < minimum:
            raise SettingError(name, value, f"a whole number of at least {minimum} is expected")
        return number

    def float(self, name: str, default: float, minimum: float | None = 0) -> float:
        value = self.raw(name)
        if not value:
            return default
        try:
            number = self._env.float(name)
        except ValueError:
            raise SettingError(name, value, "a number is expected") from None
        if not math.isfinite(number) or (minimum is not None and number < minimum):
            raise SettingError(name, value, f"a number of at least {minimum} is expected")
        return number

    def list(self, name: str, default: list[str] | None = None) -> list[str]:
        """Comma-separated; blanks dropped."""
        if not self.raw(name):
            return list(default or [])
        return [item.strip() for item in self._env.list(name) if item.strip()]

    def path(self, name: str, default: Path) -> Path:
        value = self.raw(name)
        return (Path(value).expanduser() if value else Path(default)).resolve()

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self.raw(name)
        if not value:
            return default
        if value.lower() not in choices:
            raise SettingError(name, value, "one of " + ", ".join(choices) + " is expected")
        return value.lower()

    def match(self, name: str, pattern: str, default: str, expected: str) -> str:
        """A value that must match `pattern` (whole, case-insensitive)."""
        value = self.raw(name)
        if not value:
            return default
        if re.fullmatch(pattern, value, flags=re.IGNORECASE) is None:
            raise SettingError(name, value, expected)
        return value

    def db_url(self, name: str) -> dict[str, Any] | None:
        """A database URL (postgresql://user@host:5432/db, sqlite:////path/file.sqlite3); None when unset."""
        value = self.raw(name)
        if not value:
            return None
        try:
            with warnings.catch_warnings():  # an unknown scheme: said below, with the variable's name
                warnings.simplefilter("ignore")
                config = self._env.db_url_config(value)
        except (ValueError, ImproperlyConfigured) as error:
            raise SettingError(name, value, f"a database URL is expected ({error})") from None
        if not config.get("ENGINE"):
            raise SettingError(name, value, "a database URL such as postgresql://user@host:5432/name is expected")
        return config

    def email_url(self, name: str) -> dict[str, Any] | None:
        """A mail URL: smtp://user:password@host:port, smtp+tls://…, smtp+ssl://…, consolemail://,
        filemail:///folder, dummymail://, memorymail://. None when unset."""
        value = self.raw(name)
        if not value:
            return None
        try:
            config = self._env.email_url_config(value)
        except (ValueError, ImproperlyConfigured) as error:
            raise SettingError(
                name, value, f"a mail URL (smtp://, smtp+tls://, smtp+ssl://, consolemail://, filemail://) ({error})"
            ) from None
        if config["EMAIL_BACKEND"].endswith("smtp.EmailBackend") and not config.get("EMAIL_HOST"):
            raise SettingError(name, value, "an SMTP URL needs a host: smtp://user:password@host:587")
        if config["EMAIL_BACKEND"].endswith("filebased.EmailBackend"):
            # django-environ drops the path's leading slash; filemail:///var/mail means the folder /var/mail.
            config["EMAIL_FILE_PATH"] = unquote(urlparse(value).path)
        return config


env = TongpinEnv()
