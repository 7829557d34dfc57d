"""GB/T 2260 administrative divisions by name or code, from the bundled table (data/gbt2260.csv, see its README).

Used to pick a channel's coverage by name and to show coverage codes as names. The table is read once per
process: it is static data shipped with the code, not a setting.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext_lazy as _

TABLE = Path(__file__).parent / "data" / "gbt2260.csv"
LEVELS = {"province": _("省级"), "prefecture": _("地级"), "county": _("县级")}


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: str  # province, prefecture or county
    path: str  # 江西省 南昌市 东湖区

    @property
    def level_label(self) -> str:
        return str(LEVELS[self.level])


def level_of(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "prefecture"
    return "county"


@lru_cache(maxsize=1)
def _table() -> dict[str, Division]:
    with TABLE.open(encoding="utf-8") as handle:
        names = {row["code"]: row["name"] for row in csv.DictReader(handle)}
    table = {}
    for code, name in names.items():
        level = level_of(code)
        parents = []
        if level != "province":
            parents.append(names.get(code[:2] + "0000", ""))
        if level == "county":
            parents.append(names.get(code[:4] + "00", ""))
        # A municipality's districts would read 北京市 北京市 海淀区: say each name once.
        path = []
        for part in [*parents, name]:
            if part and part not in path:
                path.append(part)
        table[code] = Division(code, name, level, " ".join(path))
    return table


def get(code: str) -> Division | None:
    """The division a 6- or 12-digit code names (a 12-digit one by its first six digits when the rest are 0)."""
    code = str(code).strip()
    if len(code) == 12 and code.isdigit() and code[6:] == "000000":
        code = code[:6]
    return _table().get(code)


def province_known(code: str) -> bool:
    return str(code)[:2] + "0000" in _table()


def label(code: str) -> str:
    """A code as people read it: its place path, or the code itself when the table does not know it."""
    found = get(code)
    return found.path if found else str(code)


def search(query: str, limit: int = 20) -> list[Division]:
    """Divisions whose code starts with the query's digits, or whose name (or place path) contains its text;
    provinces before prefectures before counties, then by code."""
    query = query.strip()
    if not query:
        return []
    order = {"province": 0, "prefecture": 1, "county": 2}
    if query.isdigit():
        found = [d for code, d in _table().items() if code.startswith(query[:6])]
    else:
        words = query.replace("，", " ").replace(",", " ").split()
        found = [d for d in _table().values() if all(w in d.path for w in words)]
    found.sort(key=lambda d: (order[d.level], d.code))
    return found[:limit]
