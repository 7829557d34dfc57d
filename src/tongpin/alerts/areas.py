"""Area targeting: does a channel's coverage meet an alert's areas?

Administrative codes (GB/T 2260, 6 or 12 digits) are compared as prefixes once their trailing zero groups are
dropped: 360000 (Jiangxi) meets 360100 (Nanchang) and 360102, not 440000. Polygons meet when one has a vertex
inside the other or their edges cross; circles are taken as 16-sided polygons.
"""

from __future__ import annotations

import math

Point = tuple[float, float]


def short_code(code: str) -> str:
    """A GB/T 2260 code without its trailing zero groups: 360000 → 36, 360100000000 → 3601."""
    digits = "".join(ch for ch in str(code) if ch.isdigit())[:12]
    if len(digits) < 6:
        return digits
    base, rest = digits[:6], digits[6:].rstrip("0")
    if rest:
        return base + rest
    while base.endswith("00") and len(base) > 2:
        base = base[:-2]
    return base


def codes_meet(ours: list[str], theirs: list[str]) -> bool:
    mine = [short_code(c) for c in ours if short_code(c)]
    other = [short_code(c) for c in theirs if short_code(c)]
    return any(a.startswith(b) or b.startswith(a) for a in mine for b in other)


def circle_polygon(lat: float, lon: float, radius_km: float, sides: int = 16) -> list[Point]:
    radius_km = max(radius_km, 0.5)
    points = []
    for step in range(sides):
        angle = 2 * math.pi * step / sides
        d_lat = radius_km / 111.0 * math.cos(angle)
        d_lon = radius_km / (111.0 * max(math.cos(math.radians(lat)), 0.01)) * math.sin(angle)
        points.append((lat + d_lat, lon + d_lon))
    points.append(points[0])
    return points


def _inside(point: Point, polygon: list[Point]) -> bool:
    lat, lon = point
    inside = False
    for (a_lat, a_lon), (b_lat, b_lon) in zip(polygon, polygon[1:] + polygon[:1], strict=False):
        if (a_lon > lon) != (b_lon > lon):
            crossing = a_lat + (lon - a_lon) * (b_lat - a_lat) / (b_lon - a_lon)
            if lat < crossing:
                inside = not inside
    return inside


def _cross(p: Point, q: Point, r: Point, s: Point) -> bool:
    def orient(a, b, c):
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    return orient(p, q, r) * orient(p, q, s) < 0 and orient(r, s, p) * orient(r, s, q) < 0


def polygons_meet(first: list[Point], second: list[Point]) -> bool:
    if not first or not second:
        return False
    if any(_inside(p, second) for p in first) or any(_inside(p, first) for p in second):
        return True
    edges_a = list(zip(first, first[1:], strict=False))
    edges_b = list(zip(second, second[1:], strict=False))
    return any(_cross(a, b, c, d) for a, b in edges_a for c, d in edges_b)
