"""The workbench command (workbench.cli): `workbench validate` on a good export, on bad rows, on bad params."""

from __future__ import annotations

from kit import TAIWAN_COLUMNS
from kit import params_file as _params
from kit import taiwan_export as _taiwan_export
from kit import write_text_file as write

from workbench.cli import main as cli_main


def test_validate_cli_ok(demo, tmp_path, capsys):
    exports = tmp_path / "exports"
    exports.mkdir()
    _taiwan_export(demo.transactions).to_csv(exports / "tx.csv", index=False, encoding="cp950")
    cols = "{" + ", ".join(f"{k}: {v}" for k, v in TAIWAN_COLUMNS.items()) + "}"
    path = _params(
        tmp_path,
        f"data:\n  transactions: ../exports/tx.csv\n  columns: {cols}\n  date_format: roc\n"
        "  currency: TWD\n  timezone: Asia/Taipei\nclv:\n  model: bgnbd\n",
    )
    assert cli_main(["validate", "--params", str(path)]) == 0
    out = capsys.readouterr().out
    tx = demo.transactions
    assert f"rows              {len(tx):,}" in out
    assert f"members           {tx['member_id'].nunique():,}" in out
    assert "date range        2023-11" in out
    assert f"returns           {int(tx['is_return'].sum()):,} rows" in out
    assert "problems          none" in out and out.rstrip().endswith("OK")


def test_validate_cli_reports_problems(tmp_path, capsys):
    write(tmp_path / "bad.csv", "member_id,ordered_at,amount\n0001,2024-01-01,abc\n0002,yesterday,5\n")
    path = _params(tmp_path, "data:\n  transactions: ../bad.csv\n")
    assert cli_main(["validate", "--params", str(path)]) == 1
    out = capsys.readouterr().out
    assert "problems          2" in out
    assert "column 'ordered_at': 1 row with dates that cannot be parsed (row 2: 'yesterday')" in out
    assert "column 'amount': 1 row with amounts that cannot be parsed (row 1: 'abc')" in out
    assert out.rstrip().endswith("FAILED")


def test_validate_cli_bad_params(tmp_path, capsys):
    path = _params(tmp_path, "nodata: 1\n")
    assert cli_main(["validate", "--params", str(path)]) == 1
    assert "expected a top-level 'data:' mapping" in capsys.readouterr().err
