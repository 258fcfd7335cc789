"""Finding the answer to a question: BM25 over Vietnamese-aware tokens, re-ranked by
fuzzy similarity to the phrasings people use, with a calibrated confidence.

Why this and not a library scorer alone: the knowledge base is a few hundred short
entries, so an in-memory inverted index answers in well under a millisecond, lets us
weight question phrasings above answer text (a BM25F-style field weight rank-bm25 lacks),
and lets the confidence measure how much of the question the answer actually covers,
which is what separates "giá lúa hôm nay" (no answer here) from a real question.
rapidfuzz then breaks near-ties the way a person would read them, and the kind of thing
asked (a figure achieved or aimed at, a count of communes, a share, a date, what a term
means) moves the entry that states it ahead of its neighbours in the same passage.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from content.kb import Entry
from content.provinces import Province
from content.vietnamese import (
    PARTICLES,
    accented_words,
    fold,
    framing,
    is_syllable,
    tokens,
    with_pairs,
    words,
)

K1 = 1.2
B = 0.75
# Field weights: how people ask (questions, keywords) counts more than the answer text.
QUESTION_WEIGHT = 1.0
KEYWORD_WEIGHT = 0.8
# English phrasings let English questions in, without crowding out Vietnamese ones.
ENGLISH_WEIGHT = 0.5
ANSWER_WEIGHT = 0.25
RERANK = 8
ANSWER_CACHE_SIZE = 4096
# How confidence is made (see _signals); its weights and bonuses were chosen with
# tests/bench/kb_bench.py on the development, colloquial, second held-out and tuning sets,
# also with the phrasings nearest each question taken out, to see how paraphrases fare.
W_STRENGTH = 0.3
W_COVERAGE = 0.4
W_SIMILARITY = 0.3
SIMILARITY = fuzz.token_set_ratio
# Word sets alone make "mấy xã NTM" as close to "mấy xã NTM nâng cao" as to itself; the
# same words in order tell them apart, so both count half.
ORDERED = fuzz.token_sort_ratio
ORDERED_SHARE = 0.5
# A province named in the question ("… ở An Giang") tips near-ties toward its plan.
NAMED_PROVINCE_BONUS = 0.03
# "Cả nước", "toàn quốc": the national figure, even when the asker's province is set.
NATION_BONUS = 0.05
NATION_WORDS = ("ca nuoc", "toan quoc")
_NATION_SYLLABLES = frozenset(w for phrase in NATION_WORDS for w in phrase.split())
# Otherwise a near-tie between the asker's own plan and the national figure ("mục tiêu xã
# NTM 2025" from Quảng Trị) goes to their plan.
HOME_BONUS = 0.02
# And more so when it names the plan or "tỉnh mình": every entry of a province comes from
# its plan, so those words count as theirs (PLAN_IMPLIED), and they lead by PLAN_BONUS.
PLAN_WORDS = (" ke hoach ", " tinh minh ", " tinh ta ", " o tinh ")
PLAN_IMPLIED = "kế hoạch của tỉnh"
_PLAN_TOKENS = frozenset(tokens(PLAN_IMPLIED))
PLAN_BONUS = 0.04
# A number the question names ("QĐ 51", "đến 2030") that the entry never mentions.
NUMBER_MISSING = 0.08
# A question asking what was achieved ("được mấy xã rồi") or what was aimed at ("phấn
# đấu mấy xã") leans toward the entry stating that (its `facets`).
FACET_BONUS = 0.06
RESULT_CUES = (
    " roi ",
    " ket qua ",
    " dat duoc ",
    " duoc bao nhieu ",
    " duoc may ",
    " hien co ",
    " hien nay ",
    " binh quan ",
    " tong ket ",
    " giua nam ",
    " xong chua ",
    " dat chua ",
    " chua ",
    " luc lam ke hoach ",
    " luc ban hanh ",
    " tong cong ",
)
TARGET_CUES = (
    " muc tieu ",
    " phan dau ",
    " chi tieu ",
    " dat ra ",
    " them ",
    " phai len ",
    " tinh them ",
    " du kien ",
    " toi 2025 ",
    " den 2025 ",
    " toi nam 2025 ",
    " den nam 2025 ",
)
# "… là gì", "… khác gì …": what a term means, which the entry defining that very term
# holds.
DEFINITION_CUES = (" la gi ", " la sao ", " nghia la ", " khac gi ", " la cai gi ", " hieu la ")
DEFINITION_BONUS = 0.08
# The kind of quantity asked for: an entry whose answer lacks it loses this much
# ("mấy xã" wants a count of communes, "bao nhiêu %" a share, "ngày nào" a date).
KIND_MISSING = 0.06
ASKED_KINDS = {
    "percent": (" phan tram ", " ty le ", " chiem bao nhieu ", " chiem may "),
    "communes": (" may xa ", " bao nhieu xa ", " tong so xa ", " so xa ", " may don vi cap xa "),
    "districts": (" may huyen ", " bao nhieu huyen ", " may don vi cap huyen "),
    "provinces": (" may tinh ", " bao nhieu tinh "),
    "date": (" ngay nao ", " ngay may ", " thang may ", " thang nao ", " quy may "),
}
_ANSWER_KINDS = {
    "percent": re.compile(r"%|phần trăm"),
    "communes": re.compile(r"\d[\d.,/]*\s+(?:xã|đơn vị cấp xã)"),
    "districts": re.compile(
        r"\d[\d/]*\s+(?:huyện|đơn vị cấp huyện)|\d+% (?:số )?(?:đơn vị cấp )?huyện"
    ),
    "provinces": re.compile(r"\d[\d–-]*\s+(?:tỉnh|đơn vị (?:hành chính )?cấp tỉnh)"),
    "date": re.compile(r"\d{1,2}/\d{1,2}/\d{4}|\d{1,2}/\d{4}|tháng \d|quý [IV]+"),
}
# Notes every answer about the ended period carries ("Lưu ý: …", "Giai đoạn 2021–2025
# đã kết thúc; …"): they say nothing about which quantity the entry itself states.
_NOTES = re.compile(r"\s*(?:Lưu ý:|Giai đoạn 2021–2025 đã kết thúc|Giai đoạn này đã kết thúc).*$")
# The pointer to the 2026–2030 criteria that closes every answer about an ended target.
_POINTER = re.compile(r"[;,.]?\s*(?:[Tt]ừ|[Ff]rom) 15/2/2026\b.*$")
# Terms that set an entry apart from its neighbours ("xã nâng cao" from "xã NTM"): an
# entry all of whose phrasings use one loses MARKER_MISSING when the question does not.
MARKERS = (" nang cao ", " kieu mau ", " hien dai ", " huyen ", " thi xa ", " thon ")
MARKER_MISSING = 0.08
# A question of two parts ("mấy xã đạt, chiếm bao nhiêu %?") is split here, and a part
# whose own best entry differs from the answer adds that entry to the answer.
# "không còn xã dưới 13" is one question: "còn" after "không" does not start another.
_PARTS = re.compile(r"[,;?]|(?<!không)(?<!khong)(?<!ko) (?:còn|con) | với | voi | và | va ")
# A part that only compares ("có giống An Giang không", "còn cả nước thì sao", "so với
# Quảng Trị") asks the first part's question of the place it names.
COMPARING = frozenset("giong khac so sanh voi hon tre som nhu nhau the cung".split())
COMPOSE_AT = 0.5
# A sentence before the question ("Ông Ba trong xóm tui tự chế máy bơm. Kế hoạch có khen
# sáng kiến không?") tells the asker's situation: its first part is not the question.
_TOLD_FIRST = re.compile(r"[.!]\s+\S")
# A question of LONG_WORDS words or more tells a story around what it asks (see
# rate_for_answer); _CLAUSES cut it.
LONG_WORDS = 15
_CLAUSES = re.compile(r"[.!?;,]")
_SENTENCES = re.compile(r"[.!?]")
FOCUS_WORDS = 6
_ASKS = frozenset("nhieu may nao gi ai dau sao".split())
# Words that ask only where they close a clause ("đạt chưa", "có giống không").
_CLOSING_ASKS = frozenset({"khong", "chua"})


def _asks(text: str) -> bool:
    """Whether the text asks something: a question word, or "không"/"chưa" closing it
    ("có giống không"), not "không" inside it ("không còn xã dưới 13")."""
    found = words(text)
    if _ASKS.intersection(found):
        return True
    while found and found[-1] in PARTICLES and found[-1] not in _CLOSING_ASKS:
        found.pop()
    return bool(found) and found[-1] in _CLOSING_ASKS


# The thresholds below were chosen on the two calibration sets (tests/data/
# kb_questions_calibration*.yaml), questions no phrasing was ever written from, so they
# judge how fresh questions fare: the most right answers less three times the wrong ones,
# with no out-of-scope question answered in any set.
# At or above ANSWER_AT the bot answers; from SUGGEST_AT it offers "Ý bạn là…?".
ANSWER_AT = 0.46
SUGGEST_AT = 0.3
# ... and only when the best entry leads the next by MARGIN.
MARGIN = 0.03
# A question with STRAY_WORDS meaningful words the entry never uses, and at least
# STRAY_SHARE of them, is answered only from STRAY_AT (see _sure): a long question may
# carry a few words of its own, a short one cannot.
STRAY_WORDS = 2
STRAY_AT = 0.7
STRAY_SHARE = 0.25
# A question needs this many meaningful words to be answered outright.
MIN_WORDS = 2

# Function words that say nothing about which answer is meant.
STOPWORDS = frozenset(
    "la gi bao nhieu the nao nhu co khong cua va cho toi minh em anh chi a oi nao o dau khi "
    "thi duoc ve voi nhung cac mot nay do de tu trong ra vay nhe a da se dang can muon hoi "
    "biet xin cam on ban cau may ai sao vi "
    # Chat and dialect particles ("ad ơi", "hen", "nè", "hả", "rồi", "chưa").
    "ad admin oi hen ne ha nha nhe ri hi roi chua kia ta "
    # Words that join or soften a question ("cái", "hay là", "mà", "nữa", "hè", "khỏi").
    "cai hay ma nua he khoi nhau "
    # English ones that do not collide with a folded Vietnamese syllable ("an", "to",
    # "can" and "on" do: "An Giang", "tổ", "cán bộ", "cảm ơn").
    "what is the of how many much when where who which does are was were with and or my "
    "you for about there".split()
)


@dataclass(frozen=True)
class Match:
    """A candidate answer and how sure we are, from 0 to 1."""

    entry: Entry
    confidence: float


@dataclass(frozen=True)
class Signals:
    """Why an entry is a candidate, each from 0 to 1: BM25 strength against a perfect
    match, the share of the question's meaning the entry covers, and fuzzy closeness
    to the nearest phrasing; `fit` is what the kind of thing asked adds or takes away;
    `uncovered` counts the question's meaningful words the entry never uses."""

    doc: int
    strength: float
    coverage: float
    similarity: float
    fit: float
    uncovered: int
    # The question's meaningful words, for the share of them uncovered.
    meaningful: int = 1
    # The entry is the asker's own province's, and the question is neither about the
    # nation nor what a term means.
    home: bool = False

    @property
    def confidence(self) -> float:
        # Bonuses order the candidates; the confidence shown stays within 0 and 1.
        return max(0.0, min(self.score, 1.0))

    @property
    def score(self) -> float:
        return (
            W_STRENGTH * self.strength
            + W_COVERAGE * self.coverage
            + W_SIMILARITY * self.similarity
            + self.fit
        )


# What the parts of one question were rated, while it is answered.
_Ratings = dict[tuple[str, str | None], list[Signals]]


@dataclass(frozen=True)
class Answer:
    """What the bot makes of a question: an answer, or suggestions, or nothing."""

    best: Match | None
    suggestions: tuple[Match, ...]
    # For a question asking two things: the entries answering the other part, shown
    # after the best one.
    composed: tuple[Match, ...] = ()

    @property
    def fallback(self) -> bool:
        """True when the bot could not answer and would hand over to a person."""
        return self.best is None


def _framed(syllables: list[str], typed: dict[str, str]) -> frozenset[str]:
    """The question's tokens that lie wholly inside a framing phrase (`framing`)."""
    marked = framing(syllables, typed)
    pairs = (
        f"{a}_{b}" for i, (a, b) in enumerate(itertools.pairwise(syllables)) if {i, i + 1} <= marked
    )
    return frozenset((*(syllables[i] for i in marked), *pairs))


def _marked(spaced: str) -> str:
    """The text the MARKERS are looked for in: "thôn" (village), not "nông thôn"."""
    return spaced.replace(" nong thon ", " nong_thon ")


@dataclass(frozen=True)
class Asked:
    """What kind of thing a question asks for, read once from its words."""

    # "result" (what was achieved), "target" (what was aimed at), or None.
    leaning: str | None
    # The quantities asked for: "percent", "communes", "districts", "provinces", "date".
    kinds: frozenset[str]
    # The MARKERS the question uses.
    markers: frozenset[str]
    definition: bool
    # The question's words, to tell which term it asks the meaning of.
    words: frozenset[str]

    @classmethod
    def read(cls, folded: str) -> Asked:
        spaced = f" {folded} "
        results = sum(cue in spaced for cue in RESULT_CUES)
        targets = sum(cue in spaced for cue in TARGET_CUES)
        return cls(
            leaning="result" if results > targets else "target" if targets > results else None,
            kinds=frozenset(k for k, cues in ASKED_KINDS.items() if any(c in spaced for c in cues)),
            markers=frozenset(m for m in MARKERS if m in _marked(spaced)),
            definition=any(cue in spaced for cue in DEFINITION_CUES),
            words=frozenset(folded.split()),
        )


class KnowledgeIndex:
    """An inverted index over the entries, searchable per province."""

    def __init__(self, entries: Iterable[Entry], provinces: Sequence[Province] = ()) -> None:
        self.entries: list[Entry] = list(entries)
        self._province_names = [
            (province.slug, {fold(n) for n in (*province.names.values(), *province.aliases)})
            for province in provinces
        ]
        bags = [self._bag(entry) for entry in self.entries]
        self._lengths = [sum(bag.values()) for bag in bags]
        self._average = sum(self._lengths) / max(len(bags), 1)
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for doc, bag in enumerate(bags):
            for token, weight in bag.items():
                self._postings[token].append((doc, weight))
        count = len(bags)
        self._idf = {
            token: math.log(1 + (count - len(p) + 0.5) / (len(p) + 0.5))
            for token, p in self._postings.items()
        }
        self._max_idf = math.log(1 + (count + 0.5) / 0.5)
        self._vocabulary = [t for t in self._postings if "_" not in t and len(t) >= 3]
        self._corrections: dict[str, str | None] = {}
        self._answers: dict[tuple[str, str | None], Answer] = {}
        # Read the framing lexicon now, not on the first villager's question.
        framing(())
        # A province's entries all come from its plan: "theo kế hoạch tỉnh" is what each of
        # them is about, though few say so; those words count as theirs (not for BM25).
        self._doc_tokens = [
            frozenset(bag) | (_PLAN_TOKENS if entry.province else frozenset())
            for bag, entry in zip(bags, self.entries, strict=True)
        ]
        # The numbers an entry states, without the closing note every ended target shares
        # ("… từ 15/2/2026 áp dụng Bộ tiêu chí 2026–2030"): "2030" in a question is not
        # about an entry whose only 2030 is that note.
        self._doc_numbers = [self._numbers(entry) for entry in self.entries]
        self._doc_accented = [self._accented(entry) for entry in self.entries]
        self._name_tokens = {
            name: frozenset(tokens(name)) for _, names in self._province_names for name in names
        }
        self._question_words = [
            [" ".join(words(q)) for q in (*entry.questions, *entry.questions_en)]
            for entry in self.entries
        ]
        self.by_id = {entry.id: entry for entry in self.entries}
        # National entries about one province ("Tỉnh An Giang mới…"): never the answer for
        # someone asking about another province.
        self._about = [
            self.province_named_in(e.questions[0]) if e.province is None else None
            for e in self.entries
        ]
        self._norms = [K1 * (1 - B + B * length / self._average) for length in self._lengths]
        self._provinces = [
            e.province or about for e, about in zip(self.entries, self._about, strict=True)
        ]
        # BM25 weights per province with entries of its own (None: national entries only).
        self._weights = {slug: self._pool_weights(slug) for slug in {None, *self._provinces}}
        self._kinds = [self._answer_kinds(entry) for entry in self.entries]
        markers = [self._entry_markers(entry) for entry in self.entries]
        self._markers = [every for every, _ in markers]
        self._marker_groups = [group for _, group in markers]
        # A defining entry's terms, one set per phrasing: "xã nông thôn mới" for "Xã
        # nông thôn mới là gì?"; the question must name all of one to be about it.
        self._defines = [
            [self._defined_term(q) for q in entry.questions] if "definition" in entry.facets else []
            for entry in self.entries
        ]
        self._mentions = [
            frozenset(m for m in MARKERS if m[1:-1].replace(" ", "_") in bag or m[1:-1] in bag)
            for bag in self._doc_tokens
        ]

    @staticmethod
    def _defined_term(phrasing: str) -> frozenset[str]:
        """The term a defining phrasing asks about: the words before "là gì" in "Nông
        thôn mới là gì, giải thích giùm tui", or all its words when it has no such cue."""
        spaced = " " + " ".join(words(phrasing)) + " "
        cut = min((spaced.find(c) for c in DEFINITION_CUES if c in spaced), default=-1)
        term = frozenset(w for w in spaced[:cut].split() if w not in STOPWORDS)
        return term or frozenset(w for w in spaced.split() if w not in STOPWORDS)

    @staticmethod
    def _numbers(entry: Entry) -> frozenset[str]:
        texts = (
            *entry.questions,
            *entry.questions_en,
            *entry.keywords,
            *(_POINTER.sub("", entry.answer.get(language, "")) for language in ("vi", "en")),
        )
        return frozenset(w for text in texts for w in words(text) if w.isdigit())

    @staticmethod
    def _answer_kinds(entry: Entry) -> frozenset[str]:
        stated = _NOTES.sub("", entry.answer["vi"])
        return frozenset(kind for kind, found in _ANSWER_KINDS.items() if found.search(stated))

    @staticmethod
    def _entry_markers(entry: Entry) -> tuple[frozenset[str], frozenset[str]]:
        """The MARKERS all of an entry's phrasings use, and those of an entry each of
        whose phrasings uses at least one ("xã nâng cao, kiểu mẫu": every way of asking
        names one or the other; empty when some phrasing names none)."""
        used = [
            frozenset(m for m in MARKERS if m in _marked(" " + " ".join(words(q)) + " "))
            for q in entry.questions
        ]
        every = frozenset.intersection(*used)
        return every, frozenset().union(*used) if all(used) else frozenset()

    def _fit(self, asked: Asked, doc: int) -> float:
        """How well the entry fits what kind of thing is asked, beyond shared words."""
        facets = self.entries[doc].facets
        fit = 0.0
        if asked.definition and any(terms <= asked.words for terms in self._defines[doc]):
            fit += DEFINITION_BONUS
        if asked.leaning is not None and ("result" in facets or "target" in facets):
            fit += FACET_BONUS if asked.leaning in facets else -FACET_BONUS
        fit -= KIND_MISSING * len(asked.kinds - self._kinds[doc])
        fit -= MARKER_MISSING * len(self._markers[doc] - asked.markers)
        group = self._marker_groups[doc]
        if not self._markers[doc] and group and not group & asked.markers:
            fit -= MARKER_MISSING
        # And one that never mentions a term the question sets apart ("xã nâng cao").
        fit -= MARKER_MISSING * len(asked.markers - self._mentions[doc])
        return fit

    @staticmethod
    def _bag(entry: Entry) -> dict[str, float]:
        bag: dict[str, float] = defaultdict(float)
        for question in entry.questions:
            for token in set(tokens(question)):
                bag[token] += QUESTION_WEIGHT
        for question in entry.questions_en:
            for token in set(tokens(question)):
                bag[token] += ENGLISH_WEIGHT
        for keyword in entry.keywords:
            for token in tokens(keyword):
                bag[token] += KEYWORD_WEIGHT
        # Both languages' answers, so a question typed in English finds its entry too.
        for language in ("vi", "en"):
            for token in tokens(entry.answer.get(language, "")):
                bag[token] += ANSWER_WEIGHT
        return bag

    @staticmethod
    def _accented(entry: Entry) -> frozenset[str]:
        texts = (*entry.questions, *entry.keywords, entry.answer["vi"])
        if entry.province:
            texts = (*texts, PLAN_IMPLIED)
        return frozenset(word for text in texts for word in accented_words(text).values())

    def province_named_in(self, question: str) -> str | None:
        """The province the question names, if any ("… ở An Giang")."""
        folded = " " + " ".join(words(question)) + " "
        for slug, names in self._province_names:
            if any(f" {name} " in folded for name in names):
                return slug
        return None

    def _named_tokens(self, folded: str) -> frozenset[str]:
        """The tokens of the province names the question uses: they route it and say
        nothing about which answer fits ("an" in "An Giang", not in "công an")."""
        spaced = f" {folded} "
        return frozenset(
            token
            for name, found in self._name_tokens.items()
            if f" {name} " in spaced
            for token in found
        )

    def _correct(self, token: str) -> str | None:
        """A one-letter typo fixed to a word we know; None when nothing is that close, or
        when the word is itself a well-formed syllable (a real word, not a typo)."""
        if token in self._corrections:
            return self._corrections[token]
        fixed = None
        if len(token) >= 3 and not token.isdigit() and not is_syllable(token):
            found = process.extractOne(
                token, self._vocabulary, scorer=Levenshtein.distance, score_cutoff=1
            )
            fixed = found[0] if found else None
        self._corrections[token] = fixed
        return fixed

    def _query_tokens(self, question: str) -> list[str]:
        return with_pairs(self._query_syllables(question))

    def _query_syllables(self, question: str) -> list[str]:
        syllables = []
        for word in words(question):
            # Function words are never "corrected": "vay" is not a typo of "van".
            if word in self._postings or word.isdigit() or word in STOPWORDS:
                syllables.append(word)
            else:
                syllables.append(self._correct(word) or word)
        return syllables

    def search(self, question: str, province: str | None, limit: int = 5) -> list[Match]:
        """The best entries for `question`, for a person following `province`.

        A province named in the question wins over the person's own; national entries
        and officer-written ones for that province are always candidates.
        """
        return [self._match(c) for c in self._rate(question, province)[:limit]]

    def _pool_weights(self, target: str | None) -> dict[str, list[tuple[int, float]]]:
        """Each token's BM25 weight in each entry someone following `target` can get:
        national entries and that province's."""
        return {
            token: [
                (doc, idf * tf * (K1 + 1) / (tf + self._norms[doc]))
                for doc, tf in self._postings[token]
                if self._provinces[doc] in (None, target)
            ]
            for token, idf in self._idf.items()
        }

    def _match(self, candidate: Signals) -> Match:
        return Match(self.entries[candidate.doc], candidate.confidence)

    def _rate(
        self, question: str, province: str | None, memo: _Ratings | None = None
    ) -> list[Signals]:
        """The candidates with their signals, best first. While one question is answered,
        `memo` keeps what its parts were rated (the first part is rated twice)."""
        if memo is None:
            return self._rate_afresh(question, province)
        key = (question, province)
        if key not in memo:
            memo[key] = self._rate_afresh(question, province)
        return memo[key]

    def _rate_afresh(self, question: str, province: str | None) -> list[Signals]:
        target = self.province_named_in(question) or province
        syllables = self._query_syllables(question)
        query = with_pairs(syllables)
        if not query:
            return []
        # A province with no entries of its own gets the national ones.
        weights = self._weights.get(target) or self._weights[None]
        scores: dict[int, float] = defaultdict(float)
        for token in set(query):
            for doc, weight in weights.get(token, ()):
                scores[doc] += weight
        if not scores:
            return []
        top = sorted(scores, key=scores.__getitem__, reverse=True)[:RERANK]
        # The question's own IDF mass (unknown words at the highest IDF): what a perfect
        # match would score, so scores compare across questions.
        # Province names route the question; they say nothing about which answer fits.
        folded = " ".join(words(question))
        routing = self._named_tokens(folded)
        content = [t for t in set(query) if ("_" in t or t not in STOPWORDS) and t not in routing]
        mass = sum(self._idf.get(t, self._max_idf) for t in content) or 1.0
        accents = accented_words(question)
        framed = _framed(syllables, accents)
        named = self.province_named_in(question)
        nation = any(f in folded for f in NATION_WORDS)
        plan = any(w in f" {folded} " for w in PLAN_WORDS)
        asked = Asked.read(folded)
        # Numbers the question names ("QĐ 51", "đến 2030", "62,4%") that the entry never
        # mentions: likely another entry's.
        numbers = [t for t in set(query) if t.isdigit() and len(t) >= 2]
        # The asker's own province's entries, when the question is not about the nation.
        home = set() if nation else {d for d in top if self.entries[d].province == target}
        rated = [
            self._signals(
                folded,
                content,
                framed,
                accents,
                mass,
                scores[d],
                d,
                (NAMED_PROVINCE_BONUS if named and self.entries[d].province == named else 0)
                + (NATION_BONUS if nation and self.entries[d].province is None else 0)
                + (HOME_BONUS + (PLAN_BONUS if plan else 0) if d in home else 0)
                - NUMBER_MISSING * sum(n not in self._doc_numbers[d] for n in numbers)
                + self._fit(asked, d),
            )
            for d in top
        ]
        # What a term means is the national definition's to say, wherever one lives.
        if target is not None and not asked.definition:
            rated = [replace(r, home=r.doc in home) for r in rated]
        rated.sort(key=lambda c: (c.score, c.doc), reverse=True)
        return rated

    def _signals(
        self,
        folded: str,
        content: list[str],
        framed: frozenset[str],
        accents: dict[str, str],
        mass: float,
        score: float,
        doc: int,
        fit: float,
    ) -> Signals:
        # Coverage: the share of the question's meaning (IDF mass, function words aside)
        # that this entry contains. Unknown words weigh the most, so an off-topic question
        # made of words we have never seen gets a low confidence, as it should. A word
        # typed with diacritics counts only if the entry has that very word, so "giá heo"
        # (pig prices) is not covered by "gia đình" (family).
        entry_tokens = self._doc_tokens[doc]
        entry_accented = self._doc_accented[doc]

        def covered(token: str) -> bool:
            if token not in entry_tokens:
                return False
            return all(
                accents[part] in entry_accented for part in token.split("_") if part in accents
            )

        hits = [t for t in content if covered(t)]
        # Framing words ("nghe nói", "nhà tui") count for an entry that has them and are
        # not held against one that does not.
        mass -= sum(
            self._idf.get(t, self._max_idf) for t in content if t in framed and t not in hits
        )
        mass = max(mass, 1e-9)
        coverage = sum(self._idf[t] for t in hits) / mass
        strength = min(score / mass, 1.0)
        phrasings = self._question_words[doc]
        as_set = process.extractOne(folded, phrasings, scorer=SIMILARITY)
        in_order = process.extractOne(folded, phrasings, scorer=ORDERED)
        similarity = (1 - ORDERED_SHARE) * (as_set[1] / 100 if as_set else 0.0) + (
            ORDERED_SHARE * (in_order[1] / 100 if in_order else 0.0)
        )
        uncovered = sum("_" not in t and t not in entry_tokens and t not in framed for t in content)
        meaningful = sum("_" not in t for t in content)
        return Signals(doc, strength, coverage, similarity, fit, uncovered, meaningful)

    def _meaningful(self, typed: list[str]) -> set[str]:
        """The words that say what is asked: not function words, not province names."""
        routing = self._named_tokens(" ".join(typed))
        return {w for w in typed if w not in STOPWORDS and w not in routing}

    def _asks_alone(self, part: str) -> bool:
        """A part that is a question of its own: it opens the question, asks something,
        and has at least MIN_WORDS meaningful words ("mấy xã NTM", not "tỉnh nào"), a year
        aside ("sau 2025 thì sao" only leads into the question after it)."""
        return len({w for w in self._meaningful(words(part)) if not w.isdigit()}) >= MIN_WORDS

    def _enough_to_answer(self, question: str) -> bool:
        """Two meaningful words, or one real term asked as a question ("ocop là gì");
        a lone number or word ("3", "vâng") is too little to answer outright."""
        typed = words(question)
        meaningful = self._meaningful(typed)
        if len(meaningful) >= MIN_WORDS:
            return True
        return len(meaningful) == 1 and not next(iter(meaningful)).isdigit() and len(typed) > 1

    def answer(self, question: str, province: str | None) -> Answer:
        """Answer when confident; otherwise the closest suggestions, possibly none.
        Villagers ask the same things over and over, so answers are remembered; an index
        is rebuilt (and the memory dropped) whenever officers add knowledge."""
        key = (question, province)
        cached = self._answers.get(key)
        if cached is None:
            if len(self._answers) >= ANSWER_CACHE_SIZE:
                self._answers.clear()
            cached = self._answers[key] = self.compute_answer(question, province)
        return cached

    def rate_for_answer(
        self, question: str, province: str | None, memo: _Ratings | None = None
    ) -> list[Signals]:
        """The candidates the answer is chosen from, best first."""
        rated = self._rate_parts_or_whole(question, province, memo)
        focus = self._asked_clauses(question)
        if focus is not None and rated:
            # A long question is mostly the asker's situation; how sure we are is judged on
            # the clauses that ask, when they point to the entry the whole question does.
            own = self.province_named_in(question) or province
            focused = self._rate(focus, own, memo)
            if focused and focused[0].doc == rated[0].doc:
                return focused
        return rated

    @staticmethod
    def _asked_clauses(question: str) -> str | None:
        """Of a long question, the clauses of its last sentence that ask something; None
        for a short one, or when every clause asks."""
        if len(words(question)) < LONG_WORDS:
            return None
        clauses = [c for c in _CLAUSES.split(question) if c.strip()]
        # The question is mostly the last sentence ("mấy năm nay", "ai cũng" before it
        # ask nothing); the other sentences' asking clauses only when it has none.
        sentences = [t for t in _SENTENCES.split(question) if t.strip()]
        last = [c for c in _CLAUSES.split(sentences[-1]) if _asks(c)]
        asking = last or [c for c in clauses if _asks(c)]
        focus = ", ".join(asking)
        # "giờ thưa ở đâu" after a story about a land quarrel is too little to judge on.
        enough = len(words(focus)) >= FOCUS_WORDS
        return focus if asking and len(asking) < len(clauses) and enough else None

    def _rate_parts_or_whole(
        self, question: str, province: str | None, memo: _Ratings | None
    ) -> list[Signals]:
        parts = self._asking_parts(question)
        if (
            len(parts) >= 2
            and parts[0] == _PARTS.split(question)[0]
            and self._asks_alone(parts[0])
            and not _TOLD_FIRST.search(question)
        ):
            # Two questions in one: the first one picks the answer (its own words, not the
            # second's), and the second is composed after it.
            own = self.province_named_in(parts[0]) or self.province_named_in(question) or province
            rated = self._rate(parts[0], own, memo)
            if rated:
                return rated
        return self._rate(question, province, memo)

    def compute_answer(self, question: str, province: str | None) -> Answer:
        """The answer, worked out afresh (what `answer` remembers)."""
        memo: _Ratings = {}
        rated = self.rate_for_answer(question, province, memo)
        matches = [self._match(c) for c in rated[:5]]
        if not self._enough_to_answer(question):
            # "3", "ok", "chào": too little to be sure of anything; suggest at most.
            return Answer(None, tuple(m for m in matches[:3] if m.confidence >= SUGGEST_AT))
        if rated and self._sure(rated):
            return Answer(
                matches[0],
                tuple(matches[1:4]),
                self._composed(question, province, matches[0], memo),
            )
        return Answer(None, tuple(m for m in matches[:3] if m.confidence >= SUGGEST_AT))

    @staticmethod
    def _sure(rated: list[Signals]) -> bool:
        """Sure enough to answer outright: confident, and clearly ahead of the next entry
        (two entries close together are a question of which one was meant: suggest)."""
        first = rated[0]
        best = first.confidence
        stray = first.uncovered >= STRAY_WORDS and first.uncovered >= STRAY_SHARE * first.meaningful
        if stray and best < STRAY_AT:
            # Several of the question's words appear nowhere in the entry ("số điện thoại
            # công an xã" against the entry on publishing a nominee's phone number): it is
            # likely asking something else that shares a few words.
            return False
        # The lead in score, not in the confidence shown: two entries both past 1 are
        # still told apart by how far past.
        margin = first.score - rated[1].score if len(rated) > 1 else 1.0
        # The asker's own plan just ahead of a national entry is what they meant: the
        # national figure is the backdrop, not another reading of the question.
        ahead = margin >= MARGIN or (first.home and not rated[1].home and margin > 0)
        return best >= ANSWER_AT and ahead

    def _unrouted(self, text: str) -> str:
        """The text, folded, without the province names in it."""
        spaced = " " + " ".join(words(text)) + " "
        for name in self._name_tokens:
            spaced = spaced.replace(f" {name} ", " ")
        return spaced.strip()

    def _only_compares(self, part: str) -> bool:
        """A part that names a place, or the whole country, and asks nothing of its own."""
        typed = words(part)
        spaced = " " + " ".join(typed) + " "
        if not (self.province_named_in(part) or any(f" {w} " in spaced for w in NATION_WORDS)):
            return False
        return len(self._meaningful(typed) - COMPARING - _NATION_SYLLABLES) < MIN_WORDS

    @staticmethod
    def _asking_parts(question: str) -> list[str]:
        return [p for p in _PARTS.split(question) if _asks(p)]

    def _composed(
        self, question: str, province: str | None, best: Match, memo: _Ratings
    ) -> tuple[Match, ...]:
        """For a two-part question, the entries that answer a part the best one does not."""
        # Only parts that ask something ("…, chiếm bao nhiêu %?"), and at most three.
        parts = self._asking_parts(question)
        if not 2 <= len(parts) <= 3:
            return ()
        named = self.province_named_in(question)
        found: list[Match] = []
        for index, part in enumerate(parts):
            # The part inherits the question's province ("…ở AG, còn QT thì sao").
            own = self.province_named_in(part) or named or province
            if index and self._only_compares(part):
                first = self._unrouted(parts[0])
                part = first if self.province_named_in(part) else f"{first} ca nuoc"
            elif not self._enough_to_answer(part):
                continue
            top = [self._match(c) for c in self._rate(part, own, memo)[:1]]
            if not top or top[0].confidence < COMPOSE_AT:
                continue
            match = top[0]
            if match.entry.id != best.entry.id and all(m.entry.id != match.entry.id for m in found):
                found.append(match)
        return tuple(found[:1])
