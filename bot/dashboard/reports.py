"""Downloads: the nominations export (CSV or XLSX, the same files as `python -m bot
export`) and the yearly report workbook, each within the officer's area. Names and
phone numbers only for admins who ask for them, and that is in the audit log."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from datetime import timedelta
from pathlib import Path

from aiohttp import web

from bot.dashboard import PREFIX, Dashboard, NavItem
from bot.dashboard.auth import SignedIn, guarded
from bot.export import FORMATS, KINDS, ExportRequest, export_nominations, local_midnight
from bot.report import write_workbook
from content.i18n import N_
from handlers.decide import parse_day
from handlers.officer import area_title_of
from handlers.review import KIND_FILTERS
from handlers.submissions import STATUS_WORDS
from handlers.yearly_report import LOCAL, build_report, report_text
from storage.lifecycle import STATUSES
from storage.nominations import Filters

REPORTS = PREFIX + "/reports"
NAV = (NavItem(REPORTS, N_("Báo cáo, tải về"), 50),)
CHUNK = 64 * 1024
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _years(signed: SignedIn) -> list[int]:
    this_year = signed.now.astimezone(LOCAL).year
    return list(range(this_year, 2023, -1))


@guarded("reports.page")
async def page(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """The download forms, and this year's report as text."""
    dashboard = signed.dashboard
    year = _years(signed)[0]
    async with dashboard.sessions.begin() as session:
        report = await build_report(session, signed.scope, year, _area(signed))
        signed.audit(session, "report.viewed", year=year, web=True)
    return dashboard.render(
        request,
        signed,
        "reports.html",
        {
            "formats": FORMATS,
            "statuses": [(s, STATUS_WORDS[s]) for s in STATUSES],
            "kinds": [(k, label) for k, label in KIND_FILTERS.items() if k in KINDS],
            "years": _years(signed),
            "summary": report_text(report, signed.translator, signed.now),
        },
    )


def _area(signed: SignedIn) -> str:
    return area_title_of(signed.translator, None if signed.is_admin else signed.contact.area)


async def _send_file(
    request: web.Request, path: Path, filename: str, content_type: str
) -> web.StreamResponse:
    """Stream a finished file to the browser in chunks, then delete it."""
    response = web.StreamResponse(
        headers={
            "Content-Type": content_type,
            "Content-Disposition": f'attachment; filename="{filename}"',
        }
    )
    response.content_length = (await asyncio.to_thread(path.stat)).st_size
    try:
        await response.prepare(request)
        with path.open("rb") as file:
            while chunk := await asyncio.to_thread(file.read, CHUNK):
                await response.write(chunk)
        await response.write_eof()
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
    return response


def _temporary(suffix: str) -> Path:
    descriptor, name = tempfile.mkstemp(prefix="chungsuc-", suffix=suffix)
    os.close(descriptor)
    return Path(name)


@guarded("reports.export")
async def export(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """The nominations of the officer's area matching the form, as CSV or XLSX."""
    query = request.query
    format = query.get("format", "csv")
    if format not in FORMATS:
        raise web.HTTPBadRequest(text=signed._("Định dạng tệp không hợp lệ."))
    status = query.get("status") or None
    kind = query.get("kind") or None
    since = parse_day(query.get("since", "")) if query.get("since") else None
    until = parse_day(query.get("until", "")) if query.get("until") else None
    # Phone numbers leave the service only when an admin ticks the box; it is audited
    # as `nominations.exported_with_contacts` by the export itself.
    with_contacts = signed.is_admin and query.get("with_contacts") == "1"
    path = _temporary("." + format)
    request_ = ExportRequest(
        format=format,
        path=path,
        filters=Filters(
            scope=signed.scope,
            since=local_midnight(since) if since else None,
            until=local_midnight(until + timedelta(days=1)) if until else None,
            statuses=(status,) if status in STATUSES else (),
            kind=kind if kind in KINDS else None,
        ),
        with_contacts=with_contacts,
    )
    try:
        await export_nominations(
            signed.dashboard.sessions, request_, actor=signed.actor, now=signed.now
        )
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    day = signed.now.astimezone(LOCAL).date().isoformat()
    return await _send_file(request, path, f"de-cu-{day}.{format}", CONTENT_TYPES[format])


@guarded("reports.yearly")
async def yearly(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """The yearly report workbook of the officer's area."""
    raw = request.query.get("year", "")
    years = _years(signed)
    year = int(raw) if raw.isdigit() and int(raw) in years else years[0]
    dashboard = signed.dashboard
    async with dashboard.sessions.begin() as session:
        report = await build_report(session, signed.scope, year, _area(signed))
        signed.audit(session, "report.downloaded", year=year, web=True)
    path = _temporary(".xlsx")
    try:
        write_workbook(report, path, signed.now)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    return await _send_file(request, path, f"bao-cao-{year}.xlsx", CONTENT_TYPES["xlsx"])


def routes(dashboard: Dashboard) -> list[web.RouteDef]:
    return [
        web.get(REPORTS, page),
        web.get(REPORTS + "/export", export),
        web.get(REPORTS + "/yearly", yearly),
    ]
