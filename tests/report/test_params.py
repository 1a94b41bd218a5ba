"""Params loading and validation (workbench.report.params): nothing runs, so these tests are instant."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from workbench.data import DataParams
from workbench.report import (
    CONTRACT_PARAMETERS,
    ParamsError,
    latest_complete_month,
    load_plan,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "notebooks"


REPO = Path(__file__).resolve().parents[2]


COMMON = """\
data:
  transactions: ../data/tx.csv
  currency: TWD
  timezone: Asia/Taipei
month: "2026-10"
language: zh-TW
seed: 42
audience_dir: ""
"""


REPORT = "notebooks:\n  - {name: summary, timeout: 60}\n  - {name: counts, timeout: 30}\n"


@pytest.fixture
def project(tmp_path) -> Path:
    for sub in ("params", "notebooks", "data"):
        (tmp_path / sub).mkdir()
    for nb in FIXTURES.glob("*.ipynb"):
        shutil.copy(nb, tmp_path / "notebooks" / nb.name)
    (tmp_path / "data" / "tx.csv").write_text(
        "member_id,ordered_at,amount\n00001,2026-10-02 10:00:00,100\n00002,2026-10-15 09:30:00,50\n",
        encoding="utf-8",
    )
    (tmp_path / "params" / "common.yaml").write_text(COMMON, encoding="utf-8")
    (tmp_path / "params" / "report.yaml").write_text(REPORT, encoding="utf-8")
    return tmp_path


def write(project: Path, name: str, text: str) -> Path:
    path = project / "params" / name
    path.write_text(text, encoding="utf-8")
    return path


def test_plan_merges_common_notebook_params_and_month(project):
    write(project, "counts.yaml", "fail: false\nsleep_seconds: 0\n")
    plan = load_plan(project / "params", month="2026-09")
    assert [(r.name, r.timeout) for r in plan.notebooks] == [("summary", 60), ("counts", 30)]
    counts = plan.notebooks[1].parameters
    assert counts["month"] == "2026-09"  # --month wins over common.yaml
    assert counts["data"]["transactions"] == "../data/tx.csv"  # rewritten relative to notebooks/
    assert counts["data"]["members"] == "" and counts["audience_dir"] == ""
    assert counts["data"]["timezone"] == "Asia/Taipei" and counts["data"]["columns"] == {}
    assert counts["fail"] is False and counts["sleep_seconds"] == 0
    assert set(CONTRACT_PARAMETERS) <= set(counts)
    assert plan.input_files() == {"transactions": (project / "data" / "tx.csv").resolve()}
    assert load_plan(project / "params").month == "2026-10"  # from common.yaml


@pytest.mark.parametrize(
    ("file", "text", "match"),
    [
        (
            "common.yaml",
            COMMON.replace("language:", "langauge:"),
            r"common\.yaml: unknown key 'langauge' \(did you mean 'language'\?\)",
        ),
        (
            "common.yaml",
            COMMON.replace("currency:", "curency:"),
            r"common\.yaml: data: unknown key 'curency' \(did you mean 'currency'\?\)",
        ),
        (
            "common.yaml",
            COMMON.replace("seed: 42", "seed: '42'"),
            r"common\.yaml: seed must be an integer; got '42'",
        ),
        (
            "common.yaml",
            COMMON.replace("seed: 42", "seed: true"),
            r"common\.yaml: seed must be an integer; got True",
        ),
        (
            "common.yaml",
            COMMON.replace("language: zh-TW", "language: fr"),
            r"common\.yaml: language must be one of 'zh-TW', 'en'; got 'fr'",
        ),
        (
            "common.yaml",
            COMMON.replace("currency: TWD", "currency: JPY"),
            r"data\.currency must be one of 'TWD', 'HKD', 'USD'; got 'JPY'",
        ),
        (
            "common.yaml",
            COMMON.replace('month: "2026-10"', "month: 2026-13"),
            r"common\.yaml: month must be 'YYYY-MM' or empty; got '2026-13'",
        ),
        (
            "common.yaml",
            COMMON.replace("Asia/Taipei", "Asia/Taipie"),
            r"common\.yaml: data\.timezone must be an IANA time zone.*; got 'Asia/Taipie'",
        ),
        ("common.yaml", "data: {}\n", r"common\.yaml: data: missing required key 'transactions'"),
        (
            "common.yaml",
            COMMON.replace("tx.csv", "tx2.csv"),
            r"common\.yaml: data\.transactions: no such file '\.\./data/tx2\.csv'",
        ),
        ("common.yaml", "- a\n- b\n", r"common\.yaml: must be a mapping"),
        (
            "common.yaml",
            COMMON + "evil: !!python/object/apply:os.system ['true']\n",
            r"common\.yaml: is not valid YAML: could not determine a constructor",
        ),
        (
            "report.yaml",
            "notebooks:\n  - {name: summary, timeout: '60'}\n",
            r"report\.yaml: notebooks\['summary'\]\.timeout must be an integer; got '60'",
        ),
        (
            "report.yaml",
            "notebooks:\n  - {name: summary, timout: 60}\n",
            r"unknown key 'timout' \(did you mean 'timeout'\?\)",
        ),
        ("report.yaml", "notebooks:\n  - {name: sumary}\n", r"report\.yaml: notebook 'sumary' not found"),
        (
            "report.yaml",
            "notebooks:\n  - {name: summary}\n  - {name: summary}\n",
            r"report\.yaml: notebooks must list each notebook once; repeated: \['summary'\]",
        ),
        (
            "counts.yaml",
            "fial: true\n",
            r"counts\.yaml: unknown key 'fial' \(did you mean 'fail'\?\): the parameters cell of counts\.ipynb does not declare it",
        ),
        (
            "counts.yaml",
            "fail: 'yes'\n",
            r"counts\.yaml: key 'fail' must be bool like the notebook's default False, got str 'yes'",
        ),
        ("counts.yaml", "sleep_seconds: 1.5\n", r"counts\.yaml: key 'sleep_seconds' must be int"),
        ("counts.yaml", "language: en\n", r"counts\.yaml: key 'language' belongs in common\.yaml"),
        ("summary.yaml", "scale: 2\n", None),  # an int where the default is a float is fine
        ("countss.yaml", "fail: true\n", r"countss\.yaml: no notebook 'countss'.*misspelt 'counts\.yaml'\?"),
    ],
)
def test_invalid_params_name_file_and_key(project, file, text, match):
    write(project, file, text)
    if match is None:
        load_plan(project / "params")
        return
    with pytest.raises(ParamsError, match=match):
        load_plan(project / "params")


def test_notebook_must_declare_the_contract_parameters(project):
    path = project / "notebooks" / "counts.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"][0]["source"] = [line for line in nb["cells"][0]["source"] if not line.startswith("data")]
    path.write_text(json.dumps(nb), encoding="utf-8")
    with pytest.raises(ParamsError, match=r"counts\.ipynb: parameters cell does not declare 'data'"):
        load_plan(project / "params")


def test_notebook_without_parameters_cell(project):
    path = project / "notebooks" / "counts.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"][0]["metadata"]["tags"] = []
    path.write_text(json.dumps(nb), encoding="utf-8")
    with pytest.raises(ParamsError, match=r"counts\.ipynb: no code cell tagged 'parameters'"):
        load_plan(project / "params")


def test_only_must_name_a_listed_notebook(project):
    assert [r.name for r in load_plan(project / "params", only=["counts"]).notebooks] == ["counts"]
    with pytest.raises(ParamsError, match=r"--only 'cuonts': not listed"):
        load_plan(project / "params", only=["cuonts"])
    with pytest.raises(ParamsError, match=r"--month must be 'YYYY-MM', got '2026-1'"):
        load_plan(project / "params", month="2026-1")


def test_a_notebook_off_by_default_runs_only_when_asked_for(project):
    """``default: false`` (the campaign design): left out of the monthly run, run by ``--only``, still validated."""
    write(
        project,
        "report.yaml",
        REPORT.replace("{name: counts, timeout: 30}", "{name: counts, timeout: 30, default: false}"),
    )
    assert [r.name for r in load_plan(project / "params").notebooks] == ["summary"]
    assert [r.name for r in load_plan(project / "params", only=["counts"]).notebooks] == ["counts"]
    assert [r.name for r in load_plan(project / "params", only=["summary", "counts"]).notebooks] == [
        "summary",
        "counts",
    ]
    write(
        project, "counts.yaml", "unknwn: 1\n"
    )  # its params file is still known (no "misspelt" complaint) ...
    with pytest.raises(ParamsError, match=r"counts\.yaml: unknown key 'unknwn'"):
        load_plan(project / "params", only=["counts"])  # ... and checked when it runs
    write(project, "report.yaml", "notebooks:\n  - {name: counts, default: false}\n")
    with pytest.raises(
        ParamsError,
        match=r"report\.yaml: no notebook runs by default \(every one has default: false\); use --only",
    ):
        load_plan(project / "params")
    write(project, "report.yaml", "notebooks:\n  - {name: counts, default: sometimes}\n")
    with pytest.raises(
        ParamsError, match=r"notebooks\['counts'\]\.default must be true or false; got 'sometimes'"
    ):
        load_plan(project / "params")
    write(project, "report.yaml", "jobs: -1\nnotebooks:\n  - {name: counts}\n")
    with pytest.raises(ParamsError, match=r"report\.yaml: jobs must be between 0 and 64; got -1"):
        load_plan(project / "params")
    write(project, "counts.yaml", "fail: false\n")
    write(project, "report.yaml", "jobs: 1\nnotebooks:\n  - {name: counts}\n")
    assert load_plan(project / "params").config.jobs == 1


@pytest.mark.parametrize(
    ("last", "month"),
    [
        ("2026-10-31 23:10:00", "2026-10"),
        ("2026-10-30 10:00:00", "2026-09"),
        ("2026-11-01 00:05:00", "2026-10"),
    ],
)
def test_latest_complete_month(tmp_path, last, month):
    (tmp_path / "tx.csv").write_text(
        f"member_id,ordered_at,amount\n1,2026-09-03 10:00:00,10\n2,{last},20\n", encoding="utf-8"
    )
    frame = DataParams(transactions=str(tmp_path / "tx.csv")).load()
    assert latest_complete_month(frame) == month


def test_latest_complete_month_of_the_demo(demo):
    assert demo.transactions["ordered_at"].max().strftime("%Y-%m-%d") == "2026-10-31"
    assert latest_complete_month(demo.transactions) == "2026-10"
    with pytest.raises(ParamsError, match=r"data\.transactions has no rows: cannot choose a default month"):
        latest_complete_month(demo.transactions.iloc[:0])


def test_month_is_left_to_the_data_when_no_file_names_it(project):
    write(project, "common.yaml", COMMON.replace('month: "2026-10"', "month: ''"))
    plan = load_plan(project / "params")  # nothing is read: the month is chosen when the data is validated
    assert plan.month == "" and all(r.parameters["month"] == "" for r in plan.notebooks)


def test_a_yaml_bomb_in_a_list_param_is_refused_by_name(project):
    """A 1 KB "billion laughs" inside a list parameter: refused before anything runs (no anchors)."""
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
    )
    text = bomb + "fail: [*i, *i]\n"
    assert len(text.encode()) < 1024
    write(project, "counts.yaml", text)
    with pytest.raises(ParamsError, match=r"counts\.yaml: line 1: YAML anchors and aliases .* not allowed"):
        load_plan(project / "params")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("fail: [" + ", ".join(["1"] * 10_001) + "]\n", r"key 'fail' holds more than 10,000 values"),
        ("fail: " + "[" * 25 + "]" * 25 + "\n", r"key 'fail' is nested more than 20 levels deep"),
        ("fail: [" + "x" * 10_001 + "]\n", r"key 'fail' has a text of 10,001 characters \(at most 10,000\)"),
        (
            "fail: {a: [" + ", ".join(["1"] * 6000) + "], b: [" + ", ".join(["1"] * 6000) + "]}\n",
            r"key 'fail' holds more than 10,000 values",
        ),
    ],
)
def test_notebook_params_are_bounded(project, text, match):
    write(project, "counts.yaml", text)
    with pytest.raises(ParamsError, match=r"counts\.yaml: " + match):
        load_plan(project / "params")


def test_project_params_are_valid():
    """The repository's own params/ validate against the notebooks listed in params/report.yaml."""
    plan = load_plan(REPO / "params", month="2026-10")
    assert plan.common.language == "zh-TW" and plan.common.seed == 42 and plan.common.data.currency == "TWD"
    for run in plan.notebooks:
        assert run.parameters["data"]["transactions"] == "../data/demo/transactions.parquet"
        assert run.parameters["month"] == "2026-10"


def test_checks_validate_structured_params_before_running(tmp_path):
    """report.yaml ``checks``: the tier programme of the real tier notebook, with a misspelt inner key."""
    import yaml

    params = tmp_path / "params"
    shutil.copytree(REPO / "params", params)
    report = yaml.safe_load((params / "report.yaml").read_text(encoding="utf-8"))
    if "tier_simulation" not in [nb["name"] for nb in report["notebooks"]]:
        pytest.skip("tier_simulation not listed in params/report.yaml")
    report["notebooks_dir"] = str(REPO / "notebooks")
    (params / "report.yaml").write_text(yaml.safe_dump(report), encoding="utf-8")
    common = yaml.safe_load((params / "common.yaml").read_text(encoding="utf-8"))
    for key in ("transactions", "members", "campaign", "truth"):
        common["data"][key] = str((REPO / "params" / common["data"][key]).resolve())
    (params / "common.yaml").write_text(yaml.safe_dump(common), encoding="utf-8")
    if not Path(common["data"]["transactions"]).is_file():
        pytest.skip("demo data not generated (make demo)")
    tiers = yaml.safe_load((params / "tier_simulation.yaml").read_text(encoding="utf-8"))
    tiers["program"]["tiers"][1]["upgarde"] = tiers["program"]["tiers"][1].pop("upgrade")
    (params / "tier_simulation.yaml").write_text(yaml.safe_dump(tiers), encoding="utf-8")
    with pytest.raises(
        ParamsError,
        match=r"tier_simulation\.yaml: program: TierProgram\.tiers\['銀卡'\]: unknown key 'upgarde' \(did you mean 'upgrade'\?\)",
    ):
        load_plan(params, month="2026-10")


def test_checks_must_name_a_workbench_callable(project):
    write(project, "report.yaml", "notebooks:\n  - {name: counts, checks: {fail: 'os:system'}}\n")
    with pytest.raises(
        ParamsError,
        match=r"notebooks\['counts'\]\.checks\['fail'\] must be 'workbench\.module:callable'; got 'os:system'",
    ):
        load_plan(project / "params")
    write(
        project,
        "report.yaml",
        "notebooks:\n  - {name: counts, checks: {fail: 'workbench.i18n:check_language'}}\n",
    )
    with pytest.raises(ParamsError, match=r"counts\.ipynb \(default\): fail: language must be one of"):
        load_plan(project / "params")


def test_one_data_block_for_validate_and_the_report(project):
    """``workbench validate`` and the report read the ``data:`` block with the same class."""
    plan = load_plan(project / "params")
    assert type(plan.common.data) is DataParams
    assert plan.common.data == DataParams.from_yaml(project / "params" / "common.yaml")
