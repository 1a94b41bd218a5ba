"""workbench.data.rows: order lines that disagree, and rows repeated verbatim (reported, or dropped when
duplicate_rows says so)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from kit import write_text_file as write

from workbench.data import DataValidationError, load_transactions
from workbench.data.rows import duplicate_rows
from workbench.errors import ArgumentError


def test_order_lines_that_disagree(tmp_path):
    path = write(
        tmp_path / "tx.csv",
        "member_id,ordered_at,amount,order_id\n"
        "0001,2024-03-05 10:00,100,A1\n"
        "0002,2024-03-05 10:00,50,A1\n"  # another member on the same order
        "0003,2024-03-05,70,B7\n"
        "0003,2024-03-08,70,B7\n"  # same order, another day (both purchases)
        "0004,2024-03-09,10,C9\n",
    )
    with pytest.raises(DataValidationError) as e:
        load_transactions(path)
    msg = str(e.value)
    assert re.search(
        r"column 'order_id': 2 rows in 1 order id whose rows disagree on member_id "
        r"\(row 1: 'A1' member '0001' on 2024-03-05T10:00:00, row 2: 'A1' member '0002' on 2024-03-05T10:00:00\)",
        msg,
    )
    assert "2 rows in 1 order id whose rows disagree on date (row 3: 'B7'" in msg
    assert [p.kind for p in e.value.problems] == ["order_conflict", "order_conflict"]


def test_verbatim_duplicate_rows_are_reported_or_dropped(tmp_path):
    """A line exported twice (every column equal) would be summed twice. Rows equal on the mapped columns
    but not on another column (a different line number) are not duplicates."""
    path = write(
        tmp_path / "lines.csv",
        "line,member_id,ordered_at,amount\n"
        "1,0001,2024-03-05 10:00,100\n"
        "2,0001,2024-03-05 10:00,100\n"  # same sale data, another line: kept
        "1,0001,2024-03-05 10:00,100\n"  # row 1 again
        "3,0002,2024-03-06,50\n"
        "3,0002,2024-03-06,50\n"  # row 4 again
        "1,0001,2024-03-05 10:00,100\n",  # row 1 a third time
    )
    with pytest.raises(
        DataValidationError,
        match=r"all columns: 3 rows repeating an earlier row exactly \(every column equal\) \(row 3: same as row 1, "
        r"row 5: same as row 4, row 6: same as row 1\); a line exported twice is counted twice: remove the "
        r"repeats from the export, or set duplicate_rows: drop",
    ) as e:
        load_transactions(path)
    assert [p.kind for p in e.value.problems] == ["duplicate_rows"]
    tx = load_transactions(path, duplicate_rows="drop")
    raw = pd.read_csv(path, dtype=str).drop_duplicates()
    assert len(tx) == len(raw) == 3 and tx.attrs["duplicates_dropped"] == 3
    assert tx["amount"].sum() == pd.to_numeric(raw["amount"]).sum()
    with pytest.raises(ArgumentError, match=r"duplicate_rows must be one of 'error', 'drop'; got 'keep'"):
        load_transactions(path, duplicate_rows="keep")


def test_duplicates_found_with_order_ids_agree_with_pandas(demo):
    """With an order_id, only rows of a repeated or empty order id are hashed; the repeats found are those
    of pandas' ``duplicated`` on every column."""
    tx = demo.transactions.iloc[:4000].drop(columns="is_return")
    rng = np.random.default_rng(5)
    extra = tx.iloc[rng.choice(len(tx), 25, replace=False)]
    no_id = tx.iloc[:30].assign(order_id="")
    messy = pd.concat([tx, extra, no_id, no_id.iloc[:7]], ignore_index=True)
    messy = messy.iloc[rng.permutation(len(messy))].reset_index(drop=True)
    expected = messy.duplicated(keep="first").to_numpy()
    assert expected.sum() == 25 + 7
    candidates = messy["order_id"].duplicated(keep=False).to_numpy() | (messy["order_id"] == "").to_numpy()
    first = duplicate_rows(messy, candidates)
    np.testing.assert_array_equal(first >= 0, expected)
    for i in np.flatnonzero(first >= 0):
        assert first[i] < i and messy.iloc[first[i]].equals(messy.iloc[i])
    out = load_transactions(messy, duplicate_rows="drop", observation_end="2026-10-31")
    assert len(out) == len(messy) - expected.sum() and out.attrs["duplicates_dropped"] == expected.sum()
