"""Rule lists are data: CSV files with one rule a row, validated line by line.

Columns: category,term,suggestion,severity,source,note (a header row is required). A broken file is
refused whole with the line number, so the rules in force never change half-way.
"""

import csv
import io
from dataclasses import dataclass
from pathlib import Path

CATEGORIES = {"typo", "prohibited", "advert"}  # the categories a list may hold; the others are built in
SEVERITIES = {"error", "warning", "info"}
COLUMNS = ["category", "term", "suggestion", "severity", "source", "note"]
DATA_DIR = Path(__file__).with_name("data")
MAX_TERM = 40


@dataclass(frozen=True)
class Rule:
    category: str
    term: str
    suggestion: str
    severity: str
    source: str
    note: str = ""

    @property
    def rule_id(self) -> str:
        return f"{self.category}:{self.term}"


class RuleError(ValueError):
    """A rule file that cannot be used; `line` is 1-based."""

    def __init__(self, name: str, line: int, message: str):
        self.name, self.line = name, line
        super().__init__(f"{name}:{line}: {message}")


def parse_rules(text: str, name: str = "rules.csv") -> list[Rule]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or [h.strip().lower() for h in header[: len(COLUMNS)]] != COLUMNS:
        raise RuleError(name, 1, f"the header must be: {','.join(COLUMNS)}")
    rules, seen = [], set()
    for line, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) < 4 or len(row) > len(COLUMNS):
            raise RuleError(name, line, f"expected {len(COLUMNS)} columns, found {len(row)}")
        category, term, suggestion, severity, source, note = (cell.strip() for cell in row + [""] * (6 - len(row)))
        if category not in CATEGORIES:
            raise RuleError(name, line, f"unknown category {category!r} (one of {', '.join(sorted(CATEGORIES))})")
        if not term or len(term) > MAX_TERM or any(ch.isspace() for ch in term):
            raise RuleError(name, line, "a term is 1 to 40 characters without spaces")
        if severity not in SEVERITIES:
            raise RuleError(name, line, f"unknown severity {severity!r} (error, warning or info)")
        if (category, term) in seen:
            raise RuleError(name, line, f"duplicate rule {category}:{term}")
        seen.add((category, term))
        rules.append(Rule(category, term, suggestion, severity, source, note))
    return rules


def load_rules(directory: Path | str) -> list[Rule]:
    """Every *.csv in the folder, in name order; any broken file refuses the whole set."""
    directory = Path(directory)
    if not directory.is_dir():
        raise RuleError(str(directory), 0, "not a folder")
    rules: list[Rule] = []
    for path in sorted(directory.glob("*.csv")):
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as error:
            raise RuleError(path.name, 0, f"not UTF-8 ({error.reason})") from error
        rules += parse_rules(text, path.name)
    return rules


def starter_rules() -> list[Rule]:
    """The starter set this project wrote (see data/README.md for where each list comes from)."""
    return load_rules(DATA_DIR)
