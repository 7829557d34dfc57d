"""`tongpin doctor`: another name for `tongpin check`."""

from .check import Command  # noqa: F401
