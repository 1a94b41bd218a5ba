"""engine="spark": a local Spark session computes exactly the default engine's member summary (edge-case log
and the real CDNOW log, days, weeks and months), the same monthly KPI table and member features, and the
result files that start a monthly run.

Marked ``spark``; one session for the module (start-up takes ~20 s). Nothing here skips: without pyspark or
a Java runtime the fixture raises ``EngineError`` and every test fails (``make test`` installs both).
"""

from __future__ import annotations

import pandas as pd
import pytest
from kit import assert_same_frame, assert_same_summary

from workbench import kpis as wk
from workbench import results as wr
from workbench import segments as ws
from workbench.data import DataParams
from workbench.summary import EngineError, SparkSettings, member_summary, spark_session

from .conftest import EDGE_ENDS

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark():
    session = spark_session(SparkSettings(master="local[2]", driver_memory="1g"), timezone="Asia/Taipei")
    yield session
    session.stop()


@pytest.mark.parametrize("end", EDGE_ENDS)
def test_edge_log_summary_equals_default_engine(spark, edge_log, end):
    for freq in ("D", "W", "M"):
        for returns in ("exclude", "include"):
            got = member_summary(edge_log, end, freq, returns=returns, engine="spark", spark=spark)
            ref = member_summary(edge_log, end, freq, returns=returns)
            assert_same_summary(got, ref)
            assert got.dtypes.equals(ref.dtypes)
    assert "00017" in got.index and "0007" in got.index  # leading zeros kept


def test_cdnow_summary_from_parquet_equals_default_engine(spark, cdnow, tmp_path):
    path = tmp_path / "cdnow.parquet"
    cdnow.to_parquet(path)
    for freq in ("D", "W", "M"):
        got = member_summary(str(path), "1998-06-30", freq, engine="spark", spark=spark)
        ref = member_summary(cdnow, "1998-06-30", freq)
        assert len(got) == 23_570
        assert_same_summary(got, ref)


def test_monthly_kpis_and_features_equal_duckdb(spark, demo, edge_log):
    for tx, month in ((demo.transactions, "2026-10"), (edge_log, "2026-10")):
        with wk.TransactionLog(tx, month, engine="spark", spark=spark) as log:
            assert log.row_count() == int((tx["ordered_at"] < "2026-11-01").sum())
            got = wk.monthly_kpis(log, demo.members if tx is demo.transactions else None)
            features = ws.member_features(log, month)
        assert_same_frame(
            got, wk.monthly_kpis(tx, demo.members if tx is demo.transactions else None, month=month)
        )
        assert_same_frame(features, ws.member_features(tx, month))


def test_spark_table_and_result_files_start_the_same_run(spark, demo, tmp_path):
    """The statements `workbench sql --dialect spark` writes, run in Spark on a Spark table, give result
    files from which the overview and CLV inputs equal the run from the log."""
    demo.write(tmp_path / "data")
    spark.read.parquet(str(tmp_path / "data" / "transactions.parquet")).createOrReplaceTempView("brand_log")
    spec = wr.ResultSpec(month="2026-10", freq="W", window_days=180, table="brand_log")
    for name, sql in wr.result_statements(spec, "spark").items():
        spark.sql(sql).toPandas().to_parquet(tmp_path / f"{name}.parquet")
    log_params = DataParams.from_dict({"transactions": str(tmp_path / "data" / "transactions.parquet")})
    files = DataParams.from_dict(
        {
            "transactions": "",
            "summary": str(tmp_path / "summary.parquet"),
            "member_months": str(tmp_path / "member_months.parquet"),
        }
    )
    settings = ws.SegmentSettings(window_days=180)
    rows, kpis, features = wr.overview_inputs(files, "2026-10", settings)
    ref_rows, ref_kpis, ref_features = wr.overview_inputs(log_params, "2026-10", settings)
    assert rows == ref_rows
    assert_same_frame(kpis, ref_kpis)
    assert_same_frame(features, ref_features)
    obs = wr.observation_end_of("2026-10")
    summary, tx = wr.clv_summary(files, obs, "W")
    assert tx is None
    assert_same_summary(summary, member_summary(demo.transactions, obs, "W"))


def test_spark_params_block_runs_the_overview_in_spark(spark, demo, tmp_path):
    path = tmp_path / "tx.parquet"
    demo.transactions.to_parquet(path)
    params = DataParams.from_dict(
        {"transactions": str(path), "spark": {"master": "local[2]", "driver_memory": "1g"}}
    )
    rows, kpis, _ = wr.overview_inputs(params, "2026-10")
    assert rows == int((demo.transactions["ordered_at"] < "2026-11-01").sum())
    assert_same_frame(kpis, wk.monthly_kpis(demo.transactions, month="2026-10"))


def test_bad_spark_settings_and_sources(spark):
    with pytest.raises(ValueError, match=r"SparkSettings\.shuffle_partitions must be"):
        SparkSettings.from_dict({"shuffle_partitions": 0})
    with pytest.raises(ValueError, match=r"did you mean 'master'"):
        SparkSettings.from_dict({"mastr": "local[1]"})
    with pytest.raises(ValueError, match=r"no such Parquet file or folder: '/nowhere/tx.parquet'"):
        member_summary("/nowhere/tx.parquet", "2026-10-31", engine="spark", spark=spark)
    frame = pd.DataFrame({"member_id": ["1"], "amount": [1.0]})
    with pytest.raises(ValueError, match=r"required column\(s\) missing from transactions: ordered_at"):
        member_summary(frame, "2026-10-31", engine="spark", spark=spark)
    assert issubclass(EngineError, RuntimeError)
