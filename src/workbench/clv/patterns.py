"""Member-summary input of the CLV models: checks and distinct patterns.

The models see a member only through ``(frequency, recency, T)`` (and ``monetary_value`` for the spend
model), so fits and predictions run on the distinct rows with member counts as weights (:func:`patterns`):
the same likelihood and the same predictions over far fewer rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.errors import ArgumentError

SUMMARY_COLUMNS = ("frequency", "recency", "T")


def check_summary(summary: pd.DataFrame, columns, owner: str = "fit_clv") -> None:
    """Raise unless ``summary`` is a frame with finite ``columns`` (and recency <= T); ``owner`` leads the message."""
    if not isinstance(summary, pd.DataFrame):
        raise TypeError(f"{owner}: summary must be a DataFrame, got {type(summary).__name__}")
    missing = [c for c in columns if c not in summary.columns]
    if missing:
        raise ArgumentError(
            f"{owner}: required column(s) missing from summary: {', '.join(missing)} "
            f"(expects lifetimes' frequency, recency, T[, monetary_value]; present: {', '.join(map(str, summary.columns))})"
        )
    x = summary[list(columns)].to_numpy(dtype=float)
    bad = ~np.isfinite(x).all(axis=1)
    if bad.any():
        rows = np.flatnonzero(bad)[:5].tolist()
        raise ArgumentError(f"{owner}: non-finite values in {', '.join(columns)} at row(s) {rows}")
    if "recency" in columns and "T" in columns:
        bad = summary["recency"].to_numpy() > summary["T"].to_numpy()
        if bad.any():
            raise ArgumentError(f"{owner}: recency > T at row(s) {np.flatnonzero(bad)[:5].tolist()}")


def check_choice(owner: str, name: str, value, allowed) -> None:
    """Raise unless ``value`` is one of ``allowed``; the message names the owner, the option and the choices."""
    if value not in allowed:
        raise ArgumentError(f"{owner}: {name} must be one of {tuple(allowed)}, got {value!r}")


def patterns(frame: pd.DataFrame, columns=SUMMARY_COLUMNS) -> tuple[pd.DataFrame, np.ndarray]:
    """Distinct rows of ``columns`` with a ``weights`` column (member count), and each row's pattern number.

    Hash-based: each column is factorized, the codes combined into one integer key, and that key factorized
    (about 0.1 s for a million members).
    """
    columns = list(columns)
    key = np.zeros(len(frame), dtype=np.int64)
    for col in columns:
        codes, uniques = pd.factorize(frame[col].to_numpy(dtype=float))
        key = key * len(uniques) + codes  # < 2**63 for any realistic summary (distinct values per column)
    codes, first = pd.factorize(key)
    order = np.empty(len(first), dtype=np.int64)
    order[codes] = np.arange(len(codes))  # one row of each pattern (the last; any will do)
    unique = pd.DataFrame({c: frame[c].to_numpy(dtype=float)[order] for c in columns})
    unique["weights"] = np.bincount(codes, minlength=len(unique))
    return unique, codes


__all__ = ["SUMMARY_COLUMNS", "check_choice", "check_summary", "patterns"]
