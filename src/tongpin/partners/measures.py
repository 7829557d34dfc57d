"""What a commitment can count (统计口径). Each measure belongs to the app that owns its records and registers
itself at start-up, so partners knows nothing of stories, journals or live sessions.

A measure answers with the records that count in a window, each one a `Counted` row: the drill-down a
liaison sees is the same list the figure is computed from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Counted:
    """One record that counts towards a commitment (a published story, a journal issue, an event…)."""

    key: str
    title: str
    on: dt.date
    link: str = ""
    channels: frozenset[str] = field(default_factory=frozenset)
    capability: str = ""  # what the reader needs, besides partner scope, to open `link` (a page shows it only then)


@dataclass(frozen=True)
class Measure:
    name: str
    label: str
    unit: str
    records: Callable[[object, dt.date, dt.date], list[Counted]]  # (commitment, first day, last day)
    uses_channels: bool = False  # whether tags / channel kinds / min_channels apply
    kind_choices: tuple[tuple[str, str], ...] = ()  # the channel kinds a commitment may narrow to
    uses_threshold: bool = False  # a ranking: the commitment names the place to reach (threshold)
    # For figures settled only later (a month's ranking uses day-7 figures): the day the figure for a given day is
    # final. A record counts, and a period can be judged missed, only from then on. None: final at once.
    final_on: Callable[[dt.date], dt.date] | None = None

    def is_final(self, day: dt.date, known_on: dt.date) -> bool:
        return self.final_on is None or self.final_on(day) <= known_on


MEASURES: dict[str, Measure] = {}


def register(measure: Measure) -> None:
    MEASURES[measure.name] = measure


def choices() -> list[tuple[str, str]]:
    return [(m.name, str(m.label)) for m in MEASURES.values()]
