"""`python -m bot report`: the yearly movement summary as text on stdout and, with
`-o FILE.xlsx`, as a workbook: a summary, communes by status, kinds by status with a
chart, and the commendations with their decisions."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.chart import BarChart, Reference  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from content.i18n import Catalogs
from content.provinces import load_provinces
from handlers.submissions import KIND_WORDS, STATUS_WORDS
from handlers.yearly_report import LOCAL, YearReport, build_report, commune_name, report_text
from storage.db import Sessions, create_engine, create_sessions
from storage.lifecycle import STATUSES
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


def _header(sheet: Any, titles: list[str], widths: list[int]) -> None:
    """A bold, frozen header row and the columns' widths."""
    bold = Font(bold=True)
    sheet.append(titles)
    for index, (width, cell) in enumerate(zip(widths, sheet[1], strict=True), start=1):
        cell.font = bold
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"


def write_workbook(report: YearReport, path: Path, now: datetime) -> None:
    """The report as XLSX: four sheets and a chart of nominations by kind and status."""
    book = Workbook()
    summary = book.active
    summary.title = "Tổng hợp"
    figures = report.figures
    _header(summary, ["Chỉ tiêu", "Số liệu"], [48, 14])
    rows: list[tuple[str, object]] = [
        ("Năm", report.year),
        ("Phạm vi", report.area),
        ("Lập lúc", now.astimezone(LOCAL).replace(tzinfo=None)),
        ("Đề cử nhận được", sum(report.by_kind().values())),
        *((f"Đề cử: {STATUS_WORDS[s]}", report.by_status()[s]) for s in STATUSES),
        ("Khen thưởng", len(figures.commendations)),
        ("Lượt ủng hộ (đã tính)", figures.supports),
        ("Lượt ủng hộ bất thường đang tạm giữ", figures.supports_held),
        ("Hồ sơ đang mở ủng hộ", figures.open_for_support),
        ("Câu hỏi bot trả lời", figures.bot_answers),
        ("Câu hỏi chuyển cán bộ", figures.officer_questions),
        ("Câu hỏi cán bộ đã trả lời", figures.officer_answers),
        ("Đợt thông báo", figures.broadcasts),
        ("Tin thông báo cần gửi", figures.broadcast_deliveries),
        ("Tin thông báo gửi thành công", figures.broadcast_delivered),
    ]
    for row in rows:
        summary.append(list(row))
    summary["B4"].number_format = "dd/mm/yyyy hh:mm"

    communes = book.create_sheet("Theo xã")
    _header(
        communes,
        ["Xã, phường", "Mã xã", "Tổng", *(STATUS_WORDS[s] for s in STATUSES)],
        [26, 8, 8, *(14 for _ in STATUSES)],
    )
    for code, counts in report.by_commune().items():
        communes.append([commune_name(code), code, counts["total"], *(counts[s] for s in STATUSES)])

    kinds = book.create_sheet("Theo loại")
    _header(kinds, ["Loại", *(STATUS_WORDS[s] for s in STATUSES)], [28, *(14 for _ in STATUSES)])
    table: dict[str, dict[str, int]] = {kind: dict.fromkeys(STATUSES, 0) for kind in KIND_WORDS}
    for (_commune, kind, status), n in figures.nominations.items():
        table.setdefault(kind, dict.fromkeys(STATUSES, 0))[status] += n
    for kind, by_status in table.items():
        kinds.append([KIND_WORDS.get(kind, kind), *(by_status[s] for s in STATUSES)])
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = f"Đề cử năm {report.year} theo loại và tình trạng"
    chart.y_axis.title = "Số hồ sơ"
    data = Reference(kinds, min_col=2, max_col=1 + len(STATUSES), min_row=1, max_row=1 + len(table))
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(kinds, min_col=1, min_row=2, max_row=1 + len(table)))
    chart.width, chart.height = 24, 12
    kinds.add_chart(chart, f"A{len(table) + 4}")

    awards = book.create_sheet("Khen thưởng")
    _header(
        awards,
        ["Mã hồ sơ", "Tên", "Xã, phường", "Loại", "Hình thức", "Cơ quan", "Số QĐ", "Ngày QĐ"],
        [11, 32, 22, 24, 34, 26, 16, 12],
    )
    for line, item in enumerate(figures.commendations, start=2):
        awards.append(
            [
                item["code"],
                item["nominee"],
                commune_name(str(item["commune_code"])),
                KIND_WORDS.get(str(item["kind"]), item["kind"]),
                item["award"],
                item["decided_by_body"],
                item["decision_number"],
                item["decision_date"],
            ]
        )
        awards.cell(row=line, column=8).number_format = "dd/mm/yyyy"
    book.save(path)


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
