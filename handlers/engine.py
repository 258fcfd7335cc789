"""The flow engine: one Incoming in, the contact's journey step run, Replies out.

A turn is committed with its contact, their conversation state and both sides of the
exchange, so a restart resumes exactly where the person was and nothing they sent is
lost. Messages that arrive together are handled together: one unit of work for a whole
wave of people (see `handle_many`).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from content.i18n import Translator, normalise_language
from content.vietnamese import fold
from handlers.errors import DomainError, NotAuthorized, NotFound
from handlers.flood import (
    ADMIT,
    DROP,
    NOTICE,
    PAUSE_SECONDS,
    DroppedMessages,
    FloodGate,
    record_dropped,
)
from handlers.locks import KeyedLocks
from handlers.refusals import audit_refusal, audit_refused_message, button_target
from handlers.typed_text import CANCEL_WORDS, COMMAND, clean_text, folded_label, is_stop_word
from handlers.types import Button, Handler, Incoming, Reply, Services, Turn
from handlers.units import log_rows, owed_row, reply_dicts, waves
from storage.contacts import get_or_create_contact, touch_contact
from storage.deliveries import queue_notices
from storage.inbound import claim_inbound, set_aside
from storage.interactions import record_interactions
from storage.outgoing import owe_replies
from storage.states import contacts_and_states, new_state

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.models import Contact, ConversationState

log = logging.getLogger(__name__)

MAX_TEXT = 4000


@dataclass(frozen=True)
class Journey:
    """One user journey, declared: its commands, buttons and the text steps it waits on.

    Button ids are `journey:action` or `journey:action:argument`. A button is honoured
    only when it was in the last message the contact received, or its action is listed
    in `entry_actions` (menu entries that are valid at any time).
    """

    name: str
    commands: Mapping[str, Handler] = field(default_factory=dict)
    buttons: Mapping[str, Handler] = field(default_factory=dict)
    steps: Mapping[str, Handler] = field(default_factory=dict)
    entry_actions: frozenset[str] = frozenset()
    menu_label: str | None = None
    menu_order: int = 0
    help: Mapping[str, str] = field(default_factory=dict)
    officer_only: bool = False
    # Button actions for officers only, in a journey that is not (refusals are audited).
    officer_actions: frozenset[str] = frozenset()
    # `/huy` (or "hủy") inside this journey: asks before discarding, where it has one.
    on_cancel: Handler | None = None
    # A photo, another attachment or a shared contact while the person is in this journey.
    on_attachment: Handler | None = None
    # A whole message matching one of these is handled there, in a flow or not (a
    # receipt code typed anywhere).
    patterns: tuple[tuple[re.Pattern[str], Handler], ...] = ()
    # The menu entry as it stands for this person, (action, label), where it changes
    # (subscribe or unsubscribe); `menu_label` otherwise.
    menu_for: Callable[[Contact], tuple[str, str]] | None = None


class Engine:
    """Routes each Incoming to the journey that owns it."""

    def __init__(
        self,
        services: Services,
        journeys: Iterable[Journey],
        fallback: Handler,
        numbered_channels: frozenset[str] = frozenset(),
        locks: KeyedLocks | None = None,
        deferred_channels: frozenset[str] = frozenset(),
        flood: FloodGate | None = None,
    ) -> None:
        self.services = services
        self.numbered_channels = numbered_channels
        # Channels that send a turn's replies after it commits: the replies are stored
        # with the turn, so none is lost if sending fails or the service stops first.
        self.deferred = deferred_channels
        self.journeys = {journey.name: journey for journey in journeys}
        self.commands: dict[str, Handler] = {}
        self.patterns = [p for journey in self.journeys.values() for p in journey.patterns]
        for journey in self.journeys.values():
            unknown = (journey.entry_actions | journey.officer_actions) - set(journey.buttons)
            if unknown:
                raise ValueError(
                    f"journey {journey.name} lists entry actions or officer actions it lacks: "
                    f"{sorted(unknown)}"
                )
            for name, handler in journey.commands.items():
                if name in self.commands:
                    raise ValueError(f"command /{name} is declared twice")
                self.commands[name] = handler
        self.fallback = fallback
        self._locks = locks or KeyedLocks()
        self.flood = flood or FloodGate()
        self._dropped = DroppedMessages(services)
        # Dropped messages nobody stored are answered after this pause (the web chat
        # refuses most of a flood at its door; what gets past it lands here).
        self.flood_pause = PAUSE_SECONDS
        # The last failure of each stored update that could not be handled at all.
        self._failures: dict[int, str] = {}
        self._background: set[asyncio.Task[None]] = set()

    def _offered(self, officer: bool) -> list[Journey]:
        return sorted(
            (j for j in self.journeys.values() if officer or not j.officer_only),
            key=lambda j: j.menu_order,
        )

    def has_step(self, journey: str, step: str) -> bool:
        """Whether `journey` declares `step`: a flow may only wait where it can resume."""
        declared = self.journeys.get(journey)
        return declared is not None and step in declared.steps

    def commands_help(self, officer: bool = False) -> list[tuple[str, str]]:
        """(command, untranslated description) for the journeys this person may use."""
        return [
            (command, text)
            for journey in self._offered(officer)
            for command, text in journey.help.items()
        ]

    def help_lines(self, translator: Translator, officer: bool = False) -> list[str]:
        """`/command – what it does` for the journeys this person may use, in menu order."""
        return [
            f"/{command} – {translator.gettext(text)}"
            for command, text in self.commands_help(officer)
        ]

    def main_menu(
        self, translator: Translator, officer: bool = False, contact: Contact | None = None
    ) -> tuple[Button, ...]:
        """The menu buttons of the journeys this person may use, in menu order."""
        buttons = []
        for journey in self._offered(officer):
            if journey.menu_for is not None and contact is not None:
                action, label = journey.menu_for(contact)
                buttons.append(Button(f"{journey.name}:{action}", translator.gettext(label)))
            elif journey.menu_label:
                buttons.append(
                    Button(f"{journey.name}:open", translator.gettext(journey.menu_label))
                )
        return tuple(buttons)

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Handle one message; never raises, so one bad update cannot stop a channel. No
        replies means the message was not handled (its update was handled before, or the
        database could not be reached) and, if stored, is still pending; or that it was
        dropped in a flood, answered after a pause when nothing was stored (the caller
        waits for this answer: the pause costs nothing and slows a script down)."""
        [replies] = await self.handle_many([incoming])
        if not replies and incoming.receipt is None and self.flood.flooding(_person(incoming)):
            await asyncio.sleep(self.flood_pause)
        return replies

    async def handle_many(self, incomings: Sequence[Incoming]) -> list[list[Reply]]:
        """Handle messages in the order given and return each one's replies; never raises.

        A busy channel hands over everything waiting at once. The messages are handled in
        waves holding at most one message per person, so each person's messages stay in
        order, and each wave is one unit of work: one read and one write for the lot
        instead of one each, which is what lets a single process keep up with a crowd.
        """
        results: list[list[Reply]] = [[] for _ in incomings]
        verdicts = [self.flood.verdict(_person(incoming)) for incoming in incomings]
        self._dropped.add([incomings[i] for i, verdict in enumerate(verdicts) if verdict == DROP])
        noticed = [i for i, verdict in enumerate(verdicts) if verdict == NOTICE]
        if noticed:
            told = await record_dropped(
                self.services, [incomings[i] for i in noticed], [True] * len(noticed)
            )
            for index, kept in zip(noticed, told, strict=True):
                results[index] = kept
        admitted = [i for i, verdict in enumerate(verdicts) if verdict == ADMIT]
        # People one of whose messages could not be handled: their later messages wait
        # too (unanswered, still pending), or they would be answered out of order.
        held: set[tuple[str, str]] = set()
        for wave in waves([incomings[i] for i in admitted]):
            wave = [admitted[i] for i in wave]
            wave = [i for i in wave if _person(incomings[i]) not in held]
            replies = await self._handle_wave([incomings[i] for i in wave]) if wave else []
            for index, answer in zip(wave, replies, strict=True):
                if answer is None:
                    held.add(_person(incomings[index]))
                else:
                    results[index] = answer
        return results

    async def _handle_wave(self, incomings: list[Incoming]) -> list[list[Reply] | None]:
        """Each message's replies; None for one that could not be handled at all."""
        async with self._locks.holding((i.channel, i.external_id) for i in incomings):
            if len(incomings) > 1:
                try:
                    return list(await self._unit_of_work(incomings))
                except Exception:
                    # One turn failed and took the others' work down with it. Handled one
                    # by one, each of them stands or falls on its own.
                    log.debug("a wave of %d turns failed; handling them apart", len(incomings))
            return [await self._handle_alone(incoming) for incoming in incomings]

    async def _handle_alone(self, incoming: Incoming) -> list[Reply] | None:
        try:
            try:
                [replies] = await self._unit_of_work([incoming])
            except DomainError as error:
                [replies] = await self._unit_of_work([incoming], failure=error)
            except Exception:
                log.exception("turn failed for %s:%s", incoming.channel, incoming.external_id)
                [replies] = await self._unit_of_work([incoming], failure=DomainError())
        except Exception as error:
            # Not even the apology could be committed: the database is away. The
            # message gets no reply now; its stored update stays unhandled, for the
            # channel (or the next start) to hand over again.
            log.exception("turn lost for now for %s:%s", incoming.channel, incoming.external_id)
            return await self._poisoned(incoming, error)
        return replies

    async def _poisoned(self, incoming: Incoming, error: Exception) -> list[Reply] | None:
        """An update that failed twice the same way will fail for ever (it is not the
        database being away): set it aside as a dead letter and apologise, instead of
        trying it again every few seconds."""
        receipt = incoming.receipt
        if receipt is None:
            return None
        why = f"{type(error).__name__}: {str(error).splitlines()[0][:120] if str(error) else ''}"
        if self._failures.pop(receipt, None) != why:
            self._failures[receipt] = why
            if len(self._failures) > 10_000:
                self._failures.pop(next(iter(self._failures)))
            return None
        if not await set_aside(self.services.sessions, receipt, why, self.services.clock()):
            return None
        log.error("update %d of %s set aside after failing twice", receipt, incoming.channel)
        words = self.services.catalogs.translator(None)
        return [Reply(words.gettext("Xin lỗi, mình không xử lý được tin nhắn này."))]

    async def _unit_of_work(
        self, incomings: list[Incoming], failure: DomainError | None = None
    ) -> list[list[Reply]]:
        """Run one turn for each message (one per person) and commit them together: one
        update claiming the platform updates, one read of the contacts with their states,
        one insert of every message in and out. A message whose update was handled
        already gets no replies."""
        now = self.services.clock()
        results: list[list[Reply]] = []
        turns: list[Turn] = []
        rows: list[dict[str, Any]] = []
        owed: list[dict[str, Any]] = []
        async with self.services.sessions.begin() as session:
            # Claimed first, in this transaction: an update that another unit of work has
            # handled (a copy queued twice, a retry racing a resume) is skipped, and one
            # claimed here is released again if this unit rolls back.
            receipts = [i.receipt for i in incomings if i.receipt is not None]
            claimed = await claim_inbound(session, receipts, now)
            found = await contacts_and_states(
                session, [(i.channel, i.external_id) for i in incomings]
            )
            for incoming in incomings:
                if incoming.receipt is not None and incoming.receipt not in claimed:
                    results.append([])
                    continue
                contact, state = found.get((incoming.channel, incoming.external_id), (None, None))
                if contact is None:
                    contact = await get_or_create_contact(
                        session,
                        incoming.channel,
                        incoming.external_id,
                        now=now,
                        name=incoming.name,
                        language=normalise_language(incoming.language_hint),
                    )
                else:
                    touch_contact(contact, now, incoming.name)
                if state is None:
                    state = new_state(session, contact.id, now)
                turn, replies = await self._turn(session, incoming, contact, state, now, failure)
                if not turn.forget:
                    rows += log_rows(incoming, contact.id, replies, now)
                    receipt = incoming.receipt
                    # Replies that repeat stored data (an export) are sent from memory
                    # only: no second copy of a person's data waits in a table.
                    keep = all(reply.loggable for reply in replies)
                    if (
                        replies
                        and keep
                        and receipt is not None
                        and incoming.channel in self.deferred
                    ):
                        owed.append(owed_row(contact.id, incoming, receipt, replies, now))
                turns.append(turn)
                results.append(replies)
            await owe_replies(session, owed)
            await record_interactions(session, rows)
            notices = [(c, reply_dicts(r)) for turn in turns for c, r in turn.notices]
            woken = await queue_notices(session, notices, now)
        for channel in woken:
            self.services.outbox.wake(channel)
        for turn in turns:
            for hook in turn.on_commit:
                hook()
            for callback in turn.after_commit:
                # In the background: the person who acted must not wait on another
                # person's channel (retries, backoff), and a failure there is not theirs.
                task = asyncio.create_task(_run_logged(callback))
                self._background.add(task)
                task.add_done_callback(self._background.discard)
        return results

    async def _turn(
        self,
        session: AsyncSession,
        incoming: Incoming,
        contact: Contact,
        state: ConversationState,
        now: datetime,
        failure: DomainError | None,
    ) -> tuple[Turn, list[Reply]]:
        """Route one message and note what the person was offered."""
        text = clean_text(incoming.text) if incoming.text is not None else None
        turn = Turn(
            incoming,
            contact,
            state,
            session,
            self.services,
            self.services.catalogs.translator(contact.language),
            guide=self,
        )
        # A copy: a journey that edits its draft in place must still count as a change.
        before = (state.journey, state.step, copy.deepcopy(state.data), state.offered)
        if failure is None:
            replies = await self._route(turn, text)
        else:
            # The journey's changes were rolled back; log the exchange and explain. What
            # the flow was about is gone, so staying in it would only repeat this.
            if isinstance(failure, NotFound):
                turn.finish()
            if isinstance(failure, NotAuthorized):
                typed = self._typed_choice(turn, text) if text else None
                audit_refused_message(turn, text, typed)
            replies = turn.menu_reply(turn._(failure.message))
        language = turn.translator.language
        replies = [replace(reply, language=language) for reply in replies]
        # Labels are kept too: a person may type a label, or its number on channels
        # that show buttons as a numbered list, and it must map back after a restart.
        offered = [[b.id, b.label] for reply in replies for b in reply.buttons]
        if offered != state.offered:
            state.offered = offered
        if (state.journey, state.step, state.data, state.offered) != before:
            state.updated_at = now
        return turn, replies

    async def drain(self, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """Wait for deliveries still in flight (at shutdown, and in tests); after
        `timeout` seconds the rest are cancelled."""
        try:
            async with asyncio.timeout(timeout):
                while self._background:
                    await asyncio.gather(*list(self._background), return_exceptions=True)
                await self.services.outbox.drain()
                await self._dropped.flush()
        except TimeoutError:
            for task in list(self._background):
                task.cancel()
            log.warning("shutdown cancelled %d deliveries still waiting", len(self._background))

    async def _route(self, turn: Turn, text: str | None) -> list[Reply]:
        if turn.incoming.button is not None:
            return await self._route_button(turn, turn.incoming.button)
        current = self.journeys.get(turn.state.journey or "")
        incoming = turn.incoming
        if incoming.media or incoming.attachment or incoming.shared_contact:
            if current is not None and current.on_attachment is not None:
                return await current.on_attachment(turn)
        if incoming.media or incoming.attachment:
            return turn.menu_reply(
                turn._(
                    "Mình đã nhận được, nhưng chỉ đọc được chữ ở đây. Muốn gửi ảnh đề cử, "
                    "gõ /decu nhé."
                )
            )
        if incoming.shared_contact:
            return turn.menu_reply(
                turn._(
                    "Cảm ơn bạn. Mình không cần số điện thoại nên không lưu lại. "
                    "Bạn cần gì, chọn bên dưới hoặc gõ câu hỏi nhé."
                )
            )
        if text is None or not text:
            return turn.menu_reply(turn._("Bạn cần gì, chọn bên dưới hoặc gõ câu hỏi nhé."))
        if len(text) > MAX_TEXT:
            return [
                Reply(turn._("Tin nhắn dài quá (hơn 4000 ký tự). Bạn viết ngắn lại giúp mình nhé."))
            ]
        chosen = self._typed_choice(turn, text)
        if chosen is not None:
            return await self._route_button(turn, chosen)
        command = COMMAND.match(text)
        if command:
            return await self._route_command(turn, command.group(1).lower(), command.group(2) or "")
        if turn.state.journey and fold(text) in CANCEL_WORDS:
            return await self._route_command(turn, "huy", "")
        if is_stop_word(text) and "huydangky" in self.commands:
            turn.finish()
            return await self.commands["huydangky"](turn)
        for pattern, pattern_handler in self.patterns:
            found = pattern.fullmatch(text)
            if found:
                turn.args = found.group(0)
                return await pattern_handler(turn)
        handler = current.steps.get(turn.state.step or "") if current else None
        if handler is not None:
            return await handler(turn)
        if current is not None and turn.state.step:
            log.error(
                "journey %s has no step %s; answering as free text", current.name, turn.state.step
            )
        return await self.fallback(turn)

    def _typed_choice(self, turn: Turn, text: str) -> str | None:
        """The offered button a typed text stands for: its label (diacritics optional),
        or its number where the channel shows buttons as a numbered list."""
        offered = turn.state.offered
        if not offered:
            return None
        if turn.incoming.channel in self.numbered_channels and text.isdigit():
            number = int(text)
            return str(offered[number - 1][0]) if 1 <= number <= len(offered) else None
        typed = fold(text).strip(" .!")
        for button_id, label in offered:
            if folded_label(label) == typed:
                return str(button_id)
        return None

    async def _route_command(self, turn: Turn, name: str, args: str) -> list[Reply]:
        turn.args = args.strip()
        if name in ("huy", "cancel"):
            current = self.journeys.get(turn.state.journey or "")
            if current is not None and current.on_cancel is not None:
                return await current.on_cancel(turn)
            had_flow = turn.state.journey is not None
            turn.finish()
            message = (
                turn._("Đã hủy. Bạn muốn làm gì tiếp?")
                if had_flow
                else turn._("Không có việc gì đang làm dở. Bạn muốn làm gì?")
            )
            return turn.menu_reply(message)
        handler = self.commands.get(name)
        if handler is None:
            return turn.menu_reply(
                turn._("Mình không biết lệnh /{name}. Gõ /help để xem các lệnh.").format(name=name)
            )
        return await handler(turn)

    async def _route_button(self, turn: Turn, button_id: str) -> list[Reply]:
        journey_name, _, rest = button_id.partition(":")
        action, _, argument = rest.partition(":")
        journey = self.journeys.get(journey_name)
        handler = journey.buttons.get(action) if journey else None
        offered = any(item[0] == button_id for item in turn.state.offered)
        if journey is None or handler is None or not (offered or action in journey.entry_actions):
            if journey is not None and (journey.officer_only or action in journey.officer_actions):
                audit_refusal(turn, "button.refused", button_target(button_id), "not_offered")
            return turn.menu_reply(turn._("Lựa chọn này đã hết hạn. Bạn chọn lại từ menu nhé."))
        turn.args = argument
        return await handler(turn)


def _person(incoming: Incoming) -> tuple[str, str]:
    return (incoming.channel, incoming.external_id)


async def _run_logged(callback: Callable[[], Awaitable[None]]) -> None:
    try:
        await callback()
    except Exception:
        log.exception("delivery after commit failed")
