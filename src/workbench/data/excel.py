"""Reading an Excel sheet (``.xlsx``, ``.xlsm``) as text, with the sheet's own row numbers.

The reader is fastexcel (Rust, on calamine), chosen on ``benchmarks/bench_data.py``'s measurement of a
1M-row sheet against python-calamine. Every cell is read as text (``dtypes="string"``), so ids keep their
leading zeros and the loader parses dates and amounts exactly as in a CSV: date cells arrive as
``2024-03-05 14:30:00``, numbers as their digits (``1200.5``), serial day numbers as numbers (read as dates
by the loader). The header is the first non-empty row; wholly empty rows are skipped, and every data row
keeps its sheet row number (header = row 1 -> first data row = row 2) for messages.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.data.validation import source_error as _fail

EXCEL_SUFFIXES: tuple[str, ...] = (".xlsx", ".xlsm")


def sheet_names(path: Path) -> list[str]:
    """The names of the sheets of a workbook, in order."""
    import fastexcel

    return list(fastexcel.read_excel(str(path)).sheet_names)


def read_excel(path: Path, sheet: str | int | None = None) -> tuple[pd.DataFrame, np.ndarray, str, int]:
    """``(frame of text columns, sheet row number of each frame row, name for messages, header row)``.

    Parameters
    ----------
    path : Path
        The workbook.
    sheet : str or int, optional
        The sheet's name, or its 0-based position; default the first sheet.

    Returns
    -------
    tuple
        The data rows as text (header from the first non-empty row), their sheet row numbers,
        ``"path [sheet 'name']"`` and the sheet row number of the header.
    """
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
    except fastexcel.FastExcelError as exc:
        first = str(exc).strip().splitlines()[0]
        raise _fail(
            str(path),
            "unreadable",
            f"not a readable Excel workbook ({first}): save it again from Excel as .xlsx, without a password",
        ) from None
    names = list(reader.sheet_names)
    which = 0 if sheet is None else sheet
    if isinstance(which, str) and which not in names:
        raise _fail(
            str(path),
            "no_sheet",
            f"the workbook has no sheet {which!r}; its sheets: {', '.join(map(repr, names))} (set data.sheet)",
        )
    if isinstance(which, int) and not 0 <= which < len(names):
        raise _fail(
            str(path),
            "no_sheet",
            f"the workbook has {len(names)} sheet(s), so no sheet {which} (0-based); its sheets: "
            f"{', '.join(map(repr, names))} (set data.sheet)",
        )
    title = names[which] if isinstance(which, int) else which
    name = f"{path} [sheet {title!r}]"
    try:  # no header row: every row from the sheet's row 1, so that positions are sheet rows
        table = reader.load_sheet(which, header_row=None, skip_rows=0, dtypes="string").to_arrow()
    except fastexcel.FastExcelError as exc:
        raise _fail(
            name, "unreadable", f"the sheet cannot be read: {str(exc).strip().splitlines()[0]}"
        ) from None
    filled = None
    for column in table.columns:
        has = pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(column), ""), False)
        filled = has if filled is None else pc.or_(filled, has)
    if filled is None or not pc.any(filled).as_py():
        raise _fail(name, "empty", "no data rows: the sheet is empty")
    filled = filled.to_numpy(zero_copy_only=False)
    header = int(np.argmax(filled))
    heads = [("" if v is None else str(v)) for v in table.slice(header, 1).to_pylist()[0].values()]
    keep = np.flatnonzero(filled[header + 1 :]) + header + 1
    data = table.take(pa.array(keep)) if len(keep) != table.num_rows - header - 1 else table.slice(header + 1)
    frame = data.rename_columns([f"c{i}" for i in range(data.num_columns)]).to_pandas()
    frame.columns = heads
    return frame, keep.astype(np.int64) + 1, name, header + 1
