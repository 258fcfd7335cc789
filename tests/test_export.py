"""Exporting nominations: CSV with a BOM, XLSX with Vietnamese headers, a frozen header
row, widths and real dates; phones only with --with-contacts, which is audited; bad
options change nothing."""

from __future__ import annotations

import os
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from sqlalchemy import select

from bot.app import ChungSuc
from bot.export import ExportError, ExportRequest, export_nominations, export_request
from storage.models import AuditEntry
from tests.chat import Chat
from tests.conftest import Clock
from tests.test_cli import cli
from tests.test_review import nominate


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    return env


def request(path: Path, **options: object) -> ExportRequest:
    defaults: dict[str, object] = {
        "format": "xlsx",
        "output": str(path),
        "since": None,
        "until": None,
        "status": None,
        "kind": None,
        "area": None,
        "with_contacts": False,
    }
    return export_request(**{**defaults, **options})  # type: ignore[arg-type]


async def test_xlsx_has_vietnamese_headers_a_frozen_row_widths_and_real_dates(
    chat: Chat, app: ChungSuc, clock: Clock, tmp_path: Path
) -> None:
    code = await nominate(chat)
    path = tmp_path / "de-cu.xlsx"
    count = await export_nominations(
        app.sessions,
        request(path, with_contacts=True, area="19414"),
        actor="cli:admin",
        now=clock(),
    )
    assert count == 1
    sheet = load_workbook(path)["Đề cử"]
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["Mã hồ sơ", "Loại", "Tình trạng", "Mã tình trạng"]
    assert sheet[1][0].font.bold and sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["K"].width == 60, "achievements get room"
    row = {name: cell.value for name, cell in zip(header, sheet[2], strict=True)}
    assert row["Mã hồ sơ"] == code and row["Xã, phường"] == "Xã Cửa Tùng"
    assert isinstance(row["Ngày gửi"], datetime) and row["Ngày gửi"].hour == 15, "local time"
    assert row["Điện thoại người đề cử"] == "+84912345678"
    async with app.sessions() as session:
        entry = (await session.scalars(select(AuditEntry))).one()
    assert entry.action == "nominations.exported_with_contacts"
    assert entry.details["rows"] == 1 and entry.details["area"] == "19414"


async def test_without_contacts_there_is_no_name_or_phone(
    chat: Chat, app: ChungSuc, clock: Clock, tmp_path: Path
) -> None:
    await nominate(chat)
    path = tmp_path / "de-cu.xlsx"
    await export_nominations(app.sessions, request(path), actor="cli:admin", now=clock())
    with zipfile.ZipFile(path) as book:
        text = "".join(book.read(name).decode() for name in book.namelist())
    assert "+84912345678" not in text and "Lê Thị Lan" not in text
    assert "Thôn Tân Hiệp" in text


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"since": "2026-03-05", "until": "2026-03-01"}, "is after --until"),
        ({"since": "hôm qua"}, "is not a date"),
        ({"status": "approved"}, "unknown --status approved"),
        ({"kind": "person"}, "unknown --kind"),
        ({"area": "hue"}, "python -m bot areas"),
        ({"format": "pdf"}, "--format"),
    ],
)
def test_bad_options_say_what_is_wrong(
    tmp_path: Path, options: dict[str, object], message: str
) -> None:
    with pytest.raises(ExportError, match=message):
        request(tmp_path / "x.xlsx", **options)


def test_the_command_writes_csv_with_a_bom_and_refuses_bad_options(
    cli_env: dict[str, str],
    tmp_path: Path,
) -> None:
    path = tmp_path / "de-cu.csv"
    done = cli("export", "nominations", "--format", "csv", "-o", str(path), env=cli_env)
    assert done.returncode == 0, done.stderr
    assert "Wrote 0 nominations" in done.stdout
    assert path.read_bytes().startswith(b"\xef\xbb\xbfM\xc3\xa3 h\xe1\xbb\x93 s\xc6\xa1")
    refused = tmp_path / "refused.csv"
    for options in (
        ["--since", "2026-03-05", "--until", "2026-03-01"],
        ["--status", "approved"],
    ):
        result = cli(
            "export", "nominations", "--format", "csv", "-o", str(refused), *options, env=cli_env
        )
        assert result.returncode == 2 and result.stderr.strip()
        assert "Traceback" not in result.stderr
    assert not refused.exists()
