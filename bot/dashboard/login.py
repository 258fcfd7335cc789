"""Signing in with a one-time link, and signing out.

`GET /dashboard/login?token=…` shows a button; pressing it (`POST`) spends the token,
opens a session and redirects to the queue, at an address without the token. Chat
apps fetch links for previews: a GET that spent the token would sign nobody in.
"""

from __future__ import annotations

import re

from aiohttp import web

from bot.dashboard import PREFIX, Dashboard
from bot.dashboard.auth import (
    ANONYMOUS,
    COOKIE,
    DASHBOARD,
    SignedIn,
    guarded,
    is_officer_contact,
)
from storage.audit import actor_label, record_audit
from storage.dashboard import IDLE_LIMIT, end_session, open_session, use_login
from storage.models import Contact

LOGIN_PATH = PREFIX + "/login"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def login_link(public_url: str, token: str) -> str:
    """The address an officer opens to sign in."""
    return f"{public_url}{LOGIN_PATH}?token={token}"


async def login_page(request: web.Request) -> web.StreamResponse:
    """The confirm button for a link's token; without one, how to get a link."""
    dashboard = request.app[DASHBOARD]
    token = request.query.get("token", "")
    return dashboard.render(
        request,
        None,
        "login.html",
        {"token": token if TOKEN.match(token) else "", "problem": False, "signed_out": False},
    )


async def spend_link(request: web.Request) -> web.StreamResponse:
    """Spend the token: a session for an officer, a refusal (audited) otherwise."""
    dashboard: Dashboard = request.app[DASHBOARD]
    form = await request.post()
    raw = form.get("token")
    token = raw if isinstance(raw, str) and TOKEN.match(raw) else None
    now = dashboard.clock()
    opened = None
    language = None
    async with dashboard.sessions.begin() as session:
        contact_id = await use_login(session, token, now) if token else None
        contact = await session.get(Contact, contact_id) if contact_id is not None else None
        if contact is None or not is_officer_contact(dashboard.admins, contact):
            record_audit(
                session,
                actor=actor_label(contact) if contact else ANONYMOUS,
                actor_contact_id=contact.id if contact else None,
                action="dashboard.login_refused",
                at=now,
                details={"reason": "not_officer" if contact else "link_unusable"},
            )
            language = contact.language if contact else None
        else:
            opened = open_session(session, contact.id, now)
            record_audit(
                session,
                actor=actor_label(contact),
                actor_contact_id=contact.id,
                action="dashboard.login",
                at=now,
            )
    if opened is None:
        return dashboard.render(
            request,
            None,
            "login.html",
            {"token": "", "problem": True, "signed_out": False},
            status=403,
            translator=dashboard.catalogs.translator(language),
        )
    response = web.HTTPSeeOther(PREFIX + "/review")
    response.set_cookie(
        COOKIE,
        opened.token,
        path=PREFIX,
        max_age=int(IDLE_LIMIT.total_seconds()),
        httponly=True,
        samesite="Strict",
        secure=dashboard.secure_cookies,
    )
    raise response


@guarded("logout")
async def logout(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    dashboard = signed.dashboard
    async with dashboard.sessions.begin() as session:
        await end_session(session, signed.session_id, signed.now)
        signed.audit(session, "dashboard.logout")
    response = dashboard.render(
        request,
        None,
        "login.html",
        {"token": "", "problem": False, "signed_out": True},
        translator=signed.translator,
    )
    response.del_cookie(COOKIE, path=PREFIX)
    return response


def routes(dashboard: Dashboard) -> list[web.RouteDef]:
    return [
        web.get(LOGIN_PATH, login_page),
        web.post(LOGIN_PATH, spend_link),
        web.post(PREFIX + "/logout", logout),
    ]
