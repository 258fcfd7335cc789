"""An update that fails every time is set aside after the second time, with an
apology, instead of being retried for ever; a lone surrogate is no such update."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.app import ChungSuc
from handlers import engine as engine_module
from handlers.types import Incoming
from storage.inbound import keep_inbound, set_aside_count
from storage.models import InboundUpdate, Interaction
from tests.conftest import Clock


async def test_an_update_failing_twice_the_same_way_is_set_aside(
    app: ChungSuc, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = engine_module.record_interactions

    async def refuse_poison(session: Any, rows: list[dict[str, Any]]) -> None:
        if any("POISON" in (row.get("text") or "") for row in rows):
            raise ValueError("value too long for type character varying(200)")
        await real(session, rows)

    monkeypatch.setattr(engine_module, "record_interactions", refuse_poison)
    receipt = await keep_inbound(app.sessions, "telegram", "77", {"update_id": 77}, clock())
    incoming = Incoming("telegram", "4242", text="POISON", receipt=receipt)
    assert await app.engine.handle(incoming) == [], "first failure: left to try again"
    [apology] = await app.engine.handle(incoming)
    assert "không xử lý được" in apology.text
    async with app.sessions() as session:
        row = await session.get(InboundUpdate, receipt)
        assert row is not None and row.handled_at is not None
        assert row.payload["update"] == {"update_id": 77}
        assert await set_aside_count(session) == 1


async def test_a_lone_surrogate_is_answered_not_retried(app: ChungSuc, clock: Clock) -> None:
    receipt = await keep_inbound(app.sessions, "zalo", "m1", {"message": "x"}, clock())
    replies = await app.engine.handle(
        Incoming("zalo", "z" * 20, text="hỏi \ud800 ntm", name="Mai\udfff", receipt=receipt)
    )
    assert replies
    async with app.sessions() as session:
        texts = (await session.scalars(select(Interaction.text))).all()
    assert "hỏi \ufffd ntm" in texts
