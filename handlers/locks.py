"""Per-person locks: one person's messages are handled one at a time, in order."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Iterable


class KeyedLocks:
    """One lock per contact, so a person's messages are handled in the order sent while
    different people are served in parallel. Locks vanish when nobody holds them."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def get(self, key: tuple[str, str]) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    @contextlib.asynccontextmanager
    async def holding(self, keys: Iterable[tuple[str, str]]) -> AsyncIterator[None]:
        """Hold the locks of all `keys`. They are taken in sorted order, so two holders of
        overlapping sets cannot each wait on the other."""
        async with contextlib.AsyncExitStack() as stack:
            for key in sorted(set(keys)):
                await stack.enter_async_context(self.get(key))
            yield
