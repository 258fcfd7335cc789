"""An announcement rewritten as a script the commune broadcaster reads on the loudspeaker
(loa phát thanh): abbreviations spelled out, numbers, dates, times and phone numbers in
words, no emoji or links, short sentences between the usual opening and closing lines."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from content.vietnamese_numbers import (
    read_date,
    read_decimal,
    read_digits,
    read_month,
    read_number,
    read_ordinal,
    read_time,
)

OPENING = "Kính thưa toàn thể bà con nhân dân!"
ANNOUNCING = "Đài truyền thanh xã xin thông báo"
CLOSING = "Trân trọng thông báo!"
LINK_PHRASE = "xem chi tiết trên trang thông tin của tỉnh {province}"

# Spelled out wherever they stand as a whole word, in any case.
ABBREVIATIONS = {
    "ubnd": "Ủy ban nhân dân",
    "hđnd": "Hội đồng nhân dân",
    "mttq": "Mặt trận Tổ quốc",
    "mttqvn": "Mặt trận Tổ quốc Việt Nam",
    "ubmttq": "Ủy ban Mặt trận Tổ quốc",
    "ntm": "nông thôn mới",
    "ocop": "Ô-cốp",
    "qđ": "quyết định",
    "kh": "kế hoạch",
    "nq": "nghị quyết",
    "nđ": "nghị định",
    "ttg": "Thủ tướng Chính phủ",
    "bcđ": "Ban Chỉ đạo",
    "vpđp": "Văn phòng Điều phối",
    "tđkt": "thi đua khen thưởng",
    "cccd": "căn cước công dân",
    "cmnd": "chứng minh nhân dân",
    "đvt": "đơn vị tính",
    "tp": "thành phố",
    "tx": "thị xã",
    "tt": "thị trấn",
    "htx": "hợp tác xã",
    "mtqg": "mục tiêu quốc gia",
    "ctmtqg": "Chương trình mục tiêu quốc gia",
    "ptnt": "phát triển nông thôn",
    "nn&ptnt": "nông nghiệp và phát triển nông thôn",
    "nnptnt": "nông nghiệp và phát triển nông thôn",
    "tnmt": "tài nguyên và môi trường",
    "gtnt": "giao thông nông thôn",
    "sxkd": "sản xuất kinh doanh",
    "dtts": "dân tộc thiểu số",
    "kt-xh": "kinh tế - xã hội",
    "antt": "an ninh trật tự",
    "atgt": "an toàn giao thông",
    "attp": "an toàn thực phẩm",
    "vsmt": "vệ sinh môi trường",
    "pccc": "phòng cháy chữa cháy",
    "pctt": "phòng chống thiên tai",
    "tkcn": "tìm kiếm cứu nạn",
    "bvtv": "bảo vệ thực vật",
    "bhyt": "bảo hiểm y tế",
    "bhxh": "bảo hiểm xã hội",
    "thcs": "trung học cơ sở",
    "thpt": "trung học phổ thông",
    "cntt": "công nghệ thông tin",
    "bch": "Ban Chấp hành",
    "btv": "Ban Thường vụ",
    "ccb": "cựu chiến binh",
    "lhpn": "Liên hiệp Phụ nữ",
    "hnd": "Hội Nông dân",
    "đtn": "Đoàn Thanh niên",
    "tncs": "Thanh niên Cộng sản",
    "tw": "Trung ương",
    "đbscl": "Đồng bằng sông Cửu Long",
    "sđt": "số điện thoại",
    "đt": "điện thoại",
    "gcn": "giấy chứng nhận",
}
# The same abbreviations typed without diacritics. Only those whose folded form means
# nothing else are listed ("đt" folded is "dt", which is also "diện tích").
UNACCENTED = {
    "hdnd": "hđnd",
    "qd": "qđ",
    "bcd": "bcđ",
    "vpdp": "vpđp",
    "tdkt": "tđkt",
    "dvt": "đvt",
    "dtn": "đtn",
    "sdt": "sđt",
    "dbscl": "đbscl",
}
# Inside a document number ("45/KH-UBND") the parts name document kinds and issuers, and
# some read differently than on their own: "TT" is "thông tư", "CP" is "Chính phủ".
DOCUMENT_PARTS = {
    "tt": "thông tư",
    "ct": "chỉ thị",
    "tb": "thông báo",
    "bc": "báo cáo",
    "cv": "công văn",
    "hd": "hướng dẫn",
    "ttr": "tờ trình",
    "cp": "Chính phủ",
    "qh": "Quốc hội",
    "ubtvqh": "Ủy ban Thường vụ Quốc hội",
    "tu": "Tỉnh ủy",
    "hu": "Huyện ủy",
    "đu": "Đảng ủy",
    "btc": "Bộ Tài chính",
    "bnnptnt": "Bộ Nông nghiệp và Phát triển nông thôn",
    "bnnmt": "Bộ Nông nghiệp và Môi trường",
    "snn": "Sở Nông nghiệp",
}
_UNITS = {
    "%": "phần trăm",
    "°c": "độ C",
    "km²": "ki-lô-mét vuông",
    "km2": "ki-lô-mét vuông",
    "km": "ki-lô-mét",
    "m²": "mét vuông",
    "m2": "mét vuông",
    "m³": "mét khối",
    "m3": "mét khối",
    "ha": "héc-ta",
    "kg": "ki-lô-gam",
    "cm": "xen-ti-mét",
    "mm": "mi-li-mét",
    "m": "mét",
    "đ": "đồng",
    "vnđ": "đồng",
    "vnd": "đồng",
    "tr": "triệu",
    "k": "nghìn",
}
_RANKS = {"1": "nhất", "2": "nhì", "3": "ba", "4": "tư"}
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
# Longer than this, a sentence is split at its semicolons.
_LONG_SENTENCE_WORDS = 30

# Readings are parked in private-use characters so later rules cannot touch them: plane
# 15 for quantities (which "-" and "/" join into ranges and ratios), plane 16 for the rest.
_QUANTITY_BASE, _OTHER_BASE = 0xF0000, 0x100000
_Q = "[\U000f0000-\U000ffffd]"

_NUMBER = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?(?!\d|\.\d)|\d+(?:,\d+)?"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# "Xem chi tiết tại: <link>" is said once, so the words leading to a link go with it.
_URL = re.compile(
    r"(?:(?<!\w)(?:xem|tham khảo|truy cập)(?: thêm| chi tiết)?(?: tại| ở)?"
    r"(?: (?:link|đường dẫn|địa chỉ|trang))?\s*:?\s*)?"
    r"(?:(?:https?://|www\.)\S+|(?<![\w.])(?:[a-z0-9-]+\.)+(?:vn|com|net|org|info)\b(?:/\S*)?)",
    re.IGNORECASE,
)
_ETC = re.compile(r"(?<!\w)v\.v\.?", re.IGNORECASE)
_COMRADE = re.compile(r"(?<!\w)đ/c(?!\w)", re.IGNORECASE)
# State documents "1872/QĐ-UBND", "01/2025/NĐ-CP"; Party documents "03-NQ/TU".
_DOCUMENT = re.compile(
    r"(?:(?<!\w)(?i:số):?\s*)?(?<![\d/])(?P<num>\d+)(?:/(?P<year>\d{4}))?"
    r"(?P<sep>[/-])(?P<code>[A-ZĐ][\wĐđ&]*(?:[-/][A-ZĐ][\wĐđ&]*)*)(?![\w/])"
)
_DATE = re.compile(
    r"(?:(?i:ngày)\s+)?(?<![\d/.-])(?P<d>\d{1,2})(?P<sep>[/.-])(?P<m>\d{1,2})"
    r"(?P=sep)(?P<y>\d{4})(?![\d/])"
)
_MONTH_YEAR = re.compile(r"(?:(?i:tháng)\s+)?(?<![\d/.])(?P<m>\d{1,2})/(?P<y>\d{4})(?![\d/])")
# Without a year, "9/9" may be a count ("đạt 9/9 tiêu chí"); only a word that
# introduces a date makes it one.
_DAY_MONTH = re.compile(
    r"(?P<w>(?i:ngày|từ|đến|tới|trước|sau|hạn|hết))\s+(?P<d>\d{1,2})/(?P<m>\d{1,2})(?![\d/])"
)
_TIME = re.compile(
    r"(?<![\d:.,])(?P<h>[01]?\d|2[0-3])(?:"
    r":(?P<m1>[0-5]\d)(?::[0-5]\d)?"
    r"|\s?[hH]\s?(?P<m2>[0-5]\d)?(?:\s?(?:'|phút))?"
    r"|g(?P<m3>[0-5]\d)"
    r"|\s?giờ\s?(?P<m4>[0-5]\d)(?:\s?phút)?"
    r")(?![\w:])"
)
_PHONE = re.compile(r"(?<![\w.,+])(?:\+84|0)\d{1,3}(?:[ .-]?\d{2,4}){1,4}(?!\d)")
_HOTLINE = re.compile(r"(?<![\w.,])1[89]00[ .]?\d{4}(?:\d{2})?(?!\d)")
_UNIT_AFTER = re.compile(
    rf"(?<!\d)(?P<n>{_NUMBER})(?:\s?(?P<u>%|°C|km²|km2|km|m²|m2|m³|m3|ha|kg|cm|mm|m"
    rf"|đồng|đ|VNĐ|VND|vnđ|vnd|tr)|(?P<k>k))(?!\w)"
)
_ORDINAL = re.compile(r"(?P<w>(?i:thứ))\s+(?P<n>\d{1,2})(?!\d)")
_RANK = re.compile(r"(?P<w>(?i:giải|hạng))\s+(?P<n>[1-4])(?![\d/])")
_MONTH_WORD = re.compile(r"(?P<w>(?i:tháng))\s+(?P<n>\d{1,2})(?![\d/])")
# "quý IV/2026", "quý 4/2026": not a month; the year after the slash is "năm …".
_QUARTER = re.compile(r"(?P<w>(?i:quý))\s+(?P<q>[1-4]|IV|I{1,3})(?:/(?P<y>\d{4}))?(?![\w/])")
_ROMAN_AFTER = re.compile(
    r"(?P<w>(?i:khóa|khoá|kỳ|thứ|giai đoạn|phần|chương|mục|đợt))\s+(?P<r>[IVXLC]+)(?!\w)"
)
# Thousands first ("10.000"), then dotted section and version numbers ("4.0", "1.2.3").
_PLAIN_NUMBER = re.compile(
    r"(?<!\d)(?:\d{1,3}(?:\.\d{3})+(?:,\d+)?(?!\d|\.\d)|\d+(?:\.\d+)+|\d+(?:,\d+)?)"
)
_PER_UNIT = re.compile(
    rf"(?P<left>{_Q}\s*(?:[^\W\d_]+\s+){{0,2}}[^\W\d_]+)(?P<per>(?:/[^\W\d_]+)+)"
)
_ABBREVIATION = re.compile(
    r"(?<!\w)(?:"
    + "|".join(re.escape(k) for k in sorted({*ABBREVIATIONS, *UNACCENTED}, key=len)[::-1])
    + r")(?!\w)",
    re.IGNORECASE,
)
# "TP. Đông Hà", "TP.Huế": the dot belongs to the abbreviation when a name follows.
_TOWN_DOT = re.compile(r"(?<!\w)(?P<a>TP|TX|TT)\.\s*(?=[^\W\d_])", re.IGNORECASE)
# List markers: "-", "•", "1.", "2.4.", "a)", "II." at the start of a line.
_BULLET = re.compile(r"^\s*(?:[-–—•*+▪●◦·>]+|\d{1,2}(?:\.\d{1,2})*[.)]|[a-zđ]\)|[IVX]+\.)\s+")
_NON_EMOJI_SYMBOLS = frozenset("°")
_EMOJI_JOINERS = frozenset("\u200d\ufe0e\ufe0f\u20e3")
_KEYCAP = re.compile("[0-9#*]\ufe0f?\u20e3")


class _Parked:
    """Readings taken out of the text while the remaining rules run."""

    def __init__(self) -> None:
        self.readings: list[str] = []

    def park(self, reading: str, *, quantity: bool = False) -> str:
        self.readings.append(reading)
        base = _QUANTITY_BASE if quantity else _OTHER_BASE
        return chr(base + len(self.readings) - 1)

    def restore(self, text: str) -> str:
        def back(match: re.Match[str]) -> str:
            code = ord(match[0])
            base = _OTHER_BASE if code >= _OTHER_BASE else _QUANTITY_BASE
            return self.readings[code - base]

        return re.sub("[\U000f0000-\U0010fffd]", back, text)


def _strip_emoji(text: str) -> str:
    """Drops pictographs, their joiners and variation selectors, keeps letters and "°"."""
    text = _KEYCAP.sub("", text)  # "1️⃣" is a picture of a digit, not a number to read
    return "".join(
        ch
        for ch in text
        if ch not in _EMOJI_JOINERS
        and not ("\U0001f3fb" <= ch <= "\U0001f3ff")
        and (ch in _NON_EMOJI_SYMBOLS or unicodedata.category(ch) not in ("So", "Cs", "Co"))
    )


def _expand(token: str, *, in_document: bool = False) -> str:
    key = token.lower()
    if in_document and key in DOCUMENT_PARTS:
        return DOCUMENT_PARTS[key]
    key = UNACCENTED.get(key, key)
    return ABBREVIATIONS.get(key, token)


def _phone(match: re.Match[str], parked: _Parked) -> str:
    """A phone number digit by digit in its written groups; when the match runs on into
    a following number ("0912 345 678 12 hộ"), only the valid prefix is the phone."""
    groups = re.split(r"[ .-]", match[0])
    for count in range(len(groups), 0, -1):
        written = groups[:count]
        digits = "".join(written)
        international = digits.startswith("+84")
        national = digits[3:] if international else digits[1:]
        if not 9 <= len(national) <= 10:
            continue
        rest = match[0][len(" ".join(written)) :]
        body = [g.removeprefix("+84") for g in written]
        body = [g for g in body if g]
        if len(body) == 1:  # written unbroken: read in the usual 4-3-3 (3-3-3, 4-4-3)
            g = body[0]
            first, second = {9: (3, 6), 10: (4, 7), 11: (4, 8)}[len(g)]
            body = [g[:first], g[first:second], g[second:]]
        words = ", ".join([*(["cộng tám bốn"] if international else []), *map(read_digits, body)])
        return parked.park(words) + rest
    return match[0]


def _roman(numeral: str) -> int | None:
    """ "XIII" → 13; None outside 1–99, which no quarter, term or congress reaches."""
    values = [_ROMAN[c] for c in numeral]
    # A numeral smaller than the next one is subtracted: IV = 4, XIX = 19.
    total = sum(
        -v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values)
    )
    return total if 0 < total < 100 else None


def _date_or_same(match: re.Match[str], parked: _Parked) -> str:
    groups = match.groupdict()
    day = int(groups["d"]) if groups.get("d") else None
    month = int(groups["m"])
    year = int(groups["y"]) if groups.get("y") else None
    if not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
        return match[0]
    if year is not None and not 1900 <= year <= 2100:
        return match[0]
    reading = parked.park(read_date(day, month, year), quantity=True)
    word = groups.get("w")
    return f"{word} {reading}" if word and word.lower() != "ngày" else reading


def _document_part(part: str) -> str:
    """ "QĐ" → "quyết định"; a part ending in digits keeps them as a number, and the
    National Assembly's is its term: "QH15" → "Quốc hội khóa mười lăm"."""
    letters = part.rstrip("0123456789")
    digits = part[len(letters) :]
    words = _expand(letters, in_document=True)
    if digits:
        words += (" khóa " if letters.lower() == "qh" else " ") + read_number(int(digits))
    return words


def _document(match: re.Match[str], parked: _Parked) -> str:
    if match["sep"] == "-" and "/" not in match["code"]:
        return match[0]  # "5-KH" is no document number; let the other rules read it
    parts = [f"số {read_number(int(match['num']))}"]
    if match["year"]:
        parts.append(f"năm {read_number(int(match['year']))}")
    parts += [_document_part(code) for code in re.split(r"[-/]", match["code"])]
    return parked.park(", ".join(parts))


def _quantity_with_unit(match: re.Match[str], parked: _Parked) -> str:
    unit = match["u"] or match["k"]
    word = "đồng" if unit == "đồng" else _UNITS[unit.lower()]
    return parked.park(f"{read_decimal(match['n'])} {word}", quantity=True)


def _plain_number(match: re.Match[str], parked: _Parked) -> str:
    text = match[0]
    try:
        reading = read_decimal(text)
    except ValueError:  # "4.0", "1.2.3": a version or a section, read part by part
        reading = " chấm ".join(read_number(int(p)) for p in text.split("."))
    return parked.park(reading, quantity=True)


def _time(match: re.Match[str], parked: _Parked) -> str:
    minutes = next((m for m in match.groups()[1:] if m), "0")
    return parked.park(read_time(int(match["h"]), int(minutes)), quantity=True)


def _sentence_case_if_shouting(line: str, province_name: str) -> str:
    """An all-capitals line ("LỄ CÔNG NHẬN XÃ ĐẠT CHUẨN NTM") is hard to read aloud."""
    letters = [c for c in line if c.isalpha()]
    if len(letters) < 8 or any(c.islower() for c in letters):
        return line

    def lower(match: re.Match[str]) -> str:
        word = match[0]
        known = UNACCENTED.get(word.lower(), word.lower()) in ABBREVIATIONS
        return word if known or not word.isalpha() else word.lower()

    line = re.sub(r"[\w&-]+", lower, line)
    return re.sub(re.escape(province_name), province_name, line, flags=re.IGNORECASE)


def _roman_after_word(match: re.Match[str], parked: _Parked) -> str:
    value = _roman(match["r"])
    if value is None:
        return match[0]
    reading = read_ordinal(value) if match["w"].lower() == "thứ" else read_number(value)
    return f"{match['w']} {parked.park(reading)}"


def _quarter(match: re.Match[str], parked: _Parked) -> str:
    quarter = match["q"]
    reading = read_number(int(quarter) if quarter.isdigit() else _roman(quarter) or 0)
    if match["y"]:
        reading += f" năm {read_number(int(match['y']))}"
    return f"{match['w']} {parked.park(reading)}"


def _month_word(match: re.Match[str], parked: _Parked) -> str:
    month = int(match["n"])
    return f"{match['w']} {parked.park(read_month(month))}" if 1 <= month <= 12 else match[0]


def _email(match: re.Match[str], parked: _Parked) -> str:
    words = re.sub(r"\d+", lambda d: f" {read_digits(d[0])} ", match[0])
    return parked.park(words.replace("@", " a còng ").replace(".", " chấm "))


def _link(match: re.Match[str], parked: _Parked, province_name: str) -> str:
    link = match[0]
    trailing = link[len(link.rstrip(".,;:!?)")) :]  # the sentence's own punctuation
    return parked.park(LINK_PHRASE.format(province=province_name)) + trailing


def _etc(match: re.Match[str], parked: _Parked) -> str:
    # "v.v." closing a sentence keeps its full stop; inside one it is just the words.
    after = match.string[match.end() :].lstrip()
    ends = not after or after[0].isupper()
    return parked.park("vân vân") + ("." if ends and match[0].endswith(".") else "")


_Reading = Callable[[re.Match[str], _Parked], str]


def _bound(reading: _Reading, parked: _Parked) -> Callable[[re.Match[str]], str]:
    return lambda match: reading(match, parked)


_RULES: tuple[tuple[re.Pattern[str], _Reading], ...] = (
    (_ETC, _etc),
    (_COMRADE, lambda m, parked: parked.park("đồng chí")),
    (_DOCUMENT, _document),
    (_QUARTER, _quarter),
    (_DATE, _date_or_same),
    (_MONTH_YEAR, _date_or_same),
    (_DAY_MONTH, _date_or_same),
    (_TIME, _time),
    (_HOTLINE, lambda m, parked: parked.park(read_digits(m[0]))),
    (_PHONE, _phone),
    (_UNIT_AFTER, _quantity_with_unit),
    (_ORDINAL, lambda m, parked: f"{m['w']} {parked.park(read_ordinal(int(m['n'])))}"),
    (_RANK, lambda m, parked: f"{m['w']} {parked.park(_RANKS[m['n']])}"),
    (_MONTH_WORD, _month_word),
    (_ROMAN_AFTER, _roman_after_word),
    (_PLAIN_NUMBER, _plain_number),
)


def _normalise(line: str, province_name: str) -> str:
    """One line of the announcement in words, ready to be split into sentences. Each rule
    parks its readings so that later rules see only what is still to be read."""
    parked = _Parked()
    text = _sentence_case_if_shouting(line, province_name)
    text = _EMAIL.sub(lambda m: _email(m, parked), text)  # before links: it holds a domain
    text = _URL.sub(lambda m: _link(m, parked, province_name), text)
    for pattern, reading in _RULES:
        text = pattern.sub(_bound(reading, parked), text)
    text = re.sub(rf"({_Q})\s*[-–—]\s*(?={_Q})", r"\1 đến ", text)  # 2026–2030, 7h-11h
    text = re.sub(rf"({_Q})\s*/\s*(?={_Q})", r"\1 trên ", text)  # 19/19 tiêu chí
    # "đồng/người/năm": đồng một người một năm
    text = _PER_UNIT.sub(lambda m: m["left"] + m["per"].replace("/", " một "), text)
    text = re.sub(rf"(?<=[^\W\d_])-(?={_Q})|(?<={_Q})-(?=[^\W\d_])", " ", text)  # COVID-19
    text = _TOWN_DOT.sub(lambda m: _expand(m["a"]) + " ", text)
    text = _ABBREVIATION.sub(lambda m: _expand(m[0]), text)
    text = re.sub(r"(?<=\w)/(?=\w)", ", ", text)  # thôn/bản: thôn, bản
    text = re.sub(r"\s*(?:→|->|=>)\s*", ", ", text)
    text = text.replace("&", " và ")
    text = re.sub(r"[*#_|~^=<>\[\]{}\\@]", " ", text)
    text = parked.restore(text)
    text = re.sub(r"\s+[-–—]+\s+|^[-–—]+\s*|\s*[-–—]+$", ", ", text)  # a dash is a pause
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([.,;:!?…)])", r"\1", text)
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    return text.strip(" ,")


def _sentences(text: str) -> list[str]:
    """Short sentences, each capitalised and ending in a full stop (or ! ? :)."""
    out: list[str] = []
    for sentence in re.split(r"(?<=[.!?…])\s+", text):
        pieces = [sentence]
        if len(sentence.split()) > _LONG_SENTENCE_WORDS and ";" in sentence:
            pieces = sentence.split(";")
        for piece in pieces:
            piece = piece.strip(" ,;")
            if not piece.strip(".!?…:"):
                continue
            if piece[-1] not in ".!?…:":
                piece += "."
            out.append(piece[0].upper() + piece[1:])
    return out


def loudspeaker_script(text: str, *, province_name: str, title: str | None = None) -> str:
    """The announcement as lines a broadcaster reads aloud: the opening, the title, the
    body one sentence a line, the closing. Pure: no database, no network."""
    text = unicodedata.normalize("NFC", text)
    lines = [OPENING]
    heading = ""
    if title:
        heading = _normalise(_strip_emoji(unicodedata.normalize("NFC", title)), province_name)
        heading = heading.rstrip(" .:;,")
    lines.append(
        f"{ANNOUNCING}: {heading[:1].upper()}{heading[1:]}." if heading else f"{ANNOUNCING}:"
    )
    for raw in _strip_emoji(text).splitlines():
        raw = _BULLET.sub("", raw)
        if raw.strip():
            lines += _sentences(_normalise(raw, province_name))
    lines.append(CLOSING)
    return "\n".join(lines)
