"""Small inline SVG charts (a trend line and horizontal bars) that look the same in the browser and in the
WeasyPrint PDF; no script, no external files."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD = 640, 220, 36
INK, ACCENT, LINE = "#1f2933", "#1f6feb", "#d9e2ec"
# The Simplified Chinese face first: left to the default, WeasyPrint (fontconfig) draws chart text in the Japanese
# glyphs of Noto Sans CJK JP; browsers fall back to their own Chinese fonts when Noto is not installed.
FONTS = "'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"


def _number(value: float) -> str:
    return f"{value / 10000:.1f}万" if value >= 10000 else f"{value:,.0f}"


def line(points: list[tuple[str, float | None]], title: str = "") -> SafeString:
    """A trend line of (label, value) points, the labels along the bottom. A value of None (a period still to
    come) leaves a gap: nothing is drawn for it, rather than a fall to zero."""
    known = [v for _l, v in points if v is not None]
    if not known:
        return mark_safe("")
    top = max(known) or 1
    step = (WIDTH - 2 * PAD) / max(1, len(points) - 1)
    xs = [PAD + i * step for i in range(len(points))]
    ys = [None if v is None else HEIGHT - PAD - (v / top) * (HEIGHT - 2 * PAD) for _l, v in points]
    xy = list(zip(xs, ys, strict=True))
    segments: list[list[str]] = [[]]  # the line breaks at each gap
    for x, y in xy:
        if y is not None:
            segments[-1].append(f"{x:.1f},{y:.1f}")
        elif segments[-1]:
            segments.append([])
    lines = "".join(
        f'<polyline points="{" ".join(s)}" fill="none" stroke="{ACCENT}" stroke-width="2"/>' for s in segments if s
    )
    every = max(1, len(points) // 8)
    labels = "".join(
        f'<text x="{x:.1f}" y="{HEIGHT - 10}" font-size="10" text-anchor="middle" fill="{INK}">{escape(label)}</text>'
        for i, ((label, _v), x) in enumerate(zip(points, xs, strict=True))
        if i % every == 0
    )
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{ACCENT}"/>' for x, y in xy if y is not None)
    return mark_safe(  # noqa: S308  (every label is escaped; numbers are formatted here)
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" aria-label="{escape(title)}"'
        f' xmlns="http://www.w3.org/2000/svg" font-family="{FONTS}">'
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="{LINE}"/>'
        f'<text x="{PAD}" y="{PAD - 12}" font-size="11" fill="{INK}">{escape(_number(top))}</text>'
        f"{lines}{dots}{labels}</svg>"
    )


def bars(items: list[tuple[str, float]], title: str = "") -> SafeString:
    """Horizontal bars, largest first, each labelled with its value."""
    if not items:
        return mark_safe("")
    top = max(v for _l, v in items) or 1
    row, label_w = 24, 230
    height = row * len(items) + 8
    parts = []
    for i, (label, value) in enumerate(items):
        y = 4 + i * row
        w = (WIDTH - label_w - 90) * value / top
        shown = label if len(label) <= 16 else label[:15] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" font-size="12" text-anchor="end" fill="{INK}">{escape(shown)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" rx="3" fill="{ACCENT}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" font-size="11" fill="{INK}">{escape(_number(value))}</text>'
        )
    return mark_safe(  # noqa: S308  (every label is escaped; numbers are formatted here)
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-label="{escape(title)}"'
        f' xmlns="http://www.w3.org/2000/svg" font-family="{FONTS}">{"".join(parts)}</svg>'
    )
