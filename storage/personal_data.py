"""The register of every table that holds data about a contact, and what erasing a
person's data does to each: `/dulieu` exports and erases through it, and a test fails
when a table that points at contacts is missing here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AuditEntry,
    Base,
    Broadcast,
    Consent,
    ConversationState,
    DashboardLogin,
    DashboardSession,
    Delivery,
    Document,
    FormDraft,
    InfoRequest,
    Interaction,
    Invite,
    KnowledgeEntry,
    Media,
    Nomination,
    NominationEvent,
    OfficerQuestion,
    OutgoingReply,
    QuestionFollowup,
    Support,
)

DELETE = "delete"
# Rows kept as a record (what was agreed, what an officer did), with their personal
# fields cleared.
CLEAR = "clear"
# Rows that are an authorisation or a public record, not data about the person.
KEEP = "keep"


@dataclass(frozen=True)
class PersonalTable:
    """A table, the column naming the contact, and what erasure does to its rows."""

    model: type[Base]
    column: str
    erase: str
    cleared: Mapping[str, Any] = field(default_factory=dict)
    # Exported under this name; None leaves it out of the export (nothing of theirs).
    export_as: str | None = None
    exported: tuple[str, ...] = ()


REGISTER: tuple[PersonalTable, ...] = (
    PersonalTable(
        Interaction,
        "contact_id",
        DELETE,
        export_as="messages",
        exported=("at", "direction", "kind", "text", "button_id"),
    ),
    PersonalTable(
        OfficerQuestion,
        "contact_id",
        DELETE,
        export_as="questions_to_officers",
        exported=("created_at", "text", "answer", "answered_at"),
    ),
    PersonalTable(OfficerQuestion, "answered_by_contact_id", KEEP),
    PersonalTable(OutgoingReply, "contact_id", DELETE),
    PersonalTable(Delivery, "contact_id", DELETE),
    # An announcement is an officer's act, not data about them.
    PersonalTable(Broadcast, "created_by_contact_id", KEEP),
    # Reset by the turn that erases (it is that turn's own state), not deleted under it.
    PersonalTable(ConversationState, "contact_id", KEEP),
    PersonalTable(FormDraft, "contact_id", DELETE, export_as="drafts", exported=("form", "data")),
    PersonalTable(
        Media,
        "contact_id",
        DELETE,
        export_as="photos",
        exported=("created_at", "content_type", "size"),
    ),
    PersonalTable(
        Nomination,
        "nominator_contact_id",
        CLEAR,
        cleared={
            "nominator_contact_id": None,
            "nominator_name": None,
            "nominator_phone": None,
            "proxy_for_phone": None,
            "contact_consent": False,
        },
        export_as="nominations",
        exported=(
            "code",
            "kind",
            "status",
            "nominee",
            "commune_code",
            "village",
            "achievements",
            "nominator_name",
            "nominator_phone",
            "proxy_for_name",
            "proxy_for_phone",
            "created_at",
        ),
    ),
    PersonalTable(NominationEvent, "actor_contact_id", CLEAR, {"actor_contact_id": None}),
    PersonalTable(
        Consent,
        "contact_id",
        KEEP,
        export_as="consents",
        exported=("purpose", "subject", "wording_version", "granted_at", "withdrawn_at"),
    ),
    PersonalTable(AuditEntry, "actor_contact_id", KEEP),
    PersonalTable(Invite, "used_by_contact_id", KEEP),
    PersonalTable(KnowledgeEntry, "author_contact_id", KEEP),
    PersonalTable(
        Support, "contact_id", DELETE, export_as="supports", exported=("created_at", "status")
    ),
    # An officer's question is their act; the answers stay with the nomination or question.
    PersonalTable(InfoRequest, "asked_by_contact_id", KEEP),
    PersonalTable(QuestionFollowup, "asked_by_contact_id", KEEP),
    # Files made for the person (their own data export among them) and their dashboard
    # sign-ins: nothing to keep once they ask to be forgotten.
    PersonalTable(Document, "contact_id", DELETE),
    PersonalTable(DashboardLogin, "contact_id", DELETE),
    PersonalTable(DashboardSession, "contact_id", DELETE),
)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


async def export_personal_data(session: AsyncSession, contact_id: int) -> dict[str, Any]:
    """Every exported table's rows about the contact, as plain JSON-ready values."""
    export: dict[str, Any] = {}
    for table in REGISTER:
        if table.export_as is None:
            continue
        column = getattr(table.model, table.column)
        rows = (await session.scalars(select(table.model).where(column == contact_id))).all()
        export[table.export_as] = [
            {name: _plain(getattr(row, name)) for name in table.exported} for row in rows
        ]
    return export


async def erase_personal_data(session: AsyncSession, contact_id: int) -> None:
    """Delete or clear the contact's rows in every registered table. Photo files no row
    refers to any more are removed by the media store's sweep."""
    for table in REGISTER:
        column = getattr(table.model, table.column)
        if table.erase == DELETE:
            await session.execute(delete(table.model).where(column == contact_id))
        elif table.erase == CLEAR:
            await session.execute(
                update(table.model)
                .where(column == contact_id)
                .values(**table.cleared)
                .execution_options(synchronize_session=False)
            )
