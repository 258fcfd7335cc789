"""Splitting long replies into the pieces a platform accepts (Zalo 2000, Telegram 4096)."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

# Separators from coarsest to finest: blank lines, line breaks, runs of whitespace.
_SPLIT_SEPARATORS: Final = (re.compile(r"\n\s*\n"), re.compile(r"\n"), re.compile(r"\s+"))


def split_text(text: str, limit: int) -> list[str]:
    """Split ``text`` into chunks of at most ``limit`` characters for sending.

    Splits on paragraph boundaries first, then on line breaks, then on spaces, and packs
    as many pieces into each chunk as fit. A word is cut only when it alone is longer
    than ``limit``, and then never between a letter and its combining accent.
    Whitespace around chunks is dropped; empty or blank text gives an empty list.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    chunks = _split_at_level(text.strip(), limit, 0)
    return [chunk.strip() for chunk in chunks if chunk.strip()]


def _split_at_level(text: str, limit: int, level: int) -> list[str]:
    if len(text) <= limit:
        return [text]
    if level == len(_SPLIT_SEPARATORS):
        return _cut_long_word(text, limit)

    chunks: list[str] = []
    # Chunks are slices of the original text, so the separators inside a chunk
    # (blank lines, indentation) are kept exactly as written.
    chunk_start: int | None = None
    chunk_end = 0
    for start, end in _pieces(text, _SPLIT_SEPARATORS[level]):
        if end - start > limit:
            if chunk_start is not None:
                chunks.append(text[chunk_start:chunk_end])
                chunk_start = None
            chunks.extend(_split_at_level(text[start:end], limit, level + 1))
        elif chunk_start is None:
            chunk_start, chunk_end = start, end
        elif end - chunk_start <= limit:
            chunk_end = end
        else:
            chunks.append(text[chunk_start:chunk_end])
            chunk_start, chunk_end = start, end
    if chunk_start is not None:
        chunks.append(text[chunk_start:chunk_end])
    return chunks


def _pieces(text: str, separator: re.Pattern[str]) -> list[tuple[int, int]]:
    """Return the (start, end) spans of the non-empty pieces between separators."""
    spans: list[tuple[int, int]] = []
    position = 0
    for match in separator.finditer(text):
        if match.start() > position:
            spans.append((position, match.start()))
        position = match.end()
    if position < len(text):
        spans.append((position, len(text)))
    return spans


def _cut_long_word(word: str, limit: int) -> list[str]:
    parts: list[str] = []
    start = 0
    while len(word) - start > limit:
        cut = start + limit
        # Text in decomposed form (NFD) stores Vietnamese tone marks as separate
        # combining characters; cutting before one would strip the accent off its letter.
        while cut > start + 1 and unicodedata.combining(word[cut]):
            cut -= 1
        parts.append(word[start:cut])
        start = cut
    parts.append(word[start:])
    return parts
