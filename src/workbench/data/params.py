"""The ``data:`` block of a params file.

One ``DataParams`` for ``workbench validate``, the report run and the notebooks.

```yaml
data:
  transactions: exports/pos_2026.csv   # .csv/.parquet/.duckdb, a database URL + table, 'demo' or 'cdnow'
  members: exports/members.csv         # optional files of the brand ('' = none)
  campaign: ""
  truth: ""
  columns: {member_id: 會員編號, ordered_at: 交易日期, amount: 金額}   # canonical: source header
  date_format: auto                    # auto | roc | a strftime pattern | a list of them
  currency: TWD                        # TWD | HKD | USD
  timezone: Asia/Taipei
  sheet: 交易明細                       # Excel: the sheet (name or 0-based index; default the first)
  guest_ids: ["", NA, N/A, "0", 非會員, 訪客, guest]   # member ids of guest sales (the default)
  max_amount: 10000000                 # largest amount of one row, in the brand's currency
  duplicate_rows: error                # error | drop: rows repeated verbatim
  decimal: auto                        # auto | "." | ",": the decimal mark of amounts
  # optional: start from an engine's result files instead of the log (see `workbench sql`)
  summary: results/summary.parquet
  member_months: results/member_months.parquet
  # optional: run the heavy step in Spark (transactions: a Parquet path, or table: a Spark table)
  spark: {master: "local[2]"}
```

A line-level export maps ``quantity`` and ``unit_price`` (and no ``amount``): amount = quantity x unit price,
minus the line's ``discount`` where one is mapped.

Relative paths are relative to the folder of the params file (``DataParams.resolved``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, ClassVar, Literal

import pandas as pd

from workbench.data.cache import is_validated_parquet
from workbench.data.columns import SOURCE_COLUMNS
from workbench.data.dates import date_format_problem, date_formats
from workbench.data.ids import DEFAULT_GUEST_IDS
from workbench.data.loader import (
    DEFAULT_MAX_AMOUNT,
    DEFAULT_TIMEZONE,
    LOAD_OPTIONS,
    guest_totals,
    load_transactions,
    observation_end_problem,
    stored_guests,
)
from workbench.data.sources import expand_env, is_url
from workbench.settings import SettingsError, bounded, build, read_yaml, settings_error, validate

__all__ = ["DataParams", "NON_FILE_SOURCES"]

NON_FILE_SOURCES: tuple[str, ...] = ("demo", "cdnow")
"""Values of ``transactions`` that are not files."""


@dataclass(frozen=True)
class DataParams:
    """The ``data:`` mapping of a params file (see the module docstring).

    Parameters
    ----------
    transactions : str
        Required: ``demo``, ``cdnow``, a ``.csv``/``.tsv``/``.txt`` (or ``.csv.gz``), ``.xlsx``, ``.parquet`` or
        ``.duckdb`` path, or a database URL.
    members, campaign, truth : str
        Optional files of the brand (members table, campaign table, the demo's ground truth); ``""`` = none.
    columns : mapping of str to str
        Canonical column name (or ``quantity``/``unit_price``) -> source header.
    date_format : str or tuple of str
        ``auto``, ``roc``, a strftime pattern, or a list of them tried in order for each value (a value two
        of them read differently is an error).
    currency : {"TWD", "HKD", "USD"}
    timezone : str
        IANA time zone of the brand (``Asia/Taipei``).
    encoding, sep, table, query, observation_end : str or None
        Loader options (see ``workbench.data.load_transactions``).
    member_id_width : int or None
        Zero-pad digit-only member ids to this many digits.
    sheet : str, int or None
        Excel: the sheet's name or 0-based index (default the first).
    guest_ids : tuple of str
        Member ids of guest (non-member) sales, compared trimmed and case-insensitively; ``""`` = empty.
    max_amount : float
        The largest amount (and discount) one row may have, in the brand's currency.
    duplicate_rows : {"error", "drop"}
        Rows repeated verbatim: reported, or dropped (the first kept).
    decimal : {"auto", ".", ","}
        The decimal mark of amounts: decided per column from the values, or set.
    summary, member_months : str
        An engine's result files (``workbench.results``): a monthly run starts from them instead of the log
        (then ``transactions: ""``); ``""`` = none.
    spark : mapping
        ``workbench.summary.SparkSettings`` (``{master: "local[2]"}``): the log's heavy step runs in Spark;
        empty = not at all.
    """

    transactions: str
    members: str = ""
    campaign: str = ""
    truth: str = ""
    columns: Mapping[str, str] = field(default_factory=dict)
    date_format: str | tuple[str, ...] = "auto"
    currency: Literal["TWD", "HKD", "USD"] = "TWD"
    timezone: str = DEFAULT_TIMEZONE
    encoding: str | None = None
    sep: str | None = None
    table: str | None = None
    query: str | None = None
    observation_end: str | None = None
    member_id_width: int | None = field(default=None, metadata=bounded(1))
    sheet: str | int | None = None
    guest_ids: tuple[str, ...] = DEFAULT_GUEST_IDS
    max_amount: float = field(default=DEFAULT_MAX_AMOUNT, metadata=bounded(above=0))
    duplicate_rows: Literal["error", "drop"] = "error"
    decimal: Literal["auto", ".", ","] = "auto"
    summary: str = ""
    member_months: str = ""
    spark: Mapping[str, Any] = field(default_factory=dict)

    PATHS: ClassVar[tuple[str, ...]] = (
        "transactions",
        "members",
        "campaign",
        "truth",
        "summary",
        "member_months",
    )

    def __post_init__(self):
        validate(self)
        if not self.transactions and not (self.summary and self.member_months):
            raise settings_error(
                self,
                "transactions",
                "must name a source ('demo', a file or a URL), or summary and member_months an engine's "
                "result files; got ''",
            )
        bad = [k for k in self.columns if k not in SOURCE_COLUMNS]
        if bad:
            raise settings_error(
                self, "columns", f"keys must be transaction columns ({', '.join(SOURCE_COLUMNS)}); got {bad}"
            )
        if not date_formats(self.date_format):
            raise settings_error(self, "date_format", "must name at least one format; got []")
        for fmt in date_formats(self.date_format):
            problem = date_format_problem(fmt)
            if problem:
                raise settings_error(self, "date_format", problem)
        if self.observation_end is not None:
            problem = observation_end_problem(self.observation_end)
            if problem:
                raise settings_error(self, "observation_end", problem)
        if not math.isfinite(self.max_amount):
            raise settings_error(self, "max_amount", f"must be a finite number; got {self.max_amount!r}")
        if isinstance(self.sheet, int) and self.sheet < 0:
            raise settings_error(
                self, "sheet", f"must be a sheet name or a 0-based index; got {self.sheet!r}"
            )
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(self.timezone)
        except Exception:  # ZoneInfoNotFoundError, ValueError
            raise settings_error(
                self, "timezone", f"must be an IANA time zone such as 'Asia/Taipei'; got {self.timezone!r}"
            ) from None

    @classmethod
    def from_dict(cls, mapping: Mapping[str, Any], base_dir: str | Path = ".", where: str | None = None):
        """Build from the YAML mapping, relative paths resolved against ``base_dir``.

        Parameters
        ----------
        mapping : Mapping
            The ``data:`` mapping.
        base_dir : str or Path
            The folder relative paths are relative to (the params file's folder).
        where : str, optional
            Owner named in error messages (default ``DataParams``).

        Returns
        -------
        DataParams
        """
        values = dict(mapping or {})
        if values.get("observation_end") is not None:  # YAML reads a bare 2026-10-31 as a date
            values["observation_end"] = str(values["observation_end"])
        return build(cls, values, where).resolved(base_dir)

    @classmethod
    def from_yaml(cls, path: str | Path) -> DataParams:
        """The ``data:`` mapping of a params YAML file (or of ``common.yaml`` in a params folder)."""
        path = Path(path)
        if path.is_dir():
            path = path / "common.yaml"
        doc = read_yaml(path)
        if not isinstance(doc.get("data"), dict):
            raise SettingsError(f"{path}:", "expected a top-level 'data:' mapping (see DESIGN.md)")
        return cls.from_dict(doc["data"], path.parent, where=f"{path}: data")

    def resolved(self, base_dir: str | Path) -> DataParams:
        """A copy whose relative file paths are made absolute against ``base_dir``."""
        changes = {}
        for key in self.PATHS:
            value = getattr(self, key)
            if self.is_file(value):
                p = Path(value).expanduser()
                changes[key] = os.path.normpath(p if p.is_absolute() else Path(base_dir) / p)
        return replace(self, **changes) if changes else self

    @staticmethod
    def is_file(value: str) -> bool:
        """Whether a source value names a file (not empty, ``demo``, ``cdnow`` or a URL)."""
        return bool(value) and value not in NON_FILE_SOURCES and not is_url(value)

    def as_mapping(self) -> dict[str, Any]:
        """The fields as plain YAML/JSON values (lists for tuples, dicts for mappings), as a notebook receives them and ``from_dict`` reads them back.

        Returns
        -------
        dict
            Field name -> value.
        """
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Mapping):
                value = dict(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    def load_options(self) -> dict[str, Any]:
        """Keyword options for ``load_transactions`` (besides ``columns`` and ``date_format``)."""
        return {k: getattr(self, k) for k in LOAD_OPTIONS if getattr(self, k) is not None}

    def log_input(self):
        """The log as the report path's computations take it: the path of the run's validated Parquet copy (``workbench.data.is_validated_parquet``; aggregated in DuckDB, never loaded into pandas), else the validated frame of ``load()``.

        Returns
        -------
        str or DataFrame
        """
        if is_validated_parquet(self.transactions):
            return self.transactions
        return self.load()

    def guest_totals(self) -> dict[str, float | int] | None:
        """The guest sales of ``transactions`` (``workbench.data.guest_totals``); None for a run from result files.

        A canonical Parquet file written by the monthly run holds the count in its metadata (nothing is
        loaded); any other source is loaded with these params.

        Returns
        -------
        dict or None
            ``rows``, ``revenue`` and ``member_revenue``.
        """
        if not self.transactions:
            return None
        path = Path(self.transactions)
        stored = stored_guests(path) if path.suffix == ".parquet" and path.is_file() else None
        return stored if stored is not None else guest_totals(self.load())

    def load(self) -> pd.DataFrame:
        """``load_transactions`` of ``transactions`` with these params (``${NAME}`` in a database URL taken from the environment.

        ``workbench.data.expand_env``).
        """
        source = expand_env(self.transactions) if is_url(self.transactions) else self.transactions
        return load_transactions(source, dict(self.columns) or None, self.date_format, **self.load_options())
