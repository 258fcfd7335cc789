"""For admins: invite officers, admins and members, see and revoke officers, and read
the audit log with filters. Areas are checked as the `invite` command checks them."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from aiohttp import web

from bot.cli import invite_area
from bot.dashboard import PREFIX, Dashboard, NavItem
from bot.dashboard.auth import SignedIn, guarded, is_admin_contact
from bot.export import local_midnight
from content.areas import load_areas
from content.i18n import N_
from content.provinces import load_provinces
from handlers.decide import parse_day
from handlers.officer import area_title_of
from handlers.start import telegram_invite_link, web_invite_link
from storage.audit import actor_label
from storage.dashboard import AuditFilters, audit_actions, audit_page, end_sessions_of, officers
from storage.invites import ROLES, VALID_FOR, create_invite
from storage.models import Contact

ADMIN = PREFIX + "/admin"
AUDIT_PAGE = 50
NAV = (
    NavItem(ADMIN + "/officers", N_("Cán bộ"), 90, admin=True),
    NavItem(ADMIN + "/audit", N_("Nhật ký"), 95, admin=True),
)
ROLE_WORDS = {
    "officer": N_("cán bộ"),
    "admin": N_("quản trị viên"),
    "member": N_("đoàn viên, hội viên"),
}


async def _officers_page(
    request: web.Request,
    signed: SignedIn,
    *,
    code: str | None = None,
    note: str | None = None,
    problem: str | None = None,
    status: int = 200,
) -> web.StreamResponse:
    dashboard = signed.dashboard
    async with dashboard.sessions.begin() as session:
        people = await officers(session)
        signed.audit(session, "officers.listed", count=len(people))
    areas = load_areas()
    provinces = load_provinces()
    language = signed.translator.language
    return dashboard.render(
        request,
        signed,
        "admin_officers.html",
        {
            "people": [
                {
                    "contact": person,
                    "identity": actor_label(person),
                    "area": area_title_of(signed.translator, person.area),
                    "fixed": is_admin_contact(dashboard.admins, person),
                }
                for person in people
            ],
            "roles": [(role, ROLE_WORDS[role]) for role in ROLES],
            "provinces": [(slug, p.name(language)) for slug, p in provinces.items()],
            "communes": {slug: areas.communes(slug) for slug in areas.provinces()},
            "code": code,
            "links": _invite_links(dashboard, code) if code else [],
            "days": VALID_FOR.days,
            "note": note,
            "problem": problem,
        },
        status=status,
    )


def _invite_links(dashboard: Dashboard, code: str) -> list[tuple[str, str, str]]:
    """The links that redeem `code`, as (label msgid, element id, address): Telegram's
    once its channel has connected (the username is read now, not at start-up), the web
    chat's when PUBLIC_URL is set."""
    links = []
    bot_username = dashboard.telegram_username()
    if bot_username:
        links.append(
            (N_("Đường dẫn Telegram"), "invite-telegram", telegram_invite_link(bot_username, code))
        )
    if dashboard.public_url:
        links.append(
            (
                N_("Đường dẫn chat trên web"),
                "invite-web",
                web_invite_link(dashboard.public_url, code),
            )
        )
    return links


@guarded("admin.officers", admin=True)
async def officers_page(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """The officers and admins, with the invite form."""
    return await _officers_page(request, signed)


@guarded("admin.invite", admin=True)
async def invite(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """A new invite code, shown once."""
    form = await request.post()
    role = str(form.get("role", ""))
    raw_area = str(form.get("area", "")) or None
    organisation = " ".join(str(form.get("organisation", "")).split())[:200] or None
    problem = None
    area: str | None = None
    if role not in ROLES:
        problem = signed._("Chọn vai trò của người được mời.")
    elif role == "member" and not organisation:
        problem = signed._("Lời mời đoàn viên, hội viên cần tên tổ chức.")
    else:
        try:
            area, _label = invite_area(role, None if role == "member" else raw_area)
        except ValueError:
            problem = signed._(
                "Cán bộ cần một khu vực phụ trách: một tỉnh hoặc một xã, phường. "
                "“Tất cả” chỉ dành cho quản trị viên."
            )
    dashboard = signed.dashboard
    async with dashboard.sessions.begin() as session:
        if problem is not None:
            signed.audit(session, "invite.refused", role=role, area=raw_area, web=True)
            code = None
        else:
            code = await create_invite(
                session,
                role=role,
                area=area,
                organisation=organisation if role == "member" else None,
                created_by=signed.actor,
                now=signed.now,
            )
            signed.audit(
                session,
                "invite.created",
                role=role,
                area=area,
                organisation=organisation,
                web=True,
            )
    return await _officers_page(
        request, signed, code=code, problem=problem, status=200 if problem is None else 400
    )


@guarded("admin.revoke", admin=True)
async def revoke(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """Take an officer's role away and sign out their browsers at once."""
    raw = request.match_info["contact"]
    dashboard = signed.dashboard
    problem = note = None
    async with dashboard.sessions.begin() as session:
        person = await session.get(Contact, int(raw)) if raw.isdigit() and len(raw) < 19 else None
        if person is None or person.role not in ("officer", "admin"):
            signed.audit(session, "role.revoke_refused", target=raw[:40], reason="not_found")
            problem = signed._("Không tìm thấy cán bộ này.")
        elif is_admin_contact(dashboard.admins, person):
            signed.audit(
                session, "role.revoke_refused", target=actor_label(person), reason="admins_setting"
            )
            problem = signed._(
                "Người này là quản trị viên theo cấu hình ADMINS; người vận hành sửa cấu hình "
                "để bỏ quyền."
            )
        else:
            former = (person.role, person.area)
            person.role = "member" if person.organisation else "citizen"
            person.area = None
            ended = await end_sessions_of(session, person.id, signed.now)
            signed.audit(
                session,
                "role.revoked",
                target=actor_label(person),
                role=former[0],
                area=former[1],
                sessions_ended=ended,
            )
            note = signed._("Đã bỏ quyền cán bộ của {name}.").format(
                name=person.name or actor_label(person)
            )
    return await _officers_page(
        request, signed, note=note, problem=problem, status=200 if problem is None else 404
    )


@guarded("admin.audit", admin=True)
async def audit_log(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """The audit log, newest first, by action, actor, target and dates; keyset pages."""
    query = request.query
    since = parse_day(query.get("since", "")) if query.get("since") else None
    until = parse_day(query.get("until", "")) if query.get("until") else None
    filters = AuditFilters(
        action=query.get("action", "")[:64] or None,
        actor=query.get("actor", "")[:160] or None,
        target=query.get("target", "")[:160] or None,
        since=local_midnight(since) if since else None,
        until=local_midnight(until + timedelta(days=1)) if until else None,
    )
    raw_before = query.get("before", "")
    before = int(raw_before) if raw_before.isdigit() and len(raw_before) < 19 else None
    dashboard = signed.dashboard
    async with dashboard.sessions.begin() as session:
        entries, next_before = await audit_page(session, filters, before=before, limit=AUDIT_PAGE)
        actions = await audit_actions(session)
        signed.audit(session, "audit.viewed")
    shown = {
        "action": filters.action or "",
        "actor": filters.actor or "",
        "target": filters.target or "",
        "since": since.isoformat() if since else "",
        "until": until.isoformat() if until else "",
    }
    return dashboard.render(
        request,
        signed,
        "admin_audit.html",
        {
            "entries": entries,
            "actions": actions,
            "filters": shown,
            "next": ADMIN + "/audit?" + urlencode({**shown, "before": next_before})
            if next_before is not None
            else None,
            "first": ADMIN + "/audit?" + urlencode(shown) if before is not None else None,
        },
    )


def routes(dashboard: Dashboard) -> list[web.RouteDef]:
    return [
        web.get(ADMIN + "/officers", officers_page),
        web.post(ADMIN + "/invite", invite),
        web.post(ADMIN + "/officers/{contact}/revoke", revoke),
        web.get(ADMIN + "/audit", audit_log),
    ]
