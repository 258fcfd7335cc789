"""`python -m bot ask`, as DESIGN.md specifies it: one question, a stdin batch, --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ask(*args: str, stdin: str | None = None, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'ask.db'}"}
    return subprocess.run(
        [sys.executable, "-m", "bot", "ask", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_single_question_prints_answer_and_source(tmp_path: Path) -> None:
    result = ask("ocop la gi", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "OCOP" in result.stdout and "Theo " in result.stdout


def test_stdin_batch_in_json_with_province_and_fallback(tmp_path: Path) -> None:
    lines = "\n".join(
        [
            "muc tieu xa ntm 2025",
            json.dumps({"q": "Kế hoạch 861 ban hành ngày nào", "province": "an-giang"}),
            "giá vàng hôm nay",
            "",
        ]
    )
    result = ask("--json", "--province", "quang-tri", stdin=lines, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 3
    for record in records:
        assert {"q", "answer", "source", "score", "fallback"} <= set(record)
    assert records[0]["id"].startswith("qt-") and not records[0]["fallback"]
    assert "19/12/2022" in records[1]["answer"]
    assert records[2]["fallback"] is True and records[2]["answer"] is None


def test_english_answers(tmp_path: Path) -> None:
    result = ask("--lang", "en", "--json", "ocop la gi", tmp_path=tmp_path)
    record = json.loads(result.stdout)
    assert record["source"].startswith("Source:")
