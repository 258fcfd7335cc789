"""`python -m bot export nominations`: nominations as CSV (UTF-8 with BOM, so Excel reads
Vietnamese) or XLSX (Vietnamese headers, frozen header row, column widths, real dates),
streamed row by row into the file so memory stays flat. Phone numbers only with `--with-contacts`,
and every export is in the audit log."""

from __future__ import annotations

import csv
import re
import sys
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from content.areas import load_areas
from content.i18n import TIMEZONE
from content.provinces import load_provinces
from handlers.review import CONSENT_WORDS
from handlers.review_actions import RECOMMENDATIONS
from handlers.submissions import KIND_WORDS, STATUS_WORDS
from storage.audit import record_audit
from storage.db import Sessions, create_engine, create_sessions
from storage.lifecycle import STATUSES
from storage.migrate import upgrade
from storage.nominations import EXPORT_COLUMNS, Filters, stream_for_export
from storage.review import Scope

LOCAL = ZoneInfo(TIMEZONE)
FORMATS = ("csv", "xlsx")
KINDS = tuple(KIND_WORDS)

# (column, header, width in characters); the first three are derived from `status`.
HEADERS: dict[str, tuple[str, int]] = {
    "code": ("Mã hồ sơ", 11),
    "kind": ("Loại", 26),
    "status_words": ("Tình trạng", 24),
    "status": ("Mã tình trạng", 13),
    "province": ("Tỉnh", 12),
    "commune": ("Xã, phường", 22),
    "commune_code": ("Mã xã", 8),
    "village": ("Thôn, bản, ấp", 20),
    "former_place": ("Nơi cũ (trước 1/7/2025)", 30),
    "nominee": ("Tên được đề cử", 32),
    "achievements": ("Thành tích", 60),
    "organisation": ("Thay mặt tổ chức", 24),
    "nominee_consent": ("Người được đề cử đồng ý công khai", 16),
    "created_at": ("Ngày gửi", 17),
    "updated_at": ("Cập nhật lần cuối", 17),
    "recommendation": ("Ý kiến cấp xã", 22),
    "reason": ("Lý do không công nhận", 30),
    "duplicate_of": ("Trùng với hồ sơ", 11),
    "award": ("Hình thức khen thưởng", 32),
    "decided_by_body": ("Cơ quan quyết định", 24),
    "decision_number": ("Số quyết định", 16),
    "decision_date": ("Ngày quyết định", 13),
    "supports": ("Lượt ủng hộ", 10),
    "photos": ("Số ảnh", 7),
    "nominator_name": ("Người đề cử", 22),
    "nominator_phone": ("Điện thoại người đề cử", 16),
    "proxy_for_name": ("Điền giúp cho", 22),
    "proxy_for_phone": ("Điện thoại người được điền giúp", 16),
    "contact_consent": ("Đồng ý được liên hệ", 10),
}
CONTACT_HEADERS = ("nominator_name", "nominator_phone", "proxy_for_name", "proxy_for_phone")


class ExportError(Exception):
    """An option the export cannot work with; the message says what to change."""


@dataclass(frozen=True)
class ExportRequest:
    format: str
    path: Path
    filters: Filters
    with_contacts: bool


_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_day(text: str, option: str) -> date:
    """`2026-03-01` or `1/3/2026`."""
    try:
        found = _DAY.fullmatch(text.strip())
        if found:
            return date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ExportError(
            f"{option} {text!r} is not a date: use YYYY-MM-DD, e.g. 2026-03-01"
        ) from None


def local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL).astimezone(UTC)


def scope_of_area(area: str | None) -> Scope:
    """`--area`: a province slug, a commune code from `python -m bot areas`, or all."""
    if area is None or area == "all":
        return Scope()
    if area in load_provinces():
        return Scope(province=area)
    commune = load_areas().get(area)
    if commune is None:
        raise ExportError(
            f"--area {area!r} is neither a province ({', '.join(load_provinces())}) nor a "
            "commune code; list codes with: python -m bot areas [--province SLUG] [SEARCH]"
        )
    return Scope(province=commune.province, commune=commune.code)


def export_request(
    *,
    format: str,
    output: str,
    since: str | None,
    until: str | None,
    status: str | None,
    kind: str | None,
    area: str | None,
    with_contacts: bool,
) -> ExportRequest:
    """Check the options and turn them into filters; ExportError says what is wrong."""
    if format not in FORMATS:
        raise ExportError(f"--format must be one of: {', '.join(FORMATS)}")
    statuses = tuple(s.strip() for s in status.split(",")) if status else ()
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise ExportError(f"unknown --status {', '.join(unknown)}; use: {', '.join(STATUSES)}")
    if kind is not None and kind not in KINDS:
        raise ExportError(f"unknown --kind {kind}; use: {', '.join(KINDS)}")
    first = parse_day(since, "--since") if since else None
    last = parse_day(until, "--until") if until else None
    if first and last and first > last:
        raise ExportError(f"--since {first} is after --until {last}")
    path = Path(output)
    if not path.parent.is_dir():
        raise ExportError(f"-o {output}: folder {path.parent} does not exist")
    return ExportRequest(
        format=format,
        path=path,
        filters=Filters(
            scope=scope_of_area(area),
            since=local_midnight(first) if first else None,
            # --until names the last day included.
            until=local_midnight(last + timedelta(days=1)) if last else None,
            statuses=statuses,
            kind=kind,
        ),
        with_contacts=with_contacts,
    )


def columns(with_contacts: bool) -> list[str]:
    keys = ["status_words", "commune", *EXPORT_COLUMNS]
    order = [k for k in HEADERS if k in keys]
    if not with_contacts:
        order = [k for k in order if k not in CONTACT_HEADERS and k != "contact_consent"]
    return order


def _local(value: datetime) -> datetime:
    # Excel has no time zones: the local time, as officers read it.
    return value.astimezone(LOCAL).replace(tzinfo=None)


def plain(row: dict[str, Any]) -> dict[str, Any]:
    """A row's values as people read them: labels for codes, local times."""
    commune = load_areas().get(str(row["commune_code"]))
    values = dict(row)
    values["kind"] = KIND_WORDS.get(row["kind"], row["kind"])
    values["status_words"] = STATUS_WORDS.get(row["status"], row["status"])
    values["commune"] = commune.name if commune else row["commune_code"]
    values["nominee_consent"] = CONSENT_WORDS.get(row["nominee_consent"], row["nominee_consent"])
    if row.get("recommendation"):
        values["recommendation"] = RECOMMENDATIONS.get(row["recommendation"], "")
    for key in ("created_at", "updated_at"):
        values[key] = _local(row[key])
    if "contact_consent" in row:
        values["contact_consent"] = "có" if row["contact_consent"] else "không"
    return values


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


class CsvSink:
    def __init__(self, path: Path, keys: list[str]) -> None:
        self._file = path.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._file)
        self._keys = keys
        self._writer.writerow([HEADERS[k][0] for k in keys])

    def add(self, values: dict[str, Any]) -> None:
        self._writer.writerow([_csv_value(values.get(k)) for k in self._keys])

    def close(self) -> None:
        self._file.close()


# The workbook's fixed parts. openpyxl's write-only mode spends some 25 µs on every cell
# (about 40 s for 100,000 nominations here), so the sheet's rows are written as XML
# directly; the tests read the file back with openpyxl.
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships '
        f'xmlns="{_PACKAGE}"><Relationship Id="rId1" Type="{_RELS}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships '
        f'xmlns="{_PACKAGE}"><Relationship Id="rId1" Type="{_RELS}/worksheet" '
        f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{_RELS}/styles" '
        'Target="styles.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{_MAIN}" '
        f'xmlns:r="{_RELS}"><sheets><sheet name="Đề cử" sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    ),
    # Styles: 1 bold (headers), 2 date and time, 3 date.
    "xl/styles.xml": (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="{_MAIN}">'
        '<numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy hh:mm"/>'
        '<numFmt numFmtId="165" formatCode="dd/mm/yyyy"/></numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
        '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
        'borderId="0"/></cellStyleXfs><cellXfs count="4">'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" '
        'applyNumberFormat="1"/>'
        '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" '
        'applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" '
        'xfId="0" builtinId="0"/></cellStyles></styleSheet>'
    ),
}
_EPOCH = datetime(1899, 12, 30)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_SPECIAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff&<>]")


def _xml_text(value: str) -> str:
    # Most values need nothing: one scan finds that, where the four edits below would
    # copy each of a million cells four times.
    if _XML_SPECIAL.search(value) is None:
        return value
    value = _NOT_XML.sub("", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class XlsxSink:
    """One sheet, streamed into the zip as rows come: a bold header row, frozen, the
    columns' widths, text as inline strings, dates and times as Excel dates."""

    def __init__(self, path: Path, keys: list[str]) -> None:
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        for name, content in _XLSX_PARTS.items():
            self._zip.writestr(name, content)
        self._sheet = self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self._letters = [get_column_letter(n) for n in range(1, len(keys) + 1)]
        self._keys = keys
        self._row = 1
        self._buffer: list[str] = []
        columns = "".join(
            f'<col min="{n}" max="{n}" width="{HEADERS[key][1]}" customWidth="1"/>'
            for n, key in enumerate(keys, start=1)
        )
        self._write(
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{_MAIN}">'
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
            'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
            'activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/><cols>{columns}</cols><sheetData>'
        )
        header = "".join(
            f'<c r="{letter}1" t="inlineStr" s="1"><is><t>{_xml_text(HEADERS[key][0])}</t></is></c>'
            for letter, key in zip(self._letters, keys, strict=True)
        )
        self._write(f'<row r="1">{header}</row>')

    def _write(self, text: str) -> None:
        self._buffer.append(text)
        if len(self._buffer) >= 500:
            self._flush()

    def _flush(self) -> None:
        self._sheet.write("".join(self._buffer).encode())
        self._buffer.clear()

    def add(self, values: dict[str, Any]) -> None:
        self._row += 1
        row = self._row
        cells = []
        for letter, key in zip(self._letters, self._keys, strict=True):
            value = values.get(key)
            if value is None or value == "":
                continue
            if isinstance(value, str):
                cells.append(
                    f'<c r="{letter}{row}" t="inlineStr"><is><t xml:space="preserve">'
                    f"{_xml_text(value)}</t></is></c>"
                )
            elif isinstance(value, datetime):
                serial = (value.replace(microsecond=0) - _EPOCH).total_seconds() / 86400
                cells.append(f'<c r="{letter}{row}" s="2"><v>{serial:.10f}</v></c>')
            elif isinstance(value, date):
                serial = (value - _EPOCH.date()).days
                cells.append(f'<c r="{letter}{row}" s="3"><v>{serial}</v></c>')
            else:
                cells.append(f'<c r="{letter}{row}"><v>{value}</v></c>')
        self._write(f'<row r="{row}">{"".join(cells)}</row>')

    def close(self) -> None:
        self._write("</sheetData></worksheet>")
        self._flush()
        self._sheet.close()
        self._zip.close()


async def export_nominations(
    sessions: Sessions,
    request: ExportRequest,
    *,
    actor: str,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the file and the audit entry; returns how many nominations it holds."""
    keys = columns(request.with_contacts)
    sink: CsvSink | XlsxSink = (
        CsvSink(request.path, keys) if request.format == "csv" else XlsxSink(request.path, keys)
    )
    count = 0
    try:
        async with sessions() as session:
            async for row in stream_for_export(
                session, request.filters, with_contacts=request.with_contacts
            ):
                sink.add(plain(row))
                count += 1
                if progress is not None and count % 10_000 == 0:
                    progress(count)
    finally:
        sink.close()
    filters = request.filters
    async with sessions.begin() as session:
        record_audit(
            session,
            actor=actor,
            action="nominations.exported_with_contacts"
            if request.with_contacts
            else "nominations.exported",
            at=now,
            target=str(request.path),
            details={
                "format": request.format,
                "rows": count,
                "area": filters.scope.commune or filters.scope.province,
                "statuses": list(filters.statuses),
                "kind": filters.kind,
                "since": filters.since.isoformat() if filters.since else None,
                "until": filters.until.isoformat() if filters.until else None,
                "with_contacts": request.with_contacts,
            },
        )
    return count


def headers(with_contacts: bool) -> Iterable[str]:
    """The header row, as the file has it."""
    return [HEADERS[k][0] for k in columns(with_contacts)]


def add_export_parser(commands: Any) -> None:
    """`export nominations --format csv|xlsx -o FILE [filters] [--with-contacts]`."""
    export = commands.add_parser("export", help="write nominations to a CSV or XLSX file")
    export.add_argument("what", choices=["nominations"])
    export.add_argument("--format", choices=FORMATS, required=True)
    export.add_argument("-o", "--output", required=True, help="the file to write")
    export.add_argument("--since", help="first day sent, YYYY-MM-DD")
    export.add_argument("--until", help="last day sent, YYYY-MM-DD")
    export.add_argument("--status", help=f"one or more of {', '.join(STATUSES)}, comma separated")
    export.add_argument("--kind", help=f"one of {', '.join(KINDS)}")
    export.add_argument("--area", help="a province slug or a commune code (python -m bot areas)")
    export.add_argument(
        "--with-contacts", action="store_true", help="add nominators' names and phones (audited)"
    )


async def run_export(database_url: str, args: Any, actor: str) -> int:
    """The `export` command: 2 with a message when an option is wrong, nothing written."""
    try:
        request = export_request(
            format=args.format,
            output=args.output,
            since=args.since,
            until=args.until,
            status=args.status,
            kind=args.kind,
            area=args.area,
            with_contacts=args.with_contacts,
        )
    except ExportError as error:
        print(error, file=sys.stderr)
        return 2
    await upgrade(database_url)
    engine = create_engine(database_url)
    try:
        count = await export_nominations(
            create_sessions(engine), request, actor=actor, now=datetime.now(UTC)
        )
    finally:
        await engine.dispose()
    print(f"Wrote {count} nominations to {request.path}")
    if request.with_contacts:
        print("The file holds names and phone numbers: keep it safe, delete it after use.")
    return 0
