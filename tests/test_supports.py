"""Supports: opened by an officer for an accepted nomination whose nominee agreed to be
named, one per villager, counted for officers, a burst of new accounts held apart."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import ChungSuc
from storage.models import Contact, Nomination
from storage.review import BURST_SIZE
from tests.chat import Chat
from tests.conftest import Clock
from tests.test_review import CUA_TUNG, nominate, notices, offer, province_officer


async def accepted(chat: Chat, app: ChungSuc, clock: Clock, consent: str) -> tuple[str, Chat]:
    """A nomination in Xã Cửa Tùng, accepted by a province officer; the nominee's answer
    to being named is `consent`."""
    code = await nominate(chat)
    province = await province_officer(app, clock)
    async with app.sessions.begin() as session:
        row = await session.scalar(select(Nomination).where(Nomination.code == code))
        assert row is not None
        row.nominee_consent = consent
    await province.press("review:open")
    await province.press(f"review:view:{code}")
    await province.press(f"decide:accept:{code}")
    await province.press(f"review:view:{code}")
    return code, province


async def neighbour(app: ChungSuc, name: str, commune: str = CUA_TUNG) -> Chat:
    person = Chat(app.engine, "zalo", name * 3, name=name)
    await person.say("/start")
    async with app.sessions.begin() as session:
        contact = await session.scalar(
            select(Contact).where(Contact.external_id == person.external_id)
        )
        assert contact is not None
        contact.area = commune
        contact.province = "quang-tri"
    return person


async def test_villagers_support_an_opened_nomination_once_each(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    code, province = await accepted(chat, app, clock, "yes")
    villager = await neighbour(app, "hoa")
    await villager.say("/ungho")
    assert "chưa có hồ sơ nào mở" in villager.text
    await province.press(f"support:manage:{code}")
    assert "0 lượt ủng hộ, chưa mở" in province.text
    await province.press(f"support:opening:{code}")
    assert "Đã mở cho bà con ủng hộ" in province.text

    await villager.say("/ungho")
    assert "Thôn Tân Hiệp" in villager.text
    await villager.press(f"support:give:{code}")
    assert "Cảm ơn bạn đã ủng hộ Thôn Tân Hiệp" in villager.text
    await villager.press(f"support:give:{code}")
    assert "đã ủng hộ Thôn Tân Hiệp rồi" in villager.text
    elsewhere = await neighbour(app, "lam", "19405")
    await elsewhere.say("/ungho")
    assert "chưa có hồ sơ nào mở" in elsewhere.text, "only one's own commune is listed"

    await province.press(f"review:view:{code}")
    assert "Ủng hộ: 1 (đang mở)" in province.text
    await province.press(f"support:manage:{code}")
    await province.press(f"support:closing:{code}")
    await villager.press(f"support:give:{code}")
    assert "không mở để ủng hộ" in villager.text


async def test_a_nominee_who_did_not_agree_to_be_named_cannot_be_opened(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    code, province = await accepted(chat, app, clock, "not_asked")
    await province.press(f"support:manage:{code}")
    assert "support:opening:" + code not in province.button_ids()
    await offer(app, province, f"support:opening:{code}")
    await province.press(f"support:opening:{code}")
    assert "chưa mở ủng hộ được" in province.text
    villager = await neighbour(app, "hoa")
    await villager.press(f"support:give:{code}")
    assert "không mở để ủng hộ" in villager.text


async def test_a_burst_from_new_accounts_is_flagged_and_counted_apart(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    code, province = await accepted(chat, app, clock, "yes")
    await province.press(f"support:manage:{code}")
    await province.press(f"support:opening:{code}")
    for n in range(BURST_SIZE + 3):
        person = Chat(app.engine, "web", f"burst{n:03d}" * 3)
        await person.press(f"support:give:{code}")
        assert "Cảm ơn bạn" in person.text, "the person is thanked all the same"
    assert any("bất thường" in n and code in n for n in await notices(app, province))
    await province.say(code)
    await province.press(f"review:view:{code}")
    assert f"{BURST_SIZE + 3} lượt bất thường đang tạm giữ" in province.text
    await province.press(f"support:manage:{code}")
    assert "0 lượt ủng hộ" in province.text
    assert f"{BURST_SIZE + 3} lượt bất thường đang tạm giữ" in province.text
    await province.press(f"support:drop:{code}")
    assert f"Đã loại {BURST_SIZE + 3} lượt" in province.text
    assert "0 lượt ủng hộ" in province.text
