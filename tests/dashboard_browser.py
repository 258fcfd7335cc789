"""People for dashboard pages in a real browser (the service and Chromium come from
`tests.test_dashboard_auth.running_desk`): contacts as chat would have left them, and a
tab holding a dashboard session of theirs, officer or not."""

from __future__ import annotations

from typing import Any

from bot.dashboard.auth import COOKIE
from storage.dashboard import open_session
from storage.models import Contact
from tests.test_dashboard_auth import Desk


async def person(
    desk: Desk,
    external_id: str,
    *,
    role: str = "citizen",
    area: str | None = None,
    channel: str = "web",
    name: str = "Lan",
    subscribed: bool = False,
    province: str = "quang-tri",
) -> Contact:
    """A contact as chat would have made it (an officer once their invite is used)."""
    async with desk.app.sessions.begin() as session:
        contact = Contact(
            channel=channel,
            external_id=external_id,
            name=name,
            role=role,
            area=area,
            province=province,
            language="vi",
            subscribed=subscribed,
            blocked=False,
        )
        session.add(contact)
    return contact


async def signed_in(desk: Desk, contact: Contact) -> Any:
    """A tab of a browser of `contact`'s own holding the cookie of a dashboard session
    opened for them: how a citizen's session is tried (signing in by link is tested with
    the login page)."""
    async with desk.app.sessions.begin() as session:
        opened = open_session(session, contact.id, desk.clock())
    tab = await desk.tab()
    await tab.context.add_cookies(
        [
            {
                "name": COOKIE,
                "value": opened.token,
                "url": f"{desk.base}/dashboard/",
                "httpOnly": True,
                "sameSite": "Strict",
            }
        ]
    )
    return tab
