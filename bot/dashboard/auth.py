"""Who is signed in to the dashboard, and the guard every page, file and action passes.

A browser signs in by spending a one-time link (`/dashboard/login?token=…`, asked for
with `/web` in chat): the page asks to confirm with a button, so a chat app fetching
the link for a preview does not spend it. The session cookie is random, HttpOnly,
SameSite=Strict and Secure behind https; only its hash is stored. Each request reads
the contact again, so a revoked officer is out at their next click; each POST must
carry the session's CSRF token; every refusal is in the audit log.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from content.i18n import Translator
from handlers.officer import scope_of
from handlers.review_actions import Officer
from storage.audit import actor_label, record_audit
from storage.dashboard import OFFICER_ROLES, live_session
from storage.models import Contact
from storage.review import Scope

if TYPE_CHECKING:
    from bot.dashboard import Dashboard

COOKIE = "chungsuc_dashboard"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
ANONYMOUS = "dashboard:anonymous"
SAFE_METHODS = frozenset({"GET", "HEAD"})
# The Dashboard serving this application, for the guard of module-level handlers.
DASHBOARD: web.AppKey[Dashboard] = web.AppKey("chungsuc_dashboard")


@dataclass(frozen=True)
class SignedIn:
    """The officer or admin behind a request, as the server checked it just now."""

    dashboard: Dashboard
    contact: Contact
    is_admin: bool
    scope: Scope
    session_id: int
    csrf: str
    translator: Translator
    now: datetime

    @property
    def _(self) -> Callable[[str], str]:
        """The officer's gettext."""
        return self.translator.gettext

    @property
    def officer(self) -> Officer:
        """The officer as the review functions take them."""
        return Officer(self.contact, self.scope)

    @property
    def actor(self) -> str:
        """How the audit log names them (`channel:external_id`)."""
        return actor_label(self.contact)

    def audit(
        self, session: AsyncSession, action: str, target: str | None = None, **details: Any
    ) -> None:
        """Write an audit entry for this officer's action in `session`'s unit of work."""
        record_audit(
            session,
            actor=self.actor,
            actor_contact_id=self.contact.id,
            action=action,
            at=self.now,
            target=target,
            details=dict(details),
        )


PageHandler = Callable[[web.Request, SignedIn], Awaitable[web.StreamResponse]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def guarded(name: str, *, admin: bool = False) -> Callable[[PageHandler], Handler]:
    """Wrap a page, file or action: only a live session of an officer (or, with
    `admin`, an admin) reaches it, POSTs only with the CSRF token. Refusals are
    audited as `dashboard.refused` with `name`; a logged-out browser asking for a page
    is sent to the sign-in page, anything else refused gets 403."""

    def wrap(handler: PageHandler) -> Handler:
        @functools.wraps(handler)
        async def guard(request: web.Request) -> web.StreamResponse:
            signed = await check_request(request.app[DASHBOARD], request, name, admin=admin)
            return await handler(request, signed)

        return guard

    return wrap


def is_admin_contact(admins: frozenset[tuple[str, str]], contact: Contact) -> bool:
    """Admins are the identities in ADMINS, as in chat."""
    return (contact.channel, contact.external_id) in admins


def is_officer_contact(admins: frozenset[tuple[str, str]], contact: Contact) -> bool:
    """Officers and admins: the people the dashboard is for (the chat's rule)."""
    return is_admin_contact(admins, contact) or contact.role in OFFICER_ROLES


async def check_request(
    dashboard: Dashboard, request: web.Request, name: str, *, admin: bool
) -> SignedIn:
    """The checks of `guarded`, in one short unit of work of their own (pages open
    theirs after: SQLite has one connection). Raises the refusal as an HTTP error."""
    now = dashboard.clock()
    token = request.cookies.get(COOKIE)
    async with dashboard.sessions.begin() as session:
        found = await live_session(session, token, now) if token else None
        if found is None:
            _refuse_anonymous(session, request, name, now)
            language = None
            reason = "signed_out"
        else:
            row, contact = found
            language = contact.language
            is_admin = is_admin_contact(dashboard.admins, contact)
            if not is_officer_contact(dashboard.admins, contact):
                reason = "not_officer"
            elif admin and not is_admin:
                reason = "not_admin"
            elif request.method not in SAFE_METHODS and not await _csrf_ok(request, row.csrf):
                reason = "csrf"
            else:
                session.expunge(contact)
                return SignedIn(
                    dashboard=dashboard,
                    contact=contact,
                    is_admin=is_admin,
                    scope=scope_of(contact.area, admin=is_admin),
                    session_id=row.id,
                    csrf=row.csrf,
                    translator=dashboard.catalogs.translator(contact.language),
                    now=now,
                )
            record_audit(
                session,
                actor=actor_label(contact),
                actor_contact_id=contact.id,
                action="dashboard.refused",
                at=now,
                target=request.path[:160],
                details={"page": name, "method": request.method, "reason": reason},
            )
    raise dashboard.refusal(request, language, reason)


def _refuse_anonymous(
    session: AsyncSession, request: web.Request, name: str, now: datetime
) -> None:
    record_audit(
        session,
        actor=ANONYMOUS,
        action="dashboard.refused",
        at=now,
        target=request.path[:160],
        details={"page": name, "method": request.method, "reason": "signed_out"},
    )


async def _csrf_ok(request: web.Request, expected: str) -> bool:
    """The session's token in the X-CSRF-Token header or the `csrf` form field."""
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        form = await request.post()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
