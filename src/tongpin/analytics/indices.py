"""Communication indices as pure functions of an account's figures over a period (no Django needed).

WCI (微信传播指数) comes in formula versions; each is a function of the same `Inputs`. The sources and the worked
example each version is checked against are in docs/analytics.md. Logarithms are natural; "10万+" arrives as
100001 (the convention of the ranking publishers).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

ln = math.log


@dataclass
class Inputs:
    """One account over one period. Z = 在看 (wows), L = 点赞 (likes), RE = 转发/分享 (shares);
    t = headline (position 1) articles only; max = the best single article."""

    days: float
    n: int = 0
    R: float = 0
    Z: float = 0
    L: float = 0
    RE: float = 0
    Rt: float = 0
    Zt: float = 0
    Lt: float = 0
    REt: float = 0
    Rmax: float = 0
    Zmax: float = 0
    Lmax: float = 0
    REmax: float = 0
    extra: dict = field(default_factory=dict)

    def add(self, reads: float, wows: float = 0, likes: float = 0, shares: float = 0, headline: bool = False) -> None:
        """Count one article in."""
        self.n += 1
        self.R += reads
        self.Z += wows
        self.L += likes
        self.RE += shares
        self.Rmax, self.Zmax = max(self.Rmax, reads), max(self.Zmax, wows)
        self.Lmax, self.REmax = max(self.Lmax, likes), max(self.REmax, shares)
        if headline:
            self.Rt += reads
            self.Zt += wows
            self.Lt += likes
            self.REt += shares


def wci_v2(x: Inputs) -> float:
    """V2.0: reads (80 %) and likes (20 %), each 40 % total, 45 % per article, 15 % best article; squared × 10.
    Here "likes" (点赞) is L."""
    if x.n == 0:
        return 0.0
    reads = 0.40 * ln(x.R + 1) + 0.45 * ln(x.R / x.n + 1) + 0.15 * ln(x.Rmax + 1)
    likes = 0.40 * ln(x.L + 1) + 0.45 * ln(x.L / x.n + 1) + 0.15 * ln(x.Lmax + 1)
    return (0.8 * reads + 0.2 * likes) ** 2 * 10


def _v12_part(reads: float, likes: float) -> float:
    return 0.85 * ln(reads + 1) + 0.15 * ln(likes * 10 + 1)


def wci_v12(x: Inputs) -> float:
    """V12.0: daily averages replace totals so periods of any length compare. Overall (60 %, per day), per article
    (20 %), headlines (10 %, per day) and best article (10 %); reads 85 %, likes 15 % (×10); squared × 10."""
    if x.n == 0 or x.days <= 0:
        return 0.0
    d, n = x.days, x.n
    score = (
        0.6 * _v12_part(x.R / d, x.L / d)
        + 0.2 * _v12_part(x.R / n, x.L / n)
        + 0.1 * _v12_part(x.Rt / d, x.Lt / d)
        + 0.1 * _v12_part(x.Rmax, x.Lmax)
    )
    return score**2 * 10


def _v14_part(reads: float, wows: float, likes: float, shares: float) -> float:
    return 0.70 * ln(reads + 1) + 0.09 * ln(wows * 10 + 1) + 0.06 * ln(likes * 10 + 1) + 0.15 * ln(shares * 10 + 1)


def wci_v14_2(x: Inputs) -> float:
    """V14.2: the four dimensions of V12.0 with reads 70 %, 在看 9 %, likes 6 %, shares 15 % (the three
    interactions × 10); headlines per day; squared × 1.2 × 10."""
    if x.n == 0 or x.days <= 0:
        return 0.0
    d, n = x.days, x.n
    score = (
        0.6 * _v14_part(x.R / d, x.Z / d, x.L / d, x.RE / d)
        + 0.2 * _v14_part(x.R / n, x.Z / n, x.L / n, x.RE / n)
        + 0.1 * _v14_part(x.Rt / d, x.Zt / d, x.Lt / d, x.REt / d)
        + 0.1 * _v14_part(x.Rmax, x.Zmax, x.Lmax, x.REmax)
    )
    return score**2 * 1.2 * 10


def bci(posts: float, reposts: float, comments: float, likes: float) -> float:
    """Weibo communication index: activity ln(posts + 1) 20 %, spread (reposts 40 %, comments 40 %, likes 20 %)
    80 %, × 160."""
    activity = ln(posts + 1)
    spread = 0.4 * ln(reposts + 1) + 0.4 * ln(comments + 1) + 0.2 * ln(likes + 1)
    return (0.2 * activity + 0.8 * spread) * 160


WCI_FORMULAS: dict[str, Callable[[Inputs], float]] = {"2.0": wci_v2, "12.0": wci_v12, "14.2": wci_v14_2}
DEFAULT_FORMULA = "14.2"


def wci(x: Inputs, formula: str = DEFAULT_FORMULA) -> float:
    try:
        return WCI_FORMULAS[formula](x)
    except KeyError:
        raise ValueError(f"unknown WCI formula {formula!r}; known: {', '.join(WCI_FORMULAS)}") from None
