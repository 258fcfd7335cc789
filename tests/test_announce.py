"""Officers compose announcements in chat: preview, schedule, urgent, cancel."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import ChungSuc
from storage.models import Broadcast, Contact, Interaction
from tests.chat import Chat
from tests.conftest import Clock


async def make_officer(app: ChungSuc, external_id: str, area: str) -> Chat:
    staff = Chat(app.engine, "web", external_id.ljust(24, "o"), name="Cán bộ Hà")
    await staff.say("/start")
    async with app.sessions.begin() as session:
        contact = await session.scalar(
            select(Contact).where(Contact.external_id == staff.external_id)
        )
        assert contact is not None
        contact.role = "officer"
        contact.area = area
    return staff


async def subscribers(app: ChungSuc, n: int, area: str | None = None) -> None:
    async with app.sessions.begin() as session:
        for i in range(n):
            session.add(
                Contact(
                    channel="web",
                    external_id=f"sub{area}{i}".ljust(24, "s"),
                    province="quang-tri",
                    area=area,
                    subscribed=True,
                )
            )


async def compose(
    staff: Chat, text: str = "Chủ nhật này ra quân làm đường giao thông nông thôn."
) -> None:
    await staff.say("/thongbao")
    await staff.say(text)
    await staff.press("announce:skip:photo")
    await staff.press("announce:f:audience:province")
    await staff.press("announce:f:when:now")
    await staff.press("announce:f:urgent:no")


async def test_citizen_cannot_compose(chat: Chat) -> None:
    await chat.say("/thongbao")
    assert "chỉ dành cho cán bộ" in chat.text


async def test_officer_previews_sends_and_hears_how_it_went(app: ChungSuc) -> None:
    await subscribers(app, 12)
    staff = await make_officer(app, "ha", "quang-tri")
    await compose(staff)
    preview, count, summary = staff.replies[-3:]
    assert preview.text.startswith("Chủ nhật này ra quân")
    assert "Số người nhận: 12" in count.text
    assert "announce:send" in [b.id for b in summary.buttons]
    await staff.press("announce:send")
    assert "Đã xếp thông báo #1 gửi tới 12 người" in staff.text
    await app.broadcasts.tick()
    await app.engine.drain()
    await app.broadcasts.tick()
    await app.engine.drain()
    async with app.sessions() as session:
        broadcast = await session.get(Broadcast, 1)
        pushed = (
            await session.scalars(select(Interaction.text).where(Interaction.kind == "push"))
        ).all()
    assert broadcast is not None and broadcast.status == "done"
    assert sum(1 for t in pushed if t and t.startswith("Chủ nhật này")) == 12
    assert any(t and "đã gửi xong" in t for t in pushed)
    await staff.press("announce:cancel:1")
    assert "không hủy được nữa" in staff.text
    spoken, notice = await staff.press("announce:script:1")
    assert "Kính thưa" in spoken.text and spoken.document is not None
    assert notice.document is not None and notice.document.filename.endswith(".html")


async def test_bad_input_gets_a_clear_answer_and_changes_nothing(
    app: ChungSuc, clock: Clock
) -> None:
    staff = await make_officer(app, "ha", "quang-tri")
    await staff.say("/thongbao")
    assert "Ngắn quá" in " ".join(r.text for r in await staff.say("ok"))
    assert "Dài quá" in " ".join(r.text for r in await staff.say("x" * 3500))
    await staff.say("Họp tổng kết phong trào cuối năm.")
    await staff.press("announce:skip:photo")
    await staff.press("announce:f:audience:province")
    await staff.press("announce:f:when:later")
    said = " ".join(r.text for r in await staff.say("7:30 1/3/2026"))
    assert "đã qua" in said
    said = " ".join(r.text for r in await staff.say("7:30 1/3/2028"))
    assert "trong vòng một năm" in said
    said = " ".join(r.text for r in await staff.say("khi nao cung duoc"))
    assert "chưa đọc được giờ" in said
    await staff.say("7:30 24/12")
    await staff.press("announce:f:urgent:no")
    said = " ".join(r.text for r in await staff.press("announce:send"))
    assert "Chưa có ai đăng ký" in said
    async with app.sessions() as session:
        assert (await session.scalars(select(Broadcast))).first() is None


async def test_commune_officer_addresses_only_their_commune(app: ChungSuc) -> None:
    await subscribers(app, 3, area="19414")
    await subscribers(app, 4)
    staff = await make_officer(app, "xa", "19414")
    await staff.say("/thongbao")
    await staff.say("Lịch tiêm phòng cho gia súc tuần này.")
    await staff.press("announce:skip:photo")
    assert [b.id for b in staff.last.buttons][:1] == ["announce:f:audience:mycommune"]
    assert len([b for b in staff.last.buttons if ":audience:" in b.id]) == 1
    await staff.press("announce:f:audience:mycommune")
    await staff.press("announce:f:when:now")
    replies = await staff.press("announce:f:urgent:no")
    assert "Số người nhận: 3" in replies[-2].text
