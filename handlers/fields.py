"""The kinds of field a form declares: a choice, text with limits, a place, photos, a
phone number and a consent."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers

from content.areas import load_areas
from content.vietnamese import fold
from handlers.forms import Accept, Again, Ask, End, Field, Option, Outcome, Propose, Stay, Values
from handlers.types import Turn
from storage.media import delete_media, take_media

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

Choices = Sequence[tuple[str, str]] | Callable[[Turn, Values], Sequence[tuple[str, str]]]


class Choice(Field):
    """One of a few answers, each a button. Static choices are (value, msgid); a callable
    returns (value, translated label) for choices that depend on who asks."""

    def __init__(self, name: str, label: str, prompt: Any, choices: Choices, **kw: Any) -> None:
        super().__init__(name, label, prompt, **kw)
        self._choices = choices

    def choices(self, turn: Turn, values: Values) -> list[tuple[str, str]]:
        if callable(self._choices):
            return list(self._choices(turn, values))
        return [(value, turn._(label)) for value, label in self._choices]


class Consent(Choice):
    """An explicit yes or no, never pre-ticked. A `required` consent declined ends the
    form, keeping nothing of it."""

    def __init__(
        self,
        name: str,
        label: str,
        prompt: Any,
        choices: Choices,
        *,
        required: str | None = None,
        declined: str = "",
        **kw: Any,
    ) -> None:
        super().__init__(name, label, prompt, choices, **kw)
        self.required = required
        self.declined = declined

    async def take_choice(self, ask: Ask, value: str) -> Outcome:
        outcome = await super().take_choice(ask, value)
        if isinstance(outcome, Accept) and self.required and outcome.value != self.required:
            return End(ask._(self.declined))
        return outcome

    async def take_text(self, ask: Ask, text: str) -> Outcome:
        # Silence or a vague word is not consent: only the buttons (or their labels,
        # which the engine maps to the buttons) count.
        return Again(ask._("Bạn bấm một trong các nút bên dưới để trả lời giúp mình nhé."))


class Text(Field):
    """Free text between `minimum` and `maximum` characters."""

    def __init__(
        self,
        name: str,
        label: str,
        prompt: Any,
        *,
        minimum: int,
        maximum: int,
        suggestion: Callable[[Turn], str | None] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(name, label, prompt, **kw)
        self.minimum = minimum
        self.maximum = maximum
        # An answer offered as a button (the name the person goes by), typed text still
        # counts. The button carries no personal data: its id names the suggestion.
        self._suggestion = suggestion

    def _suggested(self, turn: Turn) -> str | None:
        suggested = self._suggestion(turn) if self._suggestion else None
        return suggested if suggested and len(suggested) <= self.maximum else None

    def choices(self, turn: Turn, values: Values) -> list[tuple[str, str]]:
        suggested = self._suggested(turn)
        return [("suggested", suggested)] if suggested else []

    async def take_choice(self, ask: Ask, value: str) -> Outcome:
        suggested = self._suggested(ask.turn)
        if value == "suggested" and suggested:
            return await self.take_text(ask, suggested)
        return Again(ask._("Lựa chọn này đã hết hạn. Bạn chọn lại nhé."))

    async def take_text(self, ask: Ask, text: str) -> Outcome:
        text = " ".join(text.split()) if self.maximum <= 300 else text.strip()
        if len(text) < self.minimum:
            return Again(
                ask._("Ngắn quá: cần ít nhất {n} ký tự, bạn viết thêm giúp mình nhé.").format(
                    n=self.minimum
                )
            )
        if len(text) > self.maximum:
            return Again(
                ask._(
                    "Dài quá: tối đa {n} ký tự (bạn đã gõ {m}). Bạn rút gọn giúp mình nhé."
                ).format(n=self.maximum, m=len(text))
            )
        return Accept(text)

    def describe(self, turn: Turn, value: Any) -> str:
        if value is None:
            return turn._("(bỏ qua)")
        text = str(value)
        return text if len(text) <= 300 else text[:299].rstrip() + "…"


class Place(Field):
    """A commune of the asker's province, typed in any form, old names included. A sure
    match is confirmed in one line, several become buttons, nothing found asks again."""

    async def take_text(self, ask: Ask, text: str) -> Outcome:
        _ = ask._
        resolution = load_areas().resolve(text, ask.turn.province)
        if resolution.exact is not None:
            match = resolution.exact
            label = _place_label(ask.turn, match.commune.name, match.former)
            value = _place_value(match.commune.code, match.former, text)
            return Propose(
                _("{place} — đúng không?").format(place=label),
                (
                    Option("yes", _("✅ Đúng"), value),
                    Option("no", _("Không, gõ lại"), None),
                ),
            )
        if resolution.candidates:
            options = tuple(
                Option(
                    m.commune.code,
                    _place_label(ask.turn, m.commune.name, m.former),
                    _place_value(m.commune.code, m.former, text),
                )
                for m in resolution.candidates[:5]
            )
            return Propose(_("Có phải một trong các nơi này không?"), options)
        return Again(
            _(
                "Mình chưa tìm thấy nơi này trong tỉnh. Bạn gõ tên xã hoặc phường, "
                "ví dụ: “xã Cửa Tùng” hoặc tên cũ “xã Kim Thạch, huyện Vĩnh Linh”."
            )
        )

    async def take_choice(self, ask: Ask, value: str) -> Outcome:
        return Again(ask._("Bạn gõ lại tên xã hoặc phường giúp mình nhé."))

    def describe(self, turn: Turn, value: Any) -> str:
        if not isinstance(value, dict):
            return "—"
        commune = load_areas().get(str(value.get("code")))
        name = commune.name if commune else str(value.get("code"))
        return _place_label(turn, name, value.get("former"))


def _place_label(turn: Turn, name: str, former: str | None) -> str:
    if former:
        return turn._("{name} (trước đây: {former})").format(name=name, former=former)
    return name


def _place_value(code: str, former: str | None, typed: str) -> dict[str, Any]:
    return {"code": code, "former": former, "typed": typed[:200]}


def photo_tokens(value: Any) -> list[str]:
    """The tokens of the photos a Photos field holds."""
    tokens = value.get("tokens") if isinstance(value, dict) else None
    return [str(t) for t in tokens] if isinstance(tokens, list) else []


class Photos(Field):
    """Up to `maximum` photos, stored by the channel before the turn; "skip" with none,
    "done" with some. Photos sent at an earlier step are kept, but the step is still
    asked: only "done" or "skip" answers it."""

    def __init__(self, name: str, label: str, prompt: Any, *, maximum: int, **kw: Any) -> None:
        super().__init__(name, label, prompt, **kw)
        self.maximum = maximum

    def answered(self, values: Values) -> bool:
        value = values.get(self.name)
        return isinstance(value, dict) and bool(value.get("done"))

    def extra_buttons(self, turn: Turn, values: Values) -> list[tuple[str, str]]:
        if photo_tokens(values.get(self.name)):
            return [("done", turn._("✅ Xong, không gửi thêm"))]
        return [("skip", turn._("Bỏ qua, không có ảnh"))]

    def skipped(self, ask: Ask) -> Outcome:
        return Accept({"tokens": photo_tokens(ask.values.get(self.name)), "done": True})

    async def take_done(self, ask: Ask) -> Outcome:
        return self.skipped(ask)

    async def take_text(self, ask: Ask, text: str) -> Outcome:
        if fold(text).strip(" .!") in {"xong", "bo qua", "khong co", "ko co", "k co", "done"}:
            return await self.take_done(ask)
        return Again(ask._("Ở bước này bạn gửi ảnh (bấm 📎 hoặc 📷), hoặc bấm nút bên dưới."))

    async def take_attachment(self, ask: Ask) -> Outcome:
        _ = ask._
        incoming = ask.turn.incoming
        value = ask.values.get(self.name)
        photos = photo_tokens(value)
        done = isinstance(value, dict) and bool(value.get("done"))
        if incoming.media:
            if len(photos) >= self.maximum:
                await delete_media(ask.turn.session, [incoming.media])
                return Again(
                    _("Đã đủ {n} ảnh, mình không nhận thêm. Bấm “Xong” để đi tiếp.").format(
                        n=self.maximum
                    )
                )
            media = await take_media(ask.turn.session, incoming.media, ask.turn.contact.id)
            if media is None:
                return Again(_("Mình không đọc được ảnh này. Bạn gửi lại giúp mình nhé."))
            if media.token in photos:
                return Stay(value, _("Ảnh này bạn đã gửi rồi."))
            photos.append(media.token)
            return Stay(
                {"tokens": photos, "done": done},
                _("Đã nhận ảnh {n}/{m}. Gửi thêm, hoặc bấm “Xong”.").format(
                    n=len(photos), m=self.maximum
                ),
            )
        problems = {
            "too_large": _("Ảnh này lớn quá (tối đa 5 MB). Bạn gửi ảnh nhỏ hơn giúp mình nhé."),
            "not_image": _("Tệp này không phải ảnh. Bạn gửi ảnh chụp (JPG, PNG) giúp mình nhé."),
            "unavailable": _("Mình chưa tải được ảnh. Bạn gửi lại giúp mình nhé."),
        }
        message = problems.get(incoming.attachment or "") or _(
            "Mình cần ảnh chụp, không nhận nhãn dán, tệp, video hay tin nhắn thoại."
        )
        return Again(message)

    def photo(self, value: Any) -> str | None:
        tokens = photo_tokens(value)
        return f"media:{tokens[0]}" if tokens else None

    def describe(self, turn: Turn, value: Any) -> str:
        count = len(photo_tokens(value))
        if not count:
            return turn._("không có")
        return turn._("{n} tấm").format(n=count)


_NOT_DIGITS = re.compile(r"[\s.\-()]")


def vietnamese_phone(text: str) -> str | None:
    """A Vietnamese phone number in E.164 (+84…), from the ways people write it:
    0912 345 678, +84 912 345 678, 84912345678. None when it is not one."""
    bare = _NOT_DIGITS.sub("", text.strip())
    if bare.startswith("84") and len(bare) in (11, 12):
        bare = "+" + bare
    try:
        number = phonenumbers.parse(bare, "VN")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 84 or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class Phone(Field):
    """A Vietnamese phone number, typed or, on Telegram, shared with one tap."""

    asks_phone = True

    async def take_text(self, ask: Ask, text: str) -> Outcome:
        number = vietnamese_phone(text)
        if number is None:
            return Again(
                ask._(
                    "Số điện thoại chưa đúng. Bạn gõ số Việt Nam, ví dụ 0912 345 678 "
                    "hoặc +84 912 345 678."
                )
            )
        return Accept(number)

    async def take_attachment(self, ask: Ask) -> Outcome:
        shared = ask.turn.incoming.phone
        if shared:
            return await self.take_text(ask, shared)
        if ask.turn.incoming.shared_contact:
            return Again(ask._("Đó không phải số của bạn. Bạn gõ số điện thoại của bạn nhé."))
        return await super().take_attachment(ask)

    def describe(self, turn: Turn, value: Any) -> str:
        if not value:
            return turn._("(bỏ qua)")
        number = phonenumbers.parse(str(value), "VN")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


_TIME_FIRST = re.compile(
    r"(\d{1,2})\s*[:hg]\s*(\d{2})?\s*(?:ngay|,)?\s*(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?"
)
_DATE_FIRST = re.compile(
    r"(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?\s*(?:luc|,)?\s*(\d{1,2})\s*[:hg]\s*(\d{2})?"
)
FURTHEST = timedelta(days=365)


def local_moment(text: str, now: datetime) -> datetime | None:
    """A time typed the Vietnamese way, "7:30 24/12", "24/12/2026 7h30", read in
    Vietnam's time; a day without a year is the next one to come. None when unreadable."""
    folded = fold(text).strip()
    hour = minute = day = month = year = None
    if found := _TIME_FIRST.search(folded):
        hour, minute, day, month, year = found.groups()
    elif found := _DATE_FIRST.search(folded):
        day, month, year, hour, minute = found.groups()
    else:
        return None
    try:
        local_now = now.astimezone(VIETNAM)
        full_year = int(year) + (2000 if len(year) == 2 else 0) if year else local_now.year
        moment = datetime(
            full_year, int(month), int(day), int(hour), int(minute or 0), tzinfo=VIETNAM
        )
    except ValueError:
        return None
    if year is None and moment < local_now:
        moment = moment.replace(year=moment.year + 1)
    return moment


class Moment(Field):
    """A time in the coming year, typed as people write it."""

    async def take_text(self, ask: Ask, text: str) -> Outcome:
        now = ask.turn.now
        moment = local_moment(text, now)
        if moment is None:
            return Again(ask._("Mình chưa đọc được giờ này. Bạn gõ như: 7:30 24/12"))
        if moment < now:
            return Again(ask._("Giờ này đã qua rồi. Bạn chọn một giờ sắp tới nhé."))
        if moment > now + FURTHEST:
            return Again(ask._("Xa quá: chỉ hẹn được trong vòng một năm tới."))
        return Accept(moment.isoformat())

    def describe(self, turn: Turn, value: Any) -> str:
        if not value:
            return "—"
        return turn.translator.datetime(datetime.fromisoformat(str(value)))
