"""Charts drawn on the server: an accessible SVG and the same numbers in a table."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from bot.dashboard.charts import Series, bar_chart, line_chart, nice_step, stacked_bars

SVG = "{http://www.w3.org/2000/svg}"


def cells(table: str) -> list[list[str]]:
    """The table's rows as lists of cell texts, header first."""
    return [
        re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
        for row in re.findall(r"<tr>(.*?)</tr>", table)
    ]


def test_bar_chart_is_an_image_with_a_title_and_its_numbers_in_a_table() -> None:
    chart = bar_chart(
        "Đề cử theo xã",
        ["Xã Cửa Tùng", "Xã Vĩnh Linh"],
        [12, 3],
        category="Xã",
        value_label="Số đề cử",
    )
    svg = ElementTree.fromstring(chart.svg)
    assert svg.get("role") == "img"
    assert svg.get("aria-label") == "Đề cử theo xã"
    assert svg.find(f"{SVG}title") is not None
    bars = svg.findall(f"{SVG}rect")
    assert [bar.find(f"{SVG}title").text for bar in bars] == [  # type: ignore[union-attr]
        "Xã Cửa Tùng: 12",
        "Xã Vĩnh Linh: 3",
    ]
    assert float(bars[0].get("width") or 0) == 4 * float(bars[1].get("width") or 0)
    assert cells(chart.table) == [["Xã", "Số đề cử"], ["Xã Cửa Tùng", "12"], ["Xã Vĩnh Linh", "3"]]
    assert "<caption>Đề cử theo xã</caption>" in chart.table


def test_stacked_bars_split_each_row_and_the_table_adds_a_total() -> None:
    chart = stacked_bars(
        "Theo trạng thái",
        ["Mô hình", "Sáng kiến"],
        [Series("Đã nhận", (4, 1)), Series("Đã công nhận", (2, 0))],
        category="Loại",
        total="Tổng",
        number=lambda v: f"{v:,.0f}".replace(",", "."),
    )
    svg = ElementTree.fromstring(chart.svg)
    titles = [t.text for t in svg.iter(f"{SVG}title")]
    assert "Mô hình · Đã công nhận: 2" in titles
    # No empty segment for a zero.
    assert not any(t and t.startswith("Sáng kiến · Đã công nhận") for t in titles)
    assert cells(chart.table)[1:] == [["Mô hình", "4", "2", "6"], ["Sáng kiến", "1", "0", "1"]]


def test_the_table_keeps_every_row_when_the_chart_draws_the_first_few() -> None:
    labels = [f"Xã {n}" for n in range(30)]
    chart = bar_chart(
        "Nhiều xã", labels, list(range(30, 0, -1)), category="Xã", value_label="n", most=10
    )
    assert len(ElementTree.fromstring(chart.svg).findall(f"{SVG}rect")) == 10
    assert len(cells(chart.table)) == 31


def test_text_in_charts_is_escaped() -> None:
    chart = bar_chart("<b>", ['Xã "A" & <B>'], [1], category="x", value_label="y")
    ElementTree.fromstring(chart.svg)
    assert "<B>" not in chart.svg and "<B>" not in chart.table
    assert "&lt;B&gt;" in chart.table


def test_line_chart_has_a_point_per_period_and_series() -> None:
    chart = line_chart(
        "Câu hỏi được trả lời",
        ["1/2026", "2/2026", "3/2026"],
        [Series("Bot", (10, 20, 5)), Series("Cán bộ", (1, 0, 2))],
        category="Tháng",
    )
    svg = ElementTree.fromstring(chart.svg)
    assert len(svg.findall(f"{SVG}polyline")) == 2
    points = [c.find(f"{SVG}title").text for c in svg.findall(f"{SVG}circle")]  # type: ignore[union-attr]
    assert "2/2026 · Bot: 20" in points and "3/2026 · Cán bộ: 2" in points
    assert cells(chart.table) == [
        ["Tháng", "Bot", "Cán bộ"],
        ["1/2026", "10", "1"],
        ["2/2026", "20", "0"],
        ["3/2026", "5", "2"],
    ]


def test_empty_data_still_draws() -> None:
    ElementTree.fromstring(line_chart("x", [], [Series("a", ())], category="t").svg)
    ElementTree.fromstring(bar_chart("x", [], [], category="c", value_label="v").svg)


def test_gridline_steps_are_round() -> None:
    assert [nice_step(n) for n in (0, 3, 10, 37, 180, 9000)] == [1, 1, 5, 10, 50, 5000]
