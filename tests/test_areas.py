"""Places: the communes of each province since 1 July 2025, and the commune a villager
means by what they type, today's name or a pre-2025 one, however it is typed.

The old names and where they went are those of the merger resolutions as the
`vietnamadminunits` package records them (checked against content/areas/*.json, which
scripts/build_areas writes from it and from `vietnam-provinces`)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from content.areas import Resolution, load_areas
from content.vietnamese import fold

ROOT = Path(__file__).resolve().parent.parent

# (pre-2025 commune, old district) → today's commune, 12+ per province, from both of
# the old provinces merged into each.
OLD_NAMES = {
    "quang-tri": [
        # old Quảng Trị
        ("xã Kim Thạch, huyện Vĩnh Linh", "Xã Cửa Tùng"),
        ("thị trấn Hồ Xá, huyện Vĩnh Linh", "Xã Vĩnh Linh"),
        ("xã Gio Mai, huyện Gio Linh", "Xã Cửa Việt"),
        ("thị trấn Krông Klang, huyện Đa Krông", "Xã Hướng Hiệp"),
        ("xã Triệu Độ, huyện Triệu Phong", "Xã Triệu Bình"),
        ("phường Đông Lương, thành phố Đông Hà", "Phường Nam Đông Hà"),
        ("xã Hải Lệ, thị xã Quảng Trị", "Phường Quảng Trị"),
        ("xã Tân Long, huyện Hướng Hóa", "Xã Lao Bảo"),
        # old Quảng Bình
        ("xã Bảo Ninh, thành phố Đồng Hới", "Phường Đồng Hới"),
        ("thị trấn Kiến Giang, huyện Lệ Thủy", "Xã Lệ Thủy"),
        ("xã Quảng Hải, thị xã Ba Đồn", "Phường Ba Đồn"),
        ("thị trấn Quy Đạt, huyện Minh Hóa", "Xã Minh Hóa"),
        ("xã Sơn Lộc, huyện Bố Trạch", "Xã Đông Trạch"),
        ("xã Cảnh Dương, huyện Quảng Trạch", "Xã Hòa Trạch"),
        ("xã Hàm Ninh, huyện Quảng Ninh", "Xã Quảng Ninh"),
        ("xã Thanh Thạch, huyện Tuyên Hóa", "Xã Tuyên Sơn"),
    ],
    "an-giang": [
        # old An Giang
        ("xã Mỹ Khánh, thành phố Long Xuyên", "Phường Bình Đức"),
        ("phường Núi Sam, thành phố Châu Đốc", "Phường Vĩnh Tế"),
        ("thị trấn Cái Dầu, huyện Châu Phú", "Xã Châu Phú"),
        ("xã Vọng Thê, huyện Thoại Sơn", "Xã Óc Eo"),
        ("xã Lương An Trà, huyện Tri Tôn", "Xã Vĩnh Gia"),
        ("thị trấn Mỹ Luông, huyện Chợ Mới", "Xã Long Điền"),
        ("xã Vĩnh Trường, huyện An Phú", "Xã Vĩnh Hậu"),
        ("phường Nhà Bàng, thị xã Tịnh Biên", "Phường Thới Sơn"),
        # old Kiên Giang
        ("phường Vĩnh Thanh Vân, thành phố Rạch Giá", "Phường Rạch Giá"),
        ("xã Hòn Tre, huyện Kiên Hải", "Đặc khu Kiên Hải"),
        ("phường Dương Đông, thành phố Phú Quốc", "Đặc khu Phú Quốc"),
        ("xã Thổ Châu, thành phố Phú Quốc", "Đặc khu Thổ Châu"),
        ("thị trấn Thứ Ba, huyện An Biên", "Xã An Biên"),
        ("xã Dương Hòa, huyện Kiên Lương", "Phường Tô Châu"),
        ("thị trấn Sóc Sơn, huyện Hòn Đất", "Xã Mỹ Thuận"),
        ("xã Tân Khánh Hòa, huyện Giang Thành", "Xã Giang Thành"),
    ],
}
OLD_CASES = [(province, old, new) for province, cases in OLD_NAMES.items() for old, new in cases]


def exact(text: str, province: str) -> tuple[str, str | None] | None:
    """Today's commune and the former name the text matched, when it is sure."""
    found = load_areas().resolve(text, province).exact
    return (found.commune.name, found.former) if found else None


def candidates(resolution: Resolution) -> list[str]:
    return [m.commune.name for m in resolution.candidates]


def short_name(old: str) -> str:
    """ "Kim Thạch" from "xã Kim Thạch, huyện Vĩnh Linh"."""
    commune = old.split(",")[0]
    for unit in ("thị trấn ", "phường ", "xã "):
        if commune.startswith(unit):
            return commune[len(unit) :]
    raise ValueError(old)


def test_each_province_has_its_official_number_of_communes() -> None:
    areas = load_areas()
    assert len(areas.communes("quang-tri")) == 78
    assert len(areas.communes("an-giang")) == 102
    kinds = {c.name.split()[0] for c in areas.communes("quang-tri")}
    assert kinds == {"Xã", "Phường", "Đặc"}
    assert [c.name for c in areas.communes("an-giang") if c.name.startswith("Đặc khu")] == [
        "Đặc khu Kiên Hải",
        "Đặc khu Phú Quốc",
        "Đặc khu Thổ Châu",
    ]


def test_communes_carry_official_codes_names_and_places() -> None:
    areas = load_areas()
    cua_tung = areas.get("19414")
    assert cua_tung is not None and cua_tung.name == "Xã Cửa Tùng"
    assert cua_tung.province == "quang-tri"
    assert "xã Kim Thạch, huyện Vĩnh Linh" in cua_tung.former
    con_co = areas.get("19742")
    assert con_co is not None and con_co.name == "Đặc khu Cồn Cỏ"
    assert con_co.former == ("huyện Cồn Cỏ",)
    assert areas.get("99999") is None
    bounds = {"quang-tri": (16.0, 18.2, 105.5, 107.5), "an-giang": (9.2, 11.0, 103.4, 105.9)}
    for province, (south, north, west, east) in bounds.items():
        communes = areas.communes(province)
        assert len({c.code for c in communes}) == len(communes)
        for commune in communes:
            assert len(commune.code) == 5 and commune.code.isdigit()
            assert commune.former, commune.name
            assert commune.latitude is not None and commune.longitude is not None
            assert south < commune.latitude < north and west < commune.longitude < east


def test_communes_are_listed_in_vietnamese_order() -> None:
    names = [c.name for c in load_areas().communes("quang-tri")]
    assert names[:3] == ["Xã A Dơi", "Xã Ái Tử", "Phường Ba Đồn"]
    # đ after d, whatever the unit word
    assert names.index("Xã Diên Sanh") < names.index("Xã Đakrông") < names.index("Xã Gio Linh")


def test_an_old_name_that_was_split_says_so() -> None:
    an_phu = next(c for c in load_areas().communes("an-giang") if c.name == "Xã An Phú")
    assert "một phần xã Phú Hội, huyện An Phú" in an_phu.former


@pytest.mark.parametrize(("province", "old", "new"), OLD_CASES)
def test_an_old_commune_and_district_give_todays_commune(province: str, old: str, new: str) -> None:
    assert exact(old, province) == (new, old)
    assert exact(fold(old), province) == (new, old), "typed without diacritics"


@pytest.mark.parametrize(("province", "old", "new"), OLD_CASES)
def test_an_old_commune_alone_is_enough_when_the_province_had_one(
    province: str, old: str, new: str
) -> None:
    name = short_name(old)
    # (new, None) when the old name is today's name too, as "Cửa Tùng" is
    assert exact(name, province) in {(new, old), (new, None)}
    assert exact(fold(name), province) in {(new, old), (new, None)}


@pytest.mark.parametrize("province", ["quang-tri", "an-giang"])
def test_every_pre_2025_unit_with_its_district_leads_to_its_commune(province: str) -> None:
    areas = load_areas()
    for commune in areas.communes(province):
        for former in commune.former:
            text = former.removeprefix("một phần ")
            for typed in (text, fold(text)):
                result = areas.resolve(typed, province)
                if former.startswith("một phần "):  # split: each part is offered
                    assert result.exact is None, typed
                    assert commune in [m.commune for m in result.candidates], typed
                    continue
                assert result.exact is not None, typed
                assert result.exact.commune == commune, typed
                if typed == text:
                    assert result.exact.former == former
                else:
                    # Without diacritics xã Phú Thạnh and xã Phú Thành (huyện Phú Tân,
                    # both now in Xã Chợ Vàm) are one name.
                    assert fold(result.exact.former or "") == fold(former), typed


@pytest.mark.parametrize(
    ("text", "province", "new", "former"),
    [
        (
            "xa Vinh Thanh huyen Vinh Linh",
            "quang-tri",
            "Xã Cửa Tùng",
            "xã Hiền Thành, huyện Vĩnh Linh",
        ),
        ("tt ho xa", "quang-tri", "Xã Vĩnh Linh", "thị trấn Hồ Xá, huyện Vĩnh Linh"),
        ("TT. Hồ Xá, H. Vĩnh Linh", "quang-tri", "Xã Vĩnh Linh", "thị trấn Hồ Xá, huyện Vĩnh Linh"),
        ("x. hai phu, h. bo trach", "quang-tri", "Xã Đông Trạch", "xã Hải Phú, huyện Bố Trạch"),
        ("p1 tp dong ha", "quang-tri", "Phường Đông Hà", "phường 1, thành phố Đông Hà"),
        (
            "phường 01, thị xã Quảng Trị",
            "quang-tri",
            "Phường Quảng Trị",
            "phường 1, thị xã Quảng Trị",
        ),
        (
            "thôn 3 xã Kim Thạch, Vĩnh Linh, Quảng Trị",
            "quang-tri",
            "Xã Cửa Tùng",
            "xã Kim Thạch, huyện Vĩnh Linh",
        ),
        (
            "ở xã Sơn Lộc huyện Bố Trạch tỉnh Quảng Bình",
            "quang-tri",
            "Xã Đông Trạch",
            "xã Sơn Lộc, huyện Bố Trạch",
        ),
        ("huyện Cồn Cỏ", "quang-tri", "Đặc khu Cồn Cỏ", "huyện Cồn Cỏ"),
        ("tx. tan chau, x. long an", "an-giang", "Xã Tân An", "xã Long An, thị xã Tân Châu"),
        (
            "xa binh an, h chau thanh, kien giang",
            "an-giang",
            "Xã Bình An",
            "xã Bình An, huyện Châu Thành, tỉnh Kiên Giang",
        ),
        (
            "ấp 2 xã Đông Hưng B, huyện An Minh",
            "an-giang",
            "Xã An Minh",
            "xã Đông Hưng B, huyện An Minh",
        ),
    ],
)
def test_old_names_typed_as_villagers_type_them(
    text: str, province: str, new: str, former: str
) -> None:
    assert exact(text, province) == (new, former)


@pytest.mark.parametrize(
    ("text", "province", "new"),
    [
        ("Cửa Tùng", "quang-tri", "Xã Cửa Tùng"),
        ("xã Cửa Tùng", "quang-tri", "Xã Cửa Tùng"),
        ("cua tung", "quang-tri", "Xã Cửa Tùng"),
        ("p dong ha", "quang-tri", "Phường Đông Hà"),
        ("Phường Đồng Hới", "quang-tri", "Phường Đồng Hới"),
        ("đặc khu cồn cỏ", "quang-tri", "Đặc khu Cồn Cỏ"),
        ("xa da krong", "quang-tri", "Xã Đakrông"),
        ("tôi ở thôn 5 xã Vĩnh Thủy", "quang-tri", "Xã Vĩnh Thủy"),
        ("Long Xuyên", "an-giang", "Phường Long Xuyên"),
        ("dac khu phu quoc", "an-giang", "Đặc khu Phú Quốc"),
        ("x. my hoa hung", "an-giang", "Xã Mỹ Hòa Hưng"),
        ("U Minh Thượng", "an-giang", "Xã U Minh Thượng"),
    ],
)
def test_todays_names_are_found_however_typed(text: str, province: str, new: str) -> None:
    assert exact(text, province) == (new, None)


@pytest.mark.parametrize(
    ("text", "province", "new"),
    [
        ("xa cua tunh", "quang-tri", "Xã Cửa Tùng"),
        ("Phường Đông Hàa", "quang-tri", "Phường Đông Hà"),
        ("xã Kim Thach huyen Vinh Lnh", "quang-tri", "Xã Cửa Tùng"),
        ("xa my hoa hungg", "an-giang", "Xã Mỹ Hòa Hưng"),
        ("phuong long xyen", "an-giang", "Phường Long Xuyên"),
    ],
)
def test_a_one_letter_typo_is_forgiven(text: str, province: str, new: str) -> None:
    found = exact(text, province)
    assert found is not None and found[0] == new


def test_an_old_name_in_several_old_districts_asks_which() -> None:
    areas = load_areas()
    # xã Hải Phú was in both huyện Bố Trạch (Quảng Bình) and huyện Hải Lăng (Quảng Trị)
    result = areas.resolve("xa Hai Phu", "quang-tri")
    assert result.exact is None
    assert {(m.commune.name, m.former) for m in result.candidates} == {
        ("Xã Đông Trạch", "xã Hải Phú, huyện Bố Trạch"),
        ("Xã Hải Lăng", "xã Hải Phú, huyện Hải Lăng"),
    }
    # numbered wards: Đông Hà and the old thị xã Quảng Trị both had a phường 1
    assert set(candidates(areas.resolve("phường 1", "quang-tri"))) == {
        "Phường Đông Hà",
        "Phường Quảng Trị",
    }
    # xã Vĩnh Hòa: today's commune, and an old one of thị xã Tân Châu now in Vĩnh Xương
    result = areas.resolve("xã Vĩnh Hòa", "an-giang")
    assert result.exact is None
    assert candidates(result)[:2] == ["Xã Vĩnh Hòa", "Xã Vĩnh Xương"]


def test_a_name_both_old_and_today_elsewhere_asks_which_unless_the_district_tells() -> None:
    areas = load_areas()
    # today's Xã Minh Hóa, and the old xã Minh Hóa (huyện Minh Hóa) now in Xã Kim Phú
    result = areas.resolve("xa minh hoa", "quang-tri")
    assert result.exact is None
    assert candidates(result) == ["Xã Minh Hóa", "Xã Kim Phú"]
    assert result.candidates[1].former == "xã Minh Hóa, huyện Minh Hóa"
    assert exact("xã Minh Hóa, huyện Minh Hóa", "quang-tri") == (
        "Xã Kim Phú",
        "xã Minh Hóa, huyện Minh Hóa",
    )


def test_diacritics_typed_tell_apart_names_that_fold_alike() -> None:
    areas = load_areas()
    plain = areas.resolve("xa tan thanh", "an-giang")
    assert plain.exact is None and len(plain.candidates) >= 3
    assert exact("xã Tân Thành", "an-giang") == ("Xã Tân Hội", "xã Tân Thành, huyện Tân Hiệp")
    # Đồng Lê (today's commune) and Đông Lễ (an old ward of Đông Hà)
    assert exact("Đồng Lê", "quang-tri") == ("Xã Đồng Lê", None)
    assert exact("Đông Lễ", "quang-tri") == (
        "Phường Nam Đông Hà",
        "phường Đông Lễ, thành phố Đông Hà",
    )
    assert exact("dong le", "quang-tri") is None


def test_an_old_commune_split_between_several_offers_each_part() -> None:
    result = load_areas().resolve("xã Phước Hưng, huyện An Phú", "an-giang")
    assert result.exact is None
    assert set(candidates(result)) == {"Xã An Phú", "Xã Nhơn Hội", "Xã Phú Hữu"}
    assert {m.former for m in result.candidates} == {"một phần xã Phước Hưng, huyện An Phú"}


def test_an_old_district_alone_offers_its_communes() -> None:
    result = load_areas().resolve("huyện Vĩnh Linh", "quang-tri")
    assert result.exact is None
    assert candidates(result)[0] == "Xã Vĩnh Linh"
    assert len(result.candidates) == 5
    assert len(load_areas().resolve("huyện Vĩnh Linh", "quang-tri", limit=2).candidates) == 2


@pytest.mark.parametrize("text", ["asdfgh", "", "123", "   ", "???", "tỉnh Quảng Trị", "thôn 3"])
def test_text_that_names_no_place_gives_nothing(text: str) -> None:
    assert load_areas().resolve(text, "quang-tri") == Resolution(None, ())


def test_a_bare_word_inside_a_sentence_is_not_taken_for_a_place() -> None:
    # "phụ trách" folds to the name of Xã Phú Trạch
    result = load_areas().resolve("ai là người phụ trách chương trình ở tỉnh mình", "quang-tri")
    assert result.exact is None


def test_a_place_of_the_other_province_is_not_found() -> None:
    areas = load_areas()
    assert exact("Phường Rạch Giá", "quang-tri") is None
    assert areas.resolve("Cửa Tùng", "ha-noi") == Resolution(None, ())
    assert areas.communes("ha-noi") == []


def test_the_former_name_matched_is_one_the_commune_lists() -> None:
    areas = load_areas()
    for province, old, _ in OLD_CASES:
        for text in (old, fold(old), short_name(old)):
            resolution = areas.resolve(text, province)
            for match in (resolution.exact, *resolution.candidates):
                if match is not None and match.former is not None:
                    assert match.former in match.commune.former


def test_search_finds_by_todays_and_former_names() -> None:
    areas = load_areas()
    assert [c.name for c in areas.search("cua tung")] == ["Xã Cửa Tùng"]
    assert [c.name for c in areas.search("Kim Thạch", "quang-tri")] == ["Xã Cửa Tùng"]
    assert "Phường Rạch Giá" in [c.name for c in areas.search("vinh thanh van")]
    assert [c.name for c in areas.search("tt ho xa", "quang-tri")] == ["Xã Vĩnh Linh"]
    assert len(areas.search("", "an-giang")) == 102
    assert areas.search("asdfgh") == []


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "areas", *args],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_lists_a_provinces_communes_with_their_former_names() -> None:
    result = cli("--province", "quang-tri")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 78
    cua_tung = next(line for line in lines if "Xã Cửa Tùng" in line)
    assert cua_tung.startswith("19414")
    assert "trước đây:" in cua_tung and "xã Kim Thạch, huyện Vĩnh Linh" in cua_tung


def test_cli_finds_a_commune_by_an_old_name(
    env_clean: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env_clean.chdir(ROOT)
    assert main(["areas", "--province", "an-giang", "tt thu ba"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "30985  Xã An Biên  (trước đây: thị trấn Thứ Ba, huyện An Biên; "
        "xã Hưng Yên, huyện An Biên; xã Đông Yên, huyện An Biên)"
    ]
    assert main(["areas", "Cửa Tùng"]) == 0
    assert "19414  Xã Cửa Tùng" in capsys.readouterr().out
    assert main(["areas", "asdfgh"]) == 1
    assert "asdfgh" in capsys.readouterr().err
    assert main(["areas", "--province", "ha-noi"]) == 2
    assert "ha-noi" in capsys.readouterr().err


@pytest.mark.skipif(
    not all(importlib.util.find_spec(p) for p in ("vietnam_provinces", "vietnamadminunits")),
    reason="the optional `areas` packages are not installed",
)
def test_the_committed_areas_are_what_the_packages_give() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/build_areas", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "converter agrees" in result.stderr
