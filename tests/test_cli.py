"""The command line an operator uses: settings errors, migrations, invites, run and stop."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("web_port", "eighty"),
        ("database_url", "mysql://root@localhost/x"),
        ("admins", "facebook:123"),
        ("default_province", "ha-noi"),
    ],
)
def test_a_wrong_setting_names_the_variable(
    env_clean: pytest.MonkeyPatch, name: str, value: str
) -> None:
    env_clean.setenv(name.upper(), value)
    with pytest.raises(SettingsError, match=name.upper()):
        load_settings()


def test_defaults_match_the_design(env_clean: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env_clean.chdir(tmp_path)
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///./var/chungsuc.db"
    assert (settings.web_host, settings.web_port) == ("127.0.0.1", 8080)
    assert settings.resolved_telegram_base_file_url == "https://api.telegram.org/file/bot"
    assert settings.default_province == "quang-tri"


def test_admins_are_parsed(env_clean: pytest.MonkeyPatch) -> None:
    env_clean.setenv("ADMINS", "telegram:12345, zalo:8f3a")
    identities = {(i.channel, i.external_id) for i in load_settings().admin_identities}
    assert identities == {("telegram", "12345"), ("zalo", "8f3a")}


def test_bad_setting_stops_the_cli_with_a_clear_message(cli_env: dict[str, str]) -> None:
    result = cli("db", "upgrade", env={**cli_env, "WEB_PORT": "99999"})
    assert result.returncode == 2
    assert "WEB_PORT" in result.stderr


def test_invite_prints_a_code_that_works_in_chat(cli_env: dict[str, str]) -> None:
    assert cli("invite", "--role", "member", env=cli_env).returncode == 2
    result = cli("invite", "--role", "officer", "--area", "an-giang", env=cli_env)
    assert result.returncode == 0, result.stderr
    code = re.search(r"/canbo ([A-Z0-9]{5}-[A-Z0-9]{5})", result.stdout)
    assert code, result.stdout
    assert cli("db", "upgrade", env=cli_env).returncode == 0


def test_run_serves_the_web_chat_and_stops_on_sigterm(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "WEB_PORT": "0"}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        port = re.search(r"127\.0\.0\.1:(\d+)", line)
        assert port, line + (process.stderr.read() if process.stderr else "")
        with urllib.request.urlopen(f"http://127.0.0.1:{port.group(1)}/healthz", timeout=5) as r:
            assert r.status == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()


def test_unreachable_channel_stops_run_with_a_clear_message(cli_env: dict[str, str]) -> None:
    env = {
        **cli_env,
        "WEB_PORT": "0",
        "ZALO_BOT_TOKEN": "1:abc",
        "ZALO_BASE_URL": "http://127.0.0.1:9/bot",
    }
    result = cli("run", env=env)
    assert result.returncode == 2
    assert "ZALO_BASE_URL" in result.stderr
    assert "Traceback" not in result.stderr and "Unclosed" not in result.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--role", "officer"], "--role officer needs --area"),
        (["--role", "officer", "--area", "hue"], "python -m bot areas"),
        (["--role", "officer", "--area", "all"], "--area all is for --role admin only"),
    ],
)
def test_officer_invites_need_an_area_from_the_list(
    cli_env: dict[str, str], options: list[str], message: str
) -> None:
    result = cli("invite", *options, env=cli_env)
    assert result.returncode == 2
    assert message in result.stderr and "/canbo" not in result.stdout


@pytest.mark.parametrize(
    ("options", "shown"),
    [
        (["--role", "officer", "--area", "19414"], "officer of Xã Cửa Tùng (19414)"),
        (["--role", "officer", "--area", "quang-tri"], "officer of tỉnh Quảng Trị"),
        (["--role", "admin", "--area", "all"], "admin of tất cả các tỉnh"),
        (["--role", "admin"], "admin of tất cả các tỉnh"),
    ],
)
def test_invites_name_the_area_they_cover(
    cli_env: dict[str, str], options: list[str], shown: str
) -> None:
    result = cli("invite", *options, env=cli_env)
    assert result.returncode == 0, result.stderr
    assert shown in result.stdout
