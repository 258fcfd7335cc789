"""`python -m bot backup FILE`: a consistent copy of the SQLite database, taken while
the service runs; on PostgreSQL, the `pg_dump` command that does the same."""

from __future__ import annotations

import argparse
import os
import shlex
import sqlite3
import sys
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from bot.config import Settings


class BackupFailed(Exception):
    """The copy could not be made or is not sound."""


def add_backup_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = commands.add_parser(
        "backup", help="copy the database to FILE (SQLite); on PostgreSQL, print pg_dump's command"
    )
    backup.add_argument("file", type=Path, metavar="FILE", help="where the copy goes")


def run_backup(settings: Settings, args: argparse.Namespace) -> int:
    """Back up the configured database to `args.file`; 0 when done (or explained)."""
    url = make_url(settings.database_url)
    target: Path = args.file
    if url.get_backend_name() == "postgresql":
        print("On PostgreSQL, back up with pg_dump (the password from PGPASSWORD or ~/.pgpass):")
        print(pg_dump_command(url, target))
        print("Restore it (the service stopped) with:")
        print(pg_restore_command(url, target))
        return 0
    if not url.database or url.database == ":memory:":
        print("DATABASE_URL names no database file to back up", file=sys.stderr)
        return 2
    source = Path(url.database)
    if not source.is_file():
        print(f"no database at {source}", file=sys.stderr)
        return 2
    if target.exists() and target.resolve() == source.resolve():
        print("FILE is the database itself; choose another name", file=sys.stderr)
        return 2
    try:
        pages = copy_sqlite(source, target)
    except (sqlite3.Error, BackupFailed) as error:
        print(f"backup failed: {error}", file=sys.stderr)
        return 1
    print(f"Backed up {source} to {target} ({pages} pages, integrity ok).")
    return 0


def copy_sqlite(source: Path, target: Path) -> int:
    """Copy `source` with SQLite's online backup API into `target` (replaced whole, never
    left half-written) and check the copy; returns its number of pages. The copy is one
    consistent snapshot: in WAL mode the service goes on writing meanwhile."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source)
    done = False
    try:
        # The service may hold the write lock for a moment; wait rather than fail.
        src.execute("PRAGMA busy_timeout=10000")
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
            # One self-contained file, with no -wal beside it to carry along.
            dst.execute("PRAGMA journal_mode=DELETE")
            [status] = dst.execute("PRAGMA integrity_check").fetchone()
            if status != "ok":
                raise BackupFailed(f"the copy fails its integrity check: {status}")
            [pages] = dst.execute("PRAGMA page_count").fetchone()
        finally:
            dst.close()
        done = True
    finally:
        src.close()
        if not done:
            partial.unlink(missing_ok=True)
    os.replace(partial, target)
    return int(pages)


def pg_dump_command(url: URL, target: Path) -> str:
    """The pg_dump command line for `url`'s database, without its password."""
    return shlex.join(["pg_dump", "--format=custom", f"--file={target}", *_connection(url)])


def pg_restore_command(url: URL, source: Path) -> str:
    """The pg_restore command line that puts a dump back into `url`'s database."""
    options = _connection(url)
    database = options.pop()
    return shlex.join(
        ["pg_restore", "--clean", "--if-exists", *options, f"--dbname={database}", str(source)]
    )


def _connection(url: URL) -> list[str]:
    """Host, port and user options, then the database name; never the password."""
    parts: list[str] = []
    if url.host:
        parts.append(f"--host={url.host}")
    if url.port:
        parts.append(f"--port={url.port}")
    if url.username:
        parts.append(f"--username={url.username}")
    parts.append(url.database or "postgres")
    return parts
