"""Every table holding data about a person is covered by export and erasure."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot.app import ChungSuc
from storage.models import Base, FormDraft, Nomination
from storage.personal_data import REGISTER
from tests.chat import Chat
from tests.test_documents import document_body
from tests.test_nominate import CODE, fill_until_summary


def test_every_column_pointing_at_a_contact_is_in_the_register() -> None:
    registered = {(t.model.__tablename__, t.column) for t in REGISTER}
    pointing = {
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        for key in column.foreign_keys
        if key.column.table.name == "contacts"
    }
    assert pointing - registered == set(), "add these to storage/personal_data.py"


async def test_export_holds_nominations_and_erasure_clears_the_nominator(
    chat: Chat, app: ChungSuc
) -> None:
    await fill_until_summary(chat)
    await chat.press("nominate:send")
    code = CODE.search(chat.text)
    assert code
    await chat.say("/decu")
    await chat.press("nominate:f:kind:initiative")
    await chat.say("/dulieu")
    assert "xử lý thông tin đề cử – " + code.group(0) in chat.text
    await chat.press("data:download")
    exported = json.loads(await document_body(app, chat.last))
    assert exported["nominations"][0]["nominator_phone"] == "+84912345678"
    assert exported["drafts"][0]["form"] == "nominate"
    await chat.say("/dulieu")
    await chat.press("data:delete")
    await chat.press("data:erase")
    async with app.sessions() as session:
        nomination = (await session.scalars(select(Nomination))).one()
        drafts = await session.scalar(select(func.count()).select_from(FormDraft))
    assert nomination.nominator_phone is None and nomination.nominator_name is None
    assert nomination.nominator_contact_id is None
    assert drafts == 0


async def test_withdrawing_consent_to_process_a_nomination_withdraws_it(
    chat: Chat, app: ChungSuc
) -> None:
    await fill_until_summary(chat)
    await chat.press("nominate:send")
    code = CODE.search(chat.text)
    assert code
    await chat.say("/dulieu")
    await chat.press("data:withdraw")
    await chat.press(f"data:unconsent:nomination:{code.group(0)}")
    async with app.sessions() as session:
        nomination = (await session.scalars(select(Nomination))).one()
    assert nomination.status == "withdrawn"
    assert nomination.nominator_phone is None
