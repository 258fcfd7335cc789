"""Finding the answer to a question: BM25 over Vietnamese-aware tokens, re-ranked by
fuzzy similarity to the phrasings people use, with a calibrated confidence.

Why this and not a library scorer alone: the knowledge base is a few hundred short
entries, so an in-memory inverted index answers in well under a millisecond, lets us
weight question phrasings above answer text (a BM25F-style field weight rank-bm25 lacks),
and lets the confidence measure how much of the question the answer actually covers,
which is what separates "giá lúa hôm nay" (no answer here) from a real question.
rapidfuzz then breaks near-ties the way a person would read them.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from content.kb import Entry
from content.provinces import Province
from content.vietnamese import accented_words, fold, tokens, with_pairs, words

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
# How confidence is made (see _confidence); weights and thresholds were chosen on
# tests/data/kb_questions.yaml with tests/bench/kb_bench.py.
W_STRENGTH = 0.3
W_COVERAGE = 0.4
W_SIMILARITY = 0.3
SIMILARITY = fuzz.token_set_ratio
# A province named in the question ("… ở An Giang") tips near-ties toward its plan.
NAMED_PROVINCE_BONUS = 0.03
# "Cả nước", "toàn quốc": the national figure, even when the asker's province is set.
NATION_BONUS = 0.05
NATION_WORDS = ("ca nuoc", "toan quoc")
# A question of two parts ("mấy xã đạt, chiếm bao nhiêu %?") is split here, and a part
# whose own best entry differs from the answer adds that entry to the answer.
_PARTS = re.compile(r"[,;?]| còn | con ")
COMPOSE_AT = 0.5
_ASKS = frozenset("nhieu may nao gi ai dau sao khong".split())
# At or above ANSWER_AT the bot answers; from SUGGEST_AT it offers "Ý bạn là…?".
ANSWER_AT = 0.44
SUGGEST_AT = 0.3
# ... and only when the best entry leads the next by MARGIN, or by SURE_MARGIN when its
# confidence reaches SURE_AT.
MARGIN = 0.03
SURE_AT = 0.55
SURE_MARGIN = 0.01
CERTAIN_AT = 0.9
# A question needs this many meaningful words to be answered outright.
MIN_WORDS = 2

# Function words that say nothing about which answer is meant.
STOPWORDS = frozenset(
    "la gi bao nhieu the nao nhu co khong cua va cho toi minh em anh chi a oi nao o dau khi "
    "thi duoc ve voi nhung cac mot nay do de tu trong ra vay nhe a da se dang can muon hoi "
    "biet xin cam on ban cau may ai sao vi "
    # Chat and dialect particles ("ad ơi", "hen", "nè", "hả", "rồi", "chưa").
    "ad admin oi hen ne ha nha nhe ri hi roi chua kia ta "
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
        self._doc_tokens = [frozenset(bag) for bag in bags]
        self._doc_accented = [self._accented(entry) for entry in self.entries]
        self._province_tokens = frozenset(
            token for _, names in self._province_names for name in names for token in tokens(name)
        )
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
        return frozenset(word for text in texts for word in accented_words(text).values())

    def province_named_in(self, question: str) -> str | None:
        """The province the question names, if any ("… ở An Giang")."""
        folded = " " + " ".join(words(question)) + " "
        for slug, names in self._province_names:
            if any(f" {name} " in folded for name in names):
                return slug
        return None

    def _correct(self, token: str) -> str | None:
        """A one-letter typo fixed to a word we know; None when nothing is that close."""
        if token in self._corrections:
            return self._corrections[token]
        fixed = None
        if len(token) >= 3 and not token.isdigit():
            found = process.extractOne(
                token, self._vocabulary, scorer=Levenshtein.distance, score_cutoff=1
            )
            fixed = found[0] if found else None
        self._corrections[token] = fixed
        return fixed

    def _query_tokens(self, question: str) -> list[str]:
        syllables = []
        for word in words(question):
            # Function words are never "corrected": "vay" is not a typo of "van".
            if word in self._postings or word.isdigit() or word in STOPWORDS:
                syllables.append(word)
            else:
                syllables.append(self._correct(word) or word)
        return with_pairs(syllables)

    def search(self, question: str, province: str | None, limit: int = 5) -> list[Match]:
        """The best entries for `question`, for a person following `province`.

        A province named in the question wins over the person's own; national entries
        and officer-written ones for that province are always candidates.
        """
        target = self.province_named_in(question) or province
        query = self._query_tokens(question)
        if not query:
            return []
        scores: dict[int, float] = defaultdict(float)
        for token in set(query):
            idf = self._idf.get(token)
            if idf is None:
                continue
            for doc, tf in self._postings[token]:
                entry_province = self.entries[doc].province or self._about[doc]
                if entry_province is not None and entry_province != target:
                    continue
                norm = K1 * (1 - B + B * self._lengths[doc] / self._average)
                scores[doc] += idf * tf * (K1 + 1) / (tf + norm)
        if not scores:
            return []
        top = sorted(scores, key=scores.__getitem__, reverse=True)[:RERANK]
        # The question's own IDF mass (unknown words at the highest IDF): what a perfect
        # match would score, so scores compare across questions.
        # Province names route the question; they say nothing about which answer fits.
        content = [
            t
            for t in set(query)
            if ("_" in t or t not in STOPWORDS) and t not in self._province_tokens
        ]
        mass = sum(self._idf.get(t, self._max_idf) for t in content) or 1.0
        folded = " ".join(words(question))
        accents = accented_words(question)
        named = self.province_named_in(question)
        nation = any(f in folded for f in NATION_WORDS)
        rated = [
            (
                self._confidence(folded, content, accents, mass, scores[d], d)
                + (NAMED_PROVINCE_BONUS if named and self.entries[d].province == named else 0)
                + (NATION_BONUS if nation and self.entries[d].province is None else 0),
                d,
            )
            for d in top
        ]
        rated.sort(reverse=True)
        return [Match(self.entries[d], confidence) for confidence, d in rated[:limit]]

    def _confidence(
        self,
        folded: str,
        content: list[str],
        accents: dict[str, str],
        mass: float,
        score: float,
        doc: int,
    ) -> float:
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

        coverage = sum(self._idf[t] for t in content if covered(t)) / mass
        strength = min(score / mass, 1.0)
        similarity = max(SIMILARITY(folded, q) for q in self._question_words[doc]) / 100
        return W_STRENGTH * strength + W_COVERAGE * coverage + W_SIMILARITY * similarity

    def _enough_to_answer(self, question: str) -> bool:
        """Two meaningful words, or one real term asked as a question ("ocop là gì");
        a lone number or word ("3", "vâng") is too little to answer outright."""
        typed = words(question)
        meaningful = {w for w in typed if w not in STOPWORDS and w not in self._province_tokens}
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

    def compute_answer(self, question: str, province: str | None) -> Answer:
        """The answer, worked out afresh (what `answer` remembers)."""
        matches = self.search(question, province)
        if not self._enough_to_answer(question):
            # "3", "ok", "chào": too little to be sure of anything; suggest at most.
            return Answer(None, tuple(m for m in matches[:3] if m.confidence >= SUGGEST_AT))
        if matches and self._sure(matches):
            return Answer(
                matches[0], tuple(matches[1:4]), self._composed(question, province, matches[0])
            )
        return Answer(None, tuple(m for m in matches[:3] if m.confidence >= SUGGEST_AT))

    @staticmethod
    def _sure(matches: list[Match]) -> bool:
        """Sure enough to answer outright: confident, and clearly ahead of the next entry
        (two entries close together are a question of which one was meant: suggest)."""
        best = matches[0].confidence
        if best >= CERTAIN_AT:
            # Near-certain matches tie only when entries say the same thing.
            return True
        margin = best - matches[1].confidence if len(matches) > 1 else 1.0
        if best >= ANSWER_AT and margin >= MARGIN:
            return True
        return best >= SURE_AT and margin >= SURE_MARGIN

    def _composed(self, question: str, province: str | None, best: Match) -> tuple[Match, ...]:
        """For a two-part question, the entries that answer a part the best one does not."""
        # Only parts that ask something ("…, chiếm bao nhiêu %?"), and at most three.
        parts = [p for p in _PARTS.split(question) if _ASKS.intersection(words(p))]
        if not 2 <= len(parts) <= 3:
            return ()
        named = self.province_named_in(question)
        found: list[Match] = []
        for part in parts:
            if not self._enough_to_answer(part):
                continue
            # The part inherits the question's province ("…ở AG, còn QT thì sao").
            own = self.province_named_in(part) or named or province
            top = self.search(part, own, limit=1)
            if not top or top[0].confidence < COMPOSE_AT:
                continue
            match = top[0]
            if match.entry.id != best.entry.id and all(m.entry.id != match.entry.id for m in found):
                found.append(match)
        return tuple(found[:1])
