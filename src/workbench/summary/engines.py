"""Where the portable SQL runs: an in-process DuckDB connection or a Spark session, behind one small interface.

A *runner* renders a portable query for its engine and returns pandas: ``sql(query)``, ``create(name, query,
cache=...)`` (a temporary view, or a table when ``cache``), ``register(name, frame, schema)``, ``name(base)``
(a name unique to this runner, as Spark's temporary views are shared by the whole session) and
``close()``. ``SparkRunner.source`` makes a temporary view of a pandas frame, a Spark DataFrame, a Spark
table or a Parquet path.

``spark_session`` starts (or reuses) a Spark session from ``SparkSettings`` (the ``spark:`` mapping of the
``data:`` params): a local one by default (``master: local[2]``), loopback only, UI off, Arrow transfers,
the session time zone set to the brand's, so that a TIMESTAMP column holding instants is bucketed by local
days; canonical Parquet timestamps (no time zone) are read as wall time whatever the session's zone.
``pyspark`` is an optional extra (``pip install workbench[spark]``) and needs a Java runtime.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import shutil
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from workbench.errors import ArgumentError, WorkbenchError
from workbench.settings import bounded, build, validate
from workbench.summary.dialects import render

__all__ = ["DuckDBRunner", "EngineError", "SparkRunner", "SparkSettings", "spark_session"]

_COUNTER = itertools.count(1)

#: Spark schema of the canonical transaction columns (naive timestamps stay wall time: TIMESTAMP_NTZ)
SPARK_TYPES: dict[str, str] = {
    "member_id": "STRING",
    "ordered_at": "TIMESTAMP_NTZ",
    "amount": "DOUBLE",
    "order_id": "STRING",
    "channel": "STRING",
    "discount": "DOUBLE",
    "store": "STRING",
}


class EngineError(WorkbenchError, RuntimeError):
    """An engine could not be used: pyspark or a Java runtime is missing, or the session did not start."""


@dataclass(frozen=True)
class SparkSettings:
    """The ``spark:`` mapping of the ``data:`` params (``spark: {master: "local[2]"}``).

    Parameters
    ----------
    master : str
        Spark master URL: ``local[N]`` (tests, a laptop) or a cluster's.
    app_name : str
    driver_memory : str
        ``spark.driver.memory`` (local mode: the memory of the whole engine).
    shuffle_partitions : int
        ``spark.sql.shuffle.partitions`` (small for local mode; a cluster wants more).
    config : mapping of str to str
        Further Spark settings, passed as they are.
    """

    master: str = "local[2]"
    app_name: str = "workbench"
    driver_memory: str = "2g"
    shuffle_partitions: int = field(default=4, metadata=bounded(1))
    config: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        validate(self)

    @classmethod
    def from_dict(cls, mapping: Mapping[str, Any] | None) -> SparkSettings:
        """Settings from the ``spark:`` mapping; see ``workbench.settings.build``."""
        return build(cls, mapping)


def _java_home() -> str | None:
    if os.environ.get("JAVA_HOME") or shutil.which("java"):
        return os.environ.get("JAVA_HOME")
    found = sorted(glob.glob("/usr/lib/jvm/*/bin/java"))
    return str(Path(found[-1]).parents[1]) if found else None


def _pyspark():
    try:
        import pyspark  # noqa: F401
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise EngineError(
            "engine='spark' needs pyspark: pip install 'workbench[spark]' (make test installs it)"
        ) from exc
    return SparkSession


def spark_session(settings: SparkSettings | Mapping[str, Any] | None = None, *, timezone: str | None = None):
    """A Spark session from ``settings`` (an active one is reused, its SQL settings updated).

    Parameters
    ----------
    settings : SparkSettings or mapping, optional
        Default: a local session ``local[2]``.
    timezone : str, optional
        The brand's IANA time zone, set as ``spark.sql.session.timeZone`` (default UTC).

    Returns
    -------
    pyspark.sql.SparkSession
    """
    if not isinstance(settings, SparkSettings):
        settings = SparkSettings.from_dict(settings or {})
    SparkSession = _pyspark()
    java = _java_home()
    if java and not os.environ.get("JAVA_HOME"):
        os.environ["JAVA_HOME"] = java
    if not java and not shutil.which("java"):
        raise EngineError(
            "engine='spark' needs a Java runtime (17 or later): apt-get install openjdk-17-jre-headless "
            "(scripts/system-deps.sh does it), or set JAVA_HOME"
        )
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if settings.master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    zone = timezone or "UTC"
    builder = (
        SparkSession.builder.master(settings.master)
        .appName(settings.app_name)
        .config("spark.driver.memory", settings.driver_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(settings.shuffle_partitions))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.session.timeZone", zone)
    )
    if settings.master.startswith("local"):
        builder = builder.config("spark.driver.host", "127.0.0.1").config(
            "spark.driver.bindAddress", "127.0.0.1"
        )
    for key, value in settings.config.items():
        builder = builder.config(key, value)
    try:
        with _quiet():
            spark = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start (no Java, no memory, a bad master URL)
        raise EngineError(f"could not start a Spark session (master {settings.master!r}): {exc}") from exc
    spark.conf.set("spark.sql.session.timeZone", zone)
    spark.sparkContext.setLogLevel("ERROR")
    return spark


class DuckDBRunner:
    """Portable queries on a DuckDB connection (the default engine)."""

    dialect = "duckdb"

    def __init__(self, con):
        self.con = con

    def name(self, base: str) -> str:
        """The relation name for ``base`` (DuckDB's temporary names need no prefix)."""
        return base

    def sql(self, query: str) -> pd.DataFrame:
        """The result of a portable query, rendered for DuckDB, as a pandas frame."""
        return self.con.sql(render(query, "duckdb")).to_df()

    def create(self, name: str, query: str, *, cache: bool = False) -> None:
        """Create the temporary view (or, with ``cache``, table) ``name`` from a portable query."""
        kind = "TABLE" if cache else "VIEW"
        self.con.sql(f"CREATE OR REPLACE TEMP {kind} {name} AS {render(query, 'duckdb')}")

    def register(self, name: str, frame: pd.DataFrame, schema: str | None = None) -> None:
        """Register a pandas frame as the relation ``name`` (through Arrow)."""
        self.con.register(name, pa.Table.from_pandas(frame, preserve_index=False))

    def close(self) -> None:
        """Close the DuckDB connection."""
        self.con.close()


@contextlib.contextmanager
def _quiet():
    """Pyspark warns that it does not yet fully support pandas 3 (every conversion used here is tested)."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
        )
        warnings.filterwarnings("ignore", message="The copy keyword is deprecated")  # pyspark's astype calls
        yield


class SparkRunner:
    """Portable queries in a Spark session, results to pandas through Arrow.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession, optional
        Default ``spark_session()`` (local).
    """

    dialect = "spark"

    def __init__(self, spark=None):
        self.spark = spark if spark is not None else spark_session()
        self.prefix = f"wb{next(_COUNTER)}_"
        self._views: list[str] = []
        self._cached: list[Any] = []

    def name(self, base: str) -> str:
        """The relation name for ``base``, with this runner's prefix (Spark's temporary views are session-wide)."""
        return self.prefix + base

    def sql(self, query: str) -> pd.DataFrame:
        """The result of a portable query, rendered for Spark, as a pandas frame."""
        frame = self.spark.sql(render(query, "spark"))
        with _quiet():
            return frame.toPandas()

    def _view(self, frame, name: str, cache: bool = False) -> None:
        if cache:
            frame = frame.cache()
            self._cached.append(frame)
        frame.createOrReplaceTempView(name)
        self._views.append(name)

    def create(self, name: str, query: str, *, cache: bool = False) -> None:
        """Create the temporary view ``name`` from a portable query (cached with ``cache``)."""
        self._view(self.spark.sql(render(query, "spark")), name, cache)

    def register(self, name: str, frame: pd.DataFrame, schema: str | None = None) -> None:
        """Register a pandas frame as the temporary view ``name``."""
        with _quiet():
            self._view(self.spark.createDataFrame(frame, schema=schema), name)

    def source(self, transactions, name: str) -> tuple[str, list[str]]:
        """A temporary view ``name`` of the transactions; returns ``(name, column names)``.

        ``transactions``: a canonical pandas frame (sent with ``SPARK_TYPES``), a Spark DataFrame, the path
        of a Parquet file or folder (read by Spark), or the name of a Spark table.
        """
        if isinstance(transactions, pd.DataFrame):
            cols = [c for c in SPARK_TYPES if c in transactions.columns]
            frame = transactions[cols].copy()
            for col in ("member_id", "order_id", "channel", "store"):
                if col in frame.columns:  # text (categories too) as Python objects, missing values as None
                    frame[col] = frame[col].astype("object").where(frame[col].notna(), None)
            if "ordered_at" in frame.columns:
                frame["ordered_at"] = pd.to_datetime(frame["ordered_at"]).astype("datetime64[us]")
            schema = ", ".join(f"{c} {SPARK_TYPES[c]}" for c in cols)
            self.register(name, frame, schema)
            return name, cols
        if isinstance(transactions, str | Path):
            text = str(transactions)
            if text.endswith(".parquet") or Path(text).is_dir():
                if not Path(text).exists() and "://" not in text:
                    raise ArgumentError(f"SparkRunner: no such Parquet file or folder: {text!r}")
                frame = self.spark.read.parquet(text)
            else:
                frame = self.spark.table(text)
        elif hasattr(transactions, "createOrReplaceTempView"):
            frame = transactions
        else:
            raise ArgumentError(
                "SparkRunner: transactions must be a DataFrame (pandas or Spark), a Parquet path or a Spark "
                f"table name, got {type(transactions).__name__}"
            )
        self._view(frame, name)
        return name, list(frame.columns)

    def close(self) -> None:
        """Unpersist the cached frames and drop the temporary views this runner made."""
        for frame in self._cached:
            frame.unpersist()
        for name in self._views:
            self.spark.catalog.dropTempView(name)
        self._views, self._cached = [], []
