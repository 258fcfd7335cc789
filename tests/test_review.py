"""Officers review nominations: the queue, both tiers, every decision, notices to the
nominator, area scoping and bad input."""

from __future__ import annotations

import asyncio
import csv
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import ChungSuc
from bot.export import export_nominations, export_request
from handlers.yearly_report import build_report, report_text
from storage.invites import create_invite
from storage.models import (
    AuditEntry,
    Contact,
    ConversationState,
    Delivery,
    Interaction,
    Nomination,
    NominationEvent,
    NominationReview,
)
from storage.review import Scope
from tests.chat import Chat
from tests.conftest import Clock
from tests.test_nominate import CODE, fill_until_summary, send_photo, stored_photo

CUA_TUNG = "19414"


async def officer(
    app: ChungSuc, clock: Clock, area: str | None, external_id: str, name: str
) -> Chat:
    """An officer who redeemed an invite for `area` (a province, a commune code, None)."""
    async with app.sessions.begin() as session:
        code = await create_invite(
            session, role="officer", area=area, created_by="test", now=clock()
        )
    person = Chat(app.engine, "web", external_id, name=name)
    await person.say(f"/canbo {code}")
    assert "Xác nhận xong" in person.text
    return person


async def commune_officer(app: ChungSuc, clock: Clock, area: str = CUA_TUNG) -> Chat:
    return await officer(app, clock, area, "c" * 22, "Cán bộ xã Hòa")


async def province_officer(app: ChungSuc, clock: Clock, area: str = "quang-tri") -> Chat:
    return await officer(app, clock, area, "p" * 22, "Cán bộ tỉnh Minh")


async def nominate(chat: Chat, nominee: str = "Thôn Tân Hiệp", kind: str = "village") -> str:
    """A villager sends a nomination in Xã Cửa Tùng; its receipt code."""
    await fill_until_summary(chat, kind, nominee)
    await chat.press("nominate:send")
    found = CODE.search(chat.text)
    assert found, chat.text
    return found.group(0)


async def settle(app: ChungSuc) -> None:
    """Let every message to other people go out."""
    await app.engine.drain()
    drain = getattr(app.outbox, "drain", None)
    if drain is not None:
        await drain()


async def contact_id(app: ChungSuc, chat: Chat) -> int:
    async with app.sessions() as session:
        found = await session.scalar(
            select(Contact.id).where(
                Contact.channel == chat.channel, Contact.external_id == chat.external_id
            )
        )
    assert found is not None
    return int(found)


async def notices(app: ChungSuc, chat: Chat) -> list[str]:
    """What reached this person outside their own turns, oldest first: web pushes are
    logged as interactions of kind "push"; deliveries still owed count too."""
    await settle(app)
    person = await contact_id(app, chat)
    async with app.sessions() as session:
        pushed = (
            await session.scalars(
                select(Interaction.text)
                .where(Interaction.contact_id == person, Interaction.kind == "push")
                .order_by(Interaction.id)
            )
        ).all()
        owed = (
            await session.scalars(
                select(Delivery.replies)
                .where(Delivery.contact_id == person, Delivery.status != "sent")
                .order_by(Delivery.id)
            )
        ).all()
    texts = [t for t in pushed if t]
    texts += [str(r.get("text", "")) for replies in owed for r in replies]
    return texts


async def nomination(app: ChungSuc, code: str) -> Nomination:
    async with app.sessions() as session:
        found = await session.scalar(select(Nomination).where(Nomination.code == code))
    assert found is not None
    return found


async def test_a_nomination_goes_through_both_tiers_and_the_villager_hears_each_step(
    chat: Chat, app: ChungSuc, clock: Clock, tmp_path: Path
) -> None:
    code = await nominate(chat)
    commune = await commune_officer(app, clock)
    province = await province_officer(app, clock)

    await commune.say("/duyet")
    assert code in commune.text and "Thôn Tân Hiệp" in commune.text
    await commune.press(f"review:view:{code}")
    assert "Người đề cử: Lê Thị Lan, +84912345678" in commune.text
    assert "decide:accept:" + code not in commune.button_ids(), "the commune only recommends"
    await commune.press(f"decide:ask:{code}")
    await commune.say("Thôn có bao nhiêu hộ dùng nước sạch? Xin gửi ảnh công trình.")
    assert "Đã gửi câu hỏi" in commune.text
    assert (await nomination(app, code)).status == "needs_info"
    [asked] = await notices(app, chat)
    assert code in asked and "bao nhiêu hộ" in asked and "/traloi" in asked

    await chat.say("/traloi")
    assert "bao nhiêu hộ" in chat.text
    replies = await send_photo(chat, await stored_photo(app, clock))
    assert "Đã nhận ảnh 1/5" in replies[0].text
    await chat.say("Thôn có 120 hộ, tất cả đều dùng nước sạch từ năm 2024.")
    await chat.press("reply:done")
    assert "trở lại hàng chờ duyệt" in chat.text
    assert (await nomination(app, code)).status == "in_review"
    assert any("đã bổ sung hồ sơ " + code in n for n in await notices(app, commune))

    await commune.say("/duyet")
    replies = await commune.press(f"review:view:{code}")
    assert replies[0].photo and replies[0].photo.startswith("media:"), "the new photo shows"
    assert "Thôn có 120 hộ" in commune.text
    await commune.press(f"decide:recommend:{code}:accept")
    assert "Đã gửi đề nghị công nhận" in commune.text
    assert any(code in n and "/duyet" in n for n in await notices(app, province))

    await province.say("/duyet")
    assert "xã đề nghị công nhận" in province.text
    await province.press(f"review:view:{code}")
    await province.press(f"decide:accept:{code}")
    assert "Đã công nhận hồ sơ" in province.text
    await province.press(f"decide:commend:{code}")
    await province.press(f"decide:award:{code}:bang_khen_tinh")
    assert "UBND tỉnh Quảng Trị" in province.labels()
    await province.press_label("UBND tỉnh Quảng Trị")
    await province.say("1234/QĐ-UBND")
    await province.say("01/03/2026")
    assert "Bằng khen của Chủ tịch UBND tỉnh" in province.text
    await province.press(f"decide:confirm:{code}")
    assert "Đã ghi nhận khen thưởng" in province.text
    assert (await nomination(app, code)).status == "commended"

    told = await notices(app, chat)
    assert len(told) == 4, told
    assert "chuyển lên tỉnh" in told[1]
    assert "đã được công nhận" in told[2]
    assert "Bằng khen của Chủ tịch UBND tỉnh" in told[3] and "1234/QĐ-UBND" in told[3]
    assert all(code in text for text in told)
    await chat.say(code)
    assert "đã được khen thưởng" in chat.text

    path = tmp_path / "nominations.csv"
    request = export_request(
        format="csv",
        output=str(path),
        since=None,
        until=None,
        status="commended",
        kind=None,
        area="quang-tri",
        with_contacts=False,
    )
    assert await export_nominations(app.sessions, request, actor="test", now=clock()) == 1
    with path.open(encoding="utf-8-sig", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["Mã hồ sơ"] == code and row["Mã tình trạng"] == "commended"
    assert row["Hình thức khen thưởng"] == "Bằng khen của Chủ tịch UBND tỉnh"
    assert row["Lượt ủng hộ"] == "0" and row["Số ảnh"] == "1"
    assert "+84912345678" not in path.read_text(encoding="utf-8-sig")

    async with app.sessions() as session:
        report = await build_report(session, Scope(province="quang-tri"), 2026, "tỉnh Quảng Trị")
    text = report_text(report, app.services.catalogs.translator("vi"), clock())
    assert "1. Đề cử nhận được: 1" in text and "2. Khen thưởng: 1" in text
    assert f"{code} Thôn Tân Hiệp (Xã Cửa Tùng): Bằng khen của Chủ tịch UBND tỉnh" in text
    async with app.sessions() as session:
        actions = set((await session.scalars(select(AuditEntry.action))).all())
    assert {
        "review.ask_info",
        "review.recommend",
        "review.accept",
        "review.commend",
        "nominations.exported",
    } <= actions


async def offer(app: ChungSuc, chat: Chat, *button_ids: str) -> None:
    """As if these buttons were in the last message the person received (an old
    message, or a view opened before someone else acted)."""
    person = await contact_id(app, chat)
    async with app.sessions.begin() as session:
        state = await session.get(ConversationState, person)
        assert state is not None
        state.offered = [[b, b] for b in button_ids]


async def refusals(app: ChungSuc) -> list[dict[str, object]]:
    async with app.sessions() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("%refused")).order_by(AuditEntry.id)
        )
        return [dict(entry.details, target=entry.target) for entry in rows]


async def test_two_officers_deciding_at_once_one_wins_and_the_other_hears_who(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    code = await nominate(chat)
    first = await province_officer(app, clock)
    second = await officer(app, clock, "quang-tri", "s" * 22, "Cán bộ tỉnh Lâm")
    for person in (first, second):
        await person.press("review:open")
        await person.press(f"review:view:{code}")
    await second.press(f"decide:reject:{code}")
    accepted, rejected = await asyncio.gather(
        first.press(f"decide:accept:{code}"),
        second.press(f"decide:reason:reject:{code}:criteria"),
    )
    assert "Đã công nhận hồ sơ" in accepted[-1].text
    assert "vừa được Cán bộ tỉnh Minh chuyển sang “đã được công nhận”" in rejected[-1].text
    assert "không được ghi nhận" in rejected[-1].text
    async with app.sessions() as session:
        events = (await session.scalars(select(NominationEvent.to_status))).all()
    assert list(events) == ["submitted", "accepted"]
    assert [n for n in await notices(app, chat) if "chưa được chấp nhận" in n] == []
    assert (await refusals(app))[-1]["reason"] == "taken"


async def test_an_officer_of_another_commune_can_reach_nothing_of_this_one(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    code = await nominate(chat)
    await chat.say("Xã tôi muốn mở lớp dạy nghề đan lát thì xin hỗ trợ ở đâu?")
    await chat.press("ask:handoff")
    await chat.press(f"track:home:{code}")
    province = await province_officer(app, clock)
    await province.press("review:open")
    await province.press(f"review:view:{code}")
    await province.press(f"decide:accept:{code}")
    other = await officer(app, clock, "19405", "o" * 22, "Cán bộ xã Vĩnh Thủy")

    await other.say("/duyet")
    assert code not in other.text and "Chưa có hồ sơ nào chờ duyệt" in other.text
    await other.say(code)
    assert "Không tìm thấy hồ sơ" in other.text and "Tân Hiệp" not in other.text
    await other.say("/hopthu")
    assert "trống" in other.text
    await other.say("/baocao")
    assert "Đề cử nhận được: 0" in other.text
    await other.say("/thongke")
    assert "Người đã nhắn tin: 0" in other.text
    buttons = [
        f"review:view:{code}",
        f"decide:accept:{code}",
        f"decide:reject:{code}",
        f"decide:reason:reject:{code}:criteria",
        f"decide:recommend:{code}:accept",
        f"decide:ask:{code}",
        f"decide:duplicate:{code}",
        f"decide:commend:{code}",
        f"support:manage:{code}",
        f"support:opening:{code}",
        f"support:keep:{code}",
        "inbox:answer:1",
        "inbox:askback:1",
    ]
    for button in buttons:
        await offer(app, other, button)
        replies = await other.press(button)
        assert "Không tìm thấy" in replies[-1].text, (button, replies[-1].text)
    assert (await nomination(app, code)).status == "accepted"
    assert len(await refusals(app)) == len(buttons) + 1, "the typed code too"


async def test_citizens_and_members_are_refused_review_and_nothing_changes(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    code = await nominate(chat)
    member = Chat(app.engine, "zalo", "m" * 22)
    async with app.sessions.begin() as session:
        code_ = await create_invite(
            session,
            role="member",
            area=None,
            organisation="Hội Nông dân",
            created_by="t",
            now=clock(),
        )
    await member.say(f"/canbo {code_}")
    for person in (chat, member):
        for command in ("/duyet", "/baocao"):
            await person.say(command)
            assert "chỉ dành cho cán bộ" in person.text
        for button in (f"decide:accept:{code}", f"review:view:{code}", "review:open"):
            await offer(app, person, button)
            await person.press(button)
            assert "chỉ dành cho cán bộ" in person.text
    assert (await nomination(app, code)).status == "submitted"
    refused = await refusals(app)
    assert len(refused) == 2 * 5, "each refusal is in the audit log"
    assert {entry["reason"] for entry in refused} == {"not_authorized"}


async def test_a_decided_submission_cannot_be_decided_again(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    code = await nominate(chat)
    province = await province_officer(app, clock)
    await province.press("review:open")
    await province.press(f"review:view:{code}")
    await province.press(f"decide:reject:{code}")
    await province.press(f"decide:reason:reject:{code}:evidence")
    assert "không được công nhận" in province.text
    for button in (f"decide:accept:{code}", f"decide:duplicate:{code}"):
        await offer(app, province, button)
        await province.press(button)
        assert "không làm được việc này" in province.text or "Hồ sơ" in province.text
    await offer(app, province, f"decide:accept:{code}")
    await province.press(f"decide:accept:{code}")
    assert "đang ở tình trạng “chưa được chấp nhận”, không làm được việc này" in province.text
    assert (await nomination(app, code)).status == "rejected"
    [told] = [n for n in await notices(app, chat) if code in n]
    assert "Chưa đủ minh chứng để xác minh" in told


async def test_duplicate_needs_another_existing_code(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    original = await nominate(chat)
    # A neighbour sends the same village again.
    neighbour = Chat(app.engine, "web", "n" * 22, name="Hòa")
    copy = await nominate(neighbour, "Thôn Tân Hiệp mới")
    province = await province_officer(app, clock)
    await province.press("review:open")
    await province.press(f"review:view:{copy}")
    assert original in province.text, "a likely duplicate"
    await province.press(f"decide:duplicate:{copy}")
    await province.say("DC-ZZZZZ")
    assert "Không tìm thấy hồ sơ DC-ZZZZZ" in province.text
    await province.say("khong phai ma")
    assert "Không tìm thấy hồ sơ" in province.text
    await province.say(copy.lower())
    assert "chính là hồ sơ này" in province.text
    assert (await nomination(app, copy)).status == "submitted"
    await province.say(original)
    assert "là hồ sơ trùng" in province.text
    assert (await nomination(app, copy)).status == "duplicate"
    assert any(original in n and copy in n for n in await notices(app, neighbour))


async def test_a_rejection_needs_a_reason(chat: Chat, app: ChungSuc, clock: Clock) -> None:
    code = await nominate(chat)
    province = await province_officer(app, clock)
    await province.press("review:open")
    await province.press(f"review:view:{code}")
    await province.press(f"decide:reject:{code}")
    for empty in ("   ", "ok", "..."):
        await province.say(empty)
        assert "Lý do" in province.text or "Bạn cần gì" in province.text
        assert (await nomination(app, code)).status == "submitted"
    await province.say("Thôn chưa hoàn thành tiêu chí về môi trường.")
    assert (await nomination(app, code)).status == "rejected"
    [told] = [n for n in await notices(app, chat) if "chưa được chấp nhận" in n]
    assert "tiêu chí về môi trường" in told


async def test_bad_commendation_details_are_asked_again(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    code = await nominate(chat)
    province = await province_officer(app, clock)
    await province.press("review:open")
    await province.press(f"review:view:{code}")
    await province.press(f"decide:accept:{code}")
    await province.press(f"decide:commend:{code}")
    await province.press(f"decide:award:{code}:other")
    await province.say("Giấy khen của Hội Nông dân tỉnh")
    await province.say("Hội Nông dân tỉnh Quảng Trị")
    await province.say("không số")
    assert "cần có chữ số" in province.text
    await province.say("56/QĐ-HND")
    for wrong in ("hôm qua", "31/02/2026", "01/04/2026"):
        await province.say(wrong)
        assert "Ngày chưa đúng" in province.text
    await province.say("2026-03-01")
    await province.press(f"decide:confirm:{code}")
    async with app.sessions() as session:
        review = await session.get(NominationReview, (await nomination(app, code)).id)
    assert review is not None and review.award == "Giấy khen của Hội Nông dân tỉnh"
    assert review.award_kind == "other" and review.decision_number == "56/QĐ-HND"
    assert str(review.decision_date) == "2026-03-01"


async def test_without_the_commune_tier_the_province_decides_alone(
    chat: Chat, app: ChungSuc, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.engine.services = replace(app.engine.services, review_commune_tier=False)
    code = await nominate(chat)
    commune = await commune_officer(app, clock)
    await commune.press("review:open")
    await commune.press(f"review:view:{code}")
    assert commune.button_ids()[:1] == [f"decide:ask:{code}"]
    assert not any("recommend" in b for b in commune.button_ids())
    await offer(app, commune, f"decide:recommend:{code}:accept")
    await commune.press(f"decide:recommend:{code}:accept")
    assert "không làm được việc này" in commune.text
    assert (await nomination(app, code)).status == "submitted"


async def test_officers_see_their_area_by_its_real_name(app: ChungSuc, clock: Clock) -> None:
    commune = await commune_officer(app, clock)
    assert "cán bộ phụ trách Xã Cửa Tùng" in commune.text
    province = await province_officer(app, clock, "an-giang")
    assert "cán bộ phụ trách tỉnh An Giang" in province.text


async def test_the_queue_filters_by_kind_and_status_oldest_first(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    village = await nominate(chat)
    clock.advance(minutes=5)
    person = await nominate(Chat(app.engine, "web", "n" * 22), "Hộ ông Nguyễn Văn An", "exemplary")
    province = await province_officer(app, clock)
    await province.say("/duyet")
    assert province.text.index(village) < province.text.index(person)
    await province.press("review:kinds:waiting")
    await province.press("review:list:waiting:exemplary:0")
    assert person in province.text and village not in province.text
    await province.press("review:statuses:exemplary")
    await province.press("review:list:accepted:exemplary:0")
    assert "Không có hồ sơ nào đã công nhận" in province.text


async def test_the_nominator_is_told_in_their_own_language(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    code = await nominate(chat)
    await chat.say("/ngonngu")
    await chat.press("language:set:en")
    province = await province_officer(app, clock)
    await province.press("review:open")
    await province.press(f"review:view:{code}")
    await province.press(f"decide:accept:{code}")
    assert "Đã công nhận hồ sơ" in province.text, "the officer keeps Vietnamese"
    [told] = await notices(app, chat)
    assert told.startswith(f"Good news! Submission {code} (Thôn Tân Hiệp) has been accepted")


async def test_a_commune_officer_recommends_rejection_with_a_reason(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    code = await nominate(chat)
    commune = await commune_officer(app, clock)
    await commune.press("review:open")
    await commune.press(f"review:view:{code}")
    await commune.press(f"decide:recommend:{code}:reject")
    await commune.say("Thôn chưa có nhà văn hóa.")
    assert "Đã gửi đề nghị không công nhận" in commune.text
    province = await province_officer(app, clock)
    await province.say("/duyet")
    assert "xã đề nghị không công nhận" in province.text
    await province.press(f"review:view:{code}")
    assert "Cán bộ xã: đề nghị không công nhận" in province.text
    assert "đề nghị không công nhận: Thôn chưa có nhà văn hóa." in province.text
    assert (await nomination(app, code)).status == "in_review"
