"""The leader roster (领导排序与职务): kept by the customer, read from CSV `name,title,rank[,former_titles]`.

rank 1 is the highest; former_titles, optional, lists titles a person no longer holds, separated by "|".
"""

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from .rules import RuleError


@dataclass(frozen=True)
class Leader:
    name: str
    title: str
    rank: int
    former_titles: tuple[str, ...] = field(default=())


def parse_roster(text: str, name: str = "roster.csv") -> list[Leader]:
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    if header[:3] != ["name", "title", "rank"]:
        raise RuleError(name, 1, "the header must start with: name,title,rank")
    leaders, seen = [], set()
    for line, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        cells = [cell.strip() for cell in row] + [""] * 4
        person, title, rank, former = cells[0], cells[1], cells[2], cells[3]
        if not person or not title:
            raise RuleError(name, line, "name and title are required")
        try:
            rank_number = int(rank)
        except ValueError as error:
            raise RuleError(name, line, f"rank must be a whole number, not {rank!r}") from error
        if rank_number < 1:
            raise RuleError(name, line, "rank starts at 1 (the highest)")
        if person in seen:
            raise RuleError(name, line, f"{person} is listed twice")
        seen.add(person)
        formers = tuple(t.strip() for t in former.split("|") if t.strip())
        leaders.append(Leader(person, title, rank_number, formers))
    return leaders


def load_roster(path: Path | str) -> list[Leader]:
    path = Path(path)
    try:
        return parse_roster(path.read_text(encoding="utf-8-sig"), path.name)
    except UnicodeDecodeError as error:
        raise RuleError(path.name, 0, f"not UTF-8 ({error.reason})") from error
