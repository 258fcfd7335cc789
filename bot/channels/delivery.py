"""What every phone channel needs to send reliably: a send-rate limit, retries with
backoff, duplicate detection and the numbered-menu rendering."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from content.i18n import Catalogs
from handlers.types import Button

T = TypeVar("T")


class RateLimiter:
    """A token bucket: at most `rate` sends per second on average, bursts up to `burst`."""

    def __init__(self, rate: float, burst: int | None = None) -> None:
        self.rate = rate
        self.capacity = float(burst or max(1, int(rate)))
        self._tokens = self.capacity
        self._updated = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)


class ChannelStartError(Exception):
    """A channel cannot start; the message tells the operator what to fix."""


async def with_retries(
    send: Callable[[], Awaitable[T]],
    *,
    transient: Callable[[BaseException], bool],
    retry_after: Callable[[BaseException], float | None] = lambda _error: None,
    attempts: int = 4,
    first_delay: float = 0.5,
    max_delay: float = 30.0,
) -> T:
    """Call `send`, retrying transient failures with exponential backoff (at most
    `max_delay` between tries); a platform's own "retry after N seconds" is honoured
    instead of the backoff when it gives one."""
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return await send()
        except Exception as error:
            if attempt == attempts or not transient(error):
                raise
            wait = retry_after(error)
            await asyncio.sleep(wait if wait is not None else delay)
            delay = min(delay * 2, max_delay)
    raise AssertionError("unreachable")


class SeenUpdates:
    """Remembers recent update keys, so a platform's duplicate delivery is handled once."""

    def __init__(self, size: int = 10_000) -> None:
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def first_time(self, key: str) -> bool:
        if key in self._keys:
            return False
        self._keys[key] = None
        if len(self._keys) > self._size:
            self._keys.popitem(last=False)
        return True


def numbered_menu(
    text: str, buttons: Sequence[Button], first: int, catalogs: Catalogs, language: str
) -> str:
    """`text` with the buttons as a numbered list and how to choose, for channels that
    have no buttons (Zalo). Numbering continues across the replies of one turn, matching
    the order the engine records them in."""
    if not buttons:
        return text
    _ = catalogs.translator(language).gettext
    lines = [f"{first + i}. {button.label}" for i, button in enumerate(buttons)]
    numbers = [str(first + i) for i in range(len(buttons))]
    if len(numbers) == 1:
        choices = numbers[0]
    else:
        choices = _("{items} hoặc {last}").format(items=", ".join(numbers[:-1]), last=numbers[-1])
    return "\n".join([text, "", *lines, _("Gõ {numbers} để chọn.").format(numbers=choices)])
