"""The map of a province's communes, coloured by their number of nominations."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from bot.dashboard.map import NONE_COLOUR, bins, commune_map
from content.areas import Commune, load_areas

SVG = "{http://www.w3.org/2000/svg}"


def draw(province: str, counts: dict[str, int]) -> ElementTree.Element:
    return ElementTree.fromstring(
        commune_map(
            load_areas().communes(province),
            counts,
            title="Bản đồ đề cử",
            describe=lambda c, n: f"{c.name}: {n} đề cử",
            none_label="Chưa có",
        )
    )


@pytest.mark.parametrize(("province", "communes"), [("quang-tri", 78), ("an-giang", 102)])
def test_one_circle_per_commune_of_the_province(province: str, communes: int) -> None:
    svg = draw(province, {})
    circles = svg.findall(f"{SVG}circle")
    assert len(circles) == communes
    assert {c.get("data-code") for c in circles} == {
        c.code for c in load_areas().communes(province)
    }
    assert svg.get("role") == "img" and svg.get("aria-label") == "Bản đồ đề cử"


def test_communes_with_more_nominations_are_darker_and_named_on_hover() -> None:
    communes = load_areas().communes("quang-tri")
    busy, quiet, empty = communes[0], communes[1], communes[2]
    svg = draw("quang-tri", {busy.code: 40, quiet.code: 2})
    by_code = {c.get("data-code"): c for c in svg.findall(f"{SVG}circle")}
    assert by_code[busy.code].get("fill") == "#006d2c"
    assert by_code[quiet.code].get("fill") == "#c7e9c0"
    assert by_code[empty.code].get("fill") == NONE_COLOUR
    assert by_code[busy.code].find(f"{SVG}title").text == f"{busy.name}: 40 đề cử"  # type: ignore[union-attr]
    legend = [t.text for t in svg.findall(f"{SVG}text")]
    assert legend == ["Chưa có", "1–10", "11–20", "21–30", "31–40"]


def test_circles_stay_inside_the_drawing() -> None:
    svg = draw("an-giang", {})
    _x, _y, width, height = (float(v) for v in (svg.get("viewBox") or "").split())
    for circle in svg.findall(f"{SVG}circle"):
        x, y, r = (float(circle.get(k) or 0) for k in ("cx", "cy", "r"))
        assert r <= x <= width - r and r <= y <= height - r


def test_colour_classes_cover_every_count() -> None:
    assert [(b.low, b.high) for b in bins(0)] == [(0, 0)]
    assert [(b.low, b.high) for b in bins(3)] == [(0, 0), (1, 1), (2, 2), (3, 3)]
    assert [(b.low, b.high) for b in bins(9)][1:] == [(1, 3), (4, 6), (7, 9)]


def test_a_commune_without_coordinates_is_left_off() -> None:
    lost = Commune("1", "Xã Không Rõ", "quang-tri", (), None, None)
    svg = ElementTree.fromstring(
        commune_map([lost], {}, title="t", describe=lambda c, n: c.name, none_label="0")
    )
    assert svg.findall(f"{SVG}circle") == []
