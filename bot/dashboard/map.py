"""A map of a province's communes as inline SVG, each a circle at its coordinates
(`content/areas/<province>.json`, from `vietnamadminunits`) coloured by a count.

A circle's radius is half the distance to its nearest neighbour (within bounds), so
circles tile the province roughly as its communes do without overlapping; each has a
`<title>` shown on hover and read by screen readers, and a legend says what the colours
mean.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

from bot.dashboard.charts import Number, plain_number
from content.areas import Commune

WIDTH = 600
PAD = 16
LEGEND_HEIGHT = 28
MIN_RADIUS, MAX_RADIUS = 3.0, 16.0
# Light to dark green for more; grey for none, so "no nominations" stands apart.
NONE_COLOUR = "#e5e7eb"
SCALE = ("#c7e9c0", "#74c476", "#31a354", "#006d2c")


@dataclass(frozen=True)
class Bin:
    """A range of counts drawn in one colour; `low` > `high` never happens."""

    low: int
    high: int
    colour: str


def bins(largest: int) -> list[Bin]:
    """The colour classes for counts up to `largest`: zero, then up to four equal ranges."""
    found = [Bin(0, 0, NONE_COLOUR)]
    if largest <= 0:
        return found
    step = max(1, math.ceil(largest / len(SCALE)))
    low = 1
    for colour in SCALE:
        if low > largest:
            break
        high = min(largest, low + step - 1)
        found.append(Bin(low, high, colour))
        low = high + 1
    return found


def colour_of(count: int, classes: Sequence[Bin]) -> str:
    for item in classes:
        if item.low <= count <= item.high:
            return item.colour
    return classes[-1].colour


def _project(communes: Sequence[Commune]) -> tuple[list[tuple[float, float]], float]:
    """Pixel positions (equirectangular, longitude shrunk by the cosine of the middle
    latitude) fitted to WIDTH, and the height they need."""
    lats = [c.latitude or 0.0 for c in communes]
    lons = [c.longitude or 0.0 for c in communes]
    shrink = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x = max((max(lons) - min(lons)) * shrink, 1e-6)
    span_y = max(max(lats) - min(lats), 1e-6)
    scale = (WIDTH - 2 * PAD - 2 * MAX_RADIUS) / max(span_x, span_y * 0.75)
    offset = PAD + MAX_RADIUS
    points = [
        (offset + (lon - min(lons)) * shrink * scale, offset + (max(lats) - lat) * scale)
        for lat, lon in zip(lats, lons, strict=True)
    ]
    return points, span_y * scale + 2 * offset


def _radii(points: Sequence[tuple[float, float]]) -> list[float]:
    radii = []
    for i, (x, y) in enumerate(points):
        nearest = min(
            (math.hypot(x - ox, y - oy) for j, (ox, oy) in enumerate(points) if j != i),
            default=2 * MAX_RADIUS,
        )
        radii.append(min(MAX_RADIUS, max(MIN_RADIUS, nearest / 2)))
    return radii


def commune_map(
    communes: Sequence[Commune],
    counts: Mapping[str, int],
    *,
    title: str,
    describe: Callable[[Commune, int], str],
    none_label: str,
    number: Number = plain_number,
) -> str:
    """The SVG map: one circle per commune with coordinates, its colour by
    `counts[code]`, its hover text `describe(commune, count)`; a legend below."""
    placed = [c for c in communes if c.latitude is not None and c.longitude is not None]
    classes = bins(max((counts.get(c.code, 0) for c in placed), default=0))
    points, height = _project(placed) if placed else ([], 2 * PAD)
    total_height = math.ceil(height) + LEGEND_HEIGHT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'class="map" viewBox="0 0 {WIDTH} {total_height}" width="100%" '
        f'style="max-width:{WIDTH}px" font-family="system-ui, sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
    ]
    for commune, (x, y), radius in zip(placed, points, _radii(points), strict=True):
        count = counts.get(commune.code, 0)
        parts.append(
            f'<circle data-code="{escape(commune.code)}" cx="{x:.1f}" cy="{y:.1f}" '
            f'r="{radius:.1f}" fill="{colour_of(count, classes)}" stroke="#fff" '
            f'stroke-width="1"><title>{escape(describe(commune, count))}</title></circle>'
        )
    x = float(PAD)
    y = total_height - 10
    for item in classes:
        label = (
            none_label
            if item.high == 0
            else number(item.low)
            if item.low == item.high
            else f"{number(item.low)}–{number(item.high)}"
        )
        parts.append(
            f'<rect x="{x:.0f}" y="{y - 10}" width="12" height="12" fill="{item.colour}" '
            f'stroke="#999"/><text x="{x + 16:.0f}" y="{y}">{escape(label)}</text>'
        )
        x += 28 + 7 * len(label)
    parts.append("</svg>")
    return "".join(parts)
