"""The workbench command (workbench.cli): `workbench validate` on a good export, on bad rows, on bad params."""

from __future__ import annotations

from kit import TAIWAN_COLUMNS, UCI_PARAMS, uci_style_export
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


def test_validate_cli_counts_guests(rng, tmp_path, capsys):
    """A line-level export with guest sales: validate names how many rows and how much revenue were set apart."""
    export = uci_style_export(rng, 600)
    export.to_csv(tmp_path / "retail.csv", sep=";", index=False)
    import yaml

    path = _params(
        tmp_path,
        yaml.safe_dump({"data": {"transactions": "../retail.csv", **UCI_PARAMS}}, allow_unicode=True),
    )
    assert cli_main(["validate", "--params", str(path)]) == 0
    out = capsys.readouterr().out
    guest = export["CustomerID"] == ""
    revenue = (export["Quantity"].astype(int) * export["UnitPrice"].str.replace(",", ".").astype(float))[
        guest
    ].sum()
    total = (export["Quantity"].astype(int) * export["UnitPrice"].str.replace(",", ".").astype(float)).sum()
    assert (
        f"guest rows        {int(guest.sum()):,} (set apart: USD {revenue:,.2f}, {revenue / total:.1%} of revenue)"
        in out
    )
    assert f"rows              {int((~guest).sum()):,}" in out
    assert out.rstrip().endswith("OK")


def test_validate_cli_never_prints_a_traceback_or_the_password(tmp_path, capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends
    url = f"postgresql://shop:Sup3r-Secret@127.0.0.1:{port}/pos"
    path = _params(tmp_path, f"data:\n  transactions: {url}\n  table: sales\n")
    assert cli_main(["validate", "--params", str(path)]) == 1
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert "Sup3r-Secret" not in out and "Traceback" not in out
    assert "postgresql://shop:***@127.0.0.1" in out
    assert "cannot read from the database" in out and out.rstrip().endswith("FAILED")
    bad = _params(tmp_path, "data:\n  transactions: x.csv\n  date_format: '%d/%m/%Q'\n", name="bad.yaml")
    assert cli_main(["validate", "--params", str(bad)]) == 1
    assert "data.date_format pattern '%d/%m/%Q' uses %Q" in capsys.readouterr().err
