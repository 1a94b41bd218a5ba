"""validate_parquet_batches: a large typed Parquet log checked batch by batch, as load_transactions checks it."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

from workbench import files
from workbench.data import (
    DataValidationError,
    can_stream,
    is_validated_parquet,
    load_transactions,
    validate_parquet_batches,
)
from workbench.errors import ArgumentError

KEY = ["member_id", "ordered_at", "order_id", "amount"]


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(KEY, ignore_index=True)


@pytest.fixture
def log_file(tmp_path, demo):
    return files.write_parquet(tmp_path / "tx.parquet", demo.transactions)


def test_batches_hold_the_loaders_frame(tmp_path, log_file):
    expected = load_transactions(str(log_file))
    batches = validate_parquet_batches(log_file, tmp_path / "scratch", batch_rows=10_000)
    assert len(batches.files) == -(-len(expected) // 10_000)
    assert len(batches) == len(expected)
    assert batches.attrs == {"guests": expected.attrs["guests"]}
    assert (batches.first, batches.last) == (expected["ordered_at"].min(), expected["ordered_at"].max())
    months = expected["ordered_at"].dt.strftime("%Y-%m").value_counts()
    assert dict(batches.month_rows) == months.to_dict()
    target = batches.write(tmp_path / "all.parquet", {"workbench.validated": "canonical transactions"})
    assert is_validated_parquet(target)
    got = pd.read_parquet(target)
    pd.testing.assert_frame_equal(_sorted(got), _sorted(expected), check_categorical=False)
    batches.close()
    assert not (tmp_path / "scratch").exists()


def _missing_amount(raw: pd.DataFrame) -> pd.DataFrame:
    raw["amount"] = raw["amount"].where(raw.index != 1234)
    return raw


def _future_date(raw: pd.DataFrame) -> pd.DataFrame:
    raw["ordered_at"] = raw["ordered_at"].where(raw.index != 4321, pd.Timestamp("2099-01-01"))
    return raw


def _repeated_row(raw: pd.DataFrame) -> pd.DataFrame:
    """Row 11 exported again at the end of the file, far from its twin (another batch's rows between)."""
    return pd.concat([raw, raw.iloc[[10]]], ignore_index=True)


def _order_of_two_members(raw: pd.DataFrame) -> pd.DataFrame:
    """A last row with row 21's order id but another member: one order cannot belong to two members."""
    other = raw.iloc[[20]].copy()
    other["member_id"] = raw["member_id"].iloc[-1]
    other["ordered_at"] = other["ordered_at"] + pd.Timedelta(days=3)
    return pd.concat([raw, other], ignore_index=True)


@pytest.mark.parametrize("edit", [_missing_amount, _future_date, _repeated_row, _order_of_two_members])
def test_a_bad_row_is_reported_as_the_loader_reports_it(tmp_path, demo, edit):
    """The same message, rows numbered as in the file, however the file is cut into batches (the rows a
    check compares meet in one batch)."""
    bad = str(files.write_parquet(tmp_path / "bad.parquet", edit(demo.transactions.copy())))
    with pytest.raises(DataValidationError) as whole:
        load_transactions(bad)
    with pytest.raises(DataValidationError) as batched:
        validate_parquet_batches(bad, tmp_path / "scratch", batch_rows=5000)
    assert str(batched.value) == str(whole.value)


def test_only_typed_parquet_is_streamed(tmp_path, demo):
    tx = demo.transactions.head(300)
    typed = files.write_parquet(tmp_path / "typed.parquet", tx)
    text = files.write_parquet(tmp_path / "text.parquet", tx.assign(ordered_at=tx["ordered_at"].astype(str)))
    files.write_csv(tmp_path / "tx.csv", tx)
    assert can_stream(str(typed))
    assert not can_stream(str(typed), columns={"member_id": "會員編號"})
    assert not can_stream(str(typed), date_format="roc")
    assert not can_stream(str(text)) and not can_stream(str(tmp_path / "tx.csv"))
    assert not can_stream(str(tmp_path / "missing.parquet"))
    assert pq.ParquetFile(typed).metadata.num_rows == 300


def test_batch_rows_must_be_positive(tmp_path, log_file):
    with pytest.raises(ArgumentError, match="batch_rows must be a whole number >= 1; got 0"):
        validate_parquet_batches(log_file, tmp_path / "scratch", batch_rows=0)
