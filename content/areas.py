"""Places: the communes of each province since the 1 July 2025 reform, and which of them
a villager means by what they type.

The data is `content/areas/<province>.json`, written by `scripts/build_areas`; nothing is
fetched or computed from the source packages here. A place may be typed with or without
diacritics, with or without its unit word or an abbreviation of it (x., p., tt, h., tp,
tx…), inside a longer phrase ("thôn 3 xã …"), with a one-letter typo, or by its pre-2025
name: old commune and old district, or the old commune alone when only one old commune
of the province had that name. Names older still (communes merged before 2025, which the
data knows only without diacritics) lead to the unit they had become by 30 June 2025.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from rapidfuzz.distance import OSA

from content.provinces import load_provinces
from content.vietnamese import fold

AREAS_DIR = Path(__file__).with_name("areas")


@dataclass(frozen=True)
class Commune:
    """A commune, ward or special zone as it is since 1 July 2025."""

    code: str
    name: str  # "Xã Cửa Tùng", the unit word as officially written
    province: str  # slug
    former: tuple[str, ...]  # readable pre-2025 units: "xã Kim Thạch, huyện Vĩnh Linh"
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class PlaceMatch:
    commune: Commune
    former: str | None  # the element of `commune.former` the text named, if it named one


@dataclass(frozen=True)
class Resolution:
    exact: PlaceMatch | None  # the text names this commune surely
    candidates: tuple[PlaceMatch, ...]  # otherwise the likely ones, best first; may be empty


NOTHING = Resolution(None, ())

# Unit words as typed, by the accented form and by the form without marks: a token that
# carries other marks is a word of the name ("Hồ Xá" is not "Hồ xã").
_COMMUNE_UNITS: dict[tuple[str, ...], str] = {
    ("xã",): "xa",
    ("x",): "xa",
    ("phường",): "phuong",
    ("p",): "phuong",
    ("ph",): "phuong",
    ("f",): "phuong",
    ("thị", "trấn"): "thitran",
    ("tt",): "thitran",
    ("đặc", "khu"): "dackhu",
    ("đk",): "dackhu",
}
_DISTRICT_UNITS: dict[tuple[str, ...], str] = {
    ("huyện",): "huyen",
    ("h",): "huyen",
    ("quận",): "quan",
    ("q",): "quan",
    ("thành", "phố"): "thanhpho",
    ("tp",): "thanhpho",
    ("thị", "xã"): "thixa",
    ("tx",): "thixa",
}
_PROVINCE_UNITS: dict[tuple[str, ...], str] = {("tỉnh",): "tinh", ("t",): "tinh"}
# Words before a hamlet's name, which may be a commune's name too ("thôn Tân Lập").
# "bản" (bạn, you), "làng" (Lăng) and "tổ" (Tô) count only with their marks.
_HAMLET_WORDS = {"thôn", "ấp", "khóm", "xóm", "bản", "làng", "tổ", "đội", "buôn", "sóc", "phum"}
_HAMLET_PLAIN = {"thon", "ap", "khom", "xom", "doi", "buon", "soc", "phum", "kp"}
# Words around a place's name that say nothing about which place it is.
_FILLER = {
    "o", "tai", "toi", "nha", "em", "anh", "chi", "minh", "song", "dang", "thuoc", "la",
    "que", "dia", "vn", "viet", "nam", "oi", "a", "ak", "nhe", "so", "cu", "tru", "tu",
}  # fmt: skip
_UNIT_OF_KIND = {
    "xã": "xa",
    "phường": "phuong",
    "thị trấn": "thitran",
    "đặc khu": "dackhu",
}
_UNIT_WORDS = ("Thị trấn", "Thị xã", "Thành phố", "Đặc khu", "Phường", "Huyện", "Quận", "Xã")
_ANY_COMMUNE_UNIT = frozenset({"xa", "phuong", "thitran"})

_TOKEN = re.compile(r"\d+|[^\W\d_]+")
_MAX_TOKENS = 40
_MAX_SPAN = 5
_MAX_FUZZY_SPAN = 4
_LONG_TEXT = 8  # words; beyond, typos are looked for only after a unit word

# Scores. A candidate is sure when it is exact enough and no other commune comes within
# _MARGIN of it.
_LAYER = {"current": 0.6, "old": 0.5, "older": 0.0}
_UNIT_FITS, _UNIT_OTHER, _HAMLET = 1.5, 0.5, -1.0
_DISTRICT_FITS, _DISTRICT_BARE_FITS, _DISTRICT_CLASH = 2.0, 1.0, -2.0
_CURRENT_IN_DISTRICT, _CURRENT_IN_BARE_DISTRICT, _CURRENT_CLASH = 1.0, 0.5, -1.0
_ACCENTS_FIT, _OLD_PROVINCE_FITS, _TYPO, _SHORT_BARE, _PROVINCE_LIKE = 0.4, 0.5, -0.4, -0.3, -1.0
_MARGIN = 0.5


@dataclass(frozen=True, slots=True)
class _Name:
    """One way of naming a commune: today's name, a pre-2025 one, or an older spelling."""

    commune: Commune
    former: str | None
    layer: str  # "current" | "old" | "older"
    units: frozenset[str]
    district: str | None  # "Quảng Bình|Huyện Bố Trạch" for old names
    old_province: str | None  # folded, for old names
    # each syllable folded and with its marks, to tell "Tân Thành" from "Tân Thạnh"
    marks: tuple[tuple[str, str], ...] | None
    short: bool  # one syllable: needs its unit word unless it is today's name
    numeric: bool  # "Phường 1": needs its unit word
    default_part: bool


@dataclass(slots=True)
class _District:
    id: str  # "Quảng Bình|Huyện Bố Trạch"
    short_key: str  # "botrach"
    communes: list[Commune] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # old units per commune code
    as_former: dict[str, str] = field(default_factory=dict)  # code → former label


@dataclass(slots=True)
class _Province:
    slug: str
    communes: list[Commune]
    names: dict[str, list[_Name]]
    districts: dict[str, list[_District]]
    provinces: dict[str, str]  # folded key → folded old province, for "tỉnh Kiên Giang"
    gone_provinces: frozenset[str]  # old provinces whose name is no longer a province's
    fuzzy: dict[str, tuple[str, ...]]  # a name with letters deleted → the names
    longest: int  # letters in the longest name
    haystacks: dict[str, str]  # code → folded name and former names, for search


@dataclass(frozen=True, slots=True)
class _Token:
    raw: str  # lower case, with the marks as typed
    key: str  # folded
    marks: str | None  # the word's letters and tone when typed with marks: "cửa" → "cửa4"


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    key: str
    distance: int
    marks: tuple[tuple[str, str | None], ...]  # each word folded and with its marks as typed


@dataclass(slots=True)
class _Scored:
    score: float
    former: str | None
    sure: bool


def key_of(text: str) -> str:
    """Folded, without spaces or punctuation: "Cửa Tùng" → "cuatung"."""
    return "".join(_TOKEN.findall(fold(unicodedata.normalize("NFC", text))))


def _split_unit(name: str) -> tuple[str, str]:
    for unit in _UNIT_WORDS:
        if name.startswith(unit + " "):
            return unit, name[len(unit) + 1 :]
    raise ValueError(f"no unit word in {name!r}")


def _tokens(text: str) -> list[_Token]:
    raw = unicodedata.normalize("NFC", text).lower()
    out = []
    for piece in _TOKEN.findall(raw)[:_MAX_TOKENS]:
        if piece.isdigit():
            piece = str(int(piece)) if len(piece) < 6 else piece
        key = fold(piece)
        out.append(_Token(piece, key, _signature(piece) if key != piece else None))
    return out


_TONES = {"\u0300": "2", "\u0309": "3", "\u0303": "4", "\u0301": "5", "\u0323": "6"}


def _signature(word: str) -> str:
    """A syllable's letters with their vowel marks, and its tone, wherever the tone mark
    sits ("hoà" and "hòa" are one): "thạnh" → "thanh6", "tùng" → "tung2"."""
    tone = "1"
    letters = []
    for char in unicodedata.normalize("NFD", word.lower()):
        if char in _TONES:
            tone = _TONES[char]
        else:
            letters.append(char)
    return unicodedata.normalize("NFC", "".join(letters)) + tone


def _accents(
    typed: tuple[tuple[str, str | None], ...], name: tuple[tuple[str, str], ...] | None
) -> int:
    """1 when the marks typed are the name's, -1 when a word typed with marks has other
    ones, 0 when nothing tells (no marks typed, or the words do not line up). A word with
    a typo ("hàa" for "hà") tells nothing."""
    if name is None or len(typed) != len(name):
        return 0
    told = [
        marks == own
        for (word, marks), (syllable, own) in zip(typed, name, strict=True)
        if marks is not None and word == syllable
    ]
    return 0 if not told else 1 if all(told) else -1


def _marks(tokens: list[_Token]) -> tuple[tuple[str, str | None], ...]:
    return tuple((t.key, t.marks) for t in tokens)


def _plain(table: Mapping[tuple[str, ...], str]) -> dict[tuple[str, ...], str]:
    return {tuple(fold(word) for word in words): unit for words, unit in table.items()}


_UNIT_TABLES = {
    kind: (table, _plain(table))
    for kind, table in (
        ("commune", _COMMUNE_UNITS),
        ("district", _DISTRICT_UNITS),
        ("province", _PROVINCE_UNITS),
    )
}


def _unit_before(tokens: list[_Token], start: int, kind: str) -> str:
    accented_table, plain_table = _UNIT_TABLES[kind]
    for width in (2, 1):
        if start - width < 0:
            continue
        words = tokens[start - width : start]
        accented = tuple(t.raw for t in words)
        if accented in accented_table:
            return accented_table[accented]
        # Typed without marks: "xa", "thi tran"; a word with other marks is not a unit word.
        if all(t.raw == t.key for t in words):
            unit = plain_table.get(tuple(t.key for t in words))
            if unit:
                return unit
    return ""


def _after_hamlet_word(tokens: list[_Token], start: int) -> bool:
    if start == 0:
        return False
    before = tokens[start - 1]
    if before.raw in _HAMLET_WORDS or (before.raw == before.key and before.key in _HAMLET_PLAIN):
        return True
    pair = tuple(t.key for t in tokens[max(0, start - 2) : start])
    return pair in {("khu", "pho"), ("dan", "pho")}


@dataclass(frozen=True, slots=True)
class _Text:
    """The words typed, and for each position the unit word just before it."""

    tokens: list[_Token]
    commune_unit: list[str]  # "xa", "phuong", "thitran", "dackhu" or ""
    district_unit: list[str]  # "huyen", "quan", "thanhpho", "thixa" or ""
    province_unit: list[bool]
    hamlet: list[bool]

    @classmethod
    def read(cls, text: str) -> _Text:
        tokens = _tokens(text)
        positions = range(len(tokens) + 1)
        return cls(
            tokens,
            [_unit_before(tokens, i, "commune") for i in positions],
            [_unit_before(tokens, i, "district") for i in positions],
            [bool(_unit_before(tokens, i, "province")) for i in positions],
            [_after_hamlet_word(tokens, i) for i in positions],
        )

    def ends_unit_word(self, at: int, province: bool = True) -> bool:
        """Whether token `at` ends a unit or hamlet word ("xã", the "trấn" of "thị trấn");
        `province=False`: not counting "tỉnh", which typed plain is also "Tịnh" (Biên)."""
        after = at + 1
        return bool(
            self.commune_unit[after]
            or self.district_unit[after]
            or (province and self.province_unit[after])
            or self.hamlet[after]
        )

    def commune_level(self, hit: _Hit) -> bool:
        """Not after a district's or province's unit word."""
        return not (self.district_unit[hit.start] or self.province_unit[hit.start])


def _collation_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Vietnamese dictionary order: a ă â b c d đ e ê …, then tones (ngang, huyền, hỏi,
    ngã, sắc, nặng). A space sorts first ("A Dơi" before "Ái Tử"), then digits."""
    letters = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
    tones = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
    primary: list[int] = []
    secondary: list[int] = []
    for char in unicodedata.normalize("NFD", text.lower()):
        if char in tones:
            if secondary:
                secondary[-1] = tones[char]
        elif unicodedata.combining(char):
            # A vowel's own mark (ă, â, ê, ô, ơ, ư): recompose with the letter before.
            if primary and 100 <= primary[-1] < 100 + len(letters):
                combined = unicodedata.normalize("NFC", letters[primary[-1] - 100] + char)
                if combined in letters:
                    primary[-1] = 100 + letters.index(combined)
        else:
            if char in letters:
                primary.append(100 + letters.index(char))
            else:
                primary.append(
                    -1 if char == " " else ord(char) if char.isdigit() else 1000 + ord(char)
                )
            secondary.append(0)
    return tuple(primary), tuple(secondary)


def _sort_key(commune: Commune) -> tuple[Any, ...]:
    unit, short = _split_unit(commune.name)
    return _collation_key(short), _collation_key(unit), commune.code


def _label(unit_name: str | None, district: str, province: str, twin: bool) -> str:
    """ "xã Kim Thạch, huyện Vĩnh Linh"; ", tỉnh …" when both old provinces had that
    district name."""
    d_unit, d_short = _split_unit(district)
    where = f"{d_unit.lower()} {d_short}" + (f", tỉnh {province}" if twin else "")
    if unit_name is None:
        return where
    unit, short = _split_unit(unit_name)
    return f"{unit.lower()} {short}, {where}"


class Areas:
    """The communes of every province in the data, and a resolver for typed places."""

    def __init__(self, provinces: Iterable[Mapping[str, Any]]) -> None:
        self._provinces: dict[str, _Province] = {}
        self._by_code: dict[str, Commune] = {}
        for data in provinces:
            province = _build_province(data)
            self._provinces[province.slug] = province
            for commune in province.communes:
                self._by_code[commune.code] = commune

    def provinces(self) -> list[str]:
        """The province slugs the data covers."""
        return list(self._provinces)

    def communes(self, province: str) -> list[Commune]:
        """The communes of `province`, in Vietnamese order of their names (unit word
        aside); empty for a province not in the data."""
        found = self._provinces.get(province)
        return list(found.communes) if found else []

    def get(self, code: str) -> Commune | None:
        return self._by_code.get(code)

    def resolve(self, text: str, province: str, limit: int = 5) -> Resolution:
        """Which commune of `province` the text names: `exact` when it is sure, else up to
        `limit` candidates, best first; nothing for text that names no place."""
        index = self._provinces.get(province)
        typed = _Text.read(text)
        if index is None or not typed.tokens:
            return NOTHING
        scored = _score(index, typed)
        if not scored:
            return NOTHING
        ranked = sorted(
            scored.items(), key=lambda item: (-item[1].score, _sort_key(self._by_code[item[0]]))
        )
        best_code, best = ranked[0]
        runner_up = ranked[1][1].score if len(ranked) > 1 else None
        if best.sure and (runner_up is None or best.score - runner_up >= _MARGIN):
            return Resolution(PlaceMatch(self._by_code[best_code], best.former), ())
        return Resolution(
            None,
            tuple(PlaceMatch(self._by_code[code], s.former) for code, s in ranked[: max(limit, 0)]),
        )

    def search(self, text: str, province: str | None = None) -> list[Commune]:
        """Communes whose name or a former name has the typed words (folded) at a word's
        start; when none has, what `resolve` makes of the text. Empty text: all."""
        slugs = [province] if province else list(self._provinces)
        words = " ".join(t.key for t in _tokens(text))
        found: list[Commune] = []
        for slug in slugs:
            index = self._provinces.get(slug)
            if index is None:
                continue
            if not words:
                found.extend(index.communes)
                continue
            matching = [c for c in index.communes if " " + words in index.haystacks[c.code]]
            if not matching:
                resolution = self.resolve(text, slug, limit=10)
                picked = [resolution.exact] if resolution.exact else resolution.candidates
                matching = sorted((m.commune for m in picked), key=_sort_key)
            found.extend(matching)
        return found


def _score(index: _Province, typed: _Text) -> dict[str, _Scored]:
    hits = _exact_hits(index, typed)
    commune_hits = [h for h in hits if h.key in index.names and typed.commune_level(h)]
    unexplained = _unexplained(typed, hits)
    if unexplained or not any(not typed.hamlet[h.start] for h in commune_hits):
        hits += _fuzzy_hits(index, typed, hits, unexplained)
    district_hits = _district_hits(index, typed, hits)
    others = len(_unexplained(typed, hits))
    provinces = {
        index.provinces[h.key]
        for h in hits
        if h.key in index.provinces and h.distance == 0 and index.provinces[h.key]
    }
    old_province = next(iter(provinces & index.gone_provinces), None)
    # A name inside a longer name typed ("Vĩnh Hòa" in "Vĩnh Hòa Hưng", or in "Vĩnh Hòa
    # Hưngg") is not a mention.
    named = [h for h in hits if h.key in index.names and typed.commune_level(h)]
    named = [
        h
        for h in named
        if not any(
            o.distance <= 1
            and o.start <= h.start
            and h.end <= o.end
            and (o.end - o.start) > (h.end - h.start)
            for o in named
        )
    ]
    scored: dict[str, _Scored] = {}
    for hit in named:
        for name in index.names[hit.key]:
            result = _score_name(typed, hit, name, district_hits, old_province, index, others)
            if result is None:
                continue
            code = name.commune.code
            if code not in scored or result.score > scored[code].score:
                scored[code] = result
    if scored:
        return scored
    return _by_district_alone(district_hits)


def _unexplained(typed: _Text, hits: list[_Hit]) -> set[int]:
    """The words that are neither in a place's name, a unit word, a number nor filler."""
    covered = {i for h in hits if h.distance <= 1 for i in range(h.start, h.end)}
    return {
        i
        for i, token in enumerate(typed.tokens)
        if i not in covered
        and not typed.ends_unit_word(i)
        and not token.key.isdigit()
        and token.key not in _FILLER
    }


def _exact_hits(index: _Province, typed: _Text) -> list[_Hit]:
    """Every span of the text that is a name ("sóc" and "quán" start names too: Sóc Sơn,
    Quán Hàu)."""
    hits = []
    tokens = typed.tokens
    for start in range(len(tokens)):
        key = ""
        for end in range(start + 1, min(len(tokens), start + _MAX_SPAN) + 1):
            key += tokens[end - 1].key
            if key in index.names or key in index.districts or key in index.provinces:
                hits.append(_Hit(start, end, key, 0, _marks(tokens[start:end])))
    return hits


def _fuzzy_hits(
    index: _Province, typed: _Text, exact: list[_Hit], unexplained: set[int]
) -> list[_Hit]:
    """Names within one edit (two for names of 9 letters or more) of a span of the text
    that has a word no exact name explains.

    Candidates come from an index of the names with letters deleted (a name and a span
    within d edits share a string with at most d letters deleted from each), and are
    then measured with rapidfuzz's optimal string alignment distance."""
    hits = []
    tokens = typed.tokens
    for start in range(len(tokens)):
        if len(tokens) > _LONG_TEXT and not (
            typed.commune_unit[start] or typed.district_unit[start]
        ):
            continue  # in a sentence, only what follows a unit word: "… xã Cửa Tùnh"
        key = ""
        for end in range(start + 1, min(len(tokens), start + _MAX_FUZZY_SPAN) + 1):
            if typed.ends_unit_word(end - 1, province=False):
                break
            key += tokens[end - 1].key
            if len(key) < 5 or len(key) > index.longest + 2 or key.isdigit():
                continue
            if unexplained and not any(i in unexplained for i in range(start, end)):
                continue
            inside = {h.key for h in exact if start <= h.start and h.end <= end}
            found: set[str] = set()
            for variant in _deletions(key, 2 if len(key) >= 9 else 1):
                found.update(index.fuzzy.get(variant, ()))
            for name in found - inside:
                allowed = 2 if len(name) >= 9 else 1
                distance = OSA.distance(key, name, score_cutoff=allowed)
                if distance <= allowed:
                    hits.append(_Hit(start, end, name, distance, _marks(tokens[start:end])))
    return hits


def _deletions(word: str, depth: int) -> set[str]:
    """The word and every string made by deleting up to `depth` of its letters."""
    found = {word}
    layer = {word}
    for _ in range(depth):
        layer = {w[:i] + w[i + 1 :] for w in layer for i in range(len(w))}
        found |= layer
    return found


def _district_hits(
    index: _Province, typed: _Text, hits: list[_Hit]
) -> list[tuple[_Hit, _District, bool]]:
    """Old districts named in the text, each with whether its unit word was typed."""
    found = []
    for hit in hits:
        if hit.key not in index.districts:
            continue
        strong = bool(typed.district_unit[hit.start])
        if not strong and (typed.commune_unit[hit.start] or typed.province_unit[hit.start]):
            continue
        for district in index.districts[hit.key]:
            found.append((hit, district, strong))
    return found


def _score_name(
    typed: _Text,
    hit: _Hit,
    name: _Name,
    districts: list[tuple[_Hit, _District, bool]],
    old_province: str | None,
    index: _Province,
    others: int,
) -> _Scored | None:
    """How well `name` fits the text at `hit`. `others`: how many words of the text are
    not a place or a unit word; with a few, a name without its unit word may be words
    of a sentence ("phụ trách" is not Phú Trạch), with any, a near miss may be."""
    unit = typed.commune_unit[hit.start]
    if name.numeric and unit != "phuong":
        return None
    if name.short and not unit and name.layer != "current":
        return None
    sure = hit.distance <= 1
    score = _LAYER[name.layer] + _TYPO * hit.distance
    if unit:
        score += _UNIT_FITS if unit in name.units else _UNIT_OTHER
    else:
        if name.short:
            score += _SHORT_BARE
        if others > 2 or (others and hit.distance):
            sure = False
    if typed.hamlet[hit.start]:
        score += _HAMLET
        sure = False
    if not unit and hit.key in index.provinces:
        score += _PROVINCE_LIKE
        sure = False
    score += _ACCENTS_FIT * _accents(hit.marks, name.marks)
    context = [
        (d, strong)
        for h, d, strong in districts
        if h.distance <= 1 and (h.end <= hit.start or hit.end <= h.start)
    ]
    if name.layer == "current":
        if any(name.commune.code in d.counts for d, _ in context):
            strong = any(s for d, s in context if name.commune.code in d.counts)
            score += _CURRENT_IN_DISTRICT if strong else _CURRENT_IN_BARE_DISTRICT
        elif any(strong for _, strong in context):
            score += _CURRENT_CLASH
            sure = False
    else:
        fitting = [strong for d, strong in context if d.id == name.district]
        if fitting:
            score += _DISTRICT_FITS if any(fitting) else _DISTRICT_BARE_FITS
        elif any(strong for _, strong in context):
            score += _DISTRICT_CLASH
            sure = False
        if old_province is not None:
            fits = name.old_province == old_province
            score += _OLD_PROVINCE_FITS if fits else -_OLD_PROVINCE_FITS
    if name.default_part:
        score += 0.05
    return _Scored(score, name.former, sure)


def _by_district_alone(districts: list[tuple[_Hit, _District, bool]]) -> dict[str, _Scored]:
    """An old district alone: the communes it went into (sure when only one)."""
    if not districts:
        return {}
    best_distance = min(h.distance for h, _, _ in districts)
    chosen = [(h, d, s) for h, d, s in districts if h.distance == best_distance]
    if any(s for _, _, s in chosen):
        chosen = [(h, d, s) for h, d, s in chosen if s]
    scored: dict[str, _Scored] = {}
    codes = {c.code for _, d, _ in chosen for c in d.communes}
    for hit, district, _ in chosen:
        for commune in district.communes:
            same_name = key_of(_split_unit(commune.name)[1]) == district.short_key
            score = 1.0 + 0.5 * same_name + 0.01 * district.counts[commune.code]
            score += _TYPO * hit.distance
            sure = len(codes) == 1 and hit.distance <= 1
            former = district.as_former.get(commune.code)
            if commune.code not in scored or score > scored[commune.code].score:
                scored[commune.code] = _Scored(score, former, sure)
    return scored


def _build_province(data: Mapping[str, Any]) -> _Province:
    slug = str(data["province"])
    raw_communes = list(data["communes"])
    twins = {
        str(d["name"])
        for d in data["districts"]
        if sum(1 for o in data["districts"] if o["name"] == d["name"]) > 1
    }
    names: dict[str, list[_Name]] = {}
    districts: dict[str, _District] = {}
    district_keys: dict[str, list[_District]] = {}
    spellings = {
        (str(d["province"]), str(d["name"])): d.get("spellings", []) for d in data["districts"]
    }
    provinces: dict[str, str] = {key_of(str(data["name"])): ""}
    communes = []
    haystacks = {}

    def add(key: str, name: _Name) -> None:
        if key:
            names.setdefault(key, []).append(name)

    for raw in raw_communes:
        formers = list(raw["former"])
        labels = []
        for former in formers:
            label = _label(
                former["commune"],
                former["district"],
                former["province"],
                former["district"] in twins,
            )
            labels.append(("một phần " if former.get("part") else "") + label)
        commune = Commune(
            code=str(raw["code"]),
            name=str(raw["name"]),
            province=slug,
            former=tuple(labels),
            latitude=raw.get("latitude"),
            longitude=raw.get("longitude"),
        )
        communes.append(commune)
        haystacks[commune.code] = " " + " ".join(
            " ".join(t.key for t in _tokens(text)) for text in (commune.name, *labels)
        )
        unit, short = _split_unit(commune.name)
        add(
            key_of(short),
            _Name(
                commune=commune,
                former=None,
                layer="current",
                units=frozenset({_UNIT_OF_KIND[str(raw["kind"])]}),
                district=None,
                old_province=None,
                marks=tuple((fold(w), _signature(w)) for w in short.lower().split()),
                short=len(short.split()) == 1,
                numeric=False,
                default_part=False,
            ),
        )
        for former, label in zip(formers, labels, strict=True):
            old_province = str(former["province"])
            provinces[key_of(old_province)] = key_of(old_province)
            district_id = f"{old_province}|{former['district']}"
            district = districts.get(district_id)
            if district is None:
                d_short = _split_unit(str(former["district"]))[1]
                district = _District(district_id, key_of(d_short))
                districts[district_id] = district
                for key in {
                    key_of(d_short),
                    *spellings.get((old_province, former["district"]), []),
                }:
                    district_keys.setdefault(key, []).append(district)
            if commune.code not in district.counts:
                district.communes.append(commune)
                district.counts[commune.code] = 0
            district.counts[commune.code] += 1
            if former["commune"] is None:
                district.as_former[commune.code] = label
                continue
            unit, short = _split_unit(str(former["commune"]))
            old = _Name(
                commune=commune,
                former=label,
                layer="old",
                units=frozenset({_UNIT_OF_KIND[unit.lower()]}),
                district=district_id,
                old_province=key_of(old_province),
                marks=tuple((fold(w), _signature(w)) for w in short.lower().split()),
                short=len(short.split()) == 1 and not short.isdigit(),
                numeric=short.isdigit(),
                default_part=bool(former.get("default_part")),
            )
            add(key_of(short), old)
            for spelling in former.get("spellings", []):
                add(str(spelling), replace(old, marks=None))
            for older in former.get("older_names", []):
                add(
                    str(older),
                    replace(
                        old,
                        layer="older",
                        units=_ANY_COMMUNE_UNIT,
                        marks=None,
                        short=len(str(older)) <= 5,
                    ),
                )
    current = key_of(str(data["name"]))
    deleted: dict[str, set[str]] = {}
    for key in {*names, *district_keys}:
        if len(key) >= 5 and not any(ch.isdigit() for ch in key):
            for variant in _deletions(key, 2 if len(key) >= 9 else 1):
                deleted.setdefault(variant, set()).add(key)
    return _Province(
        slug=slug,
        communes=sorted(communes, key=_sort_key),
        names=names,
        districts=district_keys,
        provinces=provinces,
        gone_provinces=frozenset(v for v in provinces.values() if v and v != current),
        fuzzy={variant: tuple(sorted(keys)) for variant, keys in deleted.items()},
        longest=max(len(key) for key in {*names, *district_keys}),
        haystacks=haystacks,
    )


@cache
def load_areas(directory: Path = AREAS_DIR) -> Areas:
    """Every province file in `directory`, read once, in the order of provinces.yaml."""
    order = list(load_provinces())
    files = sorted(
        directory.glob("*.json"),
        key=lambda p: (order.index(p.stem) if p.stem in order else len(order), p.stem),
    )
    return Areas(json.loads(path.read_text(encoding="utf-8")) for path in files)
