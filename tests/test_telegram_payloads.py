"""Reading Telegram updates straight from the Bot API's JSON
(https://core.telegram.org/bots/api#update): what each shape means to the engine, and
that malformed shapes are ignored rather than raised on."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.channels.telegram_payloads import (
    ButtonTap,
    Membership,
    PhotoFile,
    full_name,
    photo_to_fetch,
    read_update,
    update_id,
    without_contact_details,
)
from handlers.types import Incoming

JSONDict = dict[str, Any]

LAN_ID = 5550001
BOT = {"id": 123456789, "is_bot": True, "first_name": "Chung Sức", "username": "chungsuc_bot"}
LAN = {
    "id": LAN_ID,
    "is_bot": False,
    "first_name": "Lan",
    "last_name": "Nguyễn",
    "language_code": "vi",
}
CHAT = {"id": LAN_ID, "type": "private", "first_name": "Lan", "last_name": "Nguyễn"}
PHOTO = [
    {"file_id": "AgACAgsmall", "file_unique_id": "s1", "width": 90, "height": 67},
    {"file_id": "AgACAgmedium", "file_unique_id": "m1", "width": 320, "height": 240},
    {"file_id": "AgACAglarge", "file_unique_id": "l1", "width": 1280, "height": 960},
]


def message(**fields: Any) -> JSONDict:
    """An Update carrying a message Lan sent in her private chat with the bot."""
    body = {"message_id": 42, "date": 1772438400, "chat": CHAT, "from": LAN, **fields}
    return {"update_id": 811000001, "message": body}


def callback_query(**fields: Any) -> JSONDict:
    """An Update: Lan pressed a button under one of the bot's messages."""
    shown = {"message_id": 41, "date": 1772438300, "chat": CHAT, "from": BOT, "text": "Chọn tỉnh"}
    query = {
        "id": "4000000000000000001",
        "from": LAN,
        "message": shown,
        "chat_instance": "-7000000000005550001",
        "data": "province:set:an-giang",
        **fields,
    }
    return {"update_id": 811000002, "callback_query": query}


def my_chat_member(old: str, new: str) -> JSONDict:
    """An Update: Lan blocked (or restarted) the bot."""
    change = {
        "chat": CHAT,
        "from": LAN,
        "date": 1772438500,
        "old_chat_member": {"status": old, "user": BOT},
        "new_chat_member": {"status": new, "user": BOT},
    }
    return {"update_id": 811000003, "my_chat_member": change}


def test_text_message_is_a_turn_with_chat_text_and_name() -> None:
    update = message(text="/help", entities=[{"type": "bot_command", "offset": 0, "length": 5}])
    assert read_update(update, receipt=7) == Incoming(
        "telegram", str(LAN_ID), text="/help", name="Lan Nguyễn", receipt=7
    )


def test_photo_with_caption_is_the_largest_size_and_the_caption() -> None:
    seen = read_update(message(photo=PHOTO, caption="Đường làng mới"), receipt=None)
    assert isinstance(seen, Incoming)
    assert seen.photo == "AgACAglarge"
    assert seen.text == "Đường làng mới"


def test_photo_without_caption_has_no_text() -> None:
    seen = read_update(message(photo=PHOTO), receipt=None)
    assert isinstance(seen, Incoming)
    assert (seen.photo, seen.text) == ("AgACAglarge", None)


@pytest.mark.parametrize(
    ("fields", "attachment"),
    [
        ({"sticker": {"file_id": "CAACAg", "file_unique_id": "u", "type": "regular"}}, "sticker"),
        ({"voice": {"file_id": "AwACAg", "file_unique_id": "v", "duration": 3}}, "voice"),
        ({"audio": {"file_id": "CQACAg", "file_unique_id": "a", "duration": 90}}, "voice"),
        ({"video": {"file_id": "BAACAg", "file_unique_id": "w", "duration": 5}}, "video"),
        ({"video_note": {"file_id": "DQACAg", "file_unique_id": "n", "length": 240}}, "video"),
        (
            {
                "animation": {"file_id": "CgACAg", "file_unique_id": "g"},
                "document": {"file_id": "CgACAg", "file_unique_id": "g", "mime_type": "image/gif"},
            },
            "video",
        ),
        ({"document": {"file_id": "BQACAg", "file_unique_id": "d", "mime_type": "x/pdf"}}, "file"),
        ({"location": {"latitude": 16.7, "longitude": 107.1}}, "other"),
        ({"photo": "not a list"}, "other"),
        ({"photo": [], "text": 12}, "other"),
    ],
    ids=[
        "sticker",
        "voice",
        "audio",
        "video",
        "video-note",
        "gif",
        "document",
        "location",
        "photo-not-a-list",
        "no-photo-and-non-text",
    ],
)
def test_message_without_text_or_photo_says_what_it_carries(
    fields: JSONDict, attachment: str
) -> None:
    seen = read_update(message(**fields), receipt=None)
    assert isinstance(seen, Incoming)
    assert (seen.text, seen.photo, seen.attachment) == (None, None, attachment)


def test_file_with_a_caption_keeps_the_caption() -> None:
    document = {"file_id": "BQACAg", "file_unique_id": "d", "mime_type": "application/pdf"}
    seen = read_update(message(document=document, caption="Biên bản họp thôn"), receipt=None)
    assert isinstance(seen, Incoming)
    assert (seen.text, seen.attachment) == ("Biên bản họp thôn", "file")


def test_image_sent_as_a_file_is_a_photo() -> None:
    document = {
        "file_id": "BQACAgimage",
        "file_unique_id": "i",
        "mime_type": "image/jpeg",
        "file_size": 800_000,
    }
    seen = read_update(message(document=document), receipt=None)
    assert isinstance(seen, Incoming)
    assert (seen.photo, seen.attachment) == ("BQACAgimage", None)
    assert photo_to_fetch(message(document=document)) == PhotoFile("BQACAgimage", 800_000)


def test_photo_over_5_mb_is_refused_without_fetching() -> None:
    sizes = [{**PHOTO[-1], "file_size": 20 * 1024 * 1024}]
    seen = read_update(message(photo=sizes), receipt=None)
    assert isinstance(seen, Incoming)
    assert (seen.photo, seen.attachment) == ("AgACAglarge", "too_large")
    assert photo_to_fetch(message(photo=sizes)) is None
    assert photo_to_fetch(message(photo=PHOTO)) == PhotoFile("AgACAglarge", None)
    assert photo_to_fetch(message(text="xin chào")) is None


SHARED = {"contact": {"phone_number": "+84901234567", "first_name": "Lan", "user_id": LAN_ID}}
SOMEONE_ELSE = {
    "contact": {
        "phone_number": "+84907654321",
        "first_name": "Hùng",
        "user_id": 5550999,
        "vcard": "BEGIN:VCARD\nTEL:+84907654321\nEND:VCARD",
    }
}


def test_own_shared_contact_gives_the_number() -> None:
    seen = read_update(message(**SHARED), receipt=3)
    assert isinstance(seen, Incoming)
    assert seen.shared_contact and seen.text is None and seen.receipt == 3
    assert seen.phone == "+84901234567"


@pytest.mark.parametrize(
    "contact",
    [
        SOMEONE_ELSE["contact"],
        {"phone_number": "+84907654321", "first_name": "Hùng"},
        {"phone_number": "+84907654321", "first_name": "Hùng", "user_id": str(LAN_ID)},
    ],
    ids=["another-user", "not-on-telegram", "id-not-a-number"],
)
def test_someone_elses_contact_gives_no_number(contact: JSONDict) -> None:
    seen = read_update(message(contact=contact), receipt=3)
    assert isinstance(seen, Incoming)
    assert seen.shared_contact and seen.phone is None
    assert "84907654321" not in repr(seen)


def test_shared_contact_is_stored_with_the_own_number_only() -> None:
    own = without_contact_details(message(**SHARED))
    assert own["message"]["contact"] == {"phone_number": "+84901234567", "user_id": LAN_ID}
    assert read_update(own, receipt=None) == read_update(message(**SHARED), receipt=None)
    update = message(**SOMEONE_ELSE)
    stored = without_contact_details(update)
    assert "84907654321" not in json.dumps(stored) and "VCARD" not in json.dumps(stored)
    assert stored["update_id"] == update["update_id"]
    assert read_update(stored, receipt=None) == read_update(update, receipt=None)
    plain = message(text="xin chào")
    assert without_contact_details(plain) is plain


def test_button_tap_carries_the_query_id_and_button_data() -> None:
    seen = read_update(callback_query(), receipt=9)
    assert seen == ButtonTap(
        Incoming(
            "telegram", str(LAN_ID), button="province:set:an-giang", name="Lan Nguyễn", receipt=9
        ),
        "4000000000000000001",
    )


def test_button_without_data_is_an_empty_button() -> None:
    update = callback_query()
    del update["callback_query"]["data"]
    seen = read_update(update, receipt=None)
    assert isinstance(seen, ButtonTap)
    assert seen.incoming is not None and seen.incoming.button == ""


def test_callback_query_without_a_chat_is_answered_but_not_a_turn() -> None:
    # A button on a message sent in inline mode: no message, only inline_message_id.
    inline = callback_query(inline_message_id="AAAAAgk")
    del inline["callback_query"]["message"]
    query_id = inline["callback_query"]["id"]
    assert read_update(inline, receipt=None) == ButtonTap(None, query_id)
    without_chat = callback_query()
    del without_chat["callback_query"]["message"]["chat"]
    assert read_update(without_chat, receipt=None) == ButtonTap(None, query_id)
    broken = {"update_id": 1, "callback_query": {"id": "1", "from": LAN, "message": []}}
    assert read_update(broken, receipt=None) == ButtonTap(None, "1")


@pytest.mark.parametrize(
    ("old", "new", "reachable"),
    [("member", "kicked", False), ("member", "left", False), ("kicked", "member", True)],
)
def test_membership_change_says_whether_the_person_is_reachable(
    old: str, new: str, reachable: bool
) -> None:
    assert read_update(my_chat_member(old, new), receipt=None) == Membership(
        str(LAN_ID), reachable=reachable
    )


def test_updates_that_are_not_a_persons_turn_are_ignored() -> None:
    edited = {"update_id": 1, "edited_message": message(text="sửa")["message"]}
    channel_post = {"update_id": 2, "channel_post": {"message_id": 1, "date": 0, "text": "x"}}
    assert read_update(edited, receipt=None) is None
    assert read_update(channel_post, receipt=None) is None


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 1, "message": [{"text": "hi"}]},
        {"update_id": 1, "message": "hi"},
        {"update_id": 1, "message": {"message_id": 1, "from": LAN, "text": "hi"}},
        {"update_id": 1, "message": {"message_id": 1, "chat": {"type": "private"}, "from": LAN}},
        {"update_id": 1, "message": {"message_id": 1, "chat": CHAT, "text": "no sender"}},
        {"update_id": 1, "callback_query": ["not", "an", "object"]},
        {"update_id": 1, "my_chat_member": {"chat": CHAT}},
        {"update_id": 1, "my_chat_member": {"new_chat_member": {"status": "kicked"}}},
        {},
    ],
)
def test_malformed_update_gives_none_without_raising(update: JSONDict) -> None:
    assert read_update(update, receipt=None) is None


def test_callback_query_without_its_id_is_not_a_turn() -> None:
    update = callback_query()
    del update["callback_query"]["id"]
    assert read_update(update, receipt=None) is None


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"update_id": 811000001, "message": {}}, 811000001),
        ({"update_id": 0}, 0),
        ({"message": {}}, None),
        ({"update_id": "811000001"}, None),
        ({"update_id": True}, None),
        ({"update_id": 1.5}, None),
        ([{"update_id": 1}], None),
        ("update_id", None),
        (None, None),
    ],
)
def test_update_id_only_for_an_object_with_an_integer_id(
    payload: object, expected: int | None
) -> None:
    assert update_id(payload) == expected


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        (LAN, "Lan Nguyễn"),
        ({"id": 1, "is_bot": False, "first_name": "Lan"}, "Lan"),
        ({"id": 1, "is_bot": False, "first_name": "Lan", "last_name": ""}, "Lan"),
        ({"id": 1, "is_bot": False, "first_name": "", "last_name": "Nguyễn"}, "Nguyễn"),
        ({"id": 1, "is_bot": False, "first_name": 7, "last_name": None}, None),
        ({"id": 1, "is_bot": False}, None),
    ],
)
def test_full_name_joins_first_and_last_name(user: JSONDict, expected: str | None) -> None:
    assert full_name(user) == expected


def test_contact_in_a_quoted_message_is_not_stored_either() -> None:
    # Even the sender's own: a quoted contact is not the answer to a question.
    update = message(text="số này nè", reply_to_message={"message_id": 1, **SHARED})
    update["message"]["external_reply"] = {"origin": {"type": "hidden_user"}, **SOMEONE_ELSE}
    stored = without_contact_details(update)
    assert "84901234567" not in json.dumps(stored) and "84907654321" not in json.dumps(stored)
    assert stored["message"]["text"] == "số này nè"
