"""How an announcement looks to its recipients on Telegram, on Zalo and on the web chat,
as HTML fragments for the compose page.

Each channel's own rules are used, not copied: what a recipient is sent is
`storage.deliveries.broadcast_replies`; Telegram's pieces are `escaped_pieces` with the
photo's caption limit, Zalo's are `split_text` at its message limit, and the web chat's
reply is `reply_json`.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape
from telegram.constants import MessageLimit

from bot.channels.telegram_send import escaped_pieces
from bot.channels.text import split_text
from bot.channels.web import reply_json
from bot.channels.web_photos import media_link
from bot.channels.zalo_client import MAX_TEXT_LENGTH as ZALO_TEXT_LIMIT
from content.i18n import N_
from handlers.units import owed_replies
from storage.deliveries import broadcast_replies
from storage.models import Broadcast

CHANNELS = (("telegram", "Telegram"), ("zalo", "Zalo"), ("web", N_("Trang web")))


@dataclass(frozen=True)
class Bubble:
    """One message as the recipient's app shows it: `text` is already HTML."""

    text: Markup
    photo: str | None = None
    buttons: tuple[str, ...] = ()


def unsaved_broadcast(text: str, photo: str | None) -> Broadcast:
    """An unsaved broadcast holding what the compose form has so far."""
    return Broadcast(id=0, text=text, photo=photo)


def telegram_bubbles(text: str, photo: str | None) -> list[Bubble]:
    """The photo with its text as the caption when it fits Telegram's limit, else the
    photo alone then the text in pieces; the 👍 button under the last."""
    reply = owed_replies(broadcast_replies(unsaved_broadcast(text, photo)))[0]
    labels = tuple(button.label for button in reply.buttons)
    picture = media_link(reply.photo)
    caption = html.escape(reply.text, quote=False)
    if picture is not None and len(caption) <= MessageLimit.CAPTION_LENGTH:
        return [Bubble(Markup(caption), picture, labels)]
    bubbles = [Bubble(Markup(""), picture)] if picture is not None else []
    pieces = escaped_pieces(reply.text, MessageLimit.MAX_TEXT_LENGTH)
    bubbles += [Bubble(Markup(piece)) for piece in pieces]
    if pieces:
        last = bubbles[-1]
        bubbles[-1] = Bubble(last.text, last.photo, labels)
    return bubbles


def zalo_bubbles(text: str, photo: str | None, public_url: str | None) -> list[Bubble]:
    """The photo first (Zalo fetches it from PUBLIC_URL, so none without one), then
    the text in Zalo-sized pieces; an announcement goes without buttons on Zalo, where
    a number typed back could only mean the buttons of the person's last exchange."""
    reply = owed_replies(broadcast_replies(unsaved_broadcast(text, photo)))[0]
    bubbles = []
    if reply.photo and public_url:
        bubbles.append(Bubble(Markup(""), media_link(reply.photo)))
    bubbles += [Bubble(escape(chunk)) for chunk in split_text(reply.text, ZALO_TEXT_LIMIT)]
    return bubbles


def web_bubbles(text: str, photo: str | None) -> list[Bubble]:
    """One message with its photo and button, as the web chat page draws it."""
    reply = owed_replies(broadcast_replies(unsaved_broadcast(text, photo)))[0]
    data = reply_json(reply)
    labels = tuple(str(button["label"]) for button in data["buttons"])
    return [Bubble(escape(data["text"]), data.get("photo"), labels)]


def preview_html(
    text: str, photo: str | None, public_url: str | None, gettext: Callable[[str], str]
) -> Markup:
    """The three previews side by side, each with how many messages it takes."""
    _ = gettext
    by_channel = {
        "telegram": telegram_bubbles(text, photo),
        "zalo": zalo_bubbles(text, photo, public_url),
        "web": web_bubbles(text, photo),
    }
    parts = []
    for channel, name in CHANNELS:
        bubbles = by_channel[channel]
        count = _("{n} tin nhắn").format(n=len(bubbles))
        parts.append(
            Markup('<section class="preview {channel}" aria-label="{name}">').format(
                channel=channel, name=_(name)
            )
        )
        parts.append(
            Markup('<h3>{name} <span class="muted">· {count}</span></h3>').format(
                name=_(name), count=count
            )
        )
        for bubble in bubbles:
            parts.append(Markup('<div class="bubble">'))
            if bubble.photo:
                parts.append(
                    Markup('<img src="{src}" alt="{alt}">').format(
                        src=bubble.photo, alt=_("Ảnh kèm thông báo")
                    )
                )
            if bubble.text:
                parts.append(Markup('<p class="text">{text}</p>').format(text=bubble.text))
            for label in bubble.buttons:
                parts.append(
                    Markup('<span class="inline-button">{label}</span>').format(label=label)
                )
            parts.append(Markup("</div>"))
        if channel == "zalo" and photo and not public_url:
            parts.append(
                Markup('<p class="muted">{note}</p>').format(
                    note=_(
                        "Zalo chỉ nhận ảnh qua địa chỉ công khai (PUBLIC_URL): chưa đặt, "
                        "nên tin Zalo không kèm ảnh."
                    )
                )
            )
        parts.append(Markup("</section>"))
    return Markup("").join(parts)
