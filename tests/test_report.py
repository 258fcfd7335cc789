"""The yearly report: text an officer can paste, an XLSX workbook with a chart, and
`/baocao` in chat for the officer's own area."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from bot.app import ChungSuc
from tests.chat import Chat
from tests.conftest import Clock
from tests.test_cli import cli
from tests.test_documents import document_body
from tests.test_review import commune_officer, nominate, province_officer


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    return env


def test_the_report_command_prints_text_and_writes_a_workbook_with_a_chart(
    cli_env: dict[str, str],
    tmp_path: Path,
) -> None:
    path = tmp_path / "bao-cao.xlsx"
    done = cli("report", "--year", "2025", "--province", "quang-tri", "-o", str(path), env=cli_env)
    assert done.returncode == 0, done.stderr
    assert "NĂM 2025" in done.stdout and "Phạm vi: tỉnh Quảng Trị" in done.stdout
    assert "1. Đề cử nhận được: 0" in done.stdout
    book = load_workbook(path)
    assert book.sheetnames == ["Tổng hợp", "Theo xã", "Theo loại", "Khen thưởng"]
    assert book["Tổng hợp"]["B2"].value == 2025
    with zipfile.ZipFile(path) as archive:
        assert any(name.startswith("xl/charts/chart") for name in archive.namelist())


def test_bad_report_options_are_refused(cli_env: dict[str, str], tmp_path: Path) -> None:
    for options in (["--province", "hue"], ["--year", "1990"], ["-o", str(tmp_path / "x.pdf")]):
        result = cli("report", *options, env=cli_env)
        assert result.returncode == 2 and result.stderr.strip(), options
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.pdf").exists()


async def test_officers_get_the_report_of_their_own_area_in_chat(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    await nominate(chat)
    commune = await commune_officer(app, clock)
    [report] = await commune.say("/baocao")
    assert "Phạm vi: Xã Cửa Tùng" in report.text
    assert "• Đề cử nhận được: 1 (công nhận 0, khen thưởng 0)" in report.text
    assert report.document is not None and report.document.filename == "bao-cao-nam-2026.xlsx"
    book = load_workbook(io.BytesIO(await document_body(app, report)))
    assert [row[:3] for row in book["Theo xã"].iter_rows(min_row=2, values_only=True)] == [
        ("Xã Cửa Tùng", "19414", 1)
    ]
    province = await province_officer(app, clock, "an-giang")
    await province.say("/baocao")
    assert "Phạm vi: tỉnh An Giang" in province.text and "nhận được: 0" in province.text
    await province.say("/baocao 1999")
    assert "Năm chưa đúng" in province.text
    await province.say("/baocao 2025")
    assert "NĂM 2025" in province.text
