"""Subscribing: at once, then narrowed to one's commune and kinds of news; the menu says
what one can do next; and an announcement arrives, on Zalo too."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import ChungSuc
from storage.models import Contact
from tests.chat import Chat


async def contact_of(app: ChungSuc, chat: Chat) -> Contact:
    async with app.sessions() as session:
        found = await session.scalar(select(Contact).where(Contact.external_id == chat.external_id))
    assert found is not None
    return found


async def test_subscribing_takes_effect_at_once_and_the_menu_offers_to_stop(
    chat: Chat, app: ChungSuc
) -> None:
    await chat.say("/dangky")
    assert "Đã đăng ký" in chat.text
    assert "subscribe:commune" in chat.button_ids()
    assert (await contact_of(app, chat)).subscribed
    await chat.press("start:open")
    assert "subscribe:stop" in chat.button_ids() and "subscribe:open" not in chat.button_ids()
    await chat.press("subscribe:stop")
    assert "/dangky" in chat.text
    assert "subscribe:open" in chat.button_ids()


async def test_narrowing_to_a_commune_and_kinds_of_news(chat: Chat, app: ChungSuc) -> None:
    await chat.say("/dangky")
    await chat.press("subscribe:commune")
    await chat.say("xa kim thach huyen vinh linh")
    assert "Xã Cửa Tùng" in chat.text
    await chat.press("subcommune:f:commune:yes")
    assert "Đã ghi nhận Xã Cửa Tùng" in chat.text
    await chat.press("subscribe:topics")
    assert (
        "✅ Tin khen thưởng" in chat.labels()
        and "⬜ Kết quả hằng tháng của xã tôi" in chat.labels()
    )
    await chat.press("subscribe:toggle:results")
    await chat.press("subscribe:toggle:commendations")
    assert "✅ Kết quả hằng tháng của xã tôi" in chat.labels()
    assert "⬜ Tin khen thưởng" in chat.labels()
    contact = await contact_of(app, chat)
    assert contact.area == "19414"
    assert contact.topics == ",announcements,events,results,"
