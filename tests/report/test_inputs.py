"""workbench.report.inputs: the data is validated once, up front, for every source and every way the
month is chosen; nothing runs on data that fails (exit 2, one clear message, nothing written); the
validated frame is written once per run and every ``data:`` option reaches the notebooks through it.

The fixture project (report_kit.make_project) reads its transactions with ``DataParams.from_dict(data)``
exactly as the report notebooks do; its headline figures are checked against pandas on the original CSV.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from report_kit import PROJECT_MONTH as MONTH
from report_kit import expected_figures, make_project
from report_kit import run_project as run

from workbench.data import load_transactions
from workbench.report import load_plan, validate_inputs


@pytest.fixture
def no_notebooks(monkeypatch):
    import papermill

    def must_not_run(*args, **kwargs):
        raise AssertionError("a notebook was executed despite invalid data")

    monkeypatch.setattr(papermill, "execute_notebook", must_not_run)


def _set_data(root, data: str, month: str = "") -> None:
    (root / "params" / "common.yaml").write_text(
        f"data:\n{data}month: '{month}'\nlanguage: en\nseed: 7\n", encoding="utf-8"
    )


def _canonical(root) -> pd.DataFrame:
    return load_transactions(root / "data" / "tx.csv")


def _source(root, kind: str, frame: pd.DataFrame) -> str:
    """The project's transactions as ``kind`` (csv, parquet, duckdb); the ``data:`` lines naming it."""
    if kind == "csv":
        frame.to_csv(root / "data" / "tx.csv", index=False)
        return "  transactions: ../data/tx.csv\n"
    if kind == "parquet":
        frame.to_parquet(root / "data" / "tx.parquet", index=False)
        return "  transactions: ../data/tx.parquet\n"
    import duckdb

    con = duckdb.connect(str(root / "data" / "shop.duckdb"))
    con.register("frame", frame)
    con.execute("CREATE TABLE sales AS SELECT * FROM frame")
    con.execute("CREATE TABLE other AS SELECT 1 AS x")
    con.close()
    return "  transactions: ../data/shop.duckdb\n  table: sales\n"


@pytest.mark.parametrize("kind", ["csv", "parquet", "duckdb"])
@pytest.mark.parametrize("month", ["inferred", "common.yaml", "--month"])
def test_bad_data_stops_the_run_before_anything_is_written(tmp_path, rng, no_notebooks, capsys, kind, month):
    root = make_project(tmp_path / "p", rng)
    frame = _canonical(root)[["member_id", "ordered_at", "amount"]]
    frame["ordered_at"] = frame["ordered_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    frame.loc[4, "ordered_at"] = "2026-13-45"  # data row 5: no such date (an empty member id is a guest sale)
    data = _source(root, kind, frame)
    _set_data(root, data, MONTH if month == "common.yaml" else "")
    assert run(root, month=MONTH if month == "--month" else None) == 2
    err = capsys.readouterr().err
    assert "column 'ordered_at'" in err and "row 5" in err, err
    assert "Traceback" not in err and "nothing was run; the published reports are unchanged" in err
    assert not (root / "reports").exists()


def test_a_month_without_data_is_a_clear_message(tmp_path, rng, no_notebooks, capsys):
    root = make_project(tmp_path / "p", rng)
    assert run(root, month="2030-01") == 2
    err = capsys.readouterr().err
    assert "month 2030-01: data.transactions" in err and "has no transactions in that month" in err
    assert "the data covers 2026-09-01 to 2026-10-31" in err and "zero-size array" not in err
    assert not (root / "reports").exists()


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (
            "  transactions: ../data/tx.json\n",
            r"tx\.json: 1 problem found in the transactions:\n\s+- cannot read files ending '\.json'",
        ),
        ("  transactions: ../data/tx.csv\n  date_format: '%Q'\n", r"data\.transactions|date_format"),
        (
            "  transactions: ../data/tx.csv\n  members: ../data/members.csv\n",
            r"members\.csv: 1 problem found in the members table:\n\s+- required column 'member_id' missing",
        ),
    ],
)
def test_unreadable_inputs_are_one_line_never_a_traceback(tmp_path, rng, no_notebooks, capsys, data, match):
    root = make_project(tmp_path / "p", rng)
    (root / "data" / "tx.json").write_text("{}", encoding="utf-8")
    (root / "data" / "members.csv").write_text("id,name\n1,x\n", encoding="utf-8")
    _set_data(root, data)
    assert run(root) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("workbench report: "), err
    import re

    assert re.search(match, err), err
    assert not (root / "reports").exists()


def test_the_validated_frame_is_written_once_and_equals_the_source(tmp_path, rng, monkeypatch):
    """The notebooks read the run's canonical copy: the same frame as loading the source."""
    from workbench.report import inputs

    root = make_project(tmp_path / "p", rng)
    plan = load_plan(root / "params")
    found, frame = validate_inputs(plan)
    assert found.month == MONTH and found.rows == 300
    path = inputs.write_cache(frame, root / "reports", found.month)
    assert path == root / "reports" / ".cache" / MONTH / "transactions.parquet"
    prepared = plan.prepared(found.month, path)
    data = prepared.notebooks[0].parameters["data"]
    assert data["transactions"] == f"../reports/.cache/{MONTH}/transactions.parquet"
    from workbench.data import DataParams

    reread = DataParams.from_dict(data, base_dir=root / "notebooks").load()
    pd.testing.assert_frame_equal(reread, _canonical(root))
    # loading and validating happen once a run: each notebook reads the copy, not the CSV
    calls = []
    real = inputs.DataParams.load
    monkeypatch.setattr(inputs.DataParams, "load", lambda self: calls.append(self.transactions) or real(self))
    assert run(root) == 0
    assert calls == [str(root / "data" / "tx.csv")]


def test_guest_sales_reach_the_notebooks_through_the_cache(tmp_path, rng):
    """Guest rows of the source are counted up front and the count travels with the run's canonical copy (its
    metadata), so a notebook reading the copy reports what the source held: pandas on the CSV."""
    from workbench.data import DataParams
    from workbench.report import inputs

    root = make_project(tmp_path / "p", rng)
    csv = root / "data" / "tx.csv"
    raw = pd.read_csv(csv, dtype={"member_id": str})
    guest = raw.index % 7 == 3
    raw.loc[guest, "member_id"] = "訪客"
    raw.to_csv(csv, index=False)
    found, frame = validate_inputs(load_plan(root / "params"))
    expected = {
        "rows": int(guest.sum()),
        "revenue": pytest.approx(raw.loc[guest, "amount"].sum(), rel=1e-12),
        "member_revenue": pytest.approx(raw.loc[~guest, "amount"].sum(), rel=1e-12),
    }
    assert found.guests == expected
    path = inputs.write_cache(frame, root / "reports", found.month)
    assert DataParams(transactions=str(path)).guest_totals() == expected


def _published(root) -> dict:
    month_dir = root / "reports" / MONTH
    run_json = json.loads((month_dir / "run.json").read_text(encoding="utf-8"))
    assert run_json["status"] == "ok", run_json
    return {r["name"]: r["headlines"] for r in run_json["reports"]}


def test_a_report_from_a_duckdb_table(tmp_path, rng):
    root = make_project(tmp_path / "p", rng)
    figures = expected_figures(root)
    _set_data(root, _source(root, "duckdb", _canonical(root)))
    assert run(root) == 0
    heads = _published(root)
    assert heads["summary"] == {"revenue": figures["revenue"], "orders": figures["orders"]}
    assert heads["counts"] == {"active members": figures["active members"]}


def test_a_report_with_member_id_width(tmp_path, rng):
    """Ids that lost their leading zeros (an Excel round trip) are padded by ``member_id_width``."""
    root = make_project(tmp_path / "p", rng)
    figures = expected_figures(root)
    tx = pd.read_csv(root / "data" / "tx.csv", dtype=str)
    tx.loc[::2, "member_id"] = tx.loc[::2, "member_id"].str.lstrip("0")  # every other row lost its zeros
    tx.to_csv(root / "data" / "tx.csv", index=False)
    _set_data(root, "  transactions: ../data/tx.csv\n")
    assert run(root) == 2  # without the option: rejected up front
    _set_data(root, "  transactions: ../data/tx.csv\n  member_id_width: 5\n")
    assert run(root) == 0
    heads = _published(root)
    assert heads["counts"] == {"active members": figures["active members"]}
    assert heads["summary"]["revenue"] == figures["revenue"]


def test_a_report_from_a_big5_csv_with_encoding(tmp_path, rng):
    """A Big5 export with Chinese headers: ``encoding`` and ``columns`` reach every notebook."""
    root = make_project(tmp_path / "p", rng)
    figures = expected_figures(root)
    tx = pd.read_csv(root / "data" / "tx.csv", dtype=str)
    tx.insert(0, "門市", "台北信義店")
    tx = tx.rename(columns={"member_id": "會員編號", "ordered_at": "交易日期", "amount": "金額"})
    (root / "data" / "tx.csv").write_bytes(tx.to_csv(index=False).encode("cp950"))
    cols = "  columns: {member_id: 會員編號, ordered_at: 交易日期, amount: 金額, store: 門市}\n"
    _set_data(root, "  transactions: ../data/tx.csv\n  encoding: cp950\n" + cols)
    assert run(root) == 0
    heads = _published(root)
    assert heads["summary"] == {"revenue": figures["revenue"], "orders": figures["orders"]}
    assert heads["counts"] == {"active members": figures["active members"]}
