"""Vietnamese text as villagers type it: with or without diacritics, abbreviated, with
numbers in several forms. Everything here maps text to comparable search tokens."""

from __future__ import annotations

import itertools
import re
import unicodedata

# Abbreviations people type, and what they stand for (already folded).
ABBREVIATIONS = {
    "ntm": "nong thon moi",
    "nntm": "nong nghiep nong thon moi",
    "mtqg": "muc tieu quoc gia",
    "ctmtqg": "chuong trinh muc tieu quoc gia",
    "ubnd": "uy ban nhan dan",
    "hdnd": "hoi dong nhan dan",
    "mttq": "mat tran to quoc",
    "ubmttq": "uy ban mat tran to quoc",
    "tdkt": "thi dua khen thuong",
    "qd": "quyet dinh",
    "qđ": "quyet dinh",
    "kh": "ke hoach",
    "nq": "nghi quyet",
    "ttg": "thu tuong",
    "dtts": "dan toc thieu so",
    "ccb": "cuu chien binh",
    "lhpn": "lien hiep phu nu",
    "hnd": "hoi nong dan",
    "dtn": "doan thanh nien",
    "tncs": "thanh nien cong san",
    "sxkd": "san xuat kinh doanh",
    "bch": "ban chap hanh",
    "vpdp": "van phong dieu phoi",
    "nn": "nong nghiep",
    "ptnt": "phat trien nong thon",
    "sl": "so luong",
    "bn": "bao nhieu",
    "ko": "khong",
    "k": "khong",
    "dc": "duoc",
    "đc": "duoc",
    "j": "gi",
    "tx": "huyen",
    "tp": "huyen",
    "dlcn": "du lieu ca nhan",
    "bvdlcn": "bao ve du lieu ca nhan",
}

# Words that mean the same thing in this domain, mapped to one spelling. Matched with
# their diacritics, because folded they collide: "bản" (hamlet) vs "ban" (board) vs
# "bạn" (you), "ấp" (hamlet) vs "áp" (apply).
SYNONYMS = {
    "bản": "thôn",
    "ấp": "thôn",
    "làng": "thôn",
    "xóm": "thôn",
    "buôn": "thôn",
    "sóc": "thôn",
    "phum": "thôn",
    "khóm": "thôn",
    "tổ dân phố": "thôn",
    "thị xã": "huyện",
    "thành phố": "huyện",
}
_SYNONYM = re.compile(r"(?<!\w)(" + "|".join(sorted(SYNONYMS, key=len, reverse=True)) + r")(?!\w)")

_NUMBER = re.compile(r"\d+")
_DAY_MONTH = re.compile(r"\b(\d{1,2})\s*/\s*(\d{1,2})(?:\s*/\s*(\d{2,4}))?\b")
_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s*%")
_WORD = re.compile(r"[a-z0-9]+")
# The combining mark blocks of Latin text: every Vietnamese tone and vowel mark once
# decomposed (a regex runs in C; testing each character in Python cost a turn dearly).
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_ACCENTED_WORD = re.compile(r"[^\W\d_]+")


def fold(text: str) -> str:
    """Lower case without diacritics, đ→d: "Nông thôn mới" → "nong thon moi"."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return _COMBINING.sub("", decomposed)


def _dates_and_numbers(text: str) -> str:
    # "30/11" and "30 tháng 11" must meet; "08" and "8" too; "80%" and "80 phần trăm".
    def day_month(match: re.Match[str]) -> str:
        day, month, year = match.group(1), match.group(2), match.group(3)
        words = f" ngay {int(day)} thang {int(month)} "
        return words + (f" nam {int(year)} " if year else "")

    text = _DAY_MONTH.sub(day_month, text)
    text = _PERCENT.sub(lambda m: f" {m.group(1)} phan tram ", text)
    return _NUMBER.sub(lambda m: str(int(m.group(0))) if len(m.group(0)) < 6 else m.group(0), text)


def words(text: str) -> list[str]:
    """Folded words with abbreviations expanded and synonyms unified."""
    lowered = _SYNONYM.sub(
        lambda m: SYNONYMS[m.group(1)], unicodedata.normalize("NFC", text).lower()
    )
    folded = _dates_and_numbers(fold(lowered))
    out: list[str] = []
    for word in _WORD.findall(folded):
        expansion = ABBREVIATIONS.get(word)
        out.extend(expansion.split() if expansion else (word,))
    return out


def accented_words(text: str) -> dict[str, str]:
    """The words written with diacritics, by their folded form: {"gia": "giá"}.

    Folding makes "giá" (price), "gia" (family) and "già" (old) one token, which is what
    lets "nong thon moi" find "nông thôn mới"; when the asker did type the marks, this
    tells which of those words was meant."""
    lowered = _SYNONYM.sub(
        lambda m: SYNONYMS[m.group(1)], unicodedata.normalize("NFC", text).lower()
    )
    found = {}
    for word in _ACCENTED_WORD.findall(lowered):
        folded = fold(word)
        if folded != word:
            found[folded] = word
    return found


def tokens(text: str) -> list[str]:
    """Search tokens: syllables plus adjacent-syllable pairs, since Vietnamese words are
    mostly two syllables ("nông thôn", "tiêu chí") and a pair is far more specific."""
    return with_pairs(words(text))


def with_pairs(syllables: list[str]) -> list[str]:
    """The syllables followed by each adjacent pair joined with `_`."""
    return syllables + [f"{a}_{b}" for a, b in itertools.pairwise(syllables)]
