"""Loading transaction exports into the canonical frame (see ``workbench.schema``).

Minimal first version: ``demo``, Parquet and clean CSV. Real-export handling (Chinese headers, Big5,
ROC dates, text amounts, databases) and validation are being built on top of this interface.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from workbench.schema import finalize_transactions


def load_transactions(source, columns: dict[str, str] | None = None, date_format: str = "auto", **opts) -> pd.DataFrame:
    """Load transactions from ``source`` into the canonical frame.

    ``source``: ``"demo"`` (deterministic demo brand; ``members`` and ``seed`` in ``opts``),
    ``"cdnow"`` (the CDNOW log shipped with lifetimes), or a ``.csv``/``.parquet`` path.
    ``columns`` maps canonical names to source headers, e.g. ``{"member_id": "會員編號"}``.
    """
    if isinstance(source, str) and source == "demo":
        from workbench.demo import generate_demo

        return generate_demo(opts.get("members", 5000), opts.get("seed", 42)).transactions
    if isinstance(source, str) and source == "cdnow":
        from workbench.demo import load_cdnow

        return load_cdnow()
    path = Path(source)
    if path.suffix == ".parquet":
        raw = pd.read_parquet(path)
    else:
        raw = pd.read_csv(path, dtype=str)
    if columns:
        raw = raw.rename(columns={src: canon for canon, src in columns.items()})
    return finalize_transactions(raw)
