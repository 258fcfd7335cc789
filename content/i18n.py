"""Message catalogs (gettext, compiled by babel) and locale-aware formatting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime, get_timezone
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
# Vietnamese readers expect local time; the whole country is UTC+7 with no DST.
TIMEZONE = "Asia/Ho_Chi_Minh"


def normalise_language(code: str | None) -> str:
    """Map a platform language code (`en-US`, `vi`) to one we ship, Vietnamese by default."""
    if code:
        short = code.split("-")[0].split("_")[0].lower()
        if short in LANGUAGES:
            return short
    return DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Translator:
    """Text and formats for one language."""

    language: str
    translations: NullTranslations

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def date(self, value: date) -> str:
        """E.g. "15 tháng 7, 2022" or "July 15, 2022"."""
        return str(format_date(value, format="long", locale=Locale.parse(self.language)))

    def datetime(self, value: datetime) -> str:
        return str(
            format_datetime(
                value,
                format="short",
                tzinfo=get_timezone(TIMEZONE),
                locale=Locale.parse(self.language),
            )
        )

    def number(self, value: float) -> str:
        """E.g. "1.234,5" in Vietnamese, "1,234.5" in English."""
        return str(format_decimal(value, locale=Locale.parse(self.language)))


class Catalogs:
    """The compiled catalogs of every language we ship, loaded once."""

    def __init__(self, locale_dir: Path = LOCALE_DIR) -> None:
        self._translators = {
            language: Translator(
                language, Translations.load(str(locale_dir), [language], domain=DOMAIN)
            )
            for language in LANGUAGES
        }

    def translator(self, language: str | None) -> Translator:
        """The translator for `language`, Vietnamese when it is not one we ship."""
        return self._translators[normalise_language(language)]


def N_(message: str) -> str:
    """Mark a string for extraction where it is translated later (button labels in tables)."""
    return message
