"""The platform-neutral vocabulary between channels and journeys."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from storage.documents import store_document

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from content.i18n import Catalogs, Translator
    from content.knowledge import Knowledge
    from storage.db import Sessions
    from storage.models import Contact, ConversationState


@dataclass(frozen=True)
class Incoming:
    """One thing a person did: typed text, pressed a button, or sent a photo."""

    channel: str
    external_id: str
    text: str | None = None
    button: str | None = None
    name: str | None = None
    language_hint: str | None = None
    # The platform's own reference to a photo the person sent.
    photo: str | None = None
    # The photo once the channel has stored it (EXIF stripped): the token of its media row.
    media: str | None = None
    # Something sent that is neither text nor a stored photo: "sticker", "voice",
    # "video", "file", "other", or why a photo could not be kept: "too_large",
    # "not_image", "unavailable".
    attachment: str | None = None
    # The person shared a phone contact.
    shared_contact: bool = False
    # The person's own number, when the contact they shared is their own (Telegram's
    # "share my phone" button). Only a journey that asked for it keeps it.
    phone: str | None = None
    # The stored copy of the platform update, cleared when this turn commits.
    receipt: int | None = None


@dataclass(frozen=True)
class Button:
    """A choice offered to the person; `id` is stable, `label` is translated."""

    id: str
    label: str


@dataclass(frozen=True)
class DocumentRef:
    """A file sent with a reply: the token of its stored row (storage/documents.py), the
    name the person sees and its type. Telegram sends it as a document, the web page as a
    download link, Zalo as a link under the text."""

    token: str
    filename: str
    content_type: str


@dataclass(frozen=True)
class Reply:
    """One message to a person."""

    text: str
    buttons: tuple[Button, ...] = ()
    # A platform photo reference or URL, or `media:<token>` for a stored photo.
    photo: str | None = None
    # Offer the platform's "share my phone" button where it has one (Telegram).
    request_phone: bool = False
    # What the reply answered, for the interaction log; channels ignore these.
    answer_id: str | None = None
    score: float | None = None
    language: str = "vi"
    # False for replies that only repeat stored data (an export): logged without text.
    loggable: bool = True
    # A file sent with the text, which is then its caption.
    document: DocumentRef | None = None


class Outbox(Protocol):
    """Delivers messages to contacts other than the one being served (officer answers,
    broadcasts) on whatever channel they use. Within a turn, `Turn.send_later` writes
    them with the turn; `send` is for work outside a turn."""

    async def send(self, contact_id: int, replies: Sequence[Reply]) -> None: ...

    def wake(self, channel: str | None = None) -> None: ...

    async def drain(self) -> None: ...


class Guide(Protocol):
    """What the engine tells journeys about the whole bot: its menu and its commands."""

    def main_menu(
        self, translator: Translator, officer: bool, contact: Contact | None = None
    ) -> tuple[Button, ...]: ...

    def help_lines(self, translator: Translator, officer: bool) -> list[str]: ...

    def has_step(self, journey: str, step: str) -> bool: ...


class Clock(Protocol):
    def __call__(self) -> datetime: ...


@dataclass(frozen=True)
class Services:
    """What journeys may use; built once by the composition root."""

    sessions: Sessions
    catalogs: Catalogs
    clock: Clock
    outbox: Outbox
    knowledge: Knowledge
    admins: frozenset[tuple[str, str]] = frozenset()
    provinces: Sequence[str] = ()
    default_province: str = "quang-tri"
    # Commune officers recommend before province officers decide (REVIEW_COMMUNE_TIER).
    review_commune_tier: bool = True
    # The service's public address (PUBLIC_URL): dashboard login links are built on it.
    public_url: str | None = None
    # Channels that show a reply's file as a file (a document, a download link); the
    # others get a link in the text.
    file_channels: frozenset[str] = frozenset({"telegram", "web"})


@dataclass
class Turn:
    """One incoming message being handled: who sent it, their state, and the open unit
    of work. Journeys mutate `state` and `contact`; the engine saves both."""

    incoming: Incoming
    contact: Contact
    state: ConversationState
    session: AsyncSession
    services: Services
    translator: Translator
    guide: Guide | None = None
    args: str = ""
    forget: bool = False
    # Run once the turn is committed: `on_commit` at once (in-process updates such as the
    # search index), `after_commit` in the background (messages to other people).
    on_commit: list[Callable[[], None]] = field(default_factory=list)
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Messages to other contacts, written to the outbox with this turn.
    notices: list[tuple[int, tuple[Reply, ...]]] = field(default_factory=list)

    @property
    def _(self) -> Callable[[str], str]:
        """The contact's gettext."""
        return self.translator.gettext

    @property
    def now(self) -> datetime:
        return self.services.clock()

    @property
    def is_admin(self) -> bool:
        return (self.contact.channel, self.contact.external_id) in self.services.admins

    @property
    def is_officer(self) -> bool:
        """Officers and admins: the people officer commands are for."""
        return self.is_admin or self.contact.role in ("officer", "admin")

    def main_menu(self) -> tuple[Button, ...]:
        """The main menu buttons in the contact's language."""
        if self.guide is None:
            return ()
        return self.guide.main_menu(self.translator, self.is_officer, self.contact)

    def help_lines(self) -> list[str]:
        """One line per command the deployment offers, in the contact's language."""
        return self.guide.help_lines(self.translator, self.is_officer) if self.guide else []

    def menu_reply(self, text: str) -> list[Reply]:
        """`text` followed by the main menu."""
        return [Reply(text, self.main_menu())]

    def use_language(self, language: str) -> None:
        """Switch the contact's language, for this reply on."""
        self.contact.language = language
        self.translator = self.services.catalogs.translator(language)

    @property
    def province(self) -> str:
        """The province whose content the contact follows."""
        return self.contact.province or self.services.default_province

    @property
    def takes_files(self) -> bool:
        """Whether the person's channel shows a file as a file rather than a link."""
        return self.incoming.channel in self.services.file_channels

    async def keep_document(self, filename: str, content_type: str, body: bytes) -> DocumentRef:
        """Store a file for the person, in this turn's unit of work, to send with a reply;
        it can be fetched for DOCUMENT_LIFETIME."""
        row = await store_document(
            self.session,
            contact_id=self.contact.id,
            filename=filename,
            content_type=content_type,
            body=body,
            now=self.now,
        )
        return DocumentRef(row.token, row.filename, row.content_type)

    def send_later(self, contact_id: int, replies: Sequence[Reply]) -> None:
        """Message another contact: written to the outbox in this turn's unit of work,
        so they hear of it exactly when it is committed, even if the service stops
        before it is sent."""
        self.notices.append((contact_id, tuple(replies)))

    def begin(self, journey: str, step: str, data: dict[str, Any] | None = None) -> None:
        """Enter `journey` at `step`, replacing any flow in progress."""
        self._check_step(journey, step)
        self.state.journey = journey
        self.state.step = step
        self.state.data = dict(data or {})

    def advance(self, step: str, **data: Any) -> None:
        """Move to `step` in the current journey, adding to its draft."""
        self._check_step(self.state.journey or "", step)
        self.state.step = step
        self.state.data = {**self.state.data, **data}

    def _check_step(self, journey: str, step: str) -> None:
        # A step nobody declared would leave the person's next message to fall through
        # to free text: fail loudly instead, in the first test that takes that path.
        if self.guide is not None and not self.guide.has_step(journey, step):
            raise ValueError(f"journey {journey!r} declares no step {step!r}")

    def finish(self) -> None:
        """Leave the current flow."""
        self.state.journey = None
        self.state.step = None
        self.state.data = {}


Handler = Callable[[Turn], Awaitable[list[Reply]]]
