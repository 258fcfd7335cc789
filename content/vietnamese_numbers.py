"""Numbers, dates, times and digit strings written out in Vietnamese words, the way a
commune broadcaster reads them aloud."""

from __future__ import annotations

import re

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
BILLION = 1_000_000_000
# Below a billion the groups are units, nghìn, triệu; above it the count of billions is
# itself read as a number ("một nghìn tỷ"), so the scale names stop at triệu.
_SCALES = ("", "nghìn", "triệu")

_DECIMAL = re.compile(r"(?P<sign>[-−]?)(?P<int>\d{1,3}(?:\.\d{3})+|\d+)(?:,(?P<frac>\d+))?")
# A fraction longer than this is read digit by digit, as people read "3,14159".
_FRACTION_AS_NUMBER_MAX = 3

# Ordinals that are not "thứ" + the cardinal.
_ORDINALS = {1: "nhất", 4: "tư"}
# Months are named, and the fourth is "tháng tư" (never "tháng bốn").
_MONTH_NAMES = {4: "tư"}


def _read_tens_and_units(tens: int, units: int, *, after_hundreds: bool) -> str:
    """The last two digits of a group; `after_hundreds` when a hundreds word precedes."""
    if tens == 0:
        if units == 0:
            return ""
        return f"linh {DIGITS[units]}" if after_hundreds else DIGITS[units]
    if tens == 1:
        head = "mười"
        tail = {0: "", 5: "lăm"}.get(units, DIGITS[units])
    else:
        head = f"{DIGITS[tens]} mươi"
        tail = {0: "", 1: "mốt", 5: "lăm"}.get(units, DIGITS[units])
    return f"{head} {tail}".strip()


def _read_group(value: int, *, leading: bool) -> str:
    """One group of three digits (1–999). A group after a higher one is read in full,
    with "không trăm" for a zero hundreds digit (2025 → "… không trăm hai mươi lăm")."""
    hundreds, rest = divmod(value, 100)
    tens, units = divmod(rest, 10)
    if leading and hundreds == 0:
        return _read_tens_and_units(tens, units, after_hundreds=False)
    words = f"{DIGITS[hundreds]} trăm"
    tail = _read_tens_and_units(tens, units, after_hundreds=True)
    return f"{words} {tail}".strip()


def _read_below_billion(n: int, *, leading: bool) -> str:
    """0 < n < 10⁹; `leading` when nothing is read before it."""
    groups: list[int] = []
    while n:
        n, group = divmod(n, 1000)
        groups.append(group)
    words: list[str] = []
    for scale in reversed(range(len(groups))):
        group = groups[scale]
        if group == 0:
            continue  # "một triệu không trăm linh năm": an empty group is not read
        words.append(_read_group(group, leading=leading and not words))
        if _SCALES[scale]:
            words.append(_SCALES[scale])
    return " ".join(words)


def read_number(n: int) -> str:
    """An integer in words: 21 → "hai mươi mốt", 105 → "một trăm linh năm",
    2025 → "hai nghìn không trăm hai mươi lăm", 10¹² → "một nghìn tỷ"."""
    if n < 0:
        return f"âm {read_number(-n)}"
    if n == 0:
        return DIGITS[0]
    if n < BILLION:
        return _read_below_billion(n, leading=True)
    billions, rest = divmod(n, BILLION)
    words = f"{read_number(billions)} tỷ"
    if rest:
        words += " " + _read_below_billion(rest, leading=False)
    return words


def read_digits(digits: str) -> str:
    """Each digit on its own: "0912" → "không chín một hai". Other characters are skipped."""
    return " ".join(DIGITS[int(d)] for d in digits if d.isdigit())


def read_decimal(text: str) -> str:
    """A number as written in Vietnamese, with "." between thousands and "," before the
    fraction: "62,4" → "sáu mươi hai phẩy bốn", "3,25" → "ba phẩy hai mươi lăm",
    "0,05" → "không phẩy không năm", "10.000" → "mười nghìn".

    Zeros that open the fraction are read one by one; the rest of a fraction of up to
    three digits is read as a number, a longer one digit by digit."""
    match = _DECIMAL.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a Vietnamese-written number: {text!r}")
    words = read_number(int(match["int"].replace(".", "")))
    if match["sign"]:
        words = f"âm {words}"
    fraction = match["frac"]
    if fraction is None:
        return words
    significant = fraction.lstrip("0")
    zeros = len(fraction) - len(significant)
    parts = [DIGITS[0]] * zeros
    if significant:
        if len(significant) <= _FRACTION_AS_NUMBER_MAX:
            parts.append(read_number(int(significant)))
        else:
            parts.append(read_digits(significant))
    return f"{words} phẩy {' '.join(parts)}"


def read_ordinal(n: int) -> str:
    """The word after "thứ": 1 → "nhất", 4 → "tư", otherwise the cardinal."""
    return _ORDINALS.get(n) or read_number(n)


def read_month(month: int) -> str:
    """The word after "tháng": 4 → "tư", otherwise the cardinal (11 → "mười một")."""
    return _MONTH_NAMES.get(month) or read_number(month)


def read_date(day: int | None, month: int, year: int | None) -> str:
    """ "ngày ba mươi tháng mười một năm hai nghìn không trăm hai mươi sáu"; the day or
    the year may be missing ("tháng mười một năm …", "ngày ba mươi tháng mười một")."""
    words: list[str] = []
    if day is not None:
        words.append(f"ngày {read_number(day)}")
    words.append(f"tháng {read_month(month)}")
    if year is not None:
        words.append(f"năm {read_number(year)}")
    return " ".join(words)


def read_time(hours: int, minutes: int = 0) -> str:
    """ "bảy giờ ba mươi phút"; whole hours without minutes ("mười bốn giờ")."""
    words = f"{read_number(hours)} giờ"
    if minutes:
        words += f" {read_number(minutes)} phút"
    return words
