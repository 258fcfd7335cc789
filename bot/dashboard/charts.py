"""Charts drawn on the server as inline SVG, each with its numbers in an HTML table.

Pure functions from data to markup: no script and no chart library in the browser. The
SVG is an image with a title (`role="img"`, `aria-label`, `<title>`), every bar and
point carries its own `<title>` for hover, and the table beside it says the same in
rows and columns for screen readers and for paper.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

Number = Callable[[float], str]

# Okabe–Ito colours: told apart by people with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#999999")
WIDTH = 640
LABEL_WIDTH = 180
ROW_HEIGHT = 22
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def plain_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class Series:
    """One named row of values, one per category or period."""

    label: str
    values: tuple[int, ...]


@dataclass(frozen=True)
class Chart:
    """A chart as SVG and the same numbers as a table."""

    svg: str
    table: str

    def html(self) -> str:
        """Chart and table side by side in one figure."""
        # The table scrolls when tall: focusable, so it scrolls from the keyboard too.
        wrap = f'<div class="table-wrap" tabindex="0">{self.table}</div>'
        return f'<div class="chart">{self.svg}{wrap}</div>'


def _attr(text: str) -> str:
    return escape(text, quote=True)


def _open_svg(title: str, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{_attr(title)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" style="max-width:{WIDTH}px" {FONT}>',
        f"<title>{_attr(title)}</title>",
    ]


def nice_step(largest: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about `ticks` gridlines up to
    `largest`."""
    if largest <= 0:
        return 1
    raw = largest / ticks
    power = float(10 ** math.floor(math.log10(raw)))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return max(1, factor * power)
    return 10 * power


def _axis_top(largest: float) -> float:
    step = nice_step(largest)
    return max(step, math.ceil(largest / step) * step)


def table(
    caption: str, header: Sequence[str], rows: Sequence[tuple[str, Sequence[float]]], number: Number
) -> str:
    """An HTML table: a caption, a header row, then one row per label with its numbers."""
    head = "".join(f'<th scope="col">{_attr(cell)}</th>' for cell in header)
    body = "".join(
        f'<tr><th scope="row">{_attr(label)}</th>'
        + "".join(f'<td class="num">{_attr(number(v))}</td>' for v in values)
        + "</tr>"
        for label, values in rows
    )
    return (
        f'<table class="table figures"><caption>{_attr(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _legend(series: Sequence[Series], top: int) -> tuple[list[str], int]:
    """Coloured squares with the series' names, in rows from `top` that wrap at the
    chart's width; the markup and the height it takes."""
    parts = []
    x, y = 8, top + 12
    for index, item in enumerate(series):
        width = 28 + 7 * len(item.label)
        if x > 8 and x + width > WIDTH:
            x, y = 8, y + 18
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="{y}">{_attr(item.label)}</text>')
        x += width
    return parts, y - top + 8


def _gridlines(top: float, left: int, right: int, y0: int, y1: int, number: Number) -> list[str]:
    """Vertical gridlines with their values, for horizontal bars."""
    step = nice_step(top)
    parts = []
    value = 0.0
    while value <= top + 1e-9:
        x = left + (right - left) * value / top
        parts.append(
            f'<line x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y1}" stroke="#ddd"/>'
            f'<text x="{x:.1f}" y="{y1 + 14}" text-anchor="middle" fill="#555">'
            f"{_attr(number(value))}</text>"
        )
        value += step
    return parts


def stacked_bars(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    category: str,
    total: str | None = None,
    number: Number = plain_number,
    most: int | None = None,
) -> Chart:
    """Horizontal bars, one per label, each split by series; the table has every row
    (with a total column when `total` names it), the chart the first `most`."""
    drawn = list(labels[:most] if most is not None else labels)
    sums = [sum(s.values[i] for s in series) for i in range(len(labels))]
    top = _axis_top(max(sums[: len(drawn)], default=0))
    legend, legend_height = _legend(series, 4) if len(series) > 1 else ([], 0)
    chart_top = 8 + legend_height
    height = chart_top + ROW_HEIGHT * len(drawn) + 24
    right = WIDTH - 16
    parts = _open_svg(title, height) + legend
    parts += _gridlines(
        top, LABEL_WIDTH, right, chart_top, chart_top + ROW_HEIGHT * len(drawn), number
    )
    scale = (right - LABEL_WIDTH) / top
    for row, label in enumerate(drawn):
        y = chart_top + row * ROW_HEIGHT
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end">{_attr(label)}</text>'
        )
        x = float(LABEL_WIDTH)
        for index, item in enumerate(series):
            value = item.values[row]
            if value <= 0:
                continue
            width = value * scale
            named = f"{label} · {item.label}" if len(series) > 1 else label
            name = f"{named}: {number(value)}"
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{width:.1f}" height="{ROW_HEIGHT - 6}" '
                f'fill="{PALETTE[index % len(PALETTE)]}"><title>{_attr(name)}</title></rect>'
            )
            x += width
    parts.append("</svg>")
    header = [category, *(s.label for s in series)] + ([total] if total else [])
    rows = [
        (label, [s.values[i] for s in series] + ([sums[i]] if total else []))
        for i, label in enumerate(labels)
    ]
    return Chart("".join(parts), table(title, header, rows, number))


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[int],
    *,
    category: str,
    value_label: str,
    number: Number = plain_number,
    most: int | None = None,
) -> Chart:
    """Horizontal bars, one per label."""
    return stacked_bars(
        title,
        labels,
        [Series(value_label, tuple(values))],
        category=category,
        number=number,
        most=most,
    )


def line_chart(
    title: str,
    periods: Sequence[str],
    series: Sequence[Series],
    *,
    category: str,
    number: Number = plain_number,
) -> Chart:
    """Lines over time, one per series, a point per period; the table has a row per
    period and a column per series."""
    height = 240
    left, right, top_y, bottom_y = 48, WIDTH - 16, 32, height - 36
    largest = max((v for s in series for v in s.values), default=0)
    top = _axis_top(largest)
    step = nice_step(top)
    legend, legend_height = _legend(series, 4)
    top_y += legend_height - 24
    height += legend_height - 24
    bottom_y = height - 36
    parts = _open_svg(title, height) + legend
    value = 0.0
    while value <= top + 1e-9:
        y = bottom_y - (bottom_y - top_y) * value / top
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">'
            f"{_attr(number(value))}</text>"
        )
        value += step
    count = len(periods)

    def x_of(index: int) -> float:
        return left + (right - left) * (index + 0.5) / max(count, 1)

    # Every period's name when they fit, else every other one (or fewer).
    every = max(1, math.ceil(count * 56 / (right - left)))
    for index, period in enumerate(periods):
        if index % every == 0:
            parts.append(
                f'<text x="{x_of(index):.1f}" y="{bottom_y + 18}" text-anchor="middle" '
                f'fill="#555">{_attr(period)}</text>'
            )
    for number_index, item in enumerate(series):
        colour = PALETTE[number_index % len(PALETTE)]
        points = [
            (x_of(i), bottom_y - (bottom_y - top_y) * v / top) for i, v in enumerate(item.values)
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for (x, y), period, v in zip(points, periods, item.values, strict=True):
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
                f"<title>{_attr(f'{period} · {item.label}: {number(v)}')}</title></circle>"
            )
    parts.append("</svg>")
    rows = [(period, [s.values[i] for s in series]) for i, period in enumerate(periods)]
    return Chart("".join(parts), table(title, [category, *(s.label for s in series)], rows, number))
