"""The provinces a deployment serves, read from `provinces.yaml`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

PROVINCES_FILE = Path(__file__).with_name("provinces.yaml")


@dataclass(frozen=True)
class Province:
    """One province: its slug (used in settings and area codes) and display names."""

    slug: str
    names: dict[str, str]
    aliases: tuple[str, ...]
    # What a village is called there: "thon" (thôn, bản) in the centre and north, "ap"
    # (ấp) in the south.
    village: str = "thon"

    def name(self, language: str) -> str:
        """The province's name in `language`, Vietnamese when missing."""
        return self.names.get(language) or self.names["vi"]


@cache
def load_provinces(path: Path = PROVINCES_FILE) -> dict[str, Province]:
    """All provinces by slug, in file order."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {
        item["slug"]: Province(
            item["slug"],
            dict(item["name"]),
            tuple(item.get("aliases", ())),
            str(item.get("village", "thon")),
        )
        for item in raw
    }
