"""The yearly movement report (`/baocao`, and `python -m bot report`): nominations by
commune, kind and status, commendations with their awards, supports, questions and
announcements, as text an officer can paste into the province's report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

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
    return [Reply(report_text(report, turn.translator, turn.now))]


journey = Journey(
    name="report",
    commands={"baocao": yearly},
    menu_order=120,
    officer_only=True,
    help={"baocao": N_("báo cáo năm của phong trào (cán bộ)")},
)
