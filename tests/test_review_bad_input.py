"""Review's bad input, each on SQLite and on PostgreSQL: people who are not officers,
officers of another area, decisions on what was decided already or by someone else at
the same moment, duplicates of nothing or of itself, empty reasons, and exports asked
for the impossible. Each gets a clear answer, and nothing changes but the audit log."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import ChungSuc
from bot.config import Settings, load_settings
from handlers.flood import FloodGate
from storage.invites import create_invite
from storage.models import (
    AuditEntry,
    Broadcast,
    Delivery,
    InfoRequest,
    Nomination,
    NominationEvent,
    NominationReview,
    Support,
)
from tests.chat import Chat
from tests.conftest import Clock
from tests.test_cli import cli
from tests.test_review import (
    nominate,
    nomination,
    notices,
    offer,
    officer,
    province_officer,
    settle,
)

VINH_THUY = "19405"
AN_CHAU = "30589"


@pytest.fixture
def settings(storage_url: str, tmp_path: Path) -> Settings:
    """The service of every test here, on SQLite and on PostgreSQL."""
    return load_settings(
        database_url=storage_url,
        web_port=0,
        admins="web:" + "a" * 24,
        media_dir=tmp_path / "media",
    )


@pytest.fixture(autouse=True)
def no_flood_gate(app: ChungSuc) -> None:
    # Each test presses dozens of old buttons in a row, faster than any person could:
    # the gate that tells people to slow down would answer in place of review.
    app.engine.flood = FloodGate(limit=10**9)


Snapshot = tuple[object, ...]


async def snapshot(app: ChungSuc) -> Snapshot:
    """Everything review can change, apart from the audit log."""
    async with app.sessions() as session:
        nominations = (
            await session.execute(
                select(Nomination.code, Nomination.status, Nomination.updated_at).order_by(
                    Nomination.id
                )
            )
        ).all()
        counts = [
            await session.scalar(select(func.count()).select_from(model))
            for model in (
                NominationEvent,
                NominationReview,
                InfoRequest,
                Support,
                Delivery,
                Broadcast,
            )
        ]
        reviews = (
            await session.execute(
                select(
                    NominationReview.recommendation,
                    NominationReview.reason,
                    NominationReview.supports_open,
                    NominationReview.award,
                )
            )
        ).all()
    return (tuple(nominations), tuple(counts), tuple(reviews))


async def refusals(app: ChungSuc) -> int:
    async with app.sessions() as session:
        found = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("%refused"))
        )
    return int(found or 0)


async def accepted(app: ChungSuc, chat: Chat, clock: Clock) -> tuple[str, Chat]:
    """A nomination of Xã Cửa Tùng accepted by a province officer, its nominee agreeing
    to be named (so supports and commendation are open to officers of its area)."""
    code = await nominate(chat)
    async with app.sessions.begin() as session:
        row = await session.scalar(select(Nomination).where(Nomination.code == code))
        assert row is not None
        row.nominee_consent = "yes"
    province = await province_officer(app, clock)
    await open_in_queue(province, code)
    await province.press(f"decide:accept:{code}")
    assert "Đã công nhận hồ sơ" in province.text
    return code, province


async def open_in_queue(person: Chat, code: str) -> None:
    """/duyet's list, then this submission."""
    await person.press("review:open")
    await person.press(f"review:view:{code}")
    assert f"Hồ sơ {code}:" in person.text, person.text


def review_buttons(code: str) -> list[str]:
    """Every button of review, deciding, supports and commendation that names `code`."""
    return [
        f"review:view:{code}",
        f"decide:accept:{code}",
        f"decide:reject:{code}",
        f"decide:reason:reject:{code}:criteria",
        f"decide:reason:recommend:{code}:evidence",
        f"decide:recommend:{code}:accept",
        f"decide:recommend:{code}:reject",
        f"decide:ask:{code}",
        f"decide:duplicate:{code}",
        f"decide:commend:{code}",
        f"decide:award:{code}:bang_khen_tinh",
        f"decide:confirm:{code}",
        f"support:manage:{code}",
        f"support:opening:{code}",
        f"support:closing:{code}",
        f"support:keep:{code}",
        f"support:drop:{code}",
        f"commend:draft:{code}",
    ]


# Not an officer ---------------------------------------------------------------------------


async def test_villagers_and_members_get_no_review_however_they_try(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    code, _province = await accepted(app, chat, clock)
    member = Chat(app.engine, "zalo", "m" * 22, name="Hội viên Bình")
    async with app.sessions.begin() as session:
        invite = await create_invite(
            session,
            role="member",
            area=None,
            organisation="Hội Nông dân xã Cửa Tùng",
            created_by="test",
            now=clock(),
        )
    await member.say(f"/canbo {invite}")
    assert "đoàn viên, hội viên" in member.text
    before, refused = await snapshot(app), await refusals(app)
    attempts = 0
    for person in (chat, member):
        for command in ("/duyet", "/baocao", "/baocao 2026", "/hopthu", "/thongke"):
            await person.say(command)
            assert "chỉ dành cho cán bộ phụ trách" in person.text, (command, person.text)
            attempts += 1
        for button in ["review:open", "review:list:all:all:0", *review_buttons(code)]:
            # As if pressed under an old message: the button was offered to them once.
            await offer(app, person, button)
            await person.press(button)
            assert "chỉ dành cho cán bộ phụ trách" in person.text, (button, person.text)
            assert "Thôn Tân Hiệp" not in person.text
            attempts += 1
    assert await snapshot(app) == before
    assert await refusals(app) == refused + attempts, "each refusal is in the audit log"


# Another area ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "area", [VINH_THUY, AN_CHAU, "an-giang"], ids=["commune", "other-province-commune", "province"]
)
async def test_an_officer_elsewhere_finds_nothing_by_any_command_button_or_code(
    chat: Chat, app: ChungSuc, clock: Clock, area: str
) -> None:
    code, _province = await accepted(app, chat, clock)
    elsewhere = await officer(app, clock, area, "o" * 22, "Cán bộ nơi khác")
    before, refused = await snapshot(app), await refusals(app)

    await elsewhere.say("/duyet")
    assert code not in elsewhere.text and "Chưa có hồ sơ nào chờ duyệt" in elsewhere.text
    await offer(app, elsewhere, "review:list:accepted:all:0")
    await elsewhere.press("review:list:accepted:all:0")
    assert code not in elsewhere.text and "Không có hồ sơ nào đã công nhận" in elsewhere.text
    await elsewhere.say("/baocao")
    assert "Đề cử nhận được: 0" in elsewhere.text and code not in elsewhere.text
    typed = [code, code.lower(), code.replace("-", ""), f"  {code.lower().replace('-', '')} "]
    for text in typed:
        await elsewhere.say(text)
        assert "Không tìm thấy hồ sơ" in elsewhere.text and "Tân Hiệp" not in elsewhere.text
    for button in review_buttons(code):
        await offer(app, elsewhere, button)
        replies = await elsewhere.press(button)
        answer = replies[-1].text
        assert "Không tìm thấy" in answer or "ở địa bàn bạn" in answer, (button, answer)
        assert "Tân Hiệp" not in answer and not any(r.photo for r in replies)
    assert await snapshot(app) == before
    assert await refusals(app) >= refused + len(typed) + len(review_buttons(code))


# Decided already ---------------------------------------------------------------------------


async def test_every_decision_on_a_rejected_submission_is_refused_at_once(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    code = await nominate(chat)
    province = await province_officer(app, clock)
    commune = await officer(app, clock, "19414", "c" * 22, "Cán bộ xã Hòa")
    await open_in_queue(province, code)
    await province.press(f"decide:reject:{code}")
    await province.press(f"decide:reason:reject:{code}:evidence")
    await settle(app)
    before = await snapshot(app)
    told = await notices(app, chat)

    decisions = {
        province: [
            f"decide:accept:{code}",
            f"decide:reject:{code}",
            f"decide:reason:reject:{code}:criteria",
            f"decide:ask:{code}",
            f"decide:duplicate:{code}",
            f"decide:commend:{code}",
        ],
        commune: [
            f"decide:recommend:{code}:accept",
            f"decide:recommend:{code}:reject",
            f"decide:ask:{code}",
        ],
    }
    for person, buttons in decisions.items():
        for button in buttons:
            await offer(app, person, button)
            await person.press(button)
            # Told the status it is in: by whom, when it was someone else's decision.
            assert f"Hồ sơ {code} " in person.text and "“chưa được chấp nhận”" in person.text
            assert (
                "không làm được việc này" in person.text
                or "vừa được Cán bộ tỉnh Minh chuyển sang" in person.text
            ), (button, person.text)
            # Nothing is pending: a typed line afterwards is not taken as an answer.
            await person.say("Thôn đã hoàn thành đủ các tiêu chí rồi.")
            assert (await nomination(app, code)).status == "rejected"
    assert await snapshot(app) == before
    assert await notices(app, chat) == told, "the nominator hears nothing more"


async def test_a_reason_typed_after_another_officer_decided_is_not_recorded(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    code = await nominate(chat)
    minh = await province_officer(app, clock)
    lam = await officer(app, clock, "quang-tri", "s" * 22, "Cán bộ tỉnh Lâm")
    await open_in_queue(lam, code)
    await lam.press(f"decide:reject:{code}")
    assert "Lý do với hồ sơ" in lam.text
    await open_in_queue(minh, code)
    await minh.press(f"decide:accept:{code}")
    before = await snapshot(app)

    await lam.say("Thôn chưa có nhà văn hóa đạt chuẩn.")
    assert "vừa được Cán bộ tỉnh Minh chuyển sang “đã được công nhận”" in lam.text
    assert "Lựa chọn của bạn không được ghi nhận" in lam.text
    assert await snapshot(app) == before
    assert not [n for n in await notices(app, chat) if "chưa được chấp nhận" in n]


async def test_a_commendation_confirmed_after_another_officers_is_not_recorded(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    code, minh = await accepted(app, chat, clock)
    lam = await officer(app, clock, "quang-tri", "s" * 22, "Cán bộ tỉnh Lâm")
    for person, number in ((lam, "77/QĐ-UBND"), (minh, "1234/QĐ-UBND")):
        # Opened from the list of accepted submissions.
        await offer(app, person, "review:list:accepted:all:0")
        await person.press("review:list:accepted:all:0")
        await person.press(f"review:view:{code}")
        await person.press(f"decide:commend:{code}")
        await person.press(f"decide:award:{code}:bang_khen_tinh")
        await person.press_label("UBND tỉnh Quảng Trị")
        await person.say(number)
        await person.say("01/03/2026")
    await minh.press(f"decide:confirm:{code}")
    assert "Đã ghi nhận khen thưởng" in minh.text
    before = await snapshot(app)

    await lam.press(f"decide:confirm:{code}")
    assert "vừa được Cán bộ tỉnh Minh chuyển sang “đã được khen thưởng”" in lam.text
    assert await snapshot(app) == before
    async with app.sessions() as session:
        review = await session.get(NominationReview, (await nomination(app, code)).id)
    assert review is not None and review.decision_number == "1234/QĐ-UBND"
    assert len([n for n in await notices(app, chat) if "Chúc mừng" in n]) == 1


# Two at once -------------------------------------------------------------------------------


async def test_three_officers_deciding_at_the_same_moment_one_wins(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    code = await nominate(chat)
    minh = await province_officer(app, clock)
    lam = await officer(app, clock, "quang-tri", "s" * 22, "Cán bộ tỉnh Lâm")
    hoa = await officer(app, clock, "19414", "c" * 22, "Cán bộ xã Hòa")
    for person in (minh, lam, hoa):
        await open_in_queue(person, code)
    await lam.press(f"decide:reject:{code}")
    await hoa.press(f"decide:ask:{code}")

    answers = await asyncio.gather(
        minh.press(f"decide:accept:{code}"),
        lam.press(f"decide:reason:reject:{code}:criteria"),
        hoa.say("Thôn có bao nhiêu hộ dùng nước sạch? Xin gửi ảnh công trình."),
    )
    texts = [replies[-1].text for replies in answers]
    won = [t for t in texts if t.startswith(("Đã công nhận", "Đã ghi nhận", "Đã gửi câu hỏi"))]
    # A loser is told who decided first, or (when its check ran between the winner's
    # change and its commit, on PostgreSQL) that the decision cannot be taken now.
    lost = [
        t
        for t in texts
        if "Lựa chọn của bạn không được ghi nhận" in t or "không làm được việc này" in t
    ]
    assert len(won) == 1 and len(lost) == 2, texts
    async with app.sessions() as session:
        events = (
            await session.scalars(select(NominationEvent.to_status).order_by(NominationEvent.id))
        ).all()
        asked = await session.scalar(select(func.count()).select_from(InfoRequest))
    assert len(events) == 2 and events[0] == "submitted", events
    status = (await nomination(app, code)).status
    assert status == events[-1]
    assert asked == (1 if status == "needs_info" else 0)
    assert len([n for n in await notices(app, chat) if code in n]) == 1, "told once"


# Duplicates and reasons ---------------------------------------------------------------------


async def test_a_duplicate_of_another_provinces_code_is_not_found(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    copy = await nominate(chat)
    async with app.sessions.begin() as session:
        elsewhere = (await session.scalars(select(Nomination).where(Nomination.code == copy))).one()
        session.add(
            Nomination(
                code="DC-AG234",
                kind="village",
                status="submitted",
                province="an-giang",
                commune_code=AN_CHAU,
                nominee="Thôn Tân Hiệp",
                achievements=elsewhere.achievements,
                contact_consent=False,
                nominee_consent="not_asked",
                created_at=clock(),
                updated_at=clock(),
            )
        )
    province = await province_officer(app, clock)
    await open_in_queue(province, copy)
    assert "DC-AG234" not in province.text, "not offered as a likely duplicate"
    await province.press(f"decide:duplicate:{copy}")
    before = await snapshot(app)
    for typed in ("DC-AG234", "dcag234", "DC-", "mã hồ sơ gốc"):
        await province.say(typed)
        assert "Không tìm thấy hồ sơ" in province.text, (typed, province.text)
        assert "Gõ lại mã hồ sơ gốc" in province.text
    assert await snapshot(app) == before
    await province.say("/huy")
    assert (await nomination(app, copy)).status == "submitted"


async def test_empty_reasons_and_questions_are_asked_again(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    code = await nominate(chat)
    commune = await officer(app, clock, "19414", "c" * 22, "Cán bộ xã Hòa")
    province = await province_officer(app, clock)
    before = await snapshot(app)

    await open_in_queue(commune, code)
    await commune.press(f"decide:recommend:{code}:reject")
    for empty in ("?!", "k", "1234", "ok ok"):
        await commune.say(empty)
        assert "Lý do cần rõ hơn" in commune.text, (empty, commune.text)
    await commune.say("/huy")
    await open_in_queue(commune, code)
    await commune.press(f"decide:ask:{code}")
    for empty in ("ok?", "   hỏi   ", "hỏi gì?"):
        await commune.say(empty)
        assert "Câu hỏi ngắn quá" in commune.text, (empty, commune.text)
    await commune.say("/huy")

    await open_in_queue(province, code)
    await province.press(f"decide:reject:{code}")
    # A reason button that names no reason (forged, or from an older version).
    await offer(app, province, f"decide:reason:reject:{code}:unknown")
    await province.press(f"decide:reason:reject:{code}:unknown")
    assert "Lý do cần rõ hơn" in province.text
    assert await snapshot(app) == before
    assert await notices(app, chat) == []


# Exports -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--since", "2026-03-05", "--until", "2026-03-01"], "--since 2026-03-05 is after --until"),
        (["--status", "approved"], "unknown --status approved; use: submitted, in_review"),
        (["--status", "commended,done"], "unknown --status done"),
    ],
    ids=["since-after-until", "unknown-status", "one-unknown-status"],
)
async def test_an_impossible_export_says_why_and_writes_nothing(
    chat: Chat, app: ChungSuc, tmp_path: Path, options: list[str], message: str
) -> None:
    await nominate(chat)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    env["DATABASE_URL"] = app.settings.database_url
    path = tmp_path / "de-cu.xlsx"
    done = await asyncio.to_thread(
        cli, "export", "nominations", "--format", "xlsx", "-o", str(path), *options, env=env
    )
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert not path.exists()
    async with app.sessions() as session:
        exported = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action.like("nominations.exported%"))
        )
    assert exported == 0
