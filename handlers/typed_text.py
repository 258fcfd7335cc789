"""What a person typed: cleaned of invisible characters, and recognised when it is a
command, a stop word, a cancel word or the label of a button."""

from __future__ import annotations

import functools
import re
import unicodedata

from content.vietnamese import fold

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
COMMAND = re.compile(r"^/([A-Za-z_]+)(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)
# Words people type instead of the command, folded to plain ASCII lower case.
CANCEL_WORDS = {"huy", "cancel", "thoi"}
# Words that stop announcements wherever the person is (carrier-style opt-out). Folded,
# "dừng" (stop) is "đúng" (right) and "dùng" (use), so only the exact word counts, or
# DUNG typed in capitals as people do for SMS keywords.
_STOP_WORDS = {"stop", "dừng", "dừng lại", "unsubscribe"}
_STOP_CAPITALS = {"DUNG", "DUNG LAI"}


def is_stop_word(text: str) -> bool:
    """Whether `text` asks to stop announcements."""
    bare = text.strip(" .!")
    return bare.lower() in _STOP_WORDS or bare in _STOP_CAPITALS


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """NFC, without control and direction-override characters, trimmed; a lone
    surrogate (no database can store one) becomes the replacement character."""
    text = _SURROGATE.sub("\ufffd", text)
    return _CONTROL.sub("", unicodedata.normalize("NFC", text)).strip()


@functools.lru_cache(maxsize=4096)
def folded_label(label: str) -> str:
    """A button label as typed back: no emoji, no diacritics, lower case."""
    # Labels repeat (menus, suggested questions) and are compared on every typed message.
    return fold(_without_symbols(label))


def _without_symbols(label: str) -> str:
    """A label without its leading emoji and arrows: "🔔 Nhận thông báo" → "Nhận thông báo"."""
    return "".join(ch for ch in label if ch.isalnum() or ch.isspace() or ch in "/-,").strip()
