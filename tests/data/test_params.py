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


def test_new_data_options_are_checked_by_name():
    from workbench.settings import SettingsError

    p = DataParams.from_dict(
        {
            "transactions": "demo",
            "date_format": ["%d/%m/%Y", "auto"],
            "sheet": "交易明細",
            "guest_ids": ["", "walk-in"],
            "max_amount": 500000,
            "duplicate_rows": "drop",
            "decimal": ",",
            "columns": {"quantity": "數量", "unit_price": "單價"},
        }
    )
    assert p.date_format == ("%d/%m/%Y", "auto") and p.max_amount == 500000.0
    opts = p.load_options()
    assert opts["guest_ids"] == ("", "walk-in") and opts["sheet"] == "交易明細" and opts["decimal"] == ","
    cases = [
        ({"max_amount": 0}, r"DataParams\.max_amount must be greater than 0; got 0"),
        (
            {"duplicate_rows": "keep"},
            r"DataParams\.duplicate_rows must be one of 'error', 'drop'; got 'keep'",
        ),
        ({"decimal": ";"}, r"DataParams\.decimal must be one of 'auto', '\.', ','; got ';'"),
        ({"sheet": -1}, r"DataParams\.sheet must be a sheet name or a 0-based index; got -1"),
        ({"date_format": []}, r"DataParams\.date_format must name at least one format; got \[\]"),
        ({"date_format": ["%d/%m/%Y", "%d.%q"]}, r"DataParams\.date_format pattern '%d\.%q' uses %q"),
    ]
    for change, message in cases:
        with pytest.raises(SettingsError, match=message):
            DataParams.from_dict({"transactions": "demo", **change})


def test_as_mapping_round_trips_through_from_dict():
    """What a notebook receives (plain lists and dicts) builds the same DataParams again."""
    p = DataParams.from_dict(
        {"transactions": "demo", "date_format": ["%d/%m/%Y", "auto"], "columns": {"member_id": "會員編號"}}
    )
    mapping = p.as_mapping()
    assert mapping["guest_ids"] == list(p.guest_ids) and mapping["date_format"] == ["%d/%m/%Y", "auto"]
    assert all(not isinstance(v, tuple) for v in mapping.values())
    assert DataParams.from_dict(mapping) == p
