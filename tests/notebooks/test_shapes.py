"""Every report notebook on the shapes a real brand's data takes: no returns, no channel column, no store
column, no members table, a single store, 300 members, and no campaign table. Each notebook runs without an
error or a warning, shows a sentence where a plot would have nothing to show, and stays aggregate; the
figures it prints for the shape are checked against plain pandas."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from kit import notebook_outputs, notebook_text, run_notebook

from workbench.i18n import money, number, t
from workbench.notebook import HEADLINES_MIME

REPO = Path(__file__).resolve().parents[2]
MONTH = "2026-10"
BASE_MEMBERS, SMALL_MEMBERS, SEED = 1500, 300, 11
LOG_NOTEBOOKS = ("member_overview", "clv", "tier_simulation")  # the notebooks that read the log
SHAPES = ("no_returns", "no_channel", "no_store", "no_members", "one_store", "small")
LANGUAGE = {"no_returns": "en", "no_channel": "zh-TW", "no_store": "en", "no_members": "zh-TW"}
LANGUAGE.update({"one_store": "en", "small": "zh-TW", "no_campaign": "en"})


def _light(name: str) -> dict:
    """Cheaper settings (the shapes, not the statistics, are under test)."""
    if name == "clv":
        return {"compare_models": ["bgnbd"]}
    if name == "tier_simulation":
        return {"projection_draws": 3, "sweep_size": 20}
    if name == "campaign_ab":
        analysis = yaml.safe_load((REPO / "params" / "campaign_ab.yaml").read_text(encoding="utf-8"))
        return {"analysis": {**analysis["analysis"], "resamples": 400, "policy_resamples": 100}}
    return {}


class Brands:
    """The shapes' data, written once per session on first use: ``data(shape)`` is the notebooks' ``data``
    parameter, ``tx(shape)`` the canonical log the notebooks read."""

    def __init__(self, root):
        from workbench.data import generate_demo

        self.root = root
        self.base = generate_demo(BASE_MEMBERS, seed=SEED)
        self.small = generate_demo(SMALL_MEMBERS, seed=SEED)
        self.logs: dict[str, pd.DataFrame] = {}

    def tx(self, shape: str) -> pd.DataFrame:
        from workbench.schema import finalize_transactions

        if shape not in self.logs:
            tx = (self.small if shape == "small" else self.base).transactions
            if shape == "no_returns":
                tx = tx[tx["amount"] >= 0]
            elif shape == "no_channel":
                tx = tx.drop(columns="channel")
            elif shape == "no_store":
                tx = tx.drop(columns="store")
            elif shape == "one_store":  # one shop and no online shop
                tx = tx.assign(store="台北本店", channel="store")
            self.logs[shape] = finalize_transactions(tx)
        return self.logs[shape]

    def data(self, shape: str) -> dict:
        from workbench import files

        folder = self.root / shape
        demo = self.small if shape == "small" else self.base
        if not folder.exists():
            files.write_parquet(folder / "transactions.parquet", self.tx(shape))
            files.write_parquet(folder / "members.parquet", demo.members)
            files.write_parquet(folder / "campaign.parquet", demo.campaign)
            files.write_json(folder / "truth.json", demo.truth)
        data = {name: str(folder / f"{name}.parquet") for name in ("transactions", "members", "campaign")}
        data["truth"] = str(folder / "truth.json")
        if shape == "no_members":
            data["members"] = ""
        if shape == "no_campaign":
            data["campaign"] = data["truth"] = ""
        return data


@pytest.fixture(scope="module")
def brands(tmp_path_factory):
    return Brands(tmp_path_factory.mktemp("shapes"))


def _run(brands, tmp_path, shape: str, name: str) -> tuple[dict, str]:
    lang = LANGUAGE[shape]
    nb = run_notebook(name, tmp_path, month=MONTH, language=lang, data=brands.data(shape), **_light(name))
    return nb, lang


def _check_clean(nb: dict, ids) -> tuple[list[dict], str]:
    """No error, warning or print; no member id; no 'nan' shown. Returns the outputs and the text."""
    outputs = notebook_outputs(nb)
    assert not [o for o in outputs if o["output_type"] in ("error", "stream")]
    text = notebook_text(nb)
    assert not re.search(r"\bnan\b|\bNaN\b|\binf\b", text)
    assert not set(re.findall(r"\b\d{7}\b", text)) & set(ids)  # aggregates only
    return outputs, text


def _images(outputs) -> int:
    return sum("image/png" in o.get("data", {}) for o in outputs)


@pytest.mark.slow  # 18 kernel runs of the log-reading notebooks on small logs (~10-20 s each)
@pytest.mark.parametrize("name", LOG_NOTEBOOKS)
@pytest.mark.parametrize("shape", SHAPES)
def test_log_notebooks_on_each_shape(brands, tmp_path, shape, name):
    tx = brands.tx(shape)
    nb, lang = _run(brands, tmp_path, shape, name)
    outputs, text = _check_clean(nb, tx["member_id"].unique())
    heads = [o["data"][HEADLINES_MIME] for o in outputs if HEADLINES_MIME in o.get("data", {})]
    # the tier page also lists the overview's concentration figure (same label, same value)
    assert len(heads) == 1 and len(heads[0]) == (5 if name == "tier_simulation" else 4)
    end = pd.Period(MONTH, freq="M").end_time
    upto = tx[tx["ordered_at"] <= end]
    if name == "member_overview":
        in_month = upto[upto["ordered_at"].dt.to_period("M") == pd.Period(MONTH, freq="M")]
        assert heads[0][t("overview.headline.net_revenue", lang)] == money(in_month["amount"].sum())  # pandas
        channels = shape != "no_channel"
        assert _images(outputs) == (6 if channels else 5)
        assert (t("overview.empty.no_channel", lang) in text) is not channels
        assert (t("overview.kpi.store_revenue", lang) in text) is channels
        if shape == "no_returns":
            assert (upto["amount"] >= 0).all() and t("overview.kpi.returns", lang) in text
        if shape == "no_members":  # members = everyone who bought by the month's end (first purchase)
            assert number(upto.loc[upto["amount"] >= 0, "member_id"].nunique()) in text
    elif name == "clv":
        assert _images(outputs) == 6
        assert number(upto["member_id"].nunique()) in text  # the intro's member count
    else:
        # the demo's spend fits the programme: every plot has something (the three sweep heatmaps apart)
        assert _images(outputs) == 8
        members = upto["member_id"].nunique()
        assert number(members) in text  # the simulated members, all of them


@pytest.mark.slow  # two kernel runs of the campaign notebook
@pytest.mark.parametrize("shape", ["small", "no_campaign"])
def test_campaign_notebook_small_and_without_a_campaign(brands, tmp_path, shape):
    nb, lang = _run(brands, tmp_path, shape, "campaign_ab")
    demo = brands.small if shape == "small" else brands.base
    outputs, text = _check_clean(nb, demo.campaign["member_id"].astype(str).unique())
    heads = [o["data"][HEADLINES_MIME] for o in outputs if HEADLINES_MIME in o.get("data", {})]
    if shape == "no_campaign":
        assert t("experiments.no_campaign", lang) in text
        assert t("experiments.title", lang) in text
        assert _images(outputs) == 0 and not heads
    else:
        assert len(demo.campaign) < 300 and number(len(demo.campaign)) in text
        # lift, trend, segments, cost vs margin, policy (the window 1 Sep - 31 Oct has ended by 2026-10)
        assert _images(outputs) == 5 and len(heads) == 1 and 2 <= len(heads[0]) <= 4
