"""Catalogs are complete, compiled from the current sources, and formats follow the locale."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from content.i18n import LOCALE_DIR, Catalogs

ROOT = Path(__file__).resolve().parent.parent


def load_po(language: str):
    with open(LOCALE_DIR / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=language)


def test_every_message_has_an_english_translation() -> None:
    missing = [m.id for m in load_po("en") if m.id and not m.string]
    assert missing == []


def test_catalogs_hold_every_message_in_the_code(tmp_path: Path) -> None:
    template = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_",
            "-k",
            "N_",
            "-k",
            "gettext",
            "--no-location",
            "-o",
            str(template),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with open(template, "rb") as handle:
        in_code = {m.id for m in read_po(handle) if m.id}
    for language in ("vi", "en"):
        in_catalog = {m.id for m in load_po(language) if m.id}
        assert in_code - in_catalog == set(), f"run scripts/i18n: {language} lacks messages"


def test_compiled_catalogs_match_their_sources() -> None:
    for language in ("vi", "en"):
        with open(LOCALE_DIR / language / "LC_MESSAGES" / "messages.mo", "rb") as handle:
            compiled = {m.id: m.string for m in read_mo(handle) if m.id}
        source = {m.id: m.string for m in load_po(language) if m.id and m.string}
        assert compiled == source, f"run scripts/i18n: {language} messages.mo is stale"


def test_dates_and_numbers_follow_the_language() -> None:
    catalogs = Catalogs()
    vi, en = catalogs.translator("vi"), catalogs.translator("en-US")
    assert vi.date(date(2022, 7, 15)) == "15 tháng 7, 2022"
    assert en.date(date(2022, 7, 15)) == "July 15, 2022"
    assert vi.number(1234.5) == "1.234,5"
    assert en.number(1234.5) == "1,234.5"
    assert catalogs.translator("fr").language == "vi"
