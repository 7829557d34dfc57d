"""三校: an offline Chinese proofreading engine (no models, no network).

`Checker(rules, roster).check(text)` returns `Finding`s with character offsets into the text given.
"""

from .engine import Checker, Finding, Severity
from .roster import Leader, load_roster
from .rules import Rule, RuleError, load_rules, starter_rules

__all__ = [
    "Checker",
    "Finding",
    "Severity",
    "Rule",
    "RuleError",
    "load_rules",
    "starter_rules",
    "Leader",
    "load_roster",
]
