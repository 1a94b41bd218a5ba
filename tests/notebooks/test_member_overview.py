"""notebooks/member_overview.ipynb: committed clean with its params declared, and executed with small
params, its headline figures equal to a direct pandas computation."""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path

import pandas as pd
import pytest
import yaml
from kit import notebook_outputs, notebook_text

from workbench import segments as ws
from workbench.i18n import money, number, pct, t
from workbench.notebook import HEADLINES_MIME

REPO = Path(__file__).resolve().parents[2]


NOTEBOOK = REPO / "notebooks" / "member_overview.ipynb"


MONTH = "2026-10"


def _parameters_cell(path: Path) -> dict:
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    tree = ast.parse("".join(cell["source"]))
    return {n.targets[0].id: ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)}


def test_notebook_committed_clean_and_params_declared():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
    declared = _parameters_cell(NOTEBOOK)
    from workbench.report import CONTRACT_PARAMETERS

    assert set(CONTRACT_PARAMETERS) <= set(declared)
    params = yaml.safe_load((REPO / "params" / "member_overview.yaml").read_text(encoding="utf-8"))
    for key, value in params.items():
        assert key in declared, key
        assert isinstance(value, type(declared[key])) or isinstance(declared[key], float), key
    # the defaults in the notebook and the YAML agree, and build valid settings
    assert {k: declared[k] for k in params} == params
    names = {f for f in ws.SegmentSettings.__dataclass_fields__}
    ws.SegmentSettings.from_dict({k: v for k, v in params.items() if k in names})


def _direct_headlines(tx: pd.DataFrame, month: str, window_days: int, top_share: float) -> dict[str, float]:
    """The headline figures straight from the log with pandas."""
    p = pd.Period(month, freq="M")
    end = p.end_time
    in_month = tx[tx["ordered_at"].dt.to_period("M") == p]
    buy = in_month[in_month["amount"] >= 0]
    first = tx[(tx["amount"] >= 0) & (tx["ordered_at"] <= end)].groupby("member_id")["ordered_at"].min()
    active = buy["member_id"].unique()
    returning = (first.loc[active].dt.to_period("M") < p).sum()
    as_of = end.normalize() + pd.Timedelta(days=1)
    window = tx[
        (tx["amount"] >= 0)
        & (tx["ordered_at"] >= as_of - pd.Timedelta(days=window_days))
        & (tx["ordered_at"] < as_of)
    ]
    spend = window.groupby("member_id")["amount"].sum().sort_values(ascending=False)
    k = math.ceil(top_share * len(spend))
    return {
        "active": len(active),
        "net": in_month["amount"].sum(),
        "repurchase": returning / len(active),
        "top": spend.iloc[:k].sum() / spend.sum(),
    }


def _run(tmp_path: Path, demo, language: str, audience_dir: str = "") -> dict:
    import papermill as pm

    data = tmp_path / "data"
    if not data.exists():
        demo.write(data)
    out = tmp_path / f"out_{language}.ipynb"
    params = {
        "month": MONTH,
        "language": language,
        "data": {
            "transactions": str(data / "transactions.parquet"),
            "members": str(data / "members.parquet"),
            "campaign": str(data / "campaign.parquet"),
            "truth": str(data / "truth.json"),
        },
        "audience_dir": audience_dir,
        # small, non-default params: the notebook must use them
        "rfm_bins": 4,
        "window_days": 180,
        "sleeping_days": 200,
        "churning_days": 90,
        "claim_top_share": 0.1,
        "claim_revenue_share": 0.3,
        "concentration_shares": [0.05, 0.1],
        "trend_months": 6,
    }
    pm.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters=params,
        kernel_name="python3",
        cwd=str(NOTEBOOK.parent),
        progress_bar=False,
        log_output=False,
    )
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.slow  # two notebook executions, ~10 s each on the 5,000-member demo
@pytest.mark.parametrize("language", ["en", "zh-TW"])
def test_notebook_headlines_equal_pandas(demo, tmp_path, language):
    audience = str(tmp_path / "audience") if language == "en" else ""
    nb = _run(tmp_path, demo, language, audience)
    outputs = notebook_outputs(nb)
    assert not [o for o in outputs if o["output_type"] in ("stream", "error")]  # no prints, warnings, errors
    heads = [o["data"][HEADLINES_MIME] for o in outputs if HEADLINES_MIME in o.get("data", {})]
    assert len(heads) == 1
    got = heads[0]
    direct = _direct_headlines(demo.transactions, MONTH, window_days=180, top_share=0.1)
    assert got == {
        t("overview.headline.active_members", language): number(direct["active"]),
        t("overview.headline.net_revenue", language): money(direct["net"]),
        t("overview.headline.repurchase_rate", language): pct(direct["repurchase"]),
        t("overview.headline.top_share", language, top="10%", window="180"): pct(direct["top"]),
    }
    text = notebook_text(nb)
    assert t("overview.title", language, month="2026年10月" if language == "zh-TW" else "Oct 2026") in text
    assert 'class="wb-findings"' in text and text.count("<li>") >= 3
    # the small params reached the notebook
    assert t("overview.rfm.title", language, bins=4) in text
    assert t("overview.nes.title", language, days="200") in text
    assert "Traceback" not in text and "Warning" not in text
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 6 and all(o["metadata"]["image/png"].get("alt") for o in images)
    # aggregates only: no member id of the log appears in the report text
    ids = set(demo.transactions["member_id"].unique())
    found = {token for token in _tokens(text) if token in ids}
    assert not found
    # audience file only when asked for
    written = sorted(Path(tmp_path).glob("audience/*.csv"))
    assert len(written) == (1 if audience else 0)


def _tokens(text: str) -> set[str]:
    import re

    return set(re.findall(r"\d{5,}", text))


@pytest.mark.slow  # one notebook execution
def test_guest_sales_are_counted_and_left_out_of_the_member_figures(demo, tmp_path):
    """A POS export with guest rows (member id 訪客), loaded and cached as the monthly run does: the page says
    how many guest rows and how much revenue were left out and the members' share of revenue (pandas on the
    export), and its headlines are those of the member rows alone."""
    import numpy as np
    from kit import run_notebook

    from workbench import files
    from workbench.data import load_transactions
    from workbench.text.html import escape

    tx = demo.transactions
    guest = np.random.default_rng(3).random(len(tx)) < 0.05
    export = tx.assign(member_id=np.where(guest, "訪客", tx["member_id"].to_numpy(dtype=object)))
    export.to_csv(tmp_path / "pos.csv", index=False)
    cache = files.write_parquet(
        tmp_path / "cache" / "transactions.parquet", load_transactions(tmp_path / "pos.csv")
    )
    nb = run_notebook(
        "member_overview", tmp_path, month=MONTH, language="en", data={"transactions": str(cache)}
    )
    text = notebook_text(nb)
    amount = tx["amount"].to_numpy()
    sentence = t(
        "overview.guests",
        "en",
        rows=number(int(guest.sum())),
        revenue=money(amount[guest].sum()),
        share=pct(amount[~guest].sum() / amount.sum()),
    )
    assert escape(sentence) in text  # as the page shows it: '$' as an entity (never maths)
    heads = [o["data"][HEADLINES_MIME] for o in notebook_outputs(nb) if HEADLINES_MIME in o.get("data", {})]
    direct = _direct_headlines(tx[~guest], MONTH, window_days=365, top_share=0.05)
    assert heads[0][t("overview.headline.active_members", "en")] == number(direct["active"])
    assert heads[0][t("overview.headline.net_revenue", "en")] == money(direct["net"])
