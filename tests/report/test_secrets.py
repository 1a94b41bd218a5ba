"""Database credentials are never printed or published: a report from a PostgreSQL server that asks for
a password (pg_kit.postgres_server), the password in the URL itself or in a ``.env`` beside the params.

After each run, no file under the output folder (pages, notebooks, run.json, the index, error files, the
lock, logs) holds the password, and neither does ``workbench validate``'s output; connection problems
(a wrong password, a closed port, a missing table) are one line, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from pg_kit import execute, free_port, postgres_server
from report_kit import PROJECT_MONTH as MONTH
from report_kit import expected_figures, make_project
from report_kit import run_project as run

from workbench.cli import main as cli_main

PASSWORD = "Wb-s3cret-2026"

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def server():
    with postgres_server(password=PASSWORD) as url:
        yield url


@pytest.fixture
def project(tmp_path, rng, server):
    """The fixture project whose transactions are the table ``sales`` of the password-protected server."""
    root = make_project(tmp_path / "p", rng)
    csv = (root / "data" / "tx.csv").read_text(encoding="utf-8")
    execute(server, "DROP TABLE IF EXISTS sales")
    execute(server, "CREATE TABLE sales (member_id text, ordered_at timestamp, amount numeric(12, 2))", csv)
    return root


def _params(root: Path, transactions: str, env: str | None = None) -> Path:
    (root / "params" / "common.yaml").write_text(
        f"data:\n  transactions: '{transactions}'\n  table: sales\nmonth: ''\nlanguage: en\nseed: 7\n",
        encoding="utf-8",
    )
    if env is not None:
        (root / "params" / ".env").write_text(env, encoding="utf-8")
    return root / "params" / "common.yaml"


def _files_with(folder: Path, secret: str) -> list[str]:
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and secret.encode() in p.read_bytes()
    )


def _check_published(root: Path) -> dict:
    out = root / "reports"
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) >= 6  # pages, notebooks, index.html, run.json, the months index, the lock
    assert _files_with(out, PASSWORD) == []
    run_json = json.loads((out / MONTH / "run.json").read_text(encoding="utf-8"))
    assert run_json["status"] == "ok"
    figures = expected_figures(root)
    heads = {r["name"]: r["headlines"] for r in run_json["reports"]}
    assert heads["summary"] == {"revenue": figures["revenue"], "orders": figures["orders"]}
    assert heads["counts"] == {"active members": figures["active members"]}
    fp = run_json["data_fingerprint"]["inputs"]["transactions"]
    assert fp["table"] == "sales" and fp["rows"] == 300
    # the notebooks never see the URL: their data parameter is the run's validated copy
    for entry in run_json["reports"]:
        assert entry["parameters"]["data"]["transactions"].endswith(".cache/2026-10/transactions.parquet")
        assert entry["parameters"]["data"]["table"] is None
    return run_json


def test_a_password_in_the_url_is_never_printed_or_published(project, server, capsys):
    path = _params(project, server)
    assert cli_main(["validate", "--params", str(path)]) == 0
    out = capsys.readouterr()
    assert PASSWORD not in out.out + out.err and "postgres:***@127.0.0.1" in out.out
    assert "rows              300" in out.out

    assert run(project) == 0
    printed = capsys.readouterr()
    assert PASSWORD not in printed.out + printed.err
    run_json = _check_published(project)
    assert run_json["common"]["data"]["transactions"] == server.replace(PASSWORD, "***")
    assert run_json["data_fingerprint"]["inputs"]["transactions"]["source"] == server.replace(PASSWORD, "***")
    index = (project / "reports" / MONTH / "index.html").read_text(encoding="utf-8")
    assert "postgres:***@127.0.0.1" in index


def test_a_password_from_dotenv_stays_out_of_the_params(project, server, capsys, monkeypatch):
    monkeypatch.delenv("WB_TEST_DB_PASSWORD", raising=False)
    reference = server.replace(PASSWORD, "${WB_TEST_DB_PASSWORD}")
    path = _params(project, reference)
    assert cli_main(["validate", "--params", str(path)]) == 1  # not set yet: one line naming the variable
    out = capsys.readouterr().out
    assert "WB_TEST_DB_PASSWORD, which are not set" in out and "Traceback" not in out

    _params(project, reference, env=f"# credentials (git-ignored)\nWB_TEST_DB_PASSWORD='{PASSWORD}'\n")
    assert cli_main(["validate", "--params", str(path)]) == 0
    assert PASSWORD not in capsys.readouterr().out
    assert run(project) == 0
    assert PASSWORD not in "".join(capsys.readouterr())
    run_json = _check_published(project)
    assert run_json["common"]["data"]["transactions"] == reference  # the reference, never the value


@pytest.mark.parametrize(
    ("problem", "match"),
    [
        ("wrong password", r"password authentication failed"),
        ("closed port", r"connect"),
        ("missing table", r"sales_2025"),
    ],
)
def test_connection_problems_are_one_line(project, server, capsys, problem, match):
    import re

    url = {
        "wrong password": server.replace(PASSWORD, "wrong-pw"),
        "closed port": re.sub(r":\d+/", f":{free_port()}/", server),
        "missing table": server,
    }[problem]
    path = _params(project, url)
    if problem == "missing table":
        path.write_text(path.read_text(encoding="utf-8").replace("table: sales", "table: sales_2025"))
    assert run(project) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and re.search(match, err), err
    assert PASSWORD not in err and "wrong-pw" not in err
    assert not (project / "reports").exists()
    assert cli_main(["validate", "--params", str(path)]) == 1
    out = capsys.readouterr().out
    assert "Traceback" not in out and out.rstrip().endswith("FAILED") and re.search(match, out), out
    assert PASSWORD not in out and "wrong-pw" not in out


def test_mask_url_and_the_canonical_copy_of_a_database_source(project, server):
    """The frame the report validated from the server equals the CSV loaded directly."""
    from workbench.report import load_plan, validate_inputs

    _params(project, server)
    inputs, frame = validate_inputs(load_plan(project / "params"))
    direct = pd.read_csv(project / "data" / "tx.csv", dtype={"member_id": str})
    assert len(frame) == len(direct) == inputs.rows
    assert frame["amount"].sum() == pytest.approx(direct["amount"].sum(), abs=1e-6)
    assert sorted(frame["member_id"].unique()) == sorted(direct["member_id"].unique())
