"""What a failed notebook leaves behind, in two versions.

The whole error for the analyst, and a version without values of member rows for the management pages.

* ``describe_failure(exc, executed)``: the failing cell (index, execution count, source excerpt), the error
  and the traceback, read from papermill's exception and the partly executed notebook;
* ``redact(text)``: the text without values of rows: ``(row 3: '0912-345-678', row 9: 'a@b.tw')`` becomes
  ``(row 3, row 9)``; e-mail addresses, phone numbers and ids of 8 or more digits anywhere become
  ``<e-mail>`` and ``<number>``; passwords in URLs ``***`` (``workbench.data.mask_url``);
* ``published_failure(info)``: the ``error`` record of ``run.json`` and the index (redacted, no traceback);
* ``error_text(name, path, month, info, full=...)``: ``<name>.error.txt``: the full one goes to
  ``OUT/.logs/<month>/`` (never published), the redacted one into the month beside the kept good copy.
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any

from workbench.data import mask_url

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_QUOTED = r"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"|<empty>"
# "row 3: 'value'", "rows 3, 5 and 7: 'value'": the loader's way of showing the offending values
_ROW_VALUE = re.compile(rf"\b(rows? \d[\d,]*(?:(?:, | and | & )\d[\d,]*)*):\s*(?:{_QUOTED})")
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
# phone numbers, national ids (A123456789), card and member numbers: 8 or more digits, maybe grouped
_LONG_NUMBER = re.compile(r"(?<![\w.])(?<!row )(?<!rows )(?:[A-Za-z]{1,2}|\+)?\d[\d\- ]{6,}\d(?![\w.])")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def redact(text: str) -> str:
    """``text`` without the values of member rows (see the module docstring); row numbers and columns kept.

    Parameters
    ----------
    text : str
        An error message (possibly of many lines).

    Returns
    -------
    str
        The same message for a management page.
    """
    text = _ROW_VALUE.sub(r"\1", mask_url(str(text)))
    text = _EMAIL.sub("<e-mail>", text)
    return _LONG_NUMBER.sub(lambda m: m.group(0) if _ISO_DATE.fullmatch(m.group(0)) else "<number>", text)


def describe_failure(exc: BaseException, executed: Path) -> dict[str, Any]:
    """The failing cell (index in the source notebook, execution count, source excerpt) and the error.

    Parameters
    ----------
    exc : BaseException
        What papermill (or the export) raised.
    executed : Path
        The partly executed notebook papermill wrote (read when it exists).

    Returns
    -------
    dict
        ``error`` (one line: type and message), and when a cell failed ``cell_index``, ``execution_count``,
        ``source`` (first 20 lines) and ``traceback``; values of rows included (the analyst's version).
    """
    info: dict[str, Any] = {"error": f"{type(exc).__name__}: {_ANSI.sub('', str(exc)).strip()}"}
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:
        info["error"] = f"{ename}: {evalue}"
    if isinstance(exc, TimeoutError) or "timed out" in str(exc).lower():
        info["error"] = "Timeout: " + info["error"]
    nb = None
    if executed.is_file():
        with contextlib.suppress(ValueError, OSError):
            nb = json.loads(executed.read_text(encoding="utf-8"))
    if nb:
        injected = 0
        for i, cell in enumerate(nb.get("cells", [])):
            tags = cell.get("metadata", {}).get("tags", [])
            if "injected-parameters" in tags or "papermill-error-cell-tag" in tags:
                injected += 1
                continue
            status = cell.get("metadata", {}).get("papermill", {}).get("status")
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if errors or status in ("failed", "running"):
                source = cell.get("source", "")
                source = "".join(source) if isinstance(source, list) else source
                info["cell_index"] = i - injected
                info["execution_count"] = cell.get("execution_count")
                info["source"] = "\n".join(source.splitlines()[:20])
                if errors:
                    info["traceback"] = _ANSI.sub("", "\n".join(errors[0].get("traceback", [])))
                break
    return info


def published_failure(info: dict[str, Any]) -> dict[str, Any]:
    """The failure as ``run.json`` and the month's index show it: redacted, without the traceback.

    Parameters
    ----------
    info : dict
        From :func:`describe_failure`.

    Returns
    -------
    dict
        ``error`` redacted; ``cell_index``, ``execution_count`` and ``source`` (the notebook's own code) kept.
    """
    shown = {k: v for k, v in info.items() if k != "traceback"}
    shown["error"] = redact(info["error"])
    return shown


def error_text(name: str, path: Path, month: str, info: dict[str, Any], *, full: str | None = None) -> str:
    """The text of ``<name>.error.txt``.

    Parameters
    ----------
    name : str
        The notebook.
    path : Path
        Its file (``notebooks/<name>.ipynb``).
    month : str
        The report month.
    info : dict
        :func:`describe_failure` (the analyst's file) or :func:`published_failure` (the month's file).
    full : str, optional
        For the published file: where the full error is (``OUT/.logs/...``), named at its end.

    Returns
    -------
    str
        Notebook, month, failing cell, error, the cell's source and (full version only) the traceback.
    """
    where = "unknown (no cell was running)"
    if "cell_index" in info:
        where = (
            f"code cell at index {info['cell_index']} of {path.name} "
            f"(execution count {info['execution_count']})"
        )
    lines = [
        f"notebook: {name} ({path})",
        f"month:    {month}",
        f"failed:   {where}",
        f"error:    {info['error']}",
    ]
    if info.get("source"):
        lines += ["", "source of the failing cell:", *("    " + s for s in info["source"].splitlines())]
    if info.get("traceback"):
        lines += ["", "traceback:", info["traceback"]]
    if full:
        lines += ["", f"values of the rows involved and the traceback are not published: see {full}"]
    return mask_url("\n".join(lines) + "\n")
