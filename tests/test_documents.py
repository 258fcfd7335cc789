"""Files sent in chat: stored for a day under an unguessable token, sent as a JSON export
from /dulieu, served at /files/{token} until they expire or the person erases their data,
and carried through the JSON replies are kept as until they are sent."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import ChungSuc
from bot.channels.web_files import DocumentFiles
from handlers.types import Button, DocumentRef, Reply
from handlers.units import owed_replies, reply_dicts
from storage.db import Sessions, create_engine, create_sessions
from storage.documents import (
    DOCUMENT_LIFETIME,
    delete_expired_documents,
    document_by_token,
    store_document,
)
from storage.models import Contact, Document
from tests.chat import Chat
from tests.conftest import Clock


async def document_body(app: ChungSuc, reply: Reply) -> bytes:
    """The bytes of the file a reply carries, as stored."""
    assert reply.document is not None, f"no file with {reply.text!r}"
    async with app.sessions() as session:
        stored = await document_by_token(session, reply.document.token)
    assert stored is not None, "the file is stored"
    return stored.body


async def documents_left(app: ChungSuc) -> int:
    async with app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Document)) or 0)


@pytest.fixture
async def sessions(storage_url: str) -> AsyncIterator[Sessions]:
    """Sessions on a fresh database, SQLite and PostgreSQL in turn."""
    engine = create_engine(storage_url)
    yield create_sessions(engine)
    await engine.dispose()


async def test_a_document_is_found_by_its_token_until_it_expires(
    sessions: Sessions, clock: Clock
) -> None:
    async with sessions.begin() as session:
        contact = Contact(channel="web", external_id="d" * 22)
        session.add(contact)
        await session.flush()
        stored = await store_document(
            session,
            contact_id=contact.id,
            filename="báo cáo.xlsx",
            content_type="application/octet-stream",
            body=b"\x00\x01 bytes",
            now=clock(),
        )
    assert len(stored.token) == 32, "192 bits in URL-safe base64"
    async with sessions() as session:
        found = await document_by_token(session, stored.token, clock())
        assert found is not None and found.body == b"\x00\x01 bytes"
        later = clock() + DOCUMENT_LIFETIME + timedelta(seconds=1)
        assert await document_by_token(session, stored.token, later) is None
        assert await document_by_token(session, "x" * 32, clock()) is None
    async with sessions.begin() as session:
        assert await delete_expired_documents(session, clock()) == 0
        assert await delete_expired_documents(session, later) == 1


def test_a_file_survives_the_json_that_replies_are_kept_as() -> None:
    reply = Reply(
        "Báo cáo năm 2026",
        (Button("menu:open", "Menu"),),
        document=DocumentRef("t" * 32, "bao-cao-nam-2026.xlsx", "application/json"),
    )
    stored = json.loads(json.dumps(reply_dicts([reply, Reply("chữ thôi")])))
    assert owed_replies(stored) == [reply, Reply("chữ thôi")]
    broken = [{"text": "x", "document": {"token": 5}}]
    assert owed_replies(broken) == [Reply("x")], "a mangled file reference is dropped"


async def test_my_data_download_is_a_short_summary_and_the_whole_export_as_a_file(
    chat: Chat, app: ChungSuc
) -> None:
    await chat.say("/start")
    await chat.press("province:set:quang-tri")
    await chat.say("/dangky")
    await chat.say("/dulieu")
    [summary] = await chat.press("data:download")
    lines = summary.text.splitlines()
    assert "• Tỉnh: Quảng Trị" in lines
    assert any(line.startswith("• Tin nhắn: ") and "tháng 3, 2026" in line for line in lines)
    assert "• Đồng ý: 1 đang có hiệu lực, 0 đã rút lại" in lines
    assert "• Đề cử đã gửi: 0" in lines and "• Ảnh đã gửi: 0" in lines
    assert "province:set" not in summary.text and "2026-03-02" not in summary.text
    assert len(summary.text) < 600, "a summary, not the export"
    assert summary.document is not None and summary.document.filename.endswith(".json")
    exported = json.loads(await document_body(app, summary))
    assert exported["contact"]["subscribed"] is True
    assert any(m["text"] == "/dangky" for m in exported["messages"])


async def test_after_erasure_the_file_is_gone_and_the_province_is_asked_again(
    chat: Chat, app: ChungSuc
) -> None:
    await chat.say("/start")
    await chat.press("province:set:an-giang")
    await chat.say("/dulieu")
    await chat.press("data:download")
    assert await documents_left(app) == 1
    await chat.say("/dulieu")
    [confirm] = await chat.press("data:delete")
    assert "giữ bản ghi" in confirm.text and "đồng ý" in confirm.text
    assert "đồng ý và đăng ký của bạn sẽ bị xóa" not in confirm.text
    [done] = await chat.say("XÓA")
    assert "Đã xóa toàn bộ dữ liệu" in done.text
    assert "Bạn ở tỉnh nào?" in done.text and chat.labels() == ["Quảng Trị", "An Giang"]
    assert await documents_left(app) == 0
    [chosen] = await chat.press("province:set:quang-tri")
    assert "Đã chọn tỉnh Quảng Trị" in chosen.text


async def test_my_data_says_when_no_province_is_chosen(chat: Chat) -> None:
    await chat.say("/dulieu")
    assert "• Tỉnh: chưa chọn (gõ /tinh để chọn)" in chat.text.splitlines()


async def get(url: str) -> tuple[int, dict[str, str], bytes]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, dict(response.headers), await response.read()


@pytest.fixture
async def served(app: ChungSuc) -> ChungSuc:
    await app.start(migrate=False)
    return app


async def test_a_file_is_served_as_a_download_until_it_expires(
    served: ChungSuc, clock: Clock
) -> None:
    person = Chat(served.engine, "web", "f" * 22)
    await person.say("/dulieu")
    [summary] = await person.press("data:download")
    assert summary.document is not None
    url = f"http://127.0.0.1:{served.port}/files/{summary.document.token}"
    status, headers, body = await get(url)
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    assert headers["Content-Disposition"].startswith("attachment;")
    assert "du-lieu-cua-toi-2026-03-02.json" in headers["Content-Disposition"]
    assert headers["Cache-Control"] == "no-store"
    assert "messages" in json.loads(body)
    assert (await get(f"http://127.0.0.1:{served.port}/files/{'z' * 32}"))[0] == 404
    assert (await get(f"http://127.0.0.1:{served.port}/files/..%2Fetc"))[0] == 404
    clock.advance(hours=24, seconds=1)
    assert (await get(url))[0] == 404, "expired"
    sweeper = DocumentFiles(served.sessions, clock).sweeper
    assert await sweeper.sweep() == 1
    assert await documents_left(served) == 0


async def test_a_file_erased_with_its_owner_is_404(served: ChungSuc) -> None:
    person = Chat(served.engine, "web", "g" * 22)
    await person.say("/dulieu")
    [summary] = await person.press("data:download")
    assert summary.document is not None
    url = f"http://127.0.0.1:{served.port}/files/{summary.document.token}"
    assert (await get(url))[0] == 200
    await person.say("/dulieu")
    await person.press("data:delete")
    await person.press("data:erase")
    assert (await get(url))[0] == 404


async def test_expired_documents_are_swept_on_both_databases(
    sessions: Sessions, clock: Clock
) -> None:
    async with sessions.begin() as session:
        for age in (0, 30):
            await store_document(
                session,
                contact_id=None,
                filename="a.txt",
                content_type="text/plain",
                body=b"a",
                now=clock() - timedelta(hours=age),
            )
    assert await DocumentFiles(sessions, clock).sweeper.sweep() == 1
    async with sessions() as session:
        left = await session.scalar(select(func.count()).select_from(Document))
    assert left == 1
