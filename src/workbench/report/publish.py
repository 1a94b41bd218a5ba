"""Publishing a month in one step, one run at a time.

Layout of an output folder ``OUT``::

    OUT/index.html                     the months (rewritten after each run)
    OUT/2026-10 -> .month-2026-10-...  the published month: a symbolic link, so OUT/2026-10/index.html opens
    OUT/.month-2026-10-<stamp>-<pid>/  what the link points at: pages, notebooks, index.html, run.json
    OUT/.staging-2026-10-<stamp>-<pid>/  a month being built (a run in progress, or one that was killed)
    OUT/.cache/2026-10/                the run's validated copy of the data (removed when the run ends)
    OUT/.logs/2026-10/                 full errors of failed notebooks (values of rows, tracebacks)
    OUT/.lock                          held by the running run (``fcntl.flock``; released when it dies)

A run builds the complete month in its staging folder, starting from a copy of the published month (so
reports not run this time, and the last good copy of a notebook that fails now, are carried over with
their failure files), and publishes it by renaming the folder and replacing the link with
``os.replace`` (atomic): a reader, or a run killed at any moment, sees the old month or the new one, never
a mix. The next run removes stale staging folders, month folders no link points at, and the cache.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from workbench.errors import WorkbenchError

LOCK_FILE = ".lock"
STAGING_PREFIX = ".staging-"
MONTH_PREFIX = ".month-"
LINK_PREFIX = ".link-"
CACHE_DIR = ".cache"
LOGS_DIR = ".logs"
MONTH_NAME = re.compile(r"^\d{4}-\d{2}$")
#: Files of a published month that a new run does not carry over (old layouts kept failed notebooks here).
NOT_CARRIED = (".failed.ipynb",)


class OutputBusyError(WorkbenchError, RuntimeError):
    """Another ``workbench report`` holds the output folder's lock (the message names its pid and start)."""


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _holder(lock: Path) -> str:
    try:
        info = json.loads(lock.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another workbench report"
    return f"workbench report pid {info.get('pid')} started at {info.get('started_at')}"


@contextlib.contextmanager
def output_lock(out: Path, *, wait: float, log: Callable[[str], None] = print) -> Iterator[Path]:
    """Hold ``OUT/.lock`` for the duration of a run; a second run waits up to ``wait`` seconds.

    Parameters
    ----------
    out : Path
        The output folder (created when missing).
    wait : float
        Seconds to wait for a running run to finish (0: stop at once).
    log : callable
        Progress lines (the wait is announced once).

    Yields
    ------
    Path
        The lock file.

    Raises
    ------
    OutputBusyError
        When the other run still holds the lock after ``wait`` seconds; nothing was run or written.
    """
    out.mkdir(parents=True, exist_ok=True)
    lock = out / LOCK_FILE
    fh = open(lock, "a+", encoding="utf-8")  # held open (and locked) for the whole run
    try:
        deadline = time.monotonic() + max(0.0, wait)
        announced = False
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(lock)
                if time.monotonic() >= deadline:
                    waited = f" after waiting {wait:g} s" if wait > 0 else ""
                    raise OutputBusyError(
                        f"{out} is in use by {holder}{waited}; nothing was run and the published reports "
                        "are unchanged (try again when it has finished, or use --wait SECONDS)"
                    ) from None
                if not announced:
                    log(f"workbench report: {out} is in use by {holder}; waiting up to {wait:g} s")
                    announced = True
                time.sleep(0.2)
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"pid": os.getpid(), "started_at": _now()}))
        fh.flush()
        try:
            yield lock
        finally:
            fh.seek(0)
            fh.truncate()
            fh.flush()
            fcntl.flock(fh, fcntl.LOCK_UN)
    finally:
        fh.close()


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def remove_stale(out: Path) -> list[str]:
    """Remove what killed runs left (call while holding the lock).

    Parameters
    ----------
    out : Path
        The output folder.

    Returns
    -------
    list of str
        The names removed: staging folders, month folders no month link points at, half-made links,
        the data cache.
    """
    if not out.is_dir():
        return []
    live = {os.readlink(p) for p in out.iterdir() if p.is_symlink() and MONTH_NAME.match(p.name)}
    removed = []
    for path in sorted(out.iterdir()):
        name = path.name
        stale = (
            name.startswith((STAGING_PREFIX, LINK_PREFIX))
            or (name.startswith(MONTH_PREFIX) and name not in live)
            or name == CACHE_DIR
        )
        if stale:
            _remove(path)
            removed.append(name)
    return removed


class MonthBuild:
    """The next version of ``OUT/<month>``, built in a staging folder and published with :meth:`publish`.

    Parameters
    ----------
    out : Path
        The output folder.
    month : str
        ``YYYY-MM``.
    """

    def __init__(self, out: Path, month: str):
        self.out = out
        self.month = month
        self.link = out / month
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        self.name = f"{month}-{stamp}-{os.getpid()}"
        self.staging = out / f"{STAGING_PREFIX}{self.name}"
        self.work = self.staging / ".work"
        self.logs = out / LOGS_DIR / month

    def start(self) -> MonthBuild:
        """Create the staging folder with a copy of the published month's files (none the first time)."""
        self.work.mkdir(parents=True)
        if self.link.is_dir():
            for path in sorted(self.link.iterdir()):
                if path.is_file() and not path.name.endswith(NOT_CARRIED):
                    shutil.copy2(path, self.staging / path.name)
        return self

    def publish(self) -> Path:
        """Make the staging folder the month in one atomic step; the previous version is removed.

        Returns
        -------
        Path
            The published month folder (what ``OUT/<month>`` points at).
        """
        shutil.rmtree(self.work, ignore_errors=True)
        final = self.out / f"{MONTH_PREFIX}{self.name}"
        os.rename(self.staging, final)
        previous = None
        if self.link.is_symlink():
            previous = self.out / os.readlink(self.link)
        elif self.link.is_dir():  # a month published before links were used: moved aside once
            previous = self.out / f"{MONTH_PREFIX}{self.month}-previous-{self.name}"
            os.rename(self.link, previous)
        tmp = self.out / f"{LINK_PREFIX}{self.name}"
        os.symlink(final.name, tmp)
        os.replace(tmp, self.link)
        if previous is not None and previous.name.startswith(MONTH_PREFIX):
            shutil.rmtree(previous, ignore_errors=True)
        return final

    def discard(self) -> None:
        """Remove the staging folder (the published month is untouched)."""
        shutil.rmtree(self.staging, ignore_errors=True)
