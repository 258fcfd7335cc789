"""A declared form run as a journey: start or resume, read each answer, the summary,
edit, send, and discard only after asking."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.engine import Journey
from handlers.forms import (
    DISCARDING,
    RESUMING,
    SUMMARY,
    Accept,
    Again,
    Ask,
    End,
    Form,
    Outcome,
    Propose,
    Refused,
    Stay,
)
from handlers.types import Button, Handler, Reply, Turn
from storage.drafts import discard_draft, get_draft, open_draft, save_draft
from storage.models import FormDraft


class FormJourney:
    """The handlers that run one form; `journey()` declares them to the engine."""

    def __init__(self, form: Form) -> None:
        self.form = form
        self.name = form.name

    # Opening ---------------------------------------------------------------------------

    async def start(self, turn: Turn) -> list[Reply]:
        """Begin a new draft, or offer to continue the one left open."""
        if self.form.allowed is not None:
            self.form.allowed(turn)
        draft = await get_draft(turn.session, turn.contact.id, self.name)
        if draft is not None and _values(draft):
            _ = turn._
            turn.begin(self.name, RESUMING)
            return [
                Reply(
                    _("Bạn đang điền dở một bản. Điền tiếp hay làm lại từ đầu?"),
                    (
                        Button(f"{self.name}:resume", _("▶️ Điền tiếp")),
                        Button(f"{self.name}:restart", _("🔄 Làm lại từ đầu")),
                    ),
                )
            ]
        return await self.restart(turn)

    async def restart(self, turn: Turn) -> list[Reply]:
        if self.form.allowed is not None:
            self.form.allowed(turn)
        step = self.form.next_step(turn, {})
        draft = await open_draft(turn.session, turn.contact.id, self.name, step, turn.now)
        turn.begin(self.name, step)
        replies = await self._ask(turn, draft)
        if self.form.intro is not None:
            replies.insert(0, Reply(self.form.intro(turn)))
        return replies

    async def start_with(self, turn: Turn, values: Mapping[str, Any]) -> list[Reply]:
        """A new draft already holding `values` (a commendation drafted from its
        nomination), asking the first question still open."""
        if self.form.allowed is not None:
            self.form.allowed(turn)
        draft = await open_draft(turn.session, turn.contact.id, self.name, SUMMARY, turn.now)
        self._store(turn, draft, self.form.next_step(turn, values), values)
        return await self._ask(turn, draft)

    async def resume(self, turn: Turn) -> list[Reply]:
        draft = await self._draft(turn)
        if draft is None:
            return self._gone(turn)
        step = draft.step if draft.step in self.form.steps else SUMMARY
        turn.begin(self.name, step)
        return await self._ask(turn, draft)

    # Answers ---------------------------------------------------------------------------

    async def typed(self, turn: Turn) -> list[Reply]:
        """Text at the current step."""
        draft = await self._draft(turn)
        if draft is None:
            return self._gone(turn)
        step = draft.step
        if step not in self.form.by_name:
            hint = turn._("Bạn chọn một nút bên dưới giúp mình nhé.")
            return [Reply(hint), *await self._ask(turn, draft)]
        item = self.form.by_name[step]
        outcome = await item.take_text(self._asking(turn, draft), turn.incoming.text or "")
        return await self._apply(turn, draft, step, outcome)

    async def chose(self, turn: Turn) -> list[Reply]:
        """A button of the current question: `<field>:<value>`."""
        draft = await self._draft(turn)
        step, _, value = turn.args.partition(":")
        if draft is None:
            return self._gone(turn)
        if step != draft.step or step not in self.form.by_name:
            return await self._expired(turn, draft)
        for key, _label, proposed in _proposed(draft):
            if key == value:
                return await self._apply(turn, draft, step, Accept(proposed))
        item = self.form.by_name[step]
        outcome = await item.take_choice(self._asking(turn, draft), value)
        return await self._apply(turn, draft, step, outcome)

    async def skip(self, turn: Turn) -> list[Reply]:
        draft = await self._draft(turn)
        if draft is None:
            return self._gone(turn)
        if turn.args != draft.step or draft.step not in self.form.by_name:
            return await self._expired(turn, draft)
        item = self.form.by_name[draft.step]
        return await self._apply(turn, draft, draft.step, item.skipped(self._asking(turn, draft)))

    async def done(self, turn: Turn) -> list[Reply]:
        """ "Done" on a step that takes several answers (photos)."""
        draft = await self._draft(turn)
        if draft is None:
            return self._gone(turn)
        if turn.args != draft.step or draft.step not in self.form.by_name:
            return await self._expired(turn, draft)
        item = self.form.by_name[draft.step]
        outcome = await item.take_done(self._asking(turn, draft))
        return await self._apply(turn, draft, draft.step, outcome)

    async def attachment(self, turn: Turn) -> list[Reply]:
        """A photo, another attachment or a shared contact, at any step."""
        draft = await self._draft(turn)
        if draft is None:
            return self._gone(turn)
        step = draft.step
        item = self.form.by_name.get(step)
        photos = self.form.attachments
        if turn.incoming.media and photos and step != photos:
            # A photo at another step still belongs to the form: it joins the photos
            # and the person carries on where they were.
            target = self.form.by_name[photos]
            values = _values(draft)
            if target.applies(turn, values):
                outcome = await target.take_attachment(self._asking(turn, draft))
                if isinstance(outcome, Stay):
                    self._store(turn, draft, step, {**values, photos: outcome.value})
                    return [Reply(outcome.message), *await self._ask(turn, draft)]
                if isinstance(outcome, Again):
                    return [Reply(outcome.message), *await self._ask(turn, draft)]
        if item is None:
            hint = turn._("Bạn chọn một nút bên dưới giúp mình nhé.")
            return [Reply(hint), *await self._ask(turn, draft)]
        outcome = await item.take_attachment(self._asking(turn, draft))
        return await self._apply(turn, draft, step, outcome)

    async def _apply(
        self, turn: Turn, draft: FormDraft, step: str, outcome: Outcome
    ) -> list[Reply]:
        values = _values(draft)
        if isinstance(outcome, Again):
            return [Reply(outcome.message), *await self._ask(turn, draft)]
        if isinstance(outcome, End):
            await discard_draft(turn.session, draft)
            turn.finish()
            return turn.menu_reply(outcome.message)
        if isinstance(outcome, Propose):
            options = [[o.key, o.label, o.value] for o in outcome.options]
            self._store(turn, draft, step, values, options)
            ask = self.form.prompt(turn, step, values, options)
            return [Reply(outcome.message, ask.buttons)]
        if isinstance(outcome, Stay):
            self._store(turn, draft, step, {**values, step: outcome.value})
            return [Reply(outcome.message), *await self._ask(turn, draft)]
        values = {**values, step: outcome.value}
        following = self.form.next_step(turn, values)
        self._store(turn, draft, following, values)
        if following == SUMMARY and not self.form.confirm:
            return await self.send(turn)
        return await self._ask(turn, draft)

    # Summary, edit, send --------------------------------------------------------------

    async def edit(self, turn: Turn) -> list[Reply]:
        draft = await self._draft(turn)
        if draft is None:
            return self._gone(turn)
        item = self.form.by_name.get(turn.args)
        if item is None or not item.applies(turn, _values(draft)):
            return await self._expired(turn, draft)
        self._store(turn, draft, item.name, _values(draft))
        return await self._ask(turn, draft)

    async def send(self, turn: Turn) -> list[Reply]:
        draft = await self._draft(turn)
        if draft is None:
            return self._gone(turn)
        values = _values(draft)
        step = self.form.next_step(turn, values)
        if step != SUMMARY:
            # Something is missing after all (an edit made another question apply).
            self._store(turn, draft, step, values)
            return await self._ask(turn, draft)
        if self.form.allowed is not None:
            self.form.allowed(turn)
        # Answers to questions that no longer apply are dropped; what the journey put in
        # the draft itself (keys no field declares) is kept.
        visible = {item.name for item in self.form.visible(turn, values)}
        kept = {k: v for k, v in values.items() if k in visible or k not in self.form.by_name}
        kept.update({name: values.get(name) for name in visible})
        try:
            replies = await self.form.submit(turn, kept)
        except Refused as refused:
            return [Reply(refused.message), *await self._ask(turn, draft)]
        if await self._draft(turn) is draft:
            await discard_draft(turn.session, draft)
        return replies

    # Discarding -----------------------------------------------------------------------

    async def ask_discard(self, turn: Turn) -> list[Reply]:
        """`/huy` or "Bỏ bản nháp": ask first, a draft may hold an hour's work."""
        _ = turn._
        draft = await self._draft(turn)
        if draft is None:
            turn.finish()
            return turn.menu_reply(_("Đã hủy. Bạn muốn làm gì tiếp?"))
        turn.begin(self.name, DISCARDING)
        return [
            Reply(
                _("Bỏ bản đang điền? Những gì bạn đã nhập sẽ bị xóa."),
                (
                    Button(f"{self.name}:discard", _("🗑 Bỏ đi")),
                    Button(f"{self.name}:resume", _("▶️ Điền tiếp")),
                ),
            )
        ]

    async def discard(self, turn: Turn) -> list[Reply]:
        draft = await get_draft(turn.session, turn.contact.id, self.name)
        if draft is not None:
            await discard_draft(turn.session, draft)
        turn.finish()
        return turn.menu_reply(turn._("Đã bỏ bản nháp. Bạn muốn làm gì tiếp?"))

    async def waiting_choice(self, turn: Turn) -> list[Reply]:
        """Text while a question with only buttons waits (resume or discard)."""
        draft = await self._draft(turn)
        if draft is None:
            return self._gone(turn)
        if turn.state.step == DISCARDING:
            return await self.ask_discard(turn)
        return await self.start(turn)

    # Helpers ---------------------------------------------------------------------------

    async def _draft(self, turn: Turn) -> FormDraft | None:
        return await get_draft(turn.session, turn.contact.id, self.name)

    def _asking(self, turn: Turn, draft: FormDraft) -> Ask:
        return Ask(turn, _values(draft))

    async def _ask(self, turn: Turn, draft: FormDraft) -> list[Reply]:
        """The question of the draft's step; at the summary, the form's preview first."""
        turn.begin(self.name, draft.step)
        values = _values(draft)
        ask = self.form.prompt(turn, draft.step, values, _proposed(draft))
        if draft.step == SUMMARY and self.form.preview is not None:
            return [*await self.form.preview(turn, values), ask]
        return [ask]

    def _store(
        self,
        turn: Turn,
        draft: FormDraft,
        step: str,
        values: Mapping[str, Any],
        proposed: list[Any] | None = None,
    ) -> None:
        save_draft(draft, step, {"values": dict(values), "proposed": proposed or []}, turn.now)

    def _gone(self, turn: Turn) -> list[Reply]:
        turn.finish()
        return turn.menu_reply(
            turn._("Bản nháp này không còn nữa. Bạn bắt đầu lại từ menu giúp mình nhé.")
        )

    async def _expired(self, turn: Turn, draft: FormDraft) -> list[Reply]:
        expired = turn._("Nút này thuộc một bước đã qua. Mình hỏi lại bước hiện tại nhé.")
        return [Reply(expired), *await self._ask(turn, draft)]

    def journey(
        self,
        *,
        command: str | None,
        menu_label: str | None,
        menu_order: int,
        help_text: str = "",
        more_commands: Mapping[str, Handler] | None = None,
        more_buttons: Mapping[str, Handler] | None = None,
        more_entry_actions: frozenset[str] = frozenset(),
        more_help: Mapping[str, str] | None = None,
        officer_only: bool = False,
    ) -> Journey:
        """The journey the engine routes this form's commands, buttons and steps to."""
        steps: dict[str, Handler] = {name: self.typed for name in self.form.by_name}
        steps[SUMMARY] = self.typed
        steps[RESUMING] = self.waiting_choice
        steps[DISCARDING] = self.waiting_choice
        return Journey(
            name=self.name,
            commands={**({command: self.start} if command else {}), **(more_commands or {})},
            buttons={
                "open": self.start,
                "resume": self.resume,
                "restart": self.restart,
                "f": self.chose,
                "skip": self.skip,
                "done": self.done,
                "edit": self.edit,
                "send": self.send,
                "drop": self.ask_discard,
                "discard": self.discard,
                **(more_buttons or {}),
            },
            steps=steps,
            entry_actions=frozenset({"open"}) | more_entry_actions,
            menu_label=menu_label,
            menu_order=menu_order,
            help={**({command: help_text} if command else {}), **(more_help or {})},
            on_cancel=self.ask_discard,
            on_attachment=self.attachment,
            officer_only=officer_only,
        )


def _values(draft: FormDraft) -> dict[str, Any]:
    values = (draft.data or {}).get("values")
    return dict(values) if isinstance(values, dict) else {}


def _proposed(draft: FormDraft) -> list[Any]:
    proposed = (draft.data or {}).get("proposed")
    return [p for p in proposed if isinstance(p, list) and len(p) == 3] if proposed else []
