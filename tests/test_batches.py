"""Updates handled in batches, replies sent in order per chat (bot/channels/batches.py)."""

from __future__ import annotations

import asyncio
import logging
from functools import partial

import pytest

from bot.channels.batches import OrderedSends, UpdateBatches


async def settle() -> None:
    """Let every task that can run, run: a few trips around the event loop."""
    for _ in range(20):
        await asyncio.sleep(0)


class Recorder:
    """A batch handler that notes each batch; it holds the first one until released."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.holding = asyncio.Event()
        self.release = asyncio.Event()
        self.handled = asyncio.Event()

    async def __call__(self, batch: list[int]) -> None:
        self.batches.append(batch)
        if len(self.batches) == 1:
            self.holding.set()
            await self.release.wait()
        self.handled.set()

    async def wait_for(self, items: int) -> None:
        async with asyncio.timeout(2):
            while sum(map(len, self.batches)) < items:
                self.handled.clear()
                await self.handled.wait()


@pytest.mark.parametrize(
    ("max_batch", "expected"),
    [(200, [[0], [1, 2, 3, 4, 5]]), (2, [[0], [1, 2], [3, 4], [5]])],
)
async def test_everything_queued_during_a_batch_is_handed_over_as_the_next_batch(
    max_batch: int, expected: list[list[int]]
) -> None:
    handle = Recorder()
    batches = UpdateBatches(handle, max_batch=max_batch)
    batches.start()
    await batches.put(0)
    await handle.holding.wait()
    for item in range(1, 6):
        await batches.put(item)
    await settle()
    assert handle.batches == [[0]], "nothing else is handed over while a batch is handled"
    handle.release.set()
    await handle.wait_for(6)
    assert handle.batches == expected, "all that waited, up to max_batch at a time"
    await batches.stop(1)


async def test_a_failing_batch_does_not_stop_the_worker(caplog: pytest.LogCaptureFixture) -> None:
    handled: list[list[int]] = []
    later = asyncio.Event()

    async def handle(batch: list[int]) -> None:
        handled.append(batch)
        if batch == [0]:
            raise RuntimeError("database went away")
        later.set()

    batches = UpdateBatches(handle)
    batches.start()
    with caplog.at_level(logging.ERROR, logger="bot.channels.batches"):
        await batches.put(0)
        await settle()
        await batches.put(1)
        await asyncio.wait_for(later.wait(), 2)
    assert handled == [[0], [1]]
    [record] = caplog.records
    assert record.getMessage() == "a batch of 1 updates failed" and record.exc_info
    await batches.stop(1)


async def test_stop_handles_what_is_queued_before_returning() -> None:
    handled: list[int] = []

    async def handle(batch: list[int]) -> None:
        await asyncio.sleep(0.01)
        handled.extend(batch)

    batches = UpdateBatches(handle, max_batch=2)
    for item in range(5):
        await batches.put(item)
    batches.start()
    await batches.stop(2)
    assert handled == [0, 1, 2, 3, 4]


async def test_sends_for_one_chat_run_in_order_even_when_the_first_is_slow() -> None:
    events: list[str] = []
    first_may_finish = asyncio.Event()

    async def first() -> None:
        events.append("first started")
        await first_may_finish.wait()
        await asyncio.sleep(0.01)
        events.append("first finished")

    async def second() -> None:
        events.append("second started")

    sends = OrderedSends()
    await sends.send("5550001", first)
    await sends.send("5550001", second)
    await settle()
    assert events == ["first started"], "the second send waits for the first"
    first_may_finish.set()
    await sends.drain(1)
    assert events == ["first started", "first finished", "second started"]


async def test_sends_for_different_chats_run_concurrently() -> None:
    lan_may_finish = asyncio.Event()
    binh_sent = asyncio.Event()

    async def to_lan() -> None:
        await lan_may_finish.wait()

    async def to_binh() -> None:
        binh_sent.set()

    sends = OrderedSends()
    await sends.send("lan", to_lan)
    await sends.send("binh", to_binh)
    await asyncio.wait_for(binh_sent.wait(), 1)
    lan_may_finish.set()
    await sends.drain(1)


async def test_a_failed_send_is_logged_and_the_next_one_still_goes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sent: list[str] = []

    async def failing() -> None:
        raise ConnectionResetError("peer hung up")

    async def next_one() -> None:
        sent.append("next")

    sends = OrderedSends()
    with caplog.at_level(logging.ERROR, logger="bot.channels.batches"):
        await sends.send("lan", failing)
        await sends.send("lan", next_one)
        await sends.drain(1)
    assert sent == ["next"]
    [record] = caplog.records
    assert record.getMessage() == "sending a reply failed" and record.exc_info


async def test_drain_waits_for_sends_in_flight() -> None:
    sent: list[int] = []

    async def slow(number: int) -> None:
        await asyncio.sleep(0.02)
        sent.append(number)

    sends = OrderedSends()
    for number in range(3):
        await sends.send("lan", partial(slow, number))
    await sends.send("binh", partial(slow, 9))
    await sends.drain(2)
    assert sorted(sent) == [0, 1, 2, 9] and [n for n in sent if n != 9] == [0, 1, 2]


async def test_drain_cancels_what_is_still_unsent_after_its_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cancelled = asyncio.Event()

    async def stuck() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    sends = OrderedSends()
    await sends.send("lan", stuck)
    await settle()
    with caplog.at_level(logging.WARNING, logger="bot.channels.batches"):
        await asyncio.wait_for(sends.drain(0.05), 1)
    await asyncio.wait_for(cancelled.wait(), 1)
    assert "stopped with 1 replies unsent" in caplog.text


async def test_chats_beyond_the_bound_wait_to_be_scheduled() -> None:
    first_may_finish = asyncio.Event()

    async def first() -> None:
        await first_may_finish.wait()

    async def second() -> None:
        pass

    sends = OrderedSends(max_chats=1)
    await sends.send("lan", first)
    scheduling = asyncio.create_task(sends.send("binh", second))
    await settle()
    assert not scheduling.done(), "one chat has a send in flight already"
    first_may_finish.set()
    await asyncio.wait_for(scheduling, 1)
    await sends.drain(1)


async def test_one_chat_with_many_replies_owed_holds_one_place() -> None:
    flood_may_finish = asyncio.Event()
    sent: list[str] = []

    async def slow_reply() -> None:
        await flood_may_finish.wait()
        sent.append("lan")

    async def reply_to_binh() -> None:
        sent.append("binh")

    sends = OrderedSends(max_chats=2)
    for _ in range(50):
        await asyncio.wait_for(sends.send("lan", slow_reply), 1)
    await asyncio.wait_for(sends.send("binh", reply_to_binh), 1)
    await settle()
    assert sent == ["binh"], "Bình is answered while Lan's fifty replies wait"
    flood_may_finish.set()
    await sends.drain(1)
    assert sent.count("lan") == 50
    # Every place is given back: two more chats fit at once.
    await asyncio.wait_for(sends.send("chi", reply_to_binh), 1)
    await asyncio.wait_for(sends.send("dung", reply_to_binh), 1)
    await sends.drain(1)
