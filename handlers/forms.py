"""Declared forms: a list of typed fields from which the prompts, validation, the summary
with its "edit" buttons and resuming are all derived.

A form is a journey like any other, but its draft lives in `form_drafts`, one per
contact and form, apart from the conversation slot: `/start`, a notice or another
journey never wipes a half-filled form, and every answer is stored as it is given, so
a restart resumes at the same step. Button ids are `<form>:<action>[:<field>[:<value>]]`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from handlers.types import Button, Reply, Turn

SUMMARY = "summary"
RESUMING = "resuming"
DISCARDING = "discarding"
RESERVED_STEPS = (SUMMARY, RESUMING, DISCARDING)

Values = Mapping[str, Any]


@dataclass(frozen=True)
class Accept:
    """The answer is good: store it and move on."""

    value: Any


@dataclass(frozen=True)
class Again:
    """The answer cannot be used: say why, then ask the same thing again."""

    message: str


@dataclass(frozen=True)
class Stay:
    """Store `value` but stay at this step (another photo may follow)."""

    value: Any
    message: str


@dataclass(frozen=True)
class Option:
    """One of the answers a field proposes after reading free text (a commune among
    several that fit): its button label and the value it stands for."""

    key: str
    label: str
    value: Any


@dataclass(frozen=True)
class Propose:
    """Ask the person to pick one of `options` before the answer counts. The options
    wait in the draft, so a restart keeps them."""

    message: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class End:
    """Stop the form here and drop the draft (a required consent was declined)."""

    message: str


Outcome = Accept | Again | Stay | Propose | End


@dataclass(frozen=True)
class Ask:
    """What a field reads one answer with: the turn and the answers so far."""

    turn: Turn
    values: Values

    @property
    def _(self) -> Callable[[str], str]:
        return self.turn._


class Field:
    """One thing a form asks. The base reads only its own buttons; subclasses read
    text or attachments too."""

    def __init__(
        self,
        name: str,
        label: str,
        prompt: str | Callable[[Turn, Values], str],
        *,
        optional: bool = False,
        when: Callable[[Turn, Values], bool] | None = None,
    ) -> None:
        self.name = name
        self.label = label
        self._prompt = prompt
        self.optional = optional
        self._when = when

    def answered(self, values: Values) -> bool:
        """Whether the person has answered this field (skipping counts)."""
        return self.name in values

    def applies(self, turn: Turn, values: Values) -> bool:
        """Whether the form asks this field, given who fills it and what they said."""
        return self._when is None or self._when(turn, values)

    def question(self, turn: Turn, values: Values) -> str:
        prompt = self._prompt
        return prompt(turn, values) if callable(prompt) else turn._(prompt)

    def choices(self, turn: Turn, values: Values) -> list[tuple[str, str]]:
        """(value, translated label) of the answers offered as buttons."""
        return []

    def extra_buttons(self, turn: Turn, values: Values) -> list[tuple[str, str]]:
        """(action, translated label) of other buttons, such as "skip"."""
        return [("skip", turn._("Bỏ qua"))] if self.optional else []

    asks_phone = False

    async def take_text(self, ask: Ask, text: str) -> Outcome:
        return Again(ask._("Bạn chọn một nút bên dưới giúp mình nhé."))

    async def take_choice(self, ask: Ask, value: str) -> Outcome:
        if value in {v for v, _ in self.choices(ask.turn, ask.values)}:
            return Accept(value)
        return Again(ask._("Lựa chọn này đã hết hạn. Bạn chọn lại nhé."))

    async def take_attachment(self, ask: Ask) -> Outcome:
        incoming = ask.turn.incoming
        if incoming.attachment == "voice":
            return Again(ask._("Mình chưa nghe được tin nhắn thoại. Bạn gõ chữ giúp mình nhé."))
        return Again(ask._("Ở bước này bạn gõ chữ hoặc chọn nút giúp mình nhé."))

    async def take_done(self, ask: Ask) -> Outcome:
        return Again(ask._("Bạn trả lời câu hỏi bên dưới giúp mình nhé."))

    def skipped(self, ask: Ask) -> Outcome:
        return Accept(None) if self.optional else Again(ask._("Bước này không bỏ qua được."))

    def photo(self, value: Any) -> str | None:
        """A photo the summary shows with this answer (`media:<token>`), if any."""
        return None

    def describe(self, turn: Turn, value: Any) -> str:
        """The answer as the summary shows it."""
        if value is None:
            return turn._("(bỏ qua)")
        labels = dict(self.choices(turn, {}))
        return labels.get(str(value), str(value))


Submit = Callable[[Turn, dict[str, Any]], Awaitable[list[Reply]]]


class Refused(Exception):
    """Raised by a form's `submit` when it cannot be sent as it stands (nobody in an
    announcement's audience): the person is told why and the draft stays."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Form:
    """A form: its fields in order, the summary's title, and what sending it does."""

    name: str
    fields: Sequence[Field]
    title: str
    submit: Submit
    # Raises a DomainError for people who may not fill this form.
    allowed: Callable[[Turn], None] | None = None
    # The field a photo sent at any step goes to.
    attachments: str | None = None
    # Said once, before the first question of a new draft.
    intro: Callable[[Turn], str] | None = None
    # Shown above the summary: the thing as others will see it.
    preview: Callable[[Turn, Values], Awaitable[list[Reply]]] | None = None
    # False: sent as soon as the last question is answered, without a summary.
    confirm: bool = True
    by_name: dict[str, Field] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        for item in self.fields:
            if item.name in self.by_name or item.name in RESERVED_STEPS:
                raise ValueError(f"form {self.name}: field name {item.name!r} is taken")
            self.by_name[item.name] = item
        if self.attachments is not None and self.attachments not in self.by_name:
            raise ValueError(f"form {self.name}: no field {self.attachments!r} for photos")

    @property
    def steps(self) -> tuple[str, ...]:
        return (*self.by_name, *RESERVED_STEPS)

    def visible(self, turn: Turn, values: Values) -> list[Field]:
        return [item for item in self.fields if item.applies(turn, values)]

    def next_step(self, turn: Turn, values: Values) -> str:
        """The first question still unanswered, or the summary when none is."""
        for item in self.visible(turn, values):
            if not item.answered(values):
                return item.name
        return SUMMARY

    def prompt(self, turn: Turn, step: str, values: Values, proposed: list[Any]) -> Reply:
        """The question of `step` with its buttons: the options it proposed, if any."""
        if step == SUMMARY:
            return self.summary(turn, values)
        item = self.by_name[step]
        pairs = [(str(key), str(label)) for key, label, _ in proposed] or item.choices(turn, values)
        buttons = [Button(f"{self.name}:f:{item.name}:{key}", label) for key, label in pairs]
        buttons += [
            Button(f"{self.name}:{action}:{item.name}", label)
            for action, label in item.extra_buttons(turn, values)
        ]
        return Reply(item.question(turn, values), tuple(buttons), request_phone=item.asks_phone)

    def summary(self, turn: Turn, values: Values) -> Reply:
        """Every answer, with "send", an "edit" button per field, and "cancel"."""
        _ = turn._
        lines = [_(self.title)]
        edits: list[Button] = []
        photo: str | None = None
        for item in self.visible(turn, values):
            photo = photo or item.photo(values.get(item.name))
            label = _(item.label)
            lines.append(f"• {label}: {item.describe(turn, values.get(item.name))}")
            edits.append(
                Button(f"{self.name}:edit:{item.name}", _("✏️ Sửa {field}").format(field=label))
            )
        lines.append(_("Đã đúng thì bấm “Gửi”, chưa đúng thì sửa từng mục."))
        return Reply(
            "\n".join(lines),
            (
                Button(f"{self.name}:send", _("✅ Gửi")),
                *edits,
                Button(f"{self.name}:drop", _("🗑 Bỏ bản nháp")),
            ),
            photo=photo,
        )
