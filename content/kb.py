"""The knowledge base: answers with their sources, read from `content/kb/<campaign>/*.yaml`.

Each campaign folder holds `campaign.yaml` (which province and period it covers, or
`province: null` for national content shared by every province) and entry files. Adding
a province or a new period is adding a folder; no code changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

# The C loader parses the knowledge base several times faster than the pure-Python one.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

KB_DIR = Path(__file__).with_name("kb")
TOPICS = (
    "goals",
    "timeline",
    "roles",
    "commendation",
    "criteria",
    "ocop",
    "participate",
    "reform",
    "data",
    "bot",
)
# What an answer states, where questions tell them apart: a figure achieved ("được mấy
# xã rồi"), a figure aimed at ("phấn đấu mấy xã"), or what a term means ("… là gì").
FACETS = ("result", "target", "definition")


class KnowledgeError(Exception):
    """A knowledge-base file is malformed; the message names the file and entry."""


@dataclass(frozen=True)
class Entry:
    """One answer: the fact, where it comes from, and how people ask for it."""

    id: str
    campaign: str
    province: str | None
    topic: str
    questions: tuple[str, ...]
    answer: dict[str, str]
    source: dict[str, str]
    keywords: tuple[str, ...] = ()
    historic: bool = False
    author: str | None = None
    written_on: date | None = None
    related: tuple[str, ...] = field(default=())
    questions_en: tuple[str, ...] = ()
    facets: tuple[str, ...] = ()

    def question(self, language: str) -> str:
        """How to ask for this entry in `language`: a button label, Vietnamese by default."""
        if language == "en" and self.questions_en:
            return self.questions_en[0]
        return self.questions[0]

    def text(self, field_name: str, language: str) -> str:
        """`answer` or `source` in `language`, falling back to Vietnamese."""
        values: dict[str, str] = getattr(self, field_name)
        return values.get(language) or values.get("vi", "")

    @property
    def officer_written(self) -> bool:
        return self.author is not None


def _entry(raw: dict[str, Any], campaign: str, province: str | None, where: str) -> Entry:
    try:
        entry = Entry(
            id=str(raw["id"]),
            campaign=campaign,
            province=province,
            topic=str(raw["topic"]),
            questions=tuple(str(q) for q in raw["questions"]),
            answer={k: str(v) for k, v in raw["answer"].items()},
            source={k: str(v) for k, v in raw["source"].items()},
            keywords=tuple(str(k) for k in raw.get("keywords") or ()),
            historic=bool(raw.get("historic", False)),
            related=tuple(str(r) for r in raw.get("related") or ()),
            questions_en=tuple(str(q) for q in raw.get("questions_en") or ()),
            facets=tuple(str(f) for f in raw.get("facets") or ()),
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise KnowledgeError(f"{where}: entry {raw.get('id', '?')!r} lacks {error}") from None
    if entry.topic not in TOPICS:
        raise KnowledgeError(f"{where}: entry {entry.id!r} has unknown topic {entry.topic!r}")
    unknown = set(entry.facets) - set(FACETS)
    if unknown:
        raise KnowledgeError(f"{where}: entry {entry.id!r} has unknown facets {sorted(unknown)}")
    for language in ("vi", "en"):
        if not entry.answer.get(language) or not entry.source.get(language):
            raise KnowledgeError(f"{where}: entry {entry.id!r} lacks its {language} answer/source")
    if not entry.questions:
        raise KnowledgeError(f"{where}: entry {entry.id!r} has no questions")
    return entry


@cache
def load_knowledge(root: Path = KB_DIR) -> tuple[Entry, ...]:
    """Every entry of every campaign under `root`; ids must be unique. Read once per
    process: the files only change with a deployment."""
    entries: list[Entry] = []
    seen: dict[str, str] = {}
    for folder in sorted(p for p in root.iterdir() if (p / "campaign.yaml").is_file()):
        campaign = yaml.load((folder / "campaign.yaml").read_text(encoding="utf-8"), _Loader)
        for path in sorted(folder.glob("*.yaml")):
            if path.name == "campaign.yaml":
                continue
            where = f"{folder.name}/{path.name}"
            for raw in yaml.load(path.read_text(encoding="utf-8"), _Loader) or []:
                entry = _entry(raw, str(campaign["id"]), campaign.get("province"), where)
                if entry.id in seen:
                    raise KnowledgeError(f"{where}: id {entry.id!r} also in {seen[entry.id]}")
                seen[entry.id] = where
                entries.append(entry)
    return tuple(entries)
