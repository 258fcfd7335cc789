"""Vietnamese text as villagers type it: with or without diacritics, abbreviated, with
numbers in several forms. Everything here maps text to comparable search tokens."""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

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
    # Chat spelling.
    "hok": "khong",
    "hk": "khong",
    "khg": "khong",
    "kg": "khong",
    "hong": "khong",
    "hem": "khong",
    "z": "vay",
    "dz": "vay",
    "zay": "vay",
    "dzay": "vay",
    "dzi": "vay",
    "rui": "roi",
    "nhiu": "bao nhieu",
    "tui": "toi",
    "ntn": "nhu the nao",
    "sp": "san pham",
    "xd": "xay dung",
    "hdtdkt": "hoi dong thi dua khen thuong",
    "bcd": "ban chi dao",
    "tw": "trung uong",
    "dn": "doanh nghiep",
    "cccd": "can cuoc cong dan",
    "tttt": "thong tin truyen thong",
    # Central dialect (Quảng Trị): "rứa" = vậy, "răng" = sao, "ni" = này, "nớ" = đó.
    "rua": "vay",
    "ni": "nay",
    # More chat spelling: "v" (vậy), "r" (rồi), "vs" (với), "bik"/"bít" (biết), "ak"/"ah"
    # (à), "mk" (mình), "ng" (người), "nc" (nước, as in "cả nc"), "cty" (công ty).
    "v": "vay",
    "r": "roi",
    "vs": "voi",
    "bik": "biet",
    "bit": "biet",
    "ak": "a",
    "ah": "a",
    "mk": "minh",
    "ng": "nguoi",
    "nc": "nuoc",
    "cty": "cong ty",
    "tq": "toan quoc",
    "kq": "ket qua",
    "mt": "muc tieu",
    "ct": "chuong trinh",
}

# Dialect words whose folded form collides with a common word, so they are matched with
# their diacritics: "răng" (Central "sao") vs "rằng", "nhiêu" (Southern "bao nhiêu") vs
# "nhiều", "mần" (Southern "làm"), "hông"/"hổng" (Southern "không").
DIALECT = {
    "răng": "sao",
    "chừ": "giờ",
    "bây chừ": "bây giờ",
    "mần": "làm",
    "xài": "dùng",
    "gộp": "hợp nhất",
    "sáp nhập": "hợp nhất",
    "nhập với": "hợp nhất với",
    "về đích": "đạt chuẩn",
    "lên chuẩn": "đạt chuẩn",
    "rớt chuẩn": "tụt chuẩn",
    "hạn chót": "trước ngày",
    "hông": "không",
    "hổng": "không",
    "dzậy": "vậy",
    "dậy": "vậy",
    "nhiêu": "bao nhiêu",
    "nớ": "đó",
    "tê": "kia",
    "hỉ": "",
    "bà con": "người dân",
    "hồi nào": "khi nào",
    "bữa nào": "khi nào",
    "bữa mô": "khi nào",
    "chừng nào": "khi nào",
    "lúc nào": "khi nào",
}
_DIALECT = re.compile(
    r"(?<!\w)(?<!bao )(" + "|".join(sorted(DIALECT, key=len, reverse=True)) + r")(?!\w)"
)
# Particles that end a chat question; a word right before one is read as a question word.
PARTICLES = frozenset("vay ha hen ne nha nhe a ad ri hi oi khong roi chua the day".split())
# Folded pairs of everyday words meaning "when".
_WHEN = {("hoi", "nao"), ("bua", "nao"), ("bua", "mo"), ("chung", "nao"), ("luc", "nao")}
# Before these, "mo" is "mở"/"mô hình", not Central "mô" (nào/đâu).
_MO_KEEP = frozenset("hinh rong chuyen ra lop cua".split())
_CHI_BEFORE = frozenset("cai lam la theo viec dieu giay can".split())
_MO_BEFORE = frozenset(
    "bua huyen xa tinh nam ngay o phuong thon cai cho nguoi so dau khi luc tu ve".split()
)
# Unaccented "rang" is Central "răng" (sao) at the end of a question or after these.
_RANG_BEFORE = frozenset("tinh the lam ra la biet hoi".split())
# Everyday phrasings, folded, read as the documents' words: "được thưởng gì" is
# "khen thưởng", "tiền đâu" is "kinh phí", "ai lo" is who is in charge.
PHRASES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("ve", "dich"): ("dat", "chuan"),
    ("len", "chuan"): ("dat", "chuan"),
    ("rot", "chuan"): ("tut", "chuan"),
    ("sap", "nhap"): ("hop", "nhat"),
    ("nhap", "voi"): ("hop", "nhat", "voi"),
    ("duoc", "thuong"): ("duoc", "khen", "thuong"),
    ("thuong", "gi"): ("khen", "thuong", "gi"),
    ("tien", "dau"): ("kinh", "phi"),
    ("tien", "o", "dau"): ("kinh", "phi"),
    ("han", "chot"): ("truoc", "ngay"),
    ("ai", "lo"): ("ai", "chu", "tri", "dau", "moi"),
    ("bao", "gio"): ("khi", "nao"),
    ("cong", "ty"): ("doanh", "nghiep"),
    ("bay", "gio"): ("hien", "nay"),
}
_PHRASE_LONGEST = max(len(k) for k in PHRASES)
_DOUBLED = re.compile(r"([a-z])\1+")

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
    text = text.replace("%", " phan tram ")  # "mấy %"
    return _NUMBER.sub(lambda m: str(int(m.group(0))) if len(m.group(0)) < 6 else m.group(0), text)


def _unify(text: str) -> str:
    """Lower case, NFC, synonyms and accented dialect words unified."""
    lowered = _SYNONYM.sub(
        lambda m: SYNONYMS[m.group(1)], unicodedata.normalize("NFC", text).lower()
    )
    return _DIALECT.sub(lambda m: DIALECT[m.group(1)], lowered)


def _expand(word: str) -> list[str]:
    expansion = ABBREVIATIONS.get(word)
    if expansion is None and len(word) > 2 and not word.isdigit():
        # Chat stretches letters ("voii", "vayy", "nuocc"); Vietnamese has no doubles
        # but "oo" (xoong), which folding keeps apart from the rest.
        single = _DOUBLED.sub(lambda m: m.group(1) * (2 if m.group(1) == "o" else 1), word)
        if single != word:
            word = single
            expansion = ABBREVIATIONS.get(word)
    return expansion.split() if expansion else [word]


def _dialect_in_context(found: list[str]) -> list[str]:
    """Words that are dialect only in some places: "chi" is "gì" at the end of a question
    ("làm chi", "theo văn bản chi") but "chỉ/chi" in "chỉ tiêu" and "chí" in a part ending
    "… 19 tiêu chí"; "mô" is "nào/đâu" ("bữa mô", "huyện mô") but not in "mô hình", "mở
    rộng"."""
    out: list[str] = []
    for i, word in enumerate(found):
        before = found[i - 1] if i else ""
        after = found[i + 1] if i + 1 < len(found) else None
        ends = after is None or after in PARTICLES
        if word == "chi" and before != "tieu" and (ends or before in _CHI_BEFORE):
            word = "gi"
        elif word == "mo" and after not in _MO_KEEP and (ends or before in _MO_BEFORE):
            word = "nao"
        elif word == "rang" and (ends or before in _RANG_BEFORE):
            word = "sao"
        elif word == "hoi" and after is not None and after.isdigit():
            word = "nam"  # "hồi 2022"
        if out and (out[-1], word) in _WHEN:
            out[-1] = "khi"
            word = "nao"
        out.append(word)
    return _phrases(out)


def _phrases(found: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(found):
        for size in range(min(_PHRASE_LONGEST, len(found) - i), 1, -1):
            replacement = PHRASES.get(tuple(found[i : i + size]))
            if replacement is not None:
                out.extend(replacement)
                i += size
                break
        else:
            out.append(found[i])
            i += 1
    return out


def words(text: str) -> list[str]:
    """Folded words with abbreviations expanded, synonyms unified and dialect and chat
    spelling read as the standard words."""
    return list(_words(text))


@lru_cache(maxsize=8192)
def _words(text: str) -> tuple[str, ...]:
    # A question is read several times while answering it (routing, scoring, each part).
    folded = _dates_and_numbers(fold(_unify(text)))
    out: list[str] = []
    for word in _WORD.findall(folded):
        out.extend(_expand(word))
    return tuple(_dialect_in_context(out))


def accented_words(text: str) -> dict[str, str]:
    """The words written with diacritics, by their folded form: {"gia": "giá"}.

    Folding makes "giá" (price), "gia" (family) and "già" (old) one token, which is what
    lets "nong thon moi" find "nông thôn mới"; when the asker did type the marks, this
    tells which of those words was meant."""
    found = {}
    for word in _ACCENTED_WORD.findall(_unify(text)):
        folded = fold(word)
        if folded != word:
            found[folded] = word
    return found


_FRAMING_FILE = Path(__file__).with_name("vietnamese_framing.txt")


@lru_cache(maxsize=1)
def _framing_phrases() -> tuple[dict[tuple[str, ...], dict[str, str]], int, frozenset[str]]:
    """The framing phrases as `words` reads them, each with its words' marks; the longest
    one's length; and the words that frame only when typed with their marks (lines
    starting with "=")."""
    lines = [line.strip() for line in _FRAMING_FILE.read_text(encoding="utf-8").splitlines()]
    kept = [line for line in lines if line and not line.startswith("#")]
    phrases = {tuple(words(line)): accented_words(line) for line in kept if line[0] != "="}
    accented = frozenset(line[1:] for line in kept if line.startswith("="))
    return phrases, max(map(len, phrases)), accented


def framing(found: Sequence[str], typed: dict[str, str] | None = None) -> frozenset[int]:
    """The positions of `found` (words as `words` reads them) inside a phrase that frames
    the question rather than says what it asks: "nghe nói", "nhà tui", "đúng hông". With
    `typed` (`accented_words` of the question), also the words that frame only when typed
    with their marks ("nói", not "noi" as in "nội vụ")."""
    phrases, longest, accented = _framing_phrases()
    typed = typed or {}
    marked: set[int] = set()
    for start in range(len(found)):
        for size in range(min(longest, len(found) - start), 0, -1):
            phrase = tuple(found[start : start + size])
            marks = phrases.get(phrase)
            # Typed with marks, the words must be the phrase's: "cờ bạc" is not "cô bác".
            if marks is not None and all(
                typed.get(w, marks.get(w)) == marks.get(w) for w in phrase if w in marks
            ):
                marked.update(range(start, start + size))
                break
        else:
            if typed.get(found[start]) in accented:
                marked.add(start)
    return frozenset(marked)


def tokens(text: str) -> list[str]:
    """Search tokens: syllables plus adjacent-syllable pairs, since Vietnamese words are
    mostly two syllables ("nông thôn", "tiêu chí") and a pair is far more specific."""
    return with_pairs(words(text))


def with_pairs(syllables: list[str]) -> list[str]:
    """The syllables followed by each adjacent pair joined with `_`."""
    return syllables + [f"{a}_{b}" for a, b in itertools.pairwise(syllables)]


# The shape of a Vietnamese syllable once folded: an onset, then a rhyme from the
# language's closed set. A word of that shape is a real word the knowledge base happens
# not to use ("lãnh đạo"), not a typo of one it does ("hành"): only misshapen words
# ("moii", "nongg", "tieuu") are corrected.
_RHYMES = (
    "a ai ao au ay ac ach am an ang anh ap at "
    "e eo eu ec ech em en eng enh ep et "
    "i ia iu ich im in inh ip it "
    "ieu iec iem ien ieng iep iet "
    "o oi oc om on ong op ot ooc oong "
    "oa oai oao oay oac oach oam oan oang oanh oap oat oe oeo oen oet "
    "u ua ui uu uy uc um un ung up ut "
    "uoi uou uoc uom uon uong uop uot "
    "ue uech uen uenh uet uya uyu uych uyn uynh uyt uyen uyet uay "
    "y ye yeu yem yen yet"
).split()
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?(?:"
    + "|".join(sorted(_RHYMES, key=len, reverse=True))
    + r")"
)


def is_syllable(word: str) -> bool:
    """Whether a folded word has the shape of a Vietnamese syllable: "lanh" yes,
    "moii" no."""
    return _SYLLABLE.fullmatch(word) is not None
