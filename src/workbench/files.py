"""The one way the workbench writes a file it publishes.

To a temporary file in the same folder, then ``os.replace`` onto the target, so a reader (or a killed run)
never sees half a file.

``write_text``, ``write_bytes``, ``write_json``, ``write_csv`` and ``write_parquet`` create the folder
when it is missing and remove the temporary file when writing fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "atomic_path",
    "write_audience",
    "write_bytes",
    "write_csv",
    "write_json",
    "write_parquet",
    "write_text",
]


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """A temporary path beside ``target`` to write to; on success it replaces ``target`` atomically.

    Parameters
    ----------
    target : str or Path
        The file to (re)write; its folder is created when missing.

    Yields
    ------
    Path
        Where to write. On an exception the temporary file is removed and ``target`` is left as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    # mkstemp creates the file 0600; a published file gets the usual mode (0666 minus the umask)
    os.chmod(tmp, 0o666 & ~_umask())
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write(target: str | Path, write: Callable[[Path], Any]) -> Path:
    with atomic_path(target) as tmp:
        write(tmp)
    return Path(target)


def write_text(target: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``target`` atomically; returns the target path."""
    return _write(target, lambda p: p.write_text(text, encoding="utf-8"))


def write_bytes(target: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically; returns the target path."""
    return _write(target, lambda p: p.write_bytes(data))


def write_json(target: str | Path, value: Any, *, indent: int = 2) -> Path:
    """Write ``value`` as indented UTF-8 JSON (non-ASCII kept) to ``target`` atomically."""
    return write_text(target, json.dumps(value, ensure_ascii=False, indent=indent) + "\n")


def write_csv(target: str | Path, frame, *, index: bool = False) -> Path:
    """Write a DataFrame as UTF-8 CSV to ``target`` atomically (member ids stay text)."""
    return _write(target, lambda p: frame.to_csv(p, index=index, encoding="utf-8"))


def write_parquet(
    target: str | Path,
    frame,
    *,
    index: bool = False,
    metadata: dict | None = None,
    options: dict | None = None,
) -> Path:
    """Write a DataFrame as Parquet to ``target`` atomically.

    Parameters
    ----------
    target : str or Path
        The file.
    frame : DataFrame
        What is written.
    index : bool
        Whether the index is written too.
    metadata : dict of str, optional
        Extra key-value pairs for the file's schema metadata (beside pandas' own and ``frame.attrs``, kept
        as ``DataFrame.to_parquet`` keeps them).
    options : dict, optional
        Keyword arguments of ``pyarrow.parquet.write_table`` (compression, dictionary columns), with
        ``metadata``.

    Returns
    -------
    Path
        ``target``.
    """
    if not metadata and not options:
        return _write(target, lambda p: frame.to_parquet(p, index=index))
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=index)
    extra = (
        {"PANDAS_ATTRS": json.dumps(frame.attrs)} if frame.attrs else {}
    )  # as DataFrame.to_parquet keeps them
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **extra, **(metadata or {})})
    return _write(target, lambda p: pq.write_table(table, p, **(options or {})))


def write_audience(frame, audience_dir: str | Path | None, name: str) -> Path | None:
    """Write a member-level table as ``<audience_dir>/<name>.csv``; nothing (None) without an audience_dir.

    Member-level files (ids, contact columns) go only here, never into a management report.

    Parameters
    ----------
    frame : DataFrame
        One row per member, ``member_id`` as a column (text).
    audience_dir : str, Path or None
        The brand's audience folder; empty or None = no file.
    name : str
        File name without ``.csv``.

    Returns
    -------
    Path or None
        The file written.
    """
    if not audience_dir:
        return None
    return write_csv(Path(audience_dir) / f"{name}.csv", frame)
