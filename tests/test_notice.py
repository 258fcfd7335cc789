"""The printable A4 notice for the village notice board."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from content.notice import date_line, printable_notice

ISSUED = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam
PHOTO = (  # a 1×1 PNG
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4"
    "DwABBAEAfbLI3wAAAABJRU5ErkJggg=="
)


def notice(**changes: object) -> str:
    values: dict[str, object] = {
        "province_name": "Quảng Trị",
        "issuer": "Ủy ban nhân dân xã Cửa Tùng",
        "title": "Về việc tổ chức Lễ công nhận xã đạt chuẩn nông thôn mới",
        "text": "Kính mời bà con đến dự.\n\n- Thời gian: 7 giờ 30.\n- Địa điểm: Nhà văn hóa.",
        "issued_at": ISSUED,
    }
    values.update(changes)
    return printable_notice(**values)  # type: ignore[arg-type]


def test_script_in_the_text_is_escaped() -> None:
    page = notice(text="Xin chào <script>alert('x')</script> & hẹn gặp")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; hẹn gặp" in page


def test_title_issuer_and_province_are_escaped_too() -> None:
    page = notice(title="<b>x</b>", issuer='"><img src=x>', province_name="<i>")
    assert "<b>x</b>" not in page
    assert "<img src=x>" not in page
    assert "<i>" not in page


def test_national_motto_header_is_present() -> None:
    page = notice()
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in page
    assert '<div class="motto">Độc lập - Tự do - Hạnh phúc</div>' in page
    assert "border-bottom: 1pt solid #000" in page  # the motto's underline


def test_issuing_body_sits_under_the_provincial_committee() -> None:
    page = notice()
    assert '<div class="upper">UBND TỈNH Quảng Trị</div>' in page
    assert '<div class="bold upper">Ủy ban nhân dân xã Cửa Tùng</div>' in page
    assert page.index("UBND TỈNH") < page.index("CỘNG HÒA")  # left column first


def test_provincial_committee_as_issuer_is_not_written_twice() -> None:
    page = notice(issuer="UBND tỉnh Quảng Trị")
    assert page.count("UBND TỈNH Quảng Trị") == 0
    assert page.count("UBND tỉnh Quảng Trị") == 2  # issuer and signature block


def test_date_line_is_in_vietnam_time() -> None:
    assert "Quảng Trị, ngày 30 tháng 11 năm 2026" in notice()
    late_evening_utc = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)  # 01:00 on 1 December
    assert date_line("Quảng Trị", late_evening_utc) == "Quảng Trị, ngày 01 tháng 12 năm 2026"


def test_date_line_converts_other_offsets_and_takes_naive_times_as_utc() -> None:
    paris = timezone(timedelta(hours=1))
    assert date_line("An Giang", datetime(2026, 3, 1, 20, 0, tzinfo=paris)) == (
        "An Giang, ngày 02 tháng 3 năm 2026"
    )
    assert date_line("An Giang", datetime(2026, 7, 9, 20, 0)) == (
        "An Giang, ngày 10 tháng 7 năm 2026"
    )


def test_small_days_and_january_february_get_a_leading_zero() -> None:
    assert date_line("Quảng Trị", datetime(2026, 2, 5, 3, tzinfo=UTC)) == (
        "Quảng Trị, ngày 05 tháng 02 năm 2026"
    )


def test_title_reads_thong_bao_then_the_subject() -> None:
    page = notice()
    assert "<h1>THÔNG BÁO</h1>" in page
    assert '<p class="subject">Về việc tổ chức Lễ công nhận' in page


def test_each_line_of_the_text_is_a_paragraph() -> None:
    page = notice()
    assert "<p>Kính mời bà con đến dự.</p>" in page
    assert "<p>- Thời gian: 7 giờ 30.</p>" in page
    assert "<p></p>" not in page


def test_signature_block_placeholder_is_present() -> None:
    page = notice()
    assert "TM. Ủy ban nhân dân xã Cửa Tùng" in page
    assert "(Ký, ghi rõ họ tên và đóng dấu)" in page
    assert "Nơi nhận:" in page


def test_page_is_a4_with_large_print_and_no_external_assets() -> None:
    page = notice(photo_data_uri=PHOTO)
    assert "@page { size: A4; margin: 2cm; }" in page
    assert "@media print" in page
    sizes = [float(s) for s in re.findall(r"font-size:\s*([\d.]+)pt", page)]
    assert sizes and min(sizes) >= 14
    assert not re.search(r"""(?:src|href)=(?!["']?data:)""", page)
    assert "<link" not in page and "@import" not in page and "url(" not in page


def test_photo_is_embedded_when_given() -> None:
    page = notice(photo_data_uri=PHOTO)
    assert f'<img src="{PHOTO}"' in page
    assert "<img" not in notice()


@pytest.mark.parametrize(
    "uri",
    [
        "https://example.com/a.png",
        "data:text/html;base64,PHNjcmlwdD4=",
        'data:image/png;base64,AAAA" onerror="alert(1)',
    ],
)
def test_anything_but_an_image_data_uri_is_refused(uri: str) -> None:
    with pytest.raises(ValueError):
        notice(photo_data_uri=uri)


def test_english_variant_uses_english_labels() -> None:
    page = notice(language="en", province_name="Quang Tri", issuer="Cua Tung Commune")
    assert '<html lang="en">' in page
    assert "SOCIALIST REPUBLIC OF VIET NAM" in page
    assert "Independence - Freedom - Happiness" in page
    assert "<h1>NOTICE</h1>" in page
    assert "Quang Tri, 30 November 2026" in page
    assert "CỘNG HÒA" not in page


def test_unknown_language_falls_back_to_vietnamese() -> None:
    assert '<html lang="vi">' in notice(language="fr")
