"""A commendation announcement drafted from a commended nomination names the nominee
and shows a photo only with the nominee's consent."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bot.app import ChungSuc
from storage.models import Broadcast, Nomination, NominationReview
from tests.chat import Chat
from tests.conftest import Clock
from tests.test_announce import make_officer, subscribers
from tests.test_nominate import ACHIEVEMENTS, CODE, send_photo, stored_photo


async def commended(chat: Chat, app: ChungSuc, clock: Clock, consent: str) -> str:
    """A villager's nomination, with a photo, commended by the provincial chairman."""
    await chat.say("/decu")
    await chat.press("nominate:f:kind:exemplary")
    await chat.say("Hộ ông Nguyễn Văn An")
    await chat.say("Cửa Tùng")
    await chat.press("nominate:f:commune:yes")
    await chat.press("nominate:skip:village")
    await chat.say(ACHIEVEMENTS)
    await send_photo(chat, await stored_photo(app, clock))
    await chat.press("nominate:done:photos")
    await chat.say("Lê Thị Lan")
    await chat.say("0912345678")
    await chat.press("nominate:f:consent_data:yes")
    await chat.press("nominate:f:consent_contact:yes")
    await chat.press(f"nominate:f:nominee_consent:{consent}")
    await chat.press("nominate:send")
    found = CODE.search(chat.text)
    assert found
    async with app.sessions.begin() as session:
        nomination = (await session.scalars(select(Nomination))).one()
        nomination.status = "commended"
        session.add(
            NominationReview(
                nomination_id=nomination.id,
                award="Bằng khen của Chủ tịch UBND tỉnh",
                decided_by_body="UBND tỉnh Quảng Trị",
                decision_number="1234/QĐ-UBND",
                decision_date=date(2026, 11, 15),
                updated_at=clock(),
            )
        )
    return found.group(0)


@pytest.mark.parametrize(("consent", "named"), [("yes", True), ("not_asked", False)])
async def test_commendation_draft_names_the_nominee_only_with_consent(
    chat: Chat, app: ChungSuc, clock: Clock, consent: str, named: bool
) -> None:
    code = await commended(chat, app, clock, consent)
    await subscribers(app, 2, area="19414")
    staff = await make_officer(app, "ha", "quang-tri")
    replies = await staff.press(f"commend:draft:{code}")
    # The draft is ready but for when to send it.
    assert "Gửi ngay hay hẹn giờ" in replies[-1].text
    await staff.press("announce:f:when:now")
    replies = await staff.press("announce:f:urgent:no")
    preview = replies[0]
    assert "Bằng khen của Chủ tịch UBND tỉnh" in preview.text
    assert "1234/QĐ-UBND" in preview.text and "15/11/2026" in preview.text
    assert ("Nguyễn Văn An" in preview.text) is named
    assert (preview.photo is not None) is named
    await staff.press("announce:send")
    async with app.sessions() as session:
        broadcast = (await session.scalars(select(Broadcast))).one()
    assert broadcast.kind == "commendation" and broadcast.audience == ["commune:19414"]
    assert broadcast.nomination_id is not None


async def test_only_commended_nominations_of_ones_area_can_be_drafted(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    code = await commended(chat, app, clock, "yes")
    elsewhere = await make_officer(app, "ag", "an-giang")
    await elsewhere.press(f"commend:draft:{code}")
    assert "Chỉ soạn được tin biểu dương" in elsewhere.text
    await chat.press(f"commend:draft:{code}")
    assert "chỉ dành cho cán bộ" in chat.text
