"""The background loops a channel keeps: its long poll, and its retries of stored work."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)


class RetrySoon:
    """Runs `resume` (queue the stored, unhandled updates again) a little later: once,
    however many ask meanwhile, again if it fails, and never once stopping has begun
    (what is still stored is handled at the next start)."""

    def __init__(self, resume: Callable[[], Awaitable[None]], delay: float) -> None:
        self._resume = resume
        self.delay = delay
        self._wanted = False
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def request(self) -> None:
        self._wanted = True
        if self._stopping:
            return
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while self._wanted:
            self._wanted = False
            await asyncio.sleep(self.delay)
            try:
                await self._resume()
            except Exception:
                log.exception("stored updates still out of reach; trying again later")
                self._wanted = True

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


class Poller:
    """A channel's long-polling loop: started, stopped, and known to have ended by
    itself (the platform refused the token), which /healthz reports."""

    def __init__(self, poll: Callable[[], Coroutine[Any, Any, None]], name: str) -> None:
        self._poll = poll
        self._name = name
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._poll(), name=self._name)

    @property
    def ended(self) -> bool:
        return self._task is not None and self._task.done()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
