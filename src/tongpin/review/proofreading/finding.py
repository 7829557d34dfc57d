"""What every check returns."""

from dataclasses import asdict, dataclass
from enum import StrEnum

BUILT_IN = "同频内置规则"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    text: str
    category: str
    severity: str
    suggestion: str | None
    rule: str
    source: str = ""
    message: str = ""

    @classmethod
    def at(cls, text: str, start: int, end: int, *, category: str, severity: str, rule: str, message: str,
           suggestion: str | None = None, source: str = BUILT_IN) -> "Finding":  # fmt: skip
        """The finding for `text[start:end]`: what it is, how bad, which rule, and what to write instead."""
        return cls(start, end, text[start:end], category, severity, suggestion, rule, source, message)

    def as_dict(self) -> dict:
        return asdict(self)
