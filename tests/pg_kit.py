"""A throwaway PostgreSQL server for the tests of database sources (data room) and of reports from them.

``postgres_server(password=None)`` runs ``initdb`` + ``pg_ctl start`` in a temporary folder, listening on a
free localhost port, yields its URL and removes it afterwards. Without a password the server trusts local
connections (``postgresql://postgres@127.0.0.1:PORT/postgres``); with one it asks for it (scram-sha-256)
and the URL carries it (``postgresql://postgres:PASSWORD@...``). As root, the server runs as the
``postgres`` user (PostgreSQL refuses to run as root). It skips the calling test when the PostgreSQL
binaries are absent (``make`` installs Debian's ``postgresql`` package); ``execute`` runs SQL, optionally
loading a CSV text with ``COPY``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def _pg_bin() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def free_port() -> int:
    """A localhost TCP port nothing listens on (at the time of the call)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def postgres_server(password: str | None = None) -> Iterator[str]:
    """A running server; yields its URL (with the password when one is set)."""
    bindir = _pg_bin()
    if bindir is None or not (bindir / "pg_ctl").exists():
        pytest.skip(
            "PostgreSQL server binaries (initdb, pg_ctl) not found; `make` installs Debian's postgresql"
        )
    root = Path(tempfile.mkdtemp(prefix="workbench-pg-"))
    data, log = root / "data", root / "server.log"
    prefix: list[str] = []
    if os.geteuid() == 0:  # postgres will not run as root
        import pwd

        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root, ignore_errors=True)
            pytest.skip("running as root and there is no 'postgres' user to run the server as")
        os.chown(root, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = free_port()

    def run(*cmd: str) -> None:
        subprocess.run([*prefix, *cmd], check=True, capture_output=True, text=True, cwd=root)

    auth = ["-A", "trust"]
    if password is not None:
        pwfile = root / "pwfile"
        pwfile.write_text(password + "\n", encoding="utf-8")
        if prefix:
            os.chown(pwfile, pw.pw_uid, pw.pw_gid)
        auth = ["-A", "scram-sha-256", f"--pwfile={pwfile}"]
    try:
        run(str(bindir / "initdb"), "-D", str(data), *auth, "-U", "postgres", "-E", "UTF8", "--no-sync")
        opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", opts, "-w", "-t", "60", "start")
    except subprocess.CalledProcessError as exc:
        detail = exc.stderr + (log.read_text() if log.exists() else "")
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"could not start the test PostgreSQL server: {detail}") from exc
    user = "postgres" if password is None else f"postgres:{password}"
    try:
        yield f"postgresql://{user}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            cwd=root,
        )
        shutil.rmtree(root, ignore_errors=True)


def execute(url: str, sql: str, copy_csv: str | None = None) -> None:
    """Run ``sql`` on the server; with ``copy_csv``, load that CSV text (with a header) into the table
    the statement names third (``CREATE TABLE name ...``)."""
    import psycopg

    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(sql)
        if copy_csv is not None:
            table = sql.split()[2]
            with cur.copy(f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                copy.write(copy_csv)
