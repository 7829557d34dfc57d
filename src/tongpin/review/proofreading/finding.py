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

    def as_dict(self) -> dict:
        return asdict(self)
