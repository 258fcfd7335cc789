"""The live knowledge: the files' entries plus officer-written ones, kept indexed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from content.kb import Entry
from content.provinces import Province
from content.search import KnowledgeIndex

OFFICER_PREFIX = "db-"


def officer_entry(
    *,
    row_id: int,
    province: str | None,
    topic: str,
    question: str,
    answer: str,
    author: str,
    written_at: datetime,
) -> Entry:
    """An officer's saved answer as a knowledge entry, its source naming the officer."""
    day = written_at.strftime("%d/%m/%Y")
    who_vi = f"Cán bộ {author}" if author else "Cán bộ phụ trách"
    who_en = f"officer {author}" if author else "the officer in charge"
    return Entry(
        id=f"{OFFICER_PREFIX}{row_id}",
        campaign="officers",
        province=province,
        topic=topic,
        questions=(question,),
        answer={"vi": answer, "en": answer},
        source={
            "vi": f"{who_vi} trả lời ngày {day}",
            "en": f"Answered by {who_en} on {day}",
        },
        author=author or "officer",
        written_on=written_at.date(),
    )


class Knowledge:
    """Holds the current index; adding officer entries rebuilds it whole (about 0.1 s
    for the two provinces' base), so searches never see a half-built index."""

    def __init__(self, file_entries: Iterable[Entry], provinces: Sequence[Province]) -> None:
        self._files = list(file_entries)
        self._provinces = list(provinces)
        self._officers: dict[str, Entry] = {}
        self.index = KnowledgeIndex(self._files, self._provinces)

    def set_officer_entries(self, entries: Iterable[Entry]) -> None:
        self._officers = {entry.id: entry for entry in entries}
        self._rebuild()

    def add(self, entry: Entry) -> None:
        self._officers[entry.id] = entry
        self._rebuild()

    def _rebuild(self) -> None:
        self.index = KnowledgeIndex([*self._files, *self._officers.values()], self._provinces)
