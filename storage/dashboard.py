"""Dashboard queries: one-time login links, signed-in browsers, the officers an admin
manages and the audit log they read.

Tokens are never stored: a link's and a session cookie's sha256 are, so a copy of the
database opens nobody's dashboard.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry, Contact, DashboardLogin, DashboardSession

LOGIN_VALID_FOR = timedelta(minutes=10)
IDLE_LIMIT = timedelta(hours=8)
# last_seen_at is written at most this often: a page with photos is several requests.
TOUCH_EVERY = timedelta(minutes=1)
OFFICER_ROLES = ("officer", "admin")


def token_hash(token: str) -> str:
    """What is stored for a token: its sha256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_login(session: AsyncSession, contact_id: int, now: datetime) -> str:
    """A login link's token for `contact_id`, valid LOGIN_VALID_FOR and once."""
    token = secrets.token_urlsafe(32)
    session.add(
        DashboardLogin(
            token_hash=token_hash(token),
            contact_id=contact_id,
            created_at=now,
            expires_at=now + LOGIN_VALID_FOR,
        )
    )
    return token


async def use_login(session: AsyncSession, token: str, now: datetime) -> int | None:
    """Spend a login token: the contact it was made for, or None when it is unknown,
    used or expired. A conditional UPDATE, so two browsers opening it at once cannot
    both get in."""
    result = await session.execute(
        update(DashboardLogin)
        .where(
            DashboardLogin.token_hash == token_hash(token),
            DashboardLogin.used_at.is_(None),
            DashboardLogin.expires_at > now,
        )
        .values(used_at=now)
        .returning(DashboardLogin.contact_id)
    )
    contact_id = result.scalar_one_or_none()
    return None if contact_id is None else int(contact_id)


@dataclass(frozen=True)
class NewSession:
    """A session just opened: the cookie's value (shown once) and its CSRF token."""

    token: str
    csrf: str


def open_session(session: AsyncSession, contact_id: int, now: datetime) -> NewSession:
    """A new signed-in browser for `contact_id`."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(
        DashboardSession(
            token_hash=token_hash(token),
            contact_id=contact_id,
            csrf=csrf,
            created_at=now,
            last_seen_at=now,
        )
    )
    return NewSession(token, csrf)


async def live_session(
    session: AsyncSession, token: str, now: datetime
) -> tuple[DashboardSession, Contact] | None:
    """The session this cookie names and its contact, if it has not ended and has been
    used within IDLE_LIMIT; its last use is moved to `now`. An idle one is ended."""
    row = (
        await session.execute(
            select(DashboardSession, Contact)
            .join(Contact, Contact.id == DashboardSession.contact_id)
            .where(DashboardSession.token_hash == token_hash(token))
        )
    ).one_or_none()
    if row is None:
        return None
    found, contact = row[0], row[1]
    if found.ended_at is not None:
        return None
    if now - found.last_seen_at >= IDLE_LIMIT:
        found.ended_at = found.last_seen_at + IDLE_LIMIT
        return None
    if now - found.last_seen_at >= TOUCH_EVERY:
        found.last_seen_at = now
    return found, contact


async def end_session(session: AsyncSession, session_id: int, now: datetime) -> None:
    """Sign one browser out."""
    await session.execute(
        update(DashboardSession)
        .where(DashboardSession.id == session_id, DashboardSession.ended_at.is_(None))
        .values(ended_at=now)
    )


async def end_sessions_of(session: AsyncSession, contact_id: int, now: datetime) -> int:
    """Sign every browser of a contact out (their role was revoked); how many."""
    result = await session.execute(
        update(DashboardSession)
        .where(DashboardSession.contact_id == contact_id, DashboardSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# Officers ------------------------------------------------------------------------------


async def officers(session: AsyncSession) -> list[Contact]:
    """Contacts with the officer or admin role, by area then name."""
    rows = await session.scalars(
        select(Contact)
        .where(Contact.role.in_(OFFICER_ROLES))
        .order_by(Contact.area, Contact.name, Contact.id)
    )
    return list(rows.all())


async def contact_by_identity(
    session: AsyncSession, channel: str, external_id: str
) -> Contact | None:
    """The contact of `channel:external_id`, or None."""
    found: Contact | None = await session.scalar(
        select(Contact).where(Contact.channel == channel, Contact.external_id == external_id)
    )
    return found


# The audit log -------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    """Which audit entries to show: by action (prefix), actor, target, dates [since, until)."""

    action: str | None = None
    actor: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def where(self) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if self.action:
            clauses.append(AuditEntry.action.like(f"{_like(self.action)}%", escape="\\"))
        if self.actor:
            clauses.append(AuditEntry.actor.like(f"%{_like(self.actor)}%", escape="\\"))
        if self.target:
            clauses.append(AuditEntry.target.like(f"%{_like(self.target)}%", escape="\\"))
        if self.since is not None:
            clauses.append(AuditEntry.at >= self.since)
        if self.until is not None:
            clauses.append(AuditEntry.at < self.until)
        return clauses


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def audit_page(
    session: AsyncSession, filters: AuditFilters, *, before: int | None, limit: int
) -> tuple[list[AuditEntry], int | None]:
    """Audit entries newest first, older than entry id `before` (keyset paging), and the
    id to ask for the next page with (None on the last page)."""
    where = filters.where()
    if before is not None:
        where.append(AuditEntry.id < before)
    rows = list(
        (
            await session.scalars(
                select(AuditEntry).where(*where).order_by(AuditEntry.id.desc()).limit(limit + 1)
            )
        ).all()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


async def audit_actions(session: AsyncSession) -> Sequence[str]:
    """The actions the log holds, for the filter's choices."""
    rows = await session.scalars(
        select(AuditEntry.action).group_by(AuditEntry.action).order_by(AuditEntry.action)
    )
    return list(rows.all())


async def audit_count(session: AsyncSession, filters: AuditFilters) -> int:
    """How many entries match."""
    total = await session.scalar(
        select(func.count()).select_from(AuditEntry).where(*filters.where())
    )
    return int(total or 0)
