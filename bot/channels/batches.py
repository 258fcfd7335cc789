"""Incoming updates handled in batches, outgoing replies sent in order per person.

A channel under load receives updates faster than it can handle them one by one: each
turn would pay for its own read, write and commit. `UpdateBatches` lets updates pile up
while a batch is being handled and hands over everything waiting as the next batch, so
the engine handles a crowd in a few units of work. When only one person writes, a batch
is that one update and nothing waits for company.

`OrderedSends` sends each batch's replies in the background, so the next batch is
handled while the platform answers, yet a person's replies still go out in the order of
their messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

# Updates handed to the engine at once: large enough that a crowd costs a few commits,
# small enough that a rollback (one bad update) redoes little.
MAX_BATCH = 200
# Updates waiting beyond this make the producer (poller, webhook) wait: they are stored
# already, so nothing is lost, and memory stays bounded when the platform floods us.
MAX_WAITING = 5_000


class UpdateBatches(Generic[T]):
    """A queue whose single consumer takes everything waiting at once."""

    def __init__(
        self,
        handle: Callable[[list[T]], Awaitable[None]],
        *,
        max_batch: int = MAX_BATCH,
        max_waiting: int = MAX_WAITING,
        name: str = "batches",
    ) -> None:
        self._handle = handle
        self._max_batch = max_batch
        self._queue: asyncio.Queue[T] = asyncio.Queue(max_waiting)
        self._worker: asyncio.Task[None] | None = None
        self._name = name

    def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._work(), name=self._name)

    async def put(self, item: T) -> None:
        """Queue one update; waits while the queue is full."""
        await self._queue.put(item)

    async def stop(self, timeout: float) -> None:  # noqa: ASYNC109
        """Handle what is queued (for at most `timeout` seconds), then stop the worker.
        Updates left over stay stored and are handled at the next start."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), timeout)
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    async def _work(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._handle(batch)
            except Exception:
                # The batch's updates stay stored unhandled, for the channel (or the next
                # start) to hand over again; the worker must live on for everyone else.
                log.exception("a batch of %d updates failed", len(batch))
            finally:
                for _ in batch:
                    self._queue.task_done()


class OrderedSends:
    """Background sends, in order per key (a chat), with a bound on the chats waiting.

    The bound counts chats, not messages: a person who forwards a hundred messages
    waits for their own hundred replies (Telegram sends about one a second to a chat)
    and holds one place, so everyone else is still answered.
    """

    def __init__(self, max_chats: int = 1_000, max_messages: int = 20_000) -> None:
        self._last: dict[Hashable, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(max_chats)
        # Memory stays bounded too, should Telegram refuse sends for long while updates
        # keep coming from chats that already wait.
        self._messages = asyncio.Semaphore(max_messages)
        self._tasks: set[asyncio.Task[None]] = set()
        # The last task of each chat, which gives the chat's place back when it is done.
        self._holds_slot: set[asyncio.Task[None]] = set()

    async def send(self, key: Hashable, send: Callable[[], Awaitable[None]]) -> None:
        """Start `send` once the previous send for `key` has finished. Returns when it is
        scheduled; waits only while too many chats (or messages) have sends in flight."""
        await self._messages.acquire()
        previous = self._last.get(key)
        if previous is None:
            await self._slots.acquire()
            # Another send for this key may have been scheduled while this one waited.
            previous = self._last.get(key)
            if previous is not None:
                self._slots.release()
        task = asyncio.create_task(self._after(previous, send))
        if previous is not None:
            # The chat keeps the place its first send took until its last one is done.
            self._holds_slot.discard(previous)
        self._holds_slot.add(task)
        self._last[key] = task
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._done(key, done))

    def busy(self, key: Hashable) -> bool:
        """Whether `key` has work scheduled that has not finished."""
        return key in self._last

    async def _after(
        self, previous: asyncio.Task[None] | None, send: Callable[[], Awaitable[None]]
    ) -> None:
        if previous is not None:
            # Only the order matters here; the previous send logged its own failure.
            await asyncio.wait([previous])
        try:
            await send()
        except Exception:
            log.exception("sending a reply failed")

    def _done(self, key: Hashable, task: asyncio.Task[None]) -> None:
        self._messages.release()
        self._tasks.discard(task)
        if self._last.get(key) is task:
            del self._last[key]
        if task in self._holds_slot:
            self._holds_slot.discard(task)
            self._slots.release()

    async def drain(self, timeout: float) -> None:  # noqa: ASYNC109
        """Wait for the sends in flight; after `timeout` seconds the rest are cancelled."""
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(list(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("stopped with %d replies unsent", len(pending))
