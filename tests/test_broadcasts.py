"""Announcements: who receives them, each exactly once, and what the sender is told."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.app import ChungSuc
from storage.broadcasts import cancel_broadcast, count_audience, create_broadcast
from storage.models import Broadcast, Contact, Delivery, Interaction
from tests.conftest import Clock
from tests.test_cli import cli


async def people(app: ChungSuc, **kinds: int) -> dict[str, list[int]]:
    """Contacts on the web chat: subscribed ones in Quảng Trị (some in commune 19414, some
    members of an organisation), one unsubscribed and one blocked."""
    made: dict[str, list[int]] = {}
    async with app.sessions.begin() as session:
        for kind, n in kinds.items():
            for i in range(n):
                contact = Contact(
                    channel="web",
                    external_id=f"{kind}{i}".ljust(24, "x"),
                    province="quang-tri",
                    subscribed=kind != "unsubscribed",
                    blocked=kind == "blocked",
                    area="19414" if kind == "commune" else None,
                    organisation="Hội Nông dân" if kind == "member" else None,
                    topics=",announcements,results," if kind == "results" else None,
                    role="officer" if kind == "officer" else "citizen",
                )
                session.add(contact)
                await session.flush()
                made.setdefault(kind, []).append(contact.id)
    return made


async def pushed_to(app: ChungSuc, contact_id: int) -> list[str]:
    async with app.sessions() as session:
        texts = await session.scalars(
            select(Interaction.text).where(
                Interaction.contact_id == contact_id, Interaction.kind == "push"
            )
        )
        return [t or "" for t in texts]


async def test_announcement_reaches_every_subscriber_once_and_the_sender_hears_how_it_went(
    app: ChungSuc, clock: Clock
) -> None:
    made = await people(app, plain=30, commune=5, unsubscribed=3, blocked=2, officer=1)
    async with app.sessions.begin() as session:
        broadcast = await create_broadcast(
            session,
            created_by="web:officer",
            created_by_contact_id=made["officer"][0],
            province="quang-tri",
            audience=["province:quang-tri"],
            text="Họp thôn lúc 7 giờ sáng Chủ nhật.",
            scheduled_at=clock(),
            now=clock(),
        )
    await app.broadcasts.tick()
    await app.outbox.drain()
    await app.broadcasts.tick()
    await app.outbox.drain()
    async with app.sessions() as session:
        done = await session.get(Broadcast, broadcast.id)
        copies = await session.scalar(
            select(func.count(func.distinct(Delivery.contact_id))).where(
                Delivery.broadcast_id == broadcast.id, Delivery.status == "sent"
            )
        )
    assert done is not None and done.status == "done"
    assert copies == 35 + 1, "every subscriber, the officer being one, exactly once"
    for contact_id in made["plain"][:3]:
        assert await pushed_to(app, contact_id) == ["Họp thôn lúc 7 giờ sáng Chủ nhật."]
    for contact_id in made["unsubscribed"] + made["blocked"]:
        assert await pushed_to(app, contact_id) == []
    summary = (await pushed_to(app, made["officer"][0]))[-1]
    assert "đã gửi xong" in summary and "Đã nhận: 36" in summary


async def test_audience_narrows_by_commune_organisation_topic_and_channel(
    app: ChungSuc,
) -> None:
    await people(app, plain=4, commune=3, member=2, results=2)
    async with app.sessions() as session:
        assert await count_audience(session, ["province:quang-tri"], "announcement") == 11
        assert await count_audience(session, ["commune:19414"], "announcement") == 3
        assert await count_audience(session, ["org:Hội Nông dân"], "announcement") == 2
        assert await count_audience(session, ["province:quang-tri"], "digest") == 2
        assert await count_audience(session, ["channel:zalo"], "announcement") == 0


async def test_cancelling_stops_what_has_not_gone_out(app: ChungSuc, clock: Clock) -> None:
    await people(app, plain=10)
    async with app.sessions.begin() as session:
        broadcast = await create_broadcast(
            session,
            created_by="cli:admin",
            created_by_contact_id=None,
            province=None,
            audience=["province:quang-tri"],
            text="Tạm hoãn.",
            scheduled_at=clock(),
            now=clock(),
        )
    await app.broadcasts.tick()
    async with app.sessions.begin() as session:
        assert await cancel_broadcast(session, broadcast.id, clock()) == "sending"
    await app.outbox.drain()
    async with app.sessions() as session:
        statuses = set((await session.scalars(select(Delivery.status))).all())
        assert await cancel_broadcast(session, broadcast.id, clock()) == "cancelled"
    assert statuses == {"cancelled"}


async def test_scheduled_announcement_waits_for_its_time(app: ChungSuc, clock: Clock) -> None:
    made = await people(app, plain=2)
    async with app.sessions.begin() as session:
        await create_broadcast(
            session,
            created_by="cli:admin",
            created_by_contact_id=None,
            province=None,
            audience=["province:quang-tri"],
            text="Ngày hội đại đoàn kết.",
            scheduled_at=clock() + timedelta(hours=2),
            now=clock(),
        )
    await app.broadcasts.tick()
    await app.outbox.drain()
    assert await pushed_to(app, made["plain"][0]) == []
    clock.advance(hours=2)
    await app.broadcasts.tick()
    await app.outbox.drain()
    assert await pushed_to(app, made["plain"][0]) == ["Ngày hội đại đoàn kết."]


def test_operator_queues_follows_and_cancels_from_the_command_line(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    assert cli("db", "upgrade", env=cli_env).returncode == 0
    refused = {
        "": "empty",
        "x" * 5000: "at most 3000",
    }
    for text, why in refused.items():
        result = cli("broadcast", "--text", text, "--yes", env=cli_env)
        assert result.returncode == 2 and why in result.stderr
    for extra, why in [
        (["--at", "2020-01-01T07:00"], "in the past"),
        (["--at", "2099-01-01T07:00"], "more than a year"),
        (["--audience", "planet:mars"], "unknown audience"),
    ]:
        result = cli("broadcast", "--text", "Họp thôn", "--yes", *extra, env=cli_env)
        assert result.returncode == 2 and why in result.stderr
    nobody = cli("broadcast", "--text", "Họp thôn", "--yes", env=cli_env)
    assert nobody.returncode == 2 and "nobody is subscribed" in nobody.stderr
    without_yes = cli("broadcast", "--text", "Họp thôn", env=cli_env)
    assert without_yes.returncode == 2

    database = cli_env["DATABASE_URL"].removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(database) as db:
        db.execute(
            "INSERT INTO contacts (channel, external_id, language, province, role, subscribed,"
            " blocked, failed_code_attempts, created_at, last_seen_at) VALUES"
            " ('zalo', 'z1', 'vi', 'quang-tri', 'citizen', 1, 0, 0,"
            " '2026-11-01 00:00:00', '2026-11-01 00:00:00')"
        )
    queued = cli("broadcast", "--text", "Họp thôn lúc 7h30 ngày 24/12.", "--yes", env=cli_env)
    assert queued.returncode == 0, queued.stderr
    assert "1 recipients" in queued.stdout and "Queued as broadcast 1" in queued.stdout
    status = cli("broadcast", "--status", env=cli_env)
    assert "queued" in status.stdout
    script = cli("broadcast", "--script", "1", env=cli_env)
    assert "bảy giờ ba mươi phút" in script.stdout and "Kính thưa" in script.stdout
    notice = tmp_path / "notice.html"
    assert cli("broadcast", "--notice", "1", "-o", str(notice), env=cli_env).returncode == 0
    assert "THÔNG BÁO" in notice.read_text(encoding="utf-8")
    assert "Cancelled; 0 had received it" in cli("broadcast", "--cancel", "1", env=cli_env).stdout
    again = cli("broadcast", "--cancel", "1", env=cli_env)
    assert again.returncode == 2 and "already cancelled" in again.stderr
