"""Garbage-collector settings for a long-running service.

At start the service builds many objects that live as long as it does: the knowledge
index, translation catalogs, ORM mappers, the Telegram and aiohttp machinery. Python's
cyclic collector would walk all of them again on every full collection, and under load
those collections came often enough to take a fifth of the CPU. Once start-up is done they
are set aside (`gc.freeze`), and young collections run less often. Reference counting
still frees almost everything at once; only cycles wait for the collector.
"""

from __future__ import annotations

import gc

# Allocations (net of frees) between young collections; Python's default is 700, tuned for
# scripts, not for a service allocating a few hundred objects per message.
YOUNG_THRESHOLD = 50_000


def settle_after_start() -> None:
    """Collect once, move everything alive now out of the collector's sight, and space
    later collections out. Call once, when the service has started."""
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
