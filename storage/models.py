"""SQLAlchemy models: the tables the migrations create, as Python classes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a real bigint.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class Contact(Base):
    """One identity on one channel: a Telegram user, a Zalo user or a web chat session."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_contacts_identity"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="vi")
    province: Mapped[str | None] = mapped_column(String(32))
    area: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16), default="citizen")
    organisation: Mapped[str | None] = mapped_column(String(200))
    subscribed: Mapped[bool] = mapped_column(Boolean, default=False)
    # The kinds of announcement a subscriber chose, as ",events,results,"; None is the
    # default set. A string so that every database can match one with LIKE.
    topics: Mapped[str | None] = mapped_column(String(200))
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_code_attempts: Mapped[int] = mapped_column(Integer, default=0)
    code_attempts_since: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Consent(Base):
    """A person's consent to one purpose, kept after withdrawal as evidence."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_contact_purpose", "contact_id", "purpose"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32))
    # What the consent is about when a purpose has several (a nomination's code).
    subject: Mapped[str | None] = mapped_column(String(32))
    wording_version: Mapped[str] = mapped_column(String(16))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]


class Interaction(Base):
    """One message in or out."""

    __tablename__ = "interactions"
    __table_args__ = (Index("ix_interactions_contact_at", "contact_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    button_id: Mapped[str | None] = mapped_column(String(128))
    answer_id: Mapped[str | None] = mapped_column(String(128))
    score: Mapped[float | None] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ConversationState(Base):
    """Where a contact is in a journey, and the buttons it was last offered."""

    __tablename__ = "conversation_states"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    journey: Mapped[str | None] = mapped_column(String(32))
    step: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    offered: Mapped[list[Any]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """One officer or admin action, who did it and on what."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    actor_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL")
    )
    actor: Mapped[str] = mapped_column(String(160))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(160))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Invite(Base):
    """A one-time code that grants a role; only its hash is stored."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    area: Mapped[str | None] = mapped_column(String(64))
    organisation: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL")
    )


class OfficerQuestion(Base):
    """A question the bot could not answer, waiting for (or answered by) an officer."""

    __tablename__ = "officer_questions"
    __table_args__ = (Index("ix_officer_questions_status_province", "status", "province"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    province: Mapped[str | None] = mapped_column(String(32))
    area: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    answered_by_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL")
    )
    knowledge_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("knowledge_entries.id", ondelete="SET NULL")
    )


class KnowledgeEntry(Base):
    """An answer written by an officer, searched beside the knowledge-base files."""

    __tablename__ = "knowledge_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    province: Mapped[str | None] = mapped_column(String(32))
    topic: Mapped[str] = mapped_column(String(32))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    author_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class InboundUpdate(Base):
    """An update a platform handed us, stored before we acknowledge it and marked handled
    by the turn that handles it: a crash in between loses nothing, and the platform's own
    key catches a copy delivered twice, even across a restart."""

    __tablename__ = "inbound_updates"
    __table_args__ = (UniqueConstraint("channel", "key", name="uq_inbound_updates_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(index=True)


class OutgoingReply(Base):
    """A turn's replies for a channel that sends after the turn (Telegram), written with
    the turn and deleted once sent: replies owed when the service stops, or while the
    platform is down, are sent when it can again."""

    __tablename__ = "outgoing_replies"
    __table_args__ = (Index("ix_outgoing_replies_channel_id", "channel", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # The stored update the replies answer (inbound_updates.id): how the channel names
    # them once sent, with no id to read back when they are written.
    receipt: Mapped[int] = mapped_column(BigId, unique=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    replies: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Media(Base):
    """A stored photo: its file lives under the media folder by content hash, its EXIF
    metadata stripped; `token` is the unguessable name it is served and referred to by."""

    __tablename__ = "media"
    __table_args__ = (Index("ix_media_nomination_id", "nomination_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token: Mapped[str] = mapped_column(String(48), unique=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    # Who sent it; set when a journey takes it (the channel stores it before the turn).
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    nomination_id: Mapped[int | None] = mapped_column(
        ForeignKey("nominations.id", ondelete="CASCADE")
    )
    # The platform's own reference (a Telegram file id), to send it again without upload.
    platform_ref: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FormDraft(Base):
    """A half-filled form, one per contact and form, apart from the conversation slot so
    that another journey or a notice never wipes it."""

    __tablename__ = "form_drafts"
    __table_args__ = (UniqueConstraint("contact_id", "form", name="uq_form_drafts_contact_form"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    form: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    reminded_at: Mapped[datetime | None]


class Nomination(Base):
    """A model village, initiative or exemplary person put forward by a villager; its
    status changes only through `storage.lifecycle`."""

    __tablename__ = "nominations"
    __table_args__ = (
        Index("ix_nominations_queue", "province", "status", "created_at"),
        Index("ix_nominations_commune", "commune_code", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    province: Mapped[str] = mapped_column(String(32))
    commune_code: Mapped[str] = mapped_column(String(16))
    village: Mapped[str | None] = mapped_column(String(200))
    former_place: Mapped[str | None] = mapped_column(String(200))
    nominee: Mapped[str] = mapped_column(String(300))
    achievements: Mapped[str] = mapped_column(Text)
    # Union members may submit an initiative on behalf of their organisation.
    organisation: Mapped[str | None] = mapped_column(String(200))
    nominator_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    nominator_name: Mapped[str | None] = mapped_column(String(200))
    nominator_phone: Mapped[str | None] = mapped_column(String(20))
    # Filed by a village head or officer for a villager without a phone, who agreed orally.
    proxy_for_name: Mapped[str | None] = mapped_column(String(200))
    proxy_for_phone: Mapped[str | None] = mapped_column(String(20))
    contact_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Whether the nominee agreed to be named publicly: yes, no or not_asked.
    nominee_consent: Mapped[str] = mapped_column(String(12), default="not_asked")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class NominationEvent(Base):
    """One status change of a nomination: who, when, from what to what, and why."""

    __tablename__ = "nomination_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    nomination_id: Mapped[int] = mapped_column(
        ForeignKey("nominations.id", ondelete="CASCADE"), index=True
    )
    actor_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL")
    )
    actor_role: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Broadcast(Base):
    """An announcement (or commendation, or monthly digest) to an audience, expanded into
    one delivery per recipient as it goes out."""

    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_status_scheduled", "status", "scheduled_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="announcement")
    created_by_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL")
    )
    created_by: Mapped[str] = mapped_column(String(160))
    # What the sender may address: the province of the officer, or None for an admin.
    province: Mapped[str | None] = mapped_column(String(32))
    audience: Mapped[list[str]] = mapped_column(JSON, default=list)
    text: Mapped[str] = mapped_column(Text)
    photo: Mapped[str | None] = mapped_column(String(48))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    scheduled_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Recipients are added in contact id order; this is the last one added.
    expanded_to: Mapped[int] = mapped_column(BigId, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    nomination_id: Mapped[int | None] = mapped_column(
        ForeignKey("nominations.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    progress_at: Mapped[datetime | None]


class Delivery(Base):
    """One message to someone other than the person being answered, written in the
    transaction that causes it and kept until its channel's sender records an outcome."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_due", "channel", "status", "lane", "not_before"),
        Index("ix_deliveries_broadcast_status", "broadcast_id", "status"),
        UniqueConstraint("broadcast_id", "contact_id", name="uq_deliveries_broadcast_contact"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    # 0: notices to one person (an officer's answer, a status change); 1: bulk.
    lane: Mapped[int] = mapped_column(Integer, default=0)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE")
    )
    replies: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    error: Mapped[str | None] = mapped_column(String(200))
    platform_message_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


class NominationReview(Base):
    """What review adds to a nomination: the commune's recommendation, why it was
    rejected or which one it duplicates, the commendation, and whether villagers may
    support it. One row per nomination, written beside `storage.lifecycle` changes."""

    __tablename__ = "nomination_reviews"

    nomination_id: Mapped[int] = mapped_column(
        ForeignKey("nominations.id", ondelete="CASCADE"), primary_key=True
    )
    # The commune tier's view: accept or reject, with its note.
    recommendation: Mapped[str | None] = mapped_column(String(16))
    recommendation_note: Mapped[str | None] = mapped_column(Text)
    recommended_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("nominations.id", ondelete="SET NULL")
    )
    # giay_khen_xa, bang_khen_tinh or other; `award` is the form as written.
    award_kind: Mapped[str | None] = mapped_column(String(16))
    award: Mapped[str | None] = mapped_column(String(200))
    decided_by_body: Mapped[str | None] = mapped_column(String(200))
    decision_number: Mapped[str | None] = mapped_column(String(64))
    decision_date: Mapped[date | None] = mapped_column(Date)
    decided_at: Mapped[datetime | None]
    supports_open: Mapped[bool] = mapped_column(Boolean, default=False)
    supports_opened_at: Mapped[datetime | None]
    # Set while a burst of supports is held apart, until an officer clears it.
    burst_flagged_at: Mapped[datetime | None]
    burst_cleared_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Support(Base):
    """A villager's "ủng hộ" for an accepted nomination: one per contact and nomination;
    `held` while part of a suspicious burst, `discarded` if an officer threw it out."""

    __tablename__ = "supports"
    __table_args__ = (
        UniqueConstraint("nomination_id", "contact_id", name="uq_supports_nomination_contact"),
        Index("ix_supports_nomination_at", "nomination_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(12), default="counted")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InfoRequest(Base):
    """An officer's question to a nominator about their nomination, and the answer."""

    __tablename__ = "info_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    nomination_id: Mapped[int] = mapped_column(
        ForeignKey("nominations.id", ondelete="CASCADE"), index=True
    )
    asked_by_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL")
    )
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    photos: Mapped[int] = mapped_column(Integer, default=0)
    answered_at: Mapped[datetime | None]


class QuestionFollowup(Base):
    """The one question an officer may ask back about a question in the inbox, and the
    asker's reply, which returns to the same item."""

    __tablename__ = "question_followups"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("officer_questions.id", ondelete="CASCADE"), unique=True
    )
    asked_by_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None]


class Document(Base):
    """A file made for one person (a report, a data export, a loudspeaker script), sent
    in chat as a document where the platform takes files and as a link where it does
    not. Kept in the database so backups and erasure cover it; gone after `expires_at`."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token: Mapped[str] = mapped_column(String(48), unique=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(100))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class DashboardLogin(Base):
    """A one-time link into the web dashboard, asked for in chat with `/web`: valid for
    minutes and usable once. Only a hash of its token is stored."""

    __tablename__ = "dashboard_logins"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class DashboardSession(Base):
    """A signed-in dashboard browser: the cookie holds the token, the row a hash of it,
    the CSRF token its forms carry, and when it was last used (it ends when idle)."""

    __tablename__ = "dashboard_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


# The review queue of officers who cover every province: by status, oldest first.
Index("ix_nominations_status_created", Nomination.status, Nomination.created_at)
