"""Announcements on the dashboard: compose one with a live preview of how it looks on
Telegram, Zalo and the web chat and the number of recipients, confirm it, follow it
live as it goes out (server-sent events), cancel it, and download its loudspeaker script
and printable notice.

The rules are chat's (`/thongbao`): officers address only their own area (a commune
officer, their commune), the time is neither past nor more than a year ahead, quiet
hours are the sender's business; creating and cancelling call the same storage
functions, and are audited under the same names.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from markupsafe import Markup
from multidict import MultiDictProxy
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.web import STREAMS_PER_SESSION
from bot.channels.web_photos import UploadTooLarge, media_link, read_upload
from bot.dashboard import PREFIX, Dashboard, NavItem
from bot.dashboard.announcement_preview import preview_html
from bot.dashboard.auth import PageHandler, SignedIn, guarded
from content.areas import load_areas
from content.i18n import N_, TIMEZONE
from content.loudspeaker import loudspeaker_script
from content.notice import announcement_notice
from content.provinces import load_provinces
from handlers.announce import CHANNEL_NAMES, MAX_TEXT
from handlers.fields import FURTHEST
from handlers.subscription import TOPIC_LABELS
from storage.broadcasts import TOPICS, cancel_broadcast, count_audience, create_broadcast
from storage.dashboard_figures import recent_broadcast_delivery
from storage.deliveries import broadcast_counts
from storage.media import take_media
from storage.models import Broadcast

PATH = PREFIX + "/announcements"
NAV = (NavItem(PATH, N_("Thông báo"), 30),)
LOCAL = ZoneInfo(TIMEZONE)
MIN_TEXT = 5
EVENT_SECONDS = 1.0
FINISHED = ("done", "cancelled")
AUDIENCES = {
    "province": N_("Cả tỉnh"),
    "commune": N_("Một xã, phường"),
    "org": N_("Hội viên một tổ chức"),
    "topic": N_("Người chọn một loại tin"),
    "channel": N_("Một kênh (Telegram, Zalo, Web)"),
}


class OutsideArea(Exception):
    """The officer asked to address people outside their area."""


@dataclass
class Draft:
    """An announcement as the compose form holds it."""

    text: str = ""
    photo: str | None = None
    audience: str = "province"
    commune: str = ""
    org: str = ""
    topic: str = TOPICS[0]
    channel: str = "telegram"
    when: str = "now"
    at: str = ""
    urgent: bool = False
    problems: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, form: MultiDictProxy[Any]) -> Draft:
        def text(name: str, limit: int = 200) -> str:
            value = form.get(name, "")
            return value.strip()[:limit] if isinstance(value, str) else ""

        return cls(
            text=text("text", MAX_TEXT + 1000),
            photo=text("photo", 48) or None,
            audience=text("audience", 16) or "province",
            commune=text("commune", 16),
            org=text("org"),
            topic=text("topic", 32),
            channel=text("channel", 16),
            when=text("when", 8) or "now",
            at=text("at", 32),
            urgent=form.get("urgent") == "yes",
        )

    def hidden(self) -> dict[str, str]:
        """The fields to carry from the confirm page to the create action."""
        return {
            "text": self.text,
            "photo": self.photo or "",
            "audience": self.audience,
            "commune": self.commune,
            "org": self.org,
            "topic": self.topic,
            "channel": self.channel,
            "when": self.when,
            "at": self.at,
            "urgent": "yes" if self.urgent else "",
        }


def provinces_of(signed: SignedIn) -> list[str]:
    """The provinces the officer may address: their own, or every one served."""
    if signed.scope.province is not None:
        return [signed.scope.province]
    return list(signed.dashboard.services.provinces)


def audience_specs(signed: SignedIn, draft: Draft) -> list[str]:
    """The audience of the draft within the officer's area; OutsideArea when it
    reaches past it."""
    provinces = [f"province:{slug}" for slug in provinces_of(signed)]
    if signed.scope.commune is not None:
        if draft.audience != "mycommune":
            raise OutsideArea
        return [f"commune:{signed.scope.commune}"]
    if draft.audience == "commune":
        commune = load_areas().get(draft.commune)
        if commune is None or commune.province not in provinces_of(signed):
            raise OutsideArea
        return [f"commune:{commune.code}"]
    if draft.audience == "org":
        return [f"org:{draft.org}"]
    if draft.audience == "topic":
        return [*provinces, f"topic:{draft.topic}"]
    if draft.audience == "channel":
        return [*provinces, f"channel:{draft.channel}"]
    if draft.audience != "province":
        raise OutsideArea
    return provinces


def scheduled_at(signed: SignedIn, draft: Draft) -> datetime | None:
    """When it goes out; None when the time given cannot be read."""
    if draft.when != "later":
        return signed.now
    try:
        return datetime.fromisoformat(draft.at).replace(tzinfo=LOCAL)
    except ValueError:
        return None


async def check(signed: SignedIn, draft: Draft, session: AsyncSession) -> tuple[list[str], int]:
    """The problems a person can fix, and the number of recipients."""
    _ = signed._
    problems = []
    if len(draft.text) < MIN_TEXT:
        problems.append(_("Bạn gõ nội dung thông báo (ít nhất 5 ký tự)."))
    if len(draft.text) > MAX_TEXT:
        problems.append(_("Nội dung dài quá: tối đa 3.000 ký tự."))
    if draft.audience == "org" and len(draft.org) < 2:
        problems.append(_("Bạn gõ tên tổ chức, đúng như trong mã mời hội viên."))
    if draft.audience == "topic" and draft.topic not in TOPICS:
        problems.append(_("Bạn chọn một loại tin."))
    if draft.audience == "channel" and draft.channel not in dict(CHANNEL_NAMES):
        problems.append(_("Bạn chọn một kênh."))
    at = scheduled_at(signed, draft)
    if at is None:
        problems.append(_("Mình chưa đọc được giờ gửi. Bạn chọn ngày và giờ nhé."))
    elif at < signed.now and draft.when == "later":
        problems.append(_("Giờ hẹn đã qua. Bạn sửa giờ gửi nhé."))
    elif at > signed.now + FURTHEST:
        problems.append(_("Xa quá: chỉ hẹn được trong vòng một năm tới."))
    if draft.photo and await take_media(session, draft.photo, signed.contact.id) is None:
        problems.append(_("Không tìm thấy ảnh đã tải lên. Bạn tải lại ảnh nhé."))
        draft.photo = None
    specs = audience_specs(signed, draft)
    unnamed = draft.audience == "org" and len(draft.org) < 2
    count = 0 if unnamed else await count_audience(session, specs, "announcement")
    if count == 0 and not unnamed:
        problems.append(_("Chưa có ai đăng ký nhận tin trong nhóm này. Bạn chọn nhóm khác nhé."))
    return problems, count


def _choices(signed: SignedIn) -> dict[str, Any]:
    """What the compose form offers this officer."""
    _ = signed._
    language = signed.translator.language
    provinces = load_provinces()
    if signed.scope.commune is not None:
        commune = load_areas().get(signed.scope.commune)
        name = commune.name if commune else signed.scope.commune
        audiences = [("mycommune", _("Người nhận tin ở {place}").format(place=name))]
    else:
        audiences = [(key, _(label)) for key, label in AUDIENCES.items()]
    return {
        "audiences": audiences,
        "communes": [
            (
                provinces[slug].name(language) if slug in provinces else slug,
                load_areas().communes(slug),
            )
            for slug in provinces_of(signed)
        ]
        if signed.scope.commune is None
        else [],
        "topics": [(topic, _(TOPIC_LABELS[topic])) for topic in TOPICS],
        "channels": list(CHANNEL_NAMES),
        "max_text": MAX_TEXT,
    }


def _refused(request: web.Request, signed: SignedIn) -> web.Response:
    return signed.dashboard.render(
        request,
        signed,
        "refused.html",
        {"message": signed._("Nhóm người nhận này không thuộc địa bàn bạn phụ trách.")},
        status=403,
    )


async def _checked(
    request: web.Request, signed: SignedIn, step: str
) -> tuple[Draft, list[str], int] | web.Response:
    """The posted draft with its problems and count, or the refusal (audited) when it
    reaches outside the officer's area."""
    draft = Draft.read(await request.post())
    async with signed.dashboard.sessions.begin() as session:
        try:
            problems, count = await check(signed, draft, session)
        except OutsideArea:
            signed.audit(
                session,
                "broadcast.refused",
                reason="outside area",
                step=step,
                audience=draft.audience,
                commune=draft.commune or None,
            )
            return _refused(request, signed)
    return draft, problems, count


async def _ready(
    request: web.Request, signed: SignedIn, step: str
) -> tuple[Draft, int] | web.Response:
    """The posted draft and its count when it can go out; else the refusal, or the
    compose form again with what to fix."""
    checked = await _checked(request, signed, step)
    if isinstance(checked, web.Response):
        return checked
    draft, problems, count = checked
    if not problems:
        return draft, count
    values = {"draft": draft, "problems": problems, **_choices(signed)}
    return signed.dashboard.render(request, signed, "announcements_new.html", values, status=400)


def _preview(signed: SignedIn, draft: Draft) -> Markup:
    return preview_html(
        draft.text, draft.photo, signed.dashboard.public_url, signed.translator.gettext
    )


async def list_page(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    async with signed.dashboard.sessions() as session:
        items = await recent_broadcast_delivery(session, signed.scope, 30, signed.contact.id)
    return signed.dashboard.render(request, signed, "announcements.html", {"items": items})


async def compose_page(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    draft = Draft(audience="mycommune" if signed.scope.commune else "province")
    values = {"draft": draft, "problems": [], **_choices(signed)}
    return signed.dashboard.render(request, signed, "announcements_new.html", values)


async def preview(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """The live preview: the three channels' HTML, the count and what to fix."""
    checked = await _checked(request, signed, "preview")
    if isinstance(checked, web.Response):
        return web.json_response({"refused": True, "html": checked.text}, status=403)
    draft, problems, count = checked
    return web.json_response(
        {
            "html": str(_preview(signed, draft)),
            "count": count,
            "count_text": signed._("Số người nhận: {n}").format(n=signed.translator.number(count)),
            "problems": problems,
        }
    )


async def upload_photo(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """A photo for the announcement, checked and cleaned by the media store and taken
    for the officer at once (nobody else may attach it)."""
    _ = signed._
    try:
        upload = await read_upload(request)
    except UploadTooLarge:
        return web.json_response({"error": _("Ảnh lớn quá (tối đa 5 MB).")}, status=413)
    if upload.photo is None:
        return web.json_response({"error": _("Không có ảnh.")}, status=400)
    kept = await signed.dashboard.media.keep(upload.photo)
    if kept.token is None:
        return web.json_response(
            {"error": _("Tệp này không phải ảnh dùng được (JPEG, PNG, WebP).")}, status=400
        )
    async with signed.dashboard.sessions.begin() as session:
        await take_media(session, kept.token, signed.contact.id)
        signed.audit(session, "broadcast.photo_uploaded")
    return web.json_response({"token": kept.token, "url": media_link(f"media:{kept.token}")})


async def confirm_page(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """The composed announcement once more, as recipients will see it, to confirm."""
    ready = await _ready(request, signed, "confirm")
    if isinstance(ready, web.Response):
        return ready
    draft, count = ready
    at = scheduled_at(signed, draft) or signed.now
    values = {
        "draft": draft,
        "hidden": draft.hidden(),
        "count": count,
        "preview": _preview(signed, draft),
        "when": signed.translator.datetime(at) if draft.when == "later" else None,
    }
    return signed.dashboard.render(request, signed, "announcements_confirm.html", values)


async def create(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """Queue the confirmed announcement; the broadcast worker sends it at its time."""
    ready = await _ready(request, signed, "create")
    if isinstance(ready, web.Response):
        return ready
    draft, count = ready
    provinces = provinces_of(signed)
    async with signed.dashboard.sessions.begin() as session:
        broadcast = await create_broadcast(
            session,
            created_by=signed.actor,
            created_by_contact_id=signed.contact.id,
            province=provinces[0] if len(provinces) == 1 else None,
            audience=audience_specs(signed, draft),
            text=draft.text,
            photo=draft.photo,
            urgent=draft.urgent,
            scheduled_at=scheduled_at(signed, draft) or signed.now,
            now=signed.now,
        )
        signed.audit(
            session,
            "broadcast.queued",
            target=f"broadcast:{broadcast.id}",
            recipients=count,
            via="dashboard",
        )
    raise web.HTTPSeeOther(f"{PATH}/{broadcast.id}")


def may_follow(signed: SignedIn, broadcast: Broadcast) -> bool:
    """Admins, whoever sent it, and the officers of the province it was sent in."""
    return (
        signed.is_admin
        or broadcast.created_by_contact_id == signed.contact.id
        or (signed.scope.commune is None and broadcast.province == signed.scope.province)
    )


def may_cancel(signed: SignedIn, broadcast: Broadcast) -> bool:
    """As in chat: admins, and whoever sent it."""
    return signed.is_admin or broadcast.created_by_contact_id == signed.contact.id


async def _broadcast(
    request: web.Request,
    signed: SignedIn,
    page: str,
    allowed: Callable[[SignedIn, Broadcast], bool] = may_follow,
) -> Broadcast:
    """The broadcast the path names if this officer may see it; else 404, audited."""
    raw = request.match_info.get("id", "")
    async with signed.dashboard.sessions.begin() as session:
        broadcast = await session.get(Broadcast, int(raw)) if raw.isdigit() else None
        if broadcast is not None and allowed(signed, broadcast):
            return broadcast
        signed.audit(
            session, "dashboard.refused", f"broadcast:{raw[:20]}", page=page, reason="not_found"
        )
    raise signed.dashboard.not_found(request, signed)


def progress(broadcast: Broadcast, counts: dict[str, int]) -> dict[str, Any]:
    """What the follow page shows, as the event stream sends it."""
    return {
        "status": broadcast.status,
        "sent": counts.get("sent", 0),
        "failed": counts.get("failed", 0),
        "blocked": counts.get("blocked", 0),
        "cancelled": counts.get("cancelled", 0),
        "remaining": counts.get("pending", 0) + counts.get("sending", 0),
        "total": broadcast.total,
        "finished": broadcast.status in FINISHED,
    }


async def _progress(dashboard: Dashboard, broadcast_id: int) -> dict[str, Any]:
    async with dashboard.sessions() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        counts = await broadcast_counts(session, broadcast_id)
    return progress(broadcast, counts)


async def follow_page(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    broadcast = await _broadcast(request, signed, "announcement")
    _ = signed._
    values = {
        "broadcast": broadcast,
        "progress": await _progress(signed.dashboard, broadcast.id),
        "may_cancel": may_cancel(signed, broadcast) and broadcast.status not in FINISHED,
        "audience": ", ".join(broadcast.audience),
        "preview": preview_html(
            broadcast.text, broadcast.photo, signed.dashboard.public_url, signed._
        ),
        "statuses": {
            "queued": _("Đang chờ đến giờ gửi"),
            "expanding": _("Đang gửi"),
            "sending": _("Đang gửi"),
            "done": _("Đã gửi xong"),
            "cancelled": _("Đã hủy"),
        },
    }
    return signed.dashboard.render(request, signed, "announcements_follow.html", values)


class Streams:
    """Open event streams per dashboard session: a page needs one (two while it
    reconnects); more is someone holding connections open."""

    def __init__(self) -> None:
        self.open: dict[int, int] = {}

    def take(self, session_id: int) -> bool:
        if self.open.get(session_id, 0) >= STREAMS_PER_SESSION:
            return False
        self.open[session_id] = self.open.get(session_id, 0) + 1
        return True

    def give_back(self, session_id: int) -> None:
        left = self.open.get(session_id, 1) - 1
        if left:
            self.open[session_id] = left
        else:
            self.open.pop(session_id, None)


def follow_events(streams: Streams) -> PageHandler:
    async def events(request: web.Request, signed: SignedIn) -> web.StreamResponse:
        """Progress as server-sent events, one a second, until the broadcast is done
        or cancelled; then an `end` event."""
        broadcast = await _broadcast(request, signed, "announcement.events")
        if not streams.take(signed.session_id):
            return web.json_response({"error": "Too many open event streams."}, status=429)
        try:
            response = web.StreamResponse(
                headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
            )
            await response.prepare(request)
            while True:
                state = await _progress(signed.dashboard, broadcast.id)
                await response.write(f"data: {json.dumps(state)}\n\n".encode())
                if state["finished"]:
                    await response.write(b"event: end\ndata: {}\n\n")
                    break
                await asyncio.sleep(EVENT_SECONDS)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            streams.give_back(signed.session_id)
        return response

    return events


async def cancel(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """Stop it: what has not gone out yet never will (chat's cancel)."""
    broadcast = await _broadcast(request, signed, "announcement.cancel", may_cancel)
    async with signed.dashboard.sessions.begin() as session:
        before = await cancel_broadcast(session, broadcast.id, signed.now)
        if before not in FINISHED:
            signed.audit(
                session, "broadcast.cancelled", target=f"broadcast:{broadcast.id}", via="dashboard"
            )
    raise web.HTTPSeeOther(f"{PATH}/{broadcast.id}")


async def _audit_download(signed: SignedIn, broadcast: Broadcast, what: str) -> None:
    async with signed.dashboard.sessions.begin() as session:
        signed.audit(session, "broadcast.downloaded", f"broadcast:{broadcast.id}", file=what)


def _province_name(broadcast: Broadcast) -> str:
    province = load_provinces().get(broadcast.province or "")
    return province.name("vi") if province else (broadcast.province or "")


async def script(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """The loudspeaker script as a text file."""
    broadcast = await _broadcast(request, signed, "announcement.script")
    await _audit_download(signed, broadcast, "script")
    text = loudspeaker_script(broadcast.text, province_name=_province_name(broadcast))
    return web.Response(
        text=text,
        content_type="text/plain",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="loa-{broadcast.id}.txt"'},
    )


async def notice(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """The printable A4 notice, a page of its own."""
    broadcast = await _broadcast(request, signed, "announcement.notice")
    await _audit_download(signed, broadcast, "notice")
    communes = [spec.removeprefix("commune:") for spec in broadcast.audience]
    commune = load_areas().get(communes[0]) if len(communes) == 1 else None
    page = announcement_notice(
        broadcast.text,
        province_name=_province_name(broadcast),
        issued_at=broadcast.created_at,
        commune_name=commune.name if commune else None,
        language=signed.translator.language,
    )
    return web.Response(
        text=page,
        content_type="text/html",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="thong-bao-{broadcast.id}.html"'},
    )


def routes(dashboard: Dashboard) -> list[web.RouteDef]:
    streams = Streams()
    return [
        web.get(PATH, guarded("announcements")(list_page)),
        web.get(PATH + "/new", guarded("announcement.compose")(compose_page)),
        web.post(PATH + "/new", guarded("announcement.confirm")(confirm_page)),
        web.post(PATH + "/preview", guarded("announcement.preview")(preview)),
        web.post(PATH + "/photo", guarded("announcement.photo")(upload_photo)),
        web.post(PATH + "/create", guarded("announcement.create")(create)),
        web.get(PATH + "/{id}", guarded("announcement")(follow_page)),
        web.get(PATH + "/{id}/events", guarded("announcement.events")(follow_events(streams))),
        web.post(PATH + "/{id}/cancel", guarded("announcement.cancel")(cancel)),
        web.get(PATH + "/{id}/script", guarded("announcement.script")(script)),
        web.get(PATH + "/{id}/notice", guarded("announcement.notice")(notice)),
    ]
