"""workbench.results: the result statements (run here in DuckDB), their files read back, and a monthly run
started from them publishing the member overview and CLV reports with the numbers of the run from the log."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from kit import assert_same_frame, assert_same_summary
from report_kit import read_run, report_command, write_params

from workbench import results as wr
from workbench import segments as ws
from workbench.cli import main
from workbench.data import DataParams, DataValidationError, generate_demo
from workbench.i18n import t
from workbench.summary import member_summary


def _run_statements(sql_dir: Path, log: Path, out: Path) -> dict[str, Path]:
    """Run the statement files `workbench sql --dialect duckdb` wrote, as a warehouse would, into Parquet."""
    con = duckdb.connect()
    con.sql(f"CREATE VIEW transactions AS SELECT * FROM read_parquet('{log}')")
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for name in ("summary", "member_months"):
        sql = (sql_dir / f"{name}.sql").read_text(encoding="utf-8").rstrip().rstrip(";")
        files[name] = out / f"{name}.parquet"
        con.sql(f"COPY ({sql}) TO '{files[name]}' (FORMAT parquet)")
    return files


@pytest.fixture(scope="module")
def brand(tmp_path_factory):
    """A small demo brand, its statements (workbench sql, DuckDB) and their result files."""
    root = tmp_path_factory.mktemp("brand")
    demo = generate_demo(3000, seed=11)
    demo.write(root / "data")
    params = write_params(
        root / "params",
        root / "data",
        "en",
        notebooks=[{"name": "member_overview", "timeout": 600}, {"name": "clv", "timeout": 900}],
    )
    assert (
        main(
            [
                "sql",
                "--params",
                str(params),
                "--dialect",
                "duckdb",
                "--out",
                str(root / "sql"),
                "--month",
                "2026-10",
            ]
        )
        == 0
    )
    files = _run_statements(root / "sql", root / "data" / "transactions.parquet", root / "results")
    return {"root": root, "demo": demo, "params": params, "files": files}


def test_sql_command_writes_statements_and_readme(brand, tmp_path, capsys):
    for dialect in ("bigquery", "snowflake", "trino", "postgres"):
        out = tmp_path / dialect
        assert (
            main(
                [
                    "sql",
                    "--params",
                    str(brand["params"]),
                    "--dialect",
                    dialect,
                    "--out",
                    str(out),
                    "--month",
                    "2026-10",
                    "--without",
                    "discount",
                ]
            )
            == 0
        )
        assert sorted(p.name for p in out.iterdir()) == ["README.md", "member_months.sql", "summary.sql"]
        readme = (out / "README.md").read_text(encoding="utf-8")
        assert f"# Result statements ({dialect})" in readme and "| discount |" not in readme
        assert "seg_window_spend" in readme and "member_months" in readme
        assert "cast(discount" not in (out / "member_months.sql").read_text(encoding="utf-8").lower()
    with pytest.raises(SystemExit):
        main(["sql", "--params", str(brand["params"]), "--dialect", "oracle", "--out", str(tmp_path)])
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "common.yaml").write_text("month: ''\ndata: {transactions: x.csv}\n", encoding="utf-8")
    assert main(["sql", "--params", str(empty), "--dialect", "trino", "--out", str(tmp_path / "x")]) == 2
    assert "month is empty; give --month YYYY-MM" in capsys.readouterr().err


def test_result_files_give_the_inputs_of_the_log(brand):
    log = DataParams.from_dict(
        {
            "transactions": str(brand["root"] / "data" / "transactions.parquet"),
            "members": str(brand["root"] / "data" / "members.parquet"),
        }
    )
    files = DataParams.from_dict(
        {
            "transactions": "",
            "summary": str(brand["files"]["summary"]),
            "member_months": str(brand["files"]["member_months"]),
            "members": str(brand["root"] / "data" / "members.parquet"),
        }
    )
    rows, kpis, features = wr.overview_inputs(files, "2026-10")
    ref_rows, ref_kpis, ref_features = wr.overview_inputs(log, "2026-10")
    assert rows == ref_rows == int((brand["demo"].transactions["ordered_at"] < "2026-11-01").sum())
    assert_same_frame(kpis, ref_kpis)
    assert_same_frame(features, ref_features)
    # an earlier month from the same files: the KPI table stops there
    assert_same_frame(wr.overview_inputs(files, "2026-10")[1].loc[:"2026-06"], ref_kpis.loc[:"2026-06"])
    obs = wr.observation_end_of("2026-10")
    summary, tx = wr.clv_summary(files, obs, "D")
    assert tx is None
    assert_same_summary(summary, member_summary(brand["demo"].transactions, obs, "D"))


def test_validate_checks_result_files(brand, tmp_path, capsys):
    common = tmp_path / "common.yaml"
    files = brand["files"]
    common.write_text(
        f"data:\n  transactions: ''\n  summary: {files['summary']}\n  member_months: {files['member_months']}\n",
        encoding="utf-8",
    )
    assert main(["validate", "--params", str(common)]) == 0
    out = capsys.readouterr().out
    assert "periods D, observation end 2026-10-31 23:59:59, window 365 days" in out and out.rstrip().endswith(
        "OK"
    )
    pd.read_parquet(files["member_months"]).drop(columns="orders").to_parquet(tmp_path / "bad.parquet")
    common.write_text(
        f"data:\n  transactions: ''\n  summary: {files['summary']}\n  member_months: {tmp_path / 'bad.parquet'}\n",
        encoding="utf-8",
    )
    assert main(["validate", "--params", str(common)]) == 1
    assert "the member-month table lacks the column(s) orders" in capsys.readouterr().out


def test_files_made_for_another_run_are_rejected(brand):
    path = brand["files"]["summary"]
    with pytest.raises(DataValidationError, match=r"computed for freq D; this run needs W"):
        wr.read_summary(path, observation_end=wr.observation_end_of("2026-10"), freq="W")
    with pytest.raises(
        DataValidationError,
        match=r"computed for observation_end 2026-10-31 23:59:59; this run needs 2026-09-30 23:59:59",
    ):
        wr.read_summary(path, observation_end=wr.observation_end_of("2026-09"), freq="D")
    with pytest.raises(DataValidationError, match=r"computed for window_days 365; this run needs 180"):
        wr.read_features(path, "2026-10", ws.SegmentSettings(window_days=180))
    frame = pd.read_parquet(path).drop(columns=["seg_spend"])
    with pytest.raises(DataValidationError, match=r"lacks the column\(s\) seg_spend \(see workbench sql\)"):
        wr.read_features(frame, "2026-10")
    # an engine that folds names to lower case (Trino): read all the same
    lower = pd.read_parquet(path).rename(columns=str.lower)
    assert "t" in lower.columns
    assert_same_frame(
        wr.read_summary(lower, observation_end=wr.observation_end_of("2026-10"), freq="D"),
        wr.read_summary(path, observation_end=wr.observation_end_of("2026-10"), freq="D"),
    )


def _page_text(path: Path) -> str:
    html = path.read_text(encoding="utf-8")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r'src="data:[^"]+"', "", html)))


@pytest.mark.slow  # two monthly runs of two notebooks on a 3,000-member demo
def test_monthly_run_from_result_files_publishes_the_same_numbers(brand):
    root = brand["root"]
    runs = {}
    for kind in ("log", "files"):
        params = root / f"params_{kind}"
        write_params(
            params,
            root / "data",
            "en",
            notebooks=[{"name": "member_overview", "timeout": 600}, {"name": "clv", "timeout": 900}],
        )
        if kind == "files":  # no log: only the result files (and the members table, for join dates)
            common = yaml.safe_load((params / "common.yaml").read_text(encoding="utf-8"))
            common["data"].update(
                transactions="",
                campaign="",
                truth="",
                summary=str(brand["files"]["summary"]),
                member_months=str(brand["files"]["member_months"]),
            )
            (params / "common.yaml").write_text(yaml.safe_dump(common, allow_unicode=True), encoding="utf-8")
        out = root / f"reports_{kind}"
        done = subprocess.run(report_command(params, out), capture_output=True, text=True, timeout=1500)
        assert done.returncode == 0, done.stdout + done.stderr
        runs[kind] = (out / "2026-10", read_run(out / "2026-10"))
    (log_dir, _), (file_dir, file_run) = runs["log"], runs["files"]
    heads = {kind: {r["name"]: r["headlines"] for r in run["reports"]} for kind, (_, run) in runs.items()}
    assert heads["files"]["member_overview"] == heads["log"]["member_overview"]
    holdout = t("clv.headline.holdout_error", "en")
    assert heads["files"]["clv"] == {k: v for k, v in heads["log"]["clv"].items() if k != holdout}
    assert holdout in heads["log"]["clv"]
    # the overview page is the same page but for the inputs' fingerprint; the CLV page says what it left out
    pages = [_page_text(d / "member_overview.html") for d in (file_dir, log_dir)]
    prints = [re.findall(r"fingerprint (\w+)", page) for page in pages]
    assert len(prints[0]) == 1 and prints[0] != prints[1]
    assert pages[0].replace(prints[0][0], "") == pages[1].replace(prints[1][0], "")
    clv_page = _page_text(file_dir / "clv.html")
    assert t("clv.validation_left_out", "en") in clv_page
    assert t("clv.validation_left_out", "en") not in _page_text(log_dir / "clv.html")
    assert json.dumps(file_run).count("summary.parquet") >= 1  # the result files are fingerprinted


def test_overview_inputs_in_member_buckets_equal_one_pass(demo, tmp_path, monkeypatch):
    """A validated log above OVERVIEW_BUCKET_ROWS is read in member buckets: rows, KPIs and features are the
    one pass's, and the KPIs match monthly_kpis on the frame (pandas-checked in tests/test_kpis.py)."""
    from workbench import files
    from workbench.data import VALIDATED_METADATA
    from workbench.kpis import monthly_kpis
    from workbench.results import readers

    path = files.write_parquet(tmp_path / "tx.parquet", demo.transactions, metadata=VALIDATED_METADATA)
    demo.members.to_parquet(tmp_path / "members.parquet")
    source = DataParams.from_dict(
        {"transactions": str(path), "members": str(tmp_path / "members.parquet"), "columns": {}}
    )
    settings = ws.SegmentSettings()
    one = wr.overview_inputs(source, "2026-10", settings)
    monkeypatch.setattr(readers, "OVERVIEW_BUCKET_ROWS", -(-len(demo.transactions) // 3))
    calls = []
    monkeypatch.setattr(readers, "_overview_by_members", _spy(readers._overview_by_members, calls))
    rows, kpis, features = wr.overview_inputs(source, "2026-10", settings)
    assert calls == [3] and rows == one[0] == len(demo.transactions)
    pd.testing.assert_frame_equal(kpis, one[1], rtol=1e-12)
    pd.testing.assert_frame_equal(
        kpis, monthly_kpis(demo.transactions, demo.members, month="2026-10"), rtol=1e-12
    )
    pd.testing.assert_frame_equal(features, one[2])
    assert features.attrs == one[2].attrs


def _spy(func, calls):
    def wrapper(*args):
        calls.append(args[-1])
        return func(*args)

    return wrapper
