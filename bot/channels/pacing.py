"""Sending at a platform's pace: evenly spaced overall, gentle per chat, answers first.

A token bucket at 30/s lets 30 sends through at once and then 30 more within the same
second, which Telegram counts as a flood; sends spaced evenly never do. Two lanes share
the pace: the answer to someone who just wrote goes ahead of a broadcast's bulk, so a
villager is answered within a second while ten thousand announcements go out. A chat
gets a short burst, then about one message a second, as Telegram allows.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque

ANSWERS = 0
BULK = 1
LANES = (ANSWERS, BULK)
# The shortest gap between two sends, as a share of the interval (see Pacer._grant).
MIN_GAP = 0.75


class ChatBuckets:
    """One small token bucket per chat (the most recent chats only)."""

    def __init__(self, rate: float, burst: int, size: int = 20_000) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._size = size
        self._chats: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def wait_for(self, chat: str, now: float) -> float:
        """Seconds until `chat` may receive one more message; takes it when 0."""
        tokens, updated = self._chats.pop(chat, (self._burst, now))
        tokens = min(self._burst, tokens + (now - updated) * self._rate)
        if tokens >= 1:
            self._chats[chat] = (tokens - 1, now)
            wait = 0.0
        else:
            self._chats[chat] = (tokens, now)
            wait = (1 - tokens) / self._rate
        if len(self._chats) > self._size:
            self._chats.popitem(last=False)
        return wait


class Pacer:
    """Grants send slots at most `rate` a second, evenly spaced, lane by lane."""

    def __init__(self, rate: float, chat_rate: float = 1.0, chat_burst: int = 4) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0
        self._paused_until = 0.0
        self._waiting: dict[int, deque[asyncio.Future[None]]] = {lane: deque() for lane in LANES}
        self._granting: asyncio.Task[None] | None = None
        self._chats = ChatBuckets(chat_rate, chat_burst) if chat_rate > 0 else None

    async def slot(self, chat: str | None = None, lane: int = ANSWERS) -> None:
        """Wait for this chat's turn, then for a slot of the overall pace."""
        if chat is not None and self._chats is not None:
            wait = self._chats.wait_for(chat, time.monotonic())
            while wait > 0:
                # Asleep until this chat's bucket holds a token again, then ask anew:
                # another send to the chat may have taken it meanwhile.
                await asyncio.sleep(wait)
                wait = self._chats.wait_for(chat, time.monotonic())
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[lane].append(future)
        if self._granting is None or self._granting.done():
            self._granting = asyncio.create_task(self._grant())
        await future

    def pause(self, seconds: float) -> None:
        """The platform asked us to wait (`retry_after`): no slot for that long."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    async def _grant(self) -> None:
        while True:
            lane = next((lane for lane in LANES if self._waiting[lane]), None)
            if lane is None:
                return
            now = time.monotonic()
            start = max(self._next, self._paused_until)
            if now < start:
                await asyncio.sleep(start - now)
                continue
            future = self._waiting[lane].popleft()
            if future.done():
                continue
            future.set_result(None)
            # The next slot keeps to the grid, so a sleep that wakes a little late does
            # not slow every send after it; but never closer than MIN_GAP of a slot to
            # this one, so after a quiet spell there is no catch-up burst. Either way a
            # slot is at least one interval after the last planned one: no second holds
            # more than `rate` + 1 sends.
            self._next = max(start + self.interval, now + MIN_GAP * self.interval)
