"""Source columns -> canonical columns.

The ``columns`` mapping of params, headers of the canonical names, duplicated headers, and the categorical
columns (channels with their labels read, stores).

``SOURCE_COLUMNS`` are the names ``columns`` may map: the canonical transaction columns of
``workbench.schema`` and the line columns ``quantity`` and ``unit_price`` (whose product is the amount of a
line-level export without an ``amount`` column).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.data.parsing import channel_of
from workbench.data.validation import Collector, text_array
from workbench.schema import OPTIONAL_COLUMNS, REQUIRED_COLUMNS

CANONICAL = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
LINE_COLUMNS: tuple[str, ...] = ("quantity", "unit_price")
"""Source columns that give the amount of a line when there is no ``amount`` column."""
SOURCE_COLUMNS = CANONICAL + LINE_COLUMNS
"""Every name ``columns`` may map: the canonical columns and the line columns."""
CHANNELS = ("store", "online")


def _norm_header(name: object) -> str:
    import unicodedata

    return unicodedata.normalize("NFKC", str(name)).strip().lstrip("\ufeff")


def map_columns(frame: pd.DataFrame, columns: dict[str, str] | None, col: Collector) -> dict[str, pd.Series]:
    """Canonical name -> source Series; records unknown/unmapped/missing/duplicated column problems."""
    names = [_norm_header(c) for c in frame.columns]
    positions: dict[str, list[int]] = {}
    for i, h in enumerate(names):
        positions.setdefault(h, []).append(i)
    shown = ", ".join(repr(h) for h in names) or "none"
    out: dict[str, pd.Series] = {}
    columns = dict(columns or {})
    for canon in columns:
        if canon not in SOURCE_COLUMNS:
            col.add(
                "unknown_column_key",
                canon,
                f"params columns: {canon!r} is not a transaction column; allowed: {', '.join(SOURCE_COLUMNS)}",
            )

    def take(canon: str, src: str) -> None:
        where = positions[src]
        if len(where) > 1:
            places = ", ".join(str(i + 1) for i in where)
            col.add(
                "duplicate_header",
                canon,
                f"the header has {len(where)} columns named {src!r} (columns {places}): cannot tell which one "
                f"is {canon}; rename or remove the others in the export",
            )
            return
        out[canon] = frame.iloc[:, where[0]]
        col.names[canon] = src

    for canon in SOURCE_COLUMNS:
        if canon in columns:
            src = _norm_header(columns[canon])
            if src in positions:
                take(canon, src)
            else:
                col.add(
                    "unmapped_column",
                    canon,
                    f"params columns maps {canon} -> {src!r}, but the source has no column {src!r} "
                    f"(headers: {shown})",
                )
        elif canon in positions:
            take(canon, canon)
    line = [c for c in LINE_COLUMNS if c in out or c in columns]
    amount_known = "amount" in out or "amount" in columns
    for canon in REQUIRED_COLUMNS:
        if canon in out or canon in columns or (canon == "amount" and line):
            continue
        if any(p.column == canon for p in col.problems):
            continue
        alt = " (or quantity and unit_price, whose product is the amount)" if canon == "amount" else ""
        col.add(
            "missing_column",
            canon,
            f"required column '{canon}' missing: the source has no column '{canon}' and params columns "
            f"does not map it{alt} (headers: {shown})",
        )
    if line and not amount_known and len(line) == 1:
        other = next(c for c in LINE_COLUMNS if c not in line)
        col.add(
            "missing_column",
            other,
            f"params columns gives {line[0]} but not {other}: the amount of a line is quantity x unit_price, "
            f"so both are needed (headers: {shown})",
        )
    return out


def category(values: pd.Series) -> pd.Categorical:
    """Categorical column (sorted categories; store/online channels in that order; empty -> missing).

    Already-categorical input is kept. Codes come from Arrow's hash kernels, not Python strings.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.array
    text = text_array(values)
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text)
    cats = pa.array(_category_order(pc.unique(text).drop_null().to_pylist()), text.type)
    codes = pc.fill_null(pc.index_in(text, cats), -1).to_numpy(zero_copy_only=False)
    return pd.Categorical.from_codes(codes, categories=pd.Index(cats.to_pylist(), dtype="str"))


def _category_order(names) -> list[str]:
    """Categories in order: store/online (all of them) when the values are channels, else sorted."""
    return list(CHANNELS) if set(names) <= set(CHANNELS) else sorted(set(names))


def channels(cat: pd.Categorical) -> pd.Categorical:
    """Channel labels such as 門市, 網路商店, E-Commerce as the canonical ``store``/``online`` (``CHANNEL_LABELS``).

    Works on the few categories, not the rows; labels it does not know are kept (they count as neither).
    """
    names = [channel_of(str(c)) for c in cat.categories]
    if names == list(cat.categories):
        return cat
    final = _category_order(names)
    remap = np.array([final.index(n) for n in names] + [-1], dtype=np.int64)  # code -1 stays missing
    return pd.Categorical.from_codes(remap[cat.codes], categories=pd.Index(final, dtype="str"))
