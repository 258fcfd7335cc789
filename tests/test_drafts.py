"""Untouched drafts get one reminder, then go with their photos."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.app import ChungSuc
from bot.drafts import DraftSweeper
from storage.models import FormDraft, Interaction, Media
from tests.chat import Chat
from tests.conftest import Clock
from tests.test_nominate import send_photo, stored_photo


async def drafts(app: ChungSuc) -> int:
    async with app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(FormDraft)) or 0)


async def test_untouched_draft_is_reminded_once_then_deleted_with_its_photos(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    await chat.say("/decu")
    await chat.press("nominate:f:kind:village")
    await send_photo(chat, await stored_photo(app, clock))
    sweeper = DraftSweeper(app.sessions, app.outbox, app.services.catalogs, clock)

    clock.advance(days=29)
    assert await sweeper.sweep() == (0, 0)
    clock.advance(days=2)
    assert await sweeper.sweep() == (1, 0)
    assert await sweeper.sweep() == (0, 0), "one reminder, not one an hour"
    await app.outbox.drain()
    async with app.sessions() as session:
        pushed = (
            await session.scalars(select(Interaction.text).where(Interaction.kind == "push"))
        ).all()
    assert any("đang điền dở" in (text or "") for text in pushed)

    clock.advance(days=8)
    assert await sweeper.sweep() == (0, 1)
    assert await drafts(app) == 0
    async with app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Media)) == 0


async def test_touching_a_reminded_draft_keeps_it(chat: Chat, app: ChungSuc, clock: Clock) -> None:
    await chat.say("/decu")
    await chat.press("nominate:f:kind:village")
    sweeper = DraftSweeper(app.sessions, app.outbox, app.services.catalogs, clock)
    clock.advance(days=31)
    await sweeper.sweep()
    await chat.say("Thôn Tân Hiệp")
    clock.advance(days=8)
    assert await sweeper.sweep() == (0, 0)
    assert await drafts(app) == 1
