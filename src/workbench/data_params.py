"""The ``data:`` block of a params file (``DataParams``) and ``workbench validate --params FILE``
(``validate_cli``): load and validate the transactions a params file names, and describe them.

Importable from ``workbench.data`` too (``from workbench.data import DataParams, validate_cli``).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pandas as pd

from workbench.data import CANONICAL, CHANNELS, DEFAULT_TIMEZONE, is_url, load_transactions
from workbench.schema import orders_per_member
from workbench.validation import DataValidationError


@dataclass(frozen=True)
class DataParams:
    """The ``data:`` mapping of a params file (DESIGN.md); relative paths resolved against the file's folder."""

    transactions: str = "demo"
    columns: dict[str, str] = field(default_factory=dict)
    date_format: str = "auto"
    encoding: str | None = None
    currency: str = "TWD"
    timezone: str = DEFAULT_TIMEZONE
    table: str | None = None
    query: str | None = None
    sep: str | None = None
    observation_end: str | None = None
    member_id_width: int | None = None
    members: str | None = None
    campaign: str | None = None
    truth: str | None = None

    _PATHS: ClassVar[tuple[str, ...]] = ("transactions", "members", "campaign", "truth")

    def __post_init__(self):
        if not isinstance(self.columns, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.columns.items()
        ):
            raise ValueError(
                f"DataParams.columns must map canonical names to source headers, got {self.columns!r}"
            )
        bad = sorted(set(self.columns) - set(CANONICAL))
        if bad:
            raise ValueError(f"DataParams.columns: unknown column(s) {bad}; allowed: {', '.join(CANONICAL)}")
        if self.member_id_width is not None and (
            not isinstance(self.member_id_width, int) or self.member_id_width < 1
        ):
            raise ValueError(
                f"DataParams.member_id_width must be a positive integer, got {self.member_id_width!r}"
            )

    @classmethod
    def from_dict(cls, mapping: dict, base_dir: str | Path = ".") -> DataParams:
        allowed = list(cls.__dataclass_fields__)
        unknown = sorted(set(mapping) - set(allowed))
        if unknown:
            raise ValueError(f"DataParams: unknown key(s) {unknown} in data:; allowed: {', '.join(allowed)}")
        values = dict(mapping)
        for key in cls._PATHS:
            v = values.get(key)
            if isinstance(v, str) and v not in ("demo", "cdnow") and not is_url(v):
                p = Path(v).expanduser()
                values[key] = os.path.normpath(p if p.is_absolute() else Path(base_dir) / p)
        if values.get("observation_end") is not None:  # YAML reads a bare 2026-10-31 as a date
            values["observation_end"] = str(values["observation_end"])
        return cls(**values)

    @classmethod
    def from_yaml(cls, path: str | Path) -> DataParams:
        """Read the ``data:`` mapping of a params YAML (other top-level keys are ignored)."""
        import yaml

        path = Path(path)
        if path.is_dir():
            path = path / "common.yaml"
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(doc, dict) or not isinstance(doc.get("data"), dict):
            raise ValueError(f"{path}: expected a top-level 'data:' mapping (see DESIGN.md)")
        return cls.from_dict(doc["data"], path.parent)

    def load_options(self) -> dict:
        opts = {
            k: getattr(self, k)
            for k in (
                "encoding",
                "sep",
                "table",
                "query",
                "timezone",
                "currency",
                "observation_end",
                "member_id_width",
            )
            if getattr(self, k) is not None
        }
        return opts

    def load(self) -> pd.DataFrame:
        """``load_transactions`` with these params."""
        return load_transactions(
            self.transactions, self.columns or None, self.date_format, **self.load_options()
        )


def describe_transactions(tx: pd.DataFrame, currency: str = "TWD") -> list[tuple[str, str]]:
    """Facts about a canonical frame, as (label, text) pairs for a report."""
    n = len(tx)
    ret = tx["is_return"].to_numpy()
    amount = tx["amount"].to_numpy()
    zero = amount == 0
    rows = [
        ("rows", f"{n:,}"),
        ("members", f"{tx['member_id'].nunique():,}"),
    ]
    if "order_id" in tx.columns:
        rows.append(("orders", f"{int(orders_per_member(tx).sum()):,}"))
    if n:
        rows.append(("date range", f"{tx['ordered_at'].min():%Y-%m-%d} .. {tx['ordered_at'].max():%Y-%m-%d}"))
    rows += [
        ("amount total", f"{currency} {amount.sum():,.2f}"),
        (
            "returns",
            f"{int(ret.sum()):,} rows ({ret.mean() if n else 0:.1%}), {currency} {amount[ret].sum():,.2f}",
        ),
        ("zero-amount rows", f"{int(zero.sum()):,}"),
    ]
    if "channel" in tx.columns:
        counts = tx["channel"].value_counts()
        rows.append(("channels", ", ".join(f"{k} {v:,}" for k, v in counts.items())))
        other = [str(k) for k, v in counts.items() if v and k not in CHANNELS]
        if other:
            rows.append(
                (
                    "note",
                    f"channel label(s) {', '.join(other)} are neither store nor online (not known labels such "
                    "as 門市 or 網路商店): the overview counts them in neither channel's revenue",
                )
            )
    return rows


def validate_cli(args) -> int:
    """``workbench validate --params FILE``: load + validate the data a params file names; exit 0/1."""
    path = Path(args.params)
    print(f"workbench validate: {path}")
    try:
        params = DataParams.from_yaml(path)
    except (OSError, ValueError) as exc:
        print(f"  cannot read the params: {exc}", file=sys.stderr)
        print("FAILED")
        return 1
    except Exception as exc:  # yaml syntax errors
        print(f"  cannot read the params: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("FAILED")
        return 1
    print(f"  {'source':<18}{params.transactions}" + (f" (table {params.table})" if params.table else ""))
    try:
        tx = params.load()
    except DataValidationError as exc:
        print(f"  {'problems':<18}{len(exc.problems)}")
        if exc.convention:
            print(f"  ({exc.convention})")
        for p in exc.problems:
            print(f"  - {p.message}")
        print("FAILED")
        return 1
    except (OSError, ValueError, TypeError) as exc:
        print(f"  cannot load: {exc}")
        print("FAILED")
        return 1
    for label, text in describe_transactions(tx, params.currency):
        print(f"  {label:<18}{text}")
    print(f"  {'problems':<18}none")
    print("OK")
    return 0
