"""The yearly movement report (`/baocao`, and `python -m bot report`): nominations by
commune, kind and status, commendations with their awards, supports, questions and
announcements, as text an officer can paste into the province's report and as an XLSX
workbook with a chart. In chat the workbook goes as a file with a short summary where
the channel takes files (Telegram, web), the text where it does not (Zalo)."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.chart import BarChart, Reference  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncSession

from content.areas import load_areas
from content.i18n import N_, TIMEZONE, Translator
from handlers.engine import Journey
from handlers.officer import area_title, audit, officer_scope, require_officer
from handlers.submissions import KIND_WORDS, STATUS_WORDS
from handlers.types import Reply, Turn
from storage.lifecycle import STATUSES
from storage.nominations import YearFigures, year_figures
from storage.review import Scope

LOCAL = ZoneInfo(TIMEZONE)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TOP_COMMUNES = 10
LISTED_COMMENDATIONS = 20


@dataclass(frozen=True)
class YearReport:
    """One year's figures for one area, with the names the text and sheets show."""

    year: int
    area: str
    figures: YearFigures

    def by_kind(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for (_commune, kind, _status), n in self.figures.nominations.items():
            counts[kind] += n
        return counts

    def by_status(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for (_commune, _kind, status), n in self.figures.nominations.items():
            counts[status] += n
        return counts

    def by_commune(self) -> dict[str, Counter[str]]:
        """Per commune code: nominations by status, and "total"."""
        table: dict[str, Counter[str]] = {}
        for (commune, _kind, status), n in self.figures.nominations.items():
            row = table.setdefault(commune, Counter())
            row[status] += n
            row["total"] += n
        return dict(sorted(table.items(), key=lambda item: (-item[1]["total"], item[0])))

    def awards(self) -> Counter[str]:
        return Counter(str(item["award"] or "") for item in self.figures.commendations)


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """1 January to 1 January, Vietnam time, in UTC."""
    start = datetime(year, 1, 1, tzinfo=LOCAL).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=LOCAL).astimezone(UTC)
    return start, end


async def build_report(session: AsyncSession, scope: Scope, year: int, area: str) -> YearReport:
    start, end = year_bounds(year)
    return YearReport(year, area, await year_figures(session, scope, start, end))


def commune_name(code: str) -> str:
    commune = load_areas().get(code)
    return commune.name if commune else code


def report_text(report: YearReport, words: Translator, today: datetime) -> str:
    """The report as plain text, in `words`' language."""
    _ = words.gettext
    number = words.number
    figures = report.figures
    kinds, statuses = report.by_kind(), report.by_status()
    total = sum(kinds.values())
    lines = [
        _("BÁO CÁO PHONG TRÀO “CHUNG SỨC XÂY DỰNG NÔNG THÔN MỚI” NĂM {year}").format(
            year=report.year
        ),
        _("Phạm vi: {area}. Số liệu đến {date}.").format(
            area=report.area, date=words.date(today.astimezone(LOCAL).date())
        ),
        "",
        _("1. Đề cử nhận được: {n}").format(n=number(total)),
        _("– Theo loại: {items}").format(
            items="; ".join(f"{_(KIND_WORDS.get(k, k))} {number(n)}" for k, n in kinds.items())
            or "0"
        ),
        _("– Theo tình trạng: {items}").format(
            items="; ".join(
                f"{_(STATUS_WORDS[s])} {number(statuses[s])}" for s in STATUSES if statuses[s]
            )
            or "0"
        ),
    ]
    communes = report.by_commune()
    if communes:
        shown = list(communes.items())[:TOP_COMMUNES]
        lines.append(
            _("– Theo xã, phường ({n} nơi; nhiều nhất trước):").format(n=number(len(communes)))
        )
        for code, row in shown:
            lines.append(
                _("  {place}: {total} (công nhận {accepted}, khen thưởng {commended})").format(
                    place=commune_name(code),
                    total=number(row["total"]),
                    accepted=number(row["accepted"]),
                    commended=number(row["commended"]),
                )
            )
    lines.append(_("2. Khen thưởng: {n}").format(n=number(len(figures.commendations))))
    for award, n in report.awards().items():
        lines.append(f"– {_(award)}: {number(n)}")
    for item in figures.commendations[:LISTED_COMMENDATIONS]:
        day = item["decision_date"]
        lines.append(
            _(
                "  {code} {nominee} ({place}): {award}, QĐ số {number} ngày {date} của {body}"
            ).format(
                code=item["code"],
                nominee=item["nominee"],
                place=commune_name(str(item["commune_code"])),
                award=_(str(item["award"] or "")),
                number=item["decision_number"] or "",
                date=words.date(day) if day else "",
                body=item["decided_by_body"] or "",
            )
        )
    if len(figures.commendations) > LISTED_COMMENDATIONS:
        more = len(figures.commendations) - LISTED_COMMENDATIONS
        lines.append(_("  … và {n} hồ sơ khác").format(n=number(more)))
    support = _("3. Ủng hộ: {n} lượt; {open} hồ sơ đang mở ủng hộ.").format(
        n=number(figures.supports), open=number(figures.open_for_support)
    )
    if figures.supports_held:
        support += " " + _("{n} lượt bất thường đang tạm giữ, chưa tính.").format(
            n=number(figures.supports_held)
        )
    lines.append(support)
    lines.append(
        _(
            "4. Hỏi đáp: bot trả lời {bot} câu; {asked} câu chuyển cán bộ, cán bộ đã trả "
            "lời {answered}."
        ).format(
            bot=number(figures.bot_answers),
            asked=number(figures.officer_questions),
            answered=number(figures.officer_answers),
        )
    )
    lines.append(
        _("5. Thông báo: {n} đợt; gửi thành công {sent}/{total} tin.").format(
            n=number(figures.broadcasts),
            sent=number(figures.broadcast_delivered),
            total=number(figures.broadcast_deliveries),
        )
    )
    return "\n".join(lines)


def _header(sheet: Any, titles: list[str], widths: list[int]) -> None:
    """A bold, frozen header row and the columns' widths."""
    bold = Font(bold=True)
    sheet.append(titles)
    for index, (width, cell) in enumerate(zip(widths, sheet[1], strict=True), start=1):
        cell.font = bold
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"


def report_summary(report: YearReport, words: Translator, today: datetime) -> str:
    """The few figures that go in chat with the workbook, in `words`' language."""
    _ = words.gettext
    number = words.number
    figures = report.figures
    statuses = report.by_status()
    return "\n".join(
        [
            _("BÁO CÁO PHONG TRÀO “CHUNG SỨC XÂY DỰNG NÔNG THÔN MỚI” NĂM {year}").format(
                year=report.year
            ),
            _("Phạm vi: {area}. Số liệu đến {date}.").format(
                area=report.area, date=words.date(today.astimezone(LOCAL).date())
            ),
            _("• Đề cử nhận được: {n} (công nhận {accepted}, khen thưởng {commended})").format(
                n=number(sum(statuses.values())),
                accepted=number(statuses["accepted"]),
                commended=number(statuses["commended"]),
            ),
            _("• Hỏi đáp: bot trả lời {bot} câu, cán bộ trả lời {answered} câu").format(
                bot=number(figures.bot_answers), answered=number(figures.officer_answers)
            ),
            _("• Thông báo: {n} đợt, gửi thành công {sent} tin").format(
                n=number(figures.broadcasts), sent=number(figures.broadcast_delivered)
            ),
            _("Chi tiết theo xã, loại hồ sơ, khen thưởng và biểu đồ trong tệp Excel kèm theo."),
        ]
    )


def report_workbook(report: YearReport, now: datetime) -> bytes:
    """The report as XLSX: four sheets and a chart of nominations by kind and status.
    Its headings are Vietnamese, as the province's report is."""
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
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def yearly(turn: Turn) -> list[Reply]:
    """`/baocao [YYYY]`: this year's report (or that year's) for the officer's area."""
    require_officer(turn)
    _ = turn._
    this_year = turn.now.astimezone(LOCAL).year
    raw = turn.args.strip()
    if raw and not (raw.isdigit() and 2000 <= int(raw) <= this_year):
        return [
            Reply(_("Năm chưa đúng. Gõ /baocao hoặc /baocao {year}.").format(year=this_year - 1))
        ]
    year = int(raw) if raw else this_year
    scope = officer_scope(turn)
    area = area_title(turn, turn.contact.area if not turn.is_admin else None)
    report = await build_report(turn.session, scope, year, area)
    audit(turn, "report.viewed", year=year, area=turn.contact.area)
    if not turn.takes_files:
        return [Reply(report_text(report, turn.translator, turn.now))]
    workbook = report_workbook(report, turn.now)
    document = await turn.keep_document(f"bao-cao-nam-{year}.xlsx", XLSX, workbook)
    return [Reply(report_summary(report, turn.translator, turn.now), document=document)]


journey = Journey(
    name="report",
    commands={"baocao": yearly},
    menu_order=120,
    officer_only=True,
    help={"baocao": N_("báo cáo năm của phong trào (cán bộ)")},
)
