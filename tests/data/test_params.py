"""workbench.data.params (DataParams): the data: block of a params file, paths relative to the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from kit import params_file as _params
from report_kit import REPO

from workbench.data import DataParams


def test_params_resolve_relative_paths(tmp_path):
    path = _params(tmp_path, "data:\n  transactions: ../exports/tx.csv\n  columns: {member_id: 會員編號}\n")
    p = DataParams.from_yaml(path)
    assert p.transactions == str(tmp_path / "exports" / "tx.csv")
    assert p.columns == {"member_id": "會員編號"} and p.currency == "TWD"
    with pytest.raises(
        ValueError, match=r"DataParams: unknown key 'transaction' \(did you mean 'transactions'\?\)"
    ):
        DataParams.from_dict({"transaction": "x.csv"})
    with pytest.raises(
        ValueError, match=r"DataParams.columns keys must be transaction columns .*; got \['amout'\]"
    ):
        DataParams.from_dict({"transactions": "demo", "columns": {"amout": "金額"}})


def test_common_data_block_is_what_workbench_validate_reads():
    """`workbench validate --params params/common.yaml` reads the same data block (workbench.data)."""
    data = pytest.importorskip("workbench.data")
    if not hasattr(data, "DataParams"):
        pytest.skip("workbench.data.DataParams not available")
    params = data.DataParams.from_yaml(REPO / "params" / "common.yaml")
    assert Path(params.transactions).resolve() == (REPO / "data" / "demo" / "transactions.parquet").resolve()
