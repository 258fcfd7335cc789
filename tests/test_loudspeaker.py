"""The loudspeaker script: Vietnamese number reading and an announcement rewritten for a
commune broadcaster to read aloud."""

from __future__ import annotations

import pytest

from content.loudspeaker import (
    ABBREVIATIONS,
    CLOSING,
    OPENING,
    UNACCENTED,
    loudspeaker_script,
)
from content.vietnamese_numbers import read_date, read_decimal, read_number, read_time

# Checked against standard Vietnamese reading: "mốt" and "lăm" after tens, "linh" for
# an empty tens digit, "không trăm" inside later groups, empty groups not read.
NUMBER_READINGS = [
    (0, "không"),
    (1, "một"),
    (4, "bốn"),
    (5, "năm"),
    (7, "bảy"),
    (10, "mười"),
    (11, "mười một"),
    (14, "mười bốn"),
    (15, "mười lăm"),
    (19, "mười chín"),
    (20, "hai mươi"),
    (21, "hai mươi mốt"),
    (24, "hai mươi bốn"),
    (25, "hai mươi lăm"),
    (31, "ba mươi mốt"),
    (55, "năm mươi lăm"),
    (99, "chín mươi chín"),
    (100, "một trăm"),
    (101, "một trăm linh một"),
    (105, "một trăm linh năm"),
    (110, "một trăm mười"),
    (111, "một trăm mười một"),
    (115, "một trăm mười lăm"),
    (121, "một trăm hai mươi mốt"),
    (205, "hai trăm linh năm"),
    (1000, "một nghìn"),
    (1001, "một nghìn không trăm linh một"),
    (1010, "một nghìn không trăm mười"),
    (1015, "một nghìn không trăm mười lăm"),
    (1100, "một nghìn một trăm"),
    (1872, "một nghìn tám trăm bảy mươi hai"),
    (2005, "hai nghìn không trăm linh năm"),
    (2021, "hai nghìn không trăm hai mươi mốt"),
    (2025, "hai nghìn không trăm hai mươi lăm"),
    (2030, "hai nghìn không trăm ba mươi"),
    (10_000, "mười nghìn"),
    (15_000, "mười lăm nghìn"),
    (21_000, "hai mươi mốt nghìn"),
    (50_000, "năm mươi nghìn"),
    (100_000, "một trăm nghìn"),
    (105_000, "một trăm linh năm nghìn"),
    (1_000_000, "một triệu"),
    (1_000_005, "một triệu không trăm linh năm"),
    (1_001_000, "một triệu không trăm linh một nghìn"),
    (1_500_000, "một triệu năm trăm nghìn"),
    (3_000_021, "ba triệu không trăm hai mươi mốt"),
    (2_000_000_000, "hai tỷ"),
    (1_000_000_005, "một tỷ không trăm linh năm"),
    (1_005_000_000, "một tỷ không trăm linh năm triệu"),
    (1_000_000_000_000, "một nghìn tỷ"),
]


@pytest.mark.parametrize(
    ("number", "words"), NUMBER_READINGS, ids=[str(n) for n, _ in NUMBER_READINGS]
)
def test_number_is_read_in_standard_vietnamese(number: int, words: str) -> None:
    assert read_number(number) == words


def test_reading_table_covers_at_least_forty_numbers() -> None:
    assert len(NUMBER_READINGS) >= 40


def test_2025_is_read_hai_nghin_khong_tram_hai_muoi_lam() -> None:
    # num2words says "hai nghìn lẻ hai mươi lăm"
    assert read_number(2025) == "hai nghìn không trăm hai mươi lăm"


def test_62_comma_4_is_read_sau_muoi_hai_phay_bon() -> None:
    # num2words says "… phẩy bốn mươi"
    assert read_decimal("62,4") == "sáu mươi hai phẩy bốn"


def test_trailing_one_is_mot_with_acute_after_twenty_but_plain_after_ten() -> None:
    assert read_number(21).endswith("mốt")
    assert read_number(11).endswith("một")


def test_negative_numbers_are_read_with_am() -> None:
    assert read_number(-5) == "âm năm"


@pytest.mark.parametrize(
    ("written", "words"),
    [
        ("62,4", "sáu mươi hai phẩy bốn"),
        ("3,25", "ba phẩy hai mươi lăm"),
        ("0,05", "không phẩy không năm"),
        ("2,5", "hai phẩy năm"),
        ("10.000", "mười nghìn"),
        ("1.234,5", "một nghìn hai trăm ba mươi bốn phẩy năm"),
        ("3,14159", "ba phẩy một bốn một năm chín"),
    ],
)
def test_decimal_comma_numbers_are_read_with_phay(written: str, words: str) -> None:
    assert read_decimal(written) == words


def test_text_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(ValueError):
        read_decimal("62.4.x")


def test_date_reads_day_month_and_year() -> None:
    assert read_date(30, 11, 2026) == (
        "ngày ba mươi tháng mười một năm hai nghìn không trăm hai mươi sáu"
    )


def test_april_is_thang_tu() -> None:
    assert read_date(4, 4, None) == "ngày bốn tháng tư"


def test_time_reads_hours_and_minutes_and_drops_zero_minutes() -> None:
    assert read_time(7, 30) == "bảy giờ ba mươi phút"
    assert read_time(14) == "mười bốn giờ"


def script(text: str, title: str | None = None) -> str:
    return loudspeaker_script(text, province_name="Quảng Trị", title=title)


def body(text: str) -> str:
    """The script without its opening, announcing and closing lines."""
    return " ".join(script(text).splitlines()[2:-1])


def test_script_opens_with_greeting_and_closes_with_tran_trong_thong_bao() -> None:
    lines = script("Họp thôn.").splitlines()
    assert lines[0] == OPENING == "Kính thưa toàn thể bà con nhân dân!"
    assert lines[1] == "Đài truyền thanh xã xin thông báo:"
    assert lines[-1] == CLOSING == "Trân trọng thông báo!"


def test_title_is_read_first_after_the_announcing_line() -> None:
    lines = script("Họp thôn lúc 19h.", title="Họp thôn tháng 12").splitlines()
    assert lines[1] == "Đài truyền thanh xã xin thông báo: Họp thôn tháng mười hai."
    assert lines[2] == "Họp thôn lúc mười chín giờ."


def test_all_capital_title_is_read_in_sentence_case_with_abbreviations_spelled_out() -> None:
    lines = script("Mời dự.", title="LỄ ĐÓN NHẬN XÃ ĐẠT CHUẨN NTM TỈNH QUẢNG TRỊ").splitlines()
    assert lines[1].endswith("Lễ đón nhận xã đạt chuẩn nông thôn mới tỉnh Quảng Trị.")


def test_at_least_25_abbreviations_are_known() -> None:
    assert len(ABBREVIATIONS) >= 25


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("UBND", "Ủy ban nhân dân"),
        ("ubnd", "Ủy ban nhân dân"),
        ("HĐND", "Hội đồng nhân dân"),
        ("HDND", "Hội đồng nhân dân"),
        ("MTTQ", "Mặt trận Tổ quốc"),
        ("NTM", "nông thôn mới"),
        ("ntm", "nông thôn mới"),
        ("OCOP", "Ô-cốp"),
        ("QĐ", "quyết định"),
        ("KH", "kế hoạch"),
        ("TTg", "Thủ tướng Chính phủ"),
        ("BCĐ", "Ban Chỉ đạo"),
        ("TĐKT", "thi đua khen thưởng"),
        ("CCCD", "căn cước công dân"),
        ("ĐVT", "đơn vị tính"),
        ("TP", "thành phố"),
        ("TX", "thị xã"),
        ("TT", "thị trấn"),
        ("HTX", "hợp tác xã"),
    ],
)
def test_abbreviation_is_spelled_out(written: str, spoken: str) -> None:
    assert f"gồm {spoken} và" in body(f"Thành phần gồm {written} và khách mời.")


def test_unaccented_aliases_point_at_known_abbreviations() -> None:
    assert set(UNACCENTED.values()) <= set(ABBREVIATIONS)


def test_abbreviation_inside_a_word_is_left_alone() -> None:
    assert "Khánh" in body("Ông Khánh dự họp.")
    assert "ttg" not in body("Phường Khe Sanh.").lower()


def test_town_abbreviation_with_a_dot_reads_as_the_full_word() -> None:
    assert "thành phố Đông Hà" in body("Bà con TP. Đông Hà và TP.Quảng Trị.")
    assert "thành phố Quảng Trị" in body("Bà con TP.Quảng Trị.")


def test_vv_is_read_van_van() -> None:
    assert body("Mang theo giấy tờ, ảnh, v.v. Xin cảm ơn.") == (
        "Mang theo giấy tờ, ảnh, vân vân. Xin cảm ơn."
    )


def test_document_number_reads_number_kind_and_issuer() -> None:
    assert body("Theo 1872/QĐ-UBND.") == (
        "Theo số một nghìn tám trăm bảy mươi hai, quyết định, Ủy ban nhân dân."
    )


def test_document_number_after_so_does_not_repeat_so_and_reads_the_year() -> None:
    assert body("Nghị định số 01/2025/NĐ-CP.") == (
        "Nghị định số một, năm hai nghìn không trăm hai mươi lăm, nghị định, Chính phủ."
    )


def test_date_with_year_reads_ngay_thang_nam_without_repeating_ngay() -> None:
    assert body("Ngày 30/11/2026 họp.") == (
        "Ngày ba mươi tháng mười một năm hai nghìn không trăm hai mươi sáu họp."
    )


def test_month_and_year_read_thang_nam() -> None:
    assert body("Trong tháng 11/2026.") == (
        "Trong tháng mười một năm hai nghìn không trăm hai mươi sáu."
    )


def test_day_and_month_after_a_date_word_is_a_date() -> None:
    assert body("Nộp trước 15/12.") == "Nộp trước ngày mười lăm tháng mười hai."


def test_count_over_total_is_read_tren_not_as_a_date() -> None:
    assert body("Đạt 19/19 tiêu chí, 9/9 hộ.") == (
        "Đạt mười chín trên mười chín tiêu chí, chín trên chín hộ."
    )


@pytest.mark.parametrize("written", ["7h30", "07:30", "7g30", "7 giờ 30 phút", "7h30'"])
def test_time_is_read_bay_gio_ba_muoi_phut(written: str) -> None:
    assert body(f"Bắt đầu lúc {written}.") == "Bắt đầu lúc bảy giờ ba mươi phút."


def test_year_range_is_read_with_den() -> None:
    assert body("Giai đoạn 2026–2030.") == (
        "Giai đoạn hai nghìn không trăm hai mươi sáu đến hai nghìn không trăm ba mươi."
    )


def test_time_range_and_percent_range_are_read_with_den() -> None:
    assert body("Từ 7h30 - 11h, đạt 70-80%.") == (
        "Từ bảy giờ ba mươi phút đến mười một giờ, đạt bảy mươi đến tám mươi phần trăm."
    )


def test_percent_and_decimal_percent() -> None:
    assert body("Đạt 80%, hộ nghèo còn 2,5 %.") == (
        "Đạt tám mươi phần trăm, hộ nghèo còn hai phẩy năm phần trăm."
    )


def test_money_in_dong_and_shorthand() -> None:
    assert body("Mỗi hộ 50.000 đồng, 50.000đ, 50k hoặc 2tr, tổng 2 triệu.") == (
        "Mỗi hộ năm mươi nghìn đồng, năm mươi nghìn đồng, năm mươi nghìn hoặc hai triệu, "
        "tổng hai triệu."
    )


def test_thousands_separator_and_billions() -> None:
    assert body("Có 10.000 hộ góp 1.500.000.000 đồng.") == (
        "Có mười nghìn hộ góp một tỷ năm trăm triệu đồng."
    )


def test_amount_per_person_per_year_reads_mot() -> None:
    assert body("Thu nhập 62,4 triệu đồng/người/năm.") == (
        "Thu nhập sáu mươi hai phẩy bốn triệu đồng một người một năm."
    )


def test_units_after_numbers_are_spelled_out() -> None:
    assert body("Làm 2,5 km đường, 5 ha lúa, 300m2 sân.") == (
        "Làm hai phẩy năm ki-lô-mét đường, năm héc-ta lúa, ba trăm mét vuông sân."
    )


def test_ordinals_weekdays_and_ranks() -> None:
    assert body("Thứ 2 và thứ 4, lần thứ 1, giải 2.") == (
        "Thứ hai và thứ tư, lần thứ nhất, giải nhì."
    )


def test_roman_numerals_after_congress_and_quarter() -> None:
    assert body("Đại hội lần thứ XIII, quý IV/2026.") == (
        "Đại hội lần thứ mười ba, quý bốn năm hai nghìn không trăm hai mươi sáu."
    )


def test_mobile_phone_is_read_digit_by_digit_in_its_groups() -> None:
    assert body("Gọi 0912 345 678.") == "Gọi không chín một hai, ba bốn năm, sáu bảy tám."


def test_unbroken_and_international_phone_numbers_are_grouped() -> None:
    assert body("Gọi 0912345678 hoặc +84912345678.") == (
        "Gọi không chín một hai, ba bốn năm, sáu bảy tám hoặc "
        "cộng tám bốn, chín một hai, ba bốn năm, sáu bảy tám."
    )


def test_phone_followed_by_a_count_keeps_the_count_a_number() -> None:
    assert body("Gọi 0912.345.678 12 hộ.").endswith("sáu bảy tám mười hai hộ.")


def test_hotline_is_read_digit_by_digit() -> None:
    assert body("Đường dây nóng 1900 1234.") == (
        "Đường dây nóng một chín không không một hai ba bốn."
    )


def test_links_are_replaced_by_the_province_information_page() -> None:
    assert body("Xem chi tiết tại: https://quangtri.gov.vn/tin/123.") == (
        "Xem chi tiết trên trang thông tin của tỉnh Quảng Trị."
    )
    assert "www" not in body("Đăng ký ở www.example.com nhé.")


def test_email_is_read_out_not_treated_as_a_link() -> None:
    assert body("Gửi ubnd.xa1@quangtri.gov.vn.") == (
        "Gửi ubnd chấm xa một a còng quangtri chấm gov chấm vn."
    )


def test_emoji_are_dropped() -> None:
    assert body("🎉 Chúc mừng 👏🏽 xã ❤️ đạt chuẩn 🇻🇳 1️⃣") == "Chúc mừng xã đạt chuẩn."


def test_bullets_become_sentences_of_their_own() -> None:
    assert script("Nội dung:\n- Họp thôn;\n• Dọn vệ sinh").splitlines()[2:-1] == [
        "Nội dung:",
        "Họp thôn.",
        "Dọn vệ sinh.",
    ]


def test_long_sentence_is_split_at_semicolons() -> None:
    clause = "bà con dọn dẹp đường làng ngõ xóm sạch sẽ gọn gàng"
    lines = script(f"{clause}; {clause}; {clause}.").splitlines()[2:-1]
    assert lines == [clause[0].upper() + clause[1:] + "."] * 3


def test_short_sentence_keeps_its_semicolons() -> None:
    assert body("Họp thôn; dọn vệ sinh.") == "Họp thôn; dọn vệ sinh."


def test_no_digits_are_left_in_a_realistic_announcement() -> None:
    text = (
        "Thực hiện KH số 45/KH-BCĐ ngày 05/04/2026 của BCĐ các CTMTQG tỉnh, "
        "xã tổ chức Lễ công nhận xã đạt chuẩn NTM nâng cao giai đoạn 2021 - 2025 "
        "vào 7h30 Chủ nhật 30/11/2026 tại Nhà văn hóa thôn 3. Kinh phí 1,2 tỷ đồng; "
        "12/12 thôn tham gia; liên hệ 0233 3852 123."
    )
    out = script(text)
    assert not any(ch.isdigit() for ch in out)
    assert "Ban Chỉ đạo các Chương trình mục tiêu quốc gia tỉnh" in out
    assert "ngày năm tháng tư năm hai nghìn không trăm hai mươi sáu" in out


def test_national_assembly_resolution_reads_its_term() -> None:
    assert body("Nghị quyết số 25/2021/QH15.") == (
        "Nghị quyết số hai mươi lăm, năm hai nghìn không trăm hai mươi mốt, Quốc hội khóa mười lăm."
    )


def test_party_document_number_reads_kind_and_issuer() -> None:
    assert body("Nghị quyết số 03-NQ/TU.") == "Nghị quyết số ba, nghị quyết, Tỉnh ủy."


def test_numbered_headings_lose_their_numbering() -> None:
    assert script("II. Nội dung\n2.4. Về lộ trình\na) Năm 2026").splitlines()[2:-1] == [
        "Nội dung.",
        "Về lộ trình.",
        "Năm hai nghìn không trăm hai mươi sáu.",
    ]


def test_may_is_read_thang_nam() -> None:
    assert body("Ngày 18 tháng 5 năm 2022.") == (
        "Ngày mười tám tháng năm năm hai nghìn không trăm hai mươi hai."
    )
