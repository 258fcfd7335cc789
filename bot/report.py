"""`python -m bot report`: the yearly movement summary as text on stdout and, with
`-o FILE.xlsx`, as a workbook: a summary, communes by status, kinds by status with a
chart, and the commendations with their decisions."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from content.i18n import Catalogs
from content.provinces import load_provinces
from handlers.yearly_report import LOCAL, YearReport, build_report, report_text, report_workbook
from storage.db import Sessions, create_engine, create_sessions
from storage.migrate import upgrade
from storage.review import Scope


class ReportError(Exception):
    """An option the report cannot work with; the message says what to change."""


def report_scope(province: str | None) -> tuple[Scope, str]:
    """The scope of `--province` and how the report names it."""
    if province is None:
        return Scope(), "tất cả các tỉnh"
    found = load_provinces().get(province)
    if found is None:
        known = ", ".join(load_provinces())
        raise ReportError(f"unknown --province {province!r} (known: {known})")
    return Scope(province=province), f"tỉnh {found.name('vi')}"


def check_year(year: int | None, now: datetime) -> int:
    this_year = now.astimezone(LOCAL).year
    if year is None:
        return this_year
    if not 2000 <= year <= this_year:
        raise ReportError(f"--year {year} is outside 2000–{this_year}")
    return year


async def make_report(sessions: Sessions, scope: Scope, year: int, area: str) -> YearReport:
    async with sessions() as session:
        return await build_report(session, scope, year, area)


def text_of(report: YearReport, now: datetime) -> str:
    return report_text(report, Catalogs().translator("vi"), now)


def write_workbook(report: YearReport, path: Path, now: datetime) -> None:
    """The report as an XLSX file (see `report_workbook`)."""
    path.write_bytes(report_workbook(report, now))


def add_report_parser(commands: Any) -> None:
    """`report [--year YYYY] [--province SLUG] [-o FILE.xlsx]`."""
    report = commands.add_parser("report", help="the yearly movement summary")
    report.add_argument("--year", type=int, help="default: this year")
    report.add_argument("--province", help="a province slug (default: every province)")
    report.add_argument("-o", "--output", help="also write it as an XLSX workbook")


async def run_report(database_url: str, args: Any) -> int:
    """The `report` command: the text on stdout, the workbook with `-o`."""
    now = datetime.now(UTC)
    output = Path(args.output) if args.output else None
    try:
        scope, area = report_scope(args.province)
        year = check_year(args.year, now)
        if output is not None and (output.suffix.lower() != ".xlsx" or not output.parent.is_dir()):
            raise ReportError(f"-o {output}: give an .xlsx file in a folder that exists")
    except ReportError as error:
        print(error, file=sys.stderr)
        return 2
    await upgrade(database_url)
    engine = create_engine(database_url)
    try:
        report = await make_report(create_sessions(engine), scope, year, area)
    finally:
        await engine.dispose()
    print(text_of(report, now))
    if output is not None:
        write_workbook(report, output, now)
        print(f"\nWrote {output}")
    return 0
