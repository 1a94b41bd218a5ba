"""Session-wide fixtures: seeded generator, the demo brands, CDNOW, the shared Hillstrom data, and the fitted
models and campaign analysis that the tests of several rooms (the room itself, ``text/``, ``plots/``) read.

The expensive ones are session-scoped, so each is computed once however many files use it; no test changes
them (tests that alter one work on a copy or a ``dataclasses.replace``)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # in-process only; never via MPLBACKEND (it would leak into executed notebooks)

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from kit import CDNOW_CAL_END, CDNOW_END

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261123)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="session")
def demo():
    """The 5,000-member demo brand (deterministic)."""
    from workbench.data import generate_demo

    return generate_demo(5000, seed=42)


@pytest.fixture(scope="session")
def cdnow():
    from workbench.data import load_cdnow

    return load_cdnow()


@pytest.fixture(scope="session")
def hillstrom_path() -> Path:
    path = SHARED_DATA / "hillstrom.csv"
    if not path.exists():
        pytest.skip(f"shared test data not available: {path} (present in CI, not in a user's clone)")
    return path


# --------------------------------------------------------------------------------------------------
# CLV: clv/, text/test_clv.py, plots/test_clv.py
# --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def cdnow_sample_tx() -> pd.DataFrame:
    """The 2,357-customer CDNOW sample of the BG/NBD paper (lifetimes' CDNOW_sample.txt: master id,
    sample id, date, CDs, dollars)."""
    from workbench.data import lifetimes_data_file
    from workbench.schema import finalize_transactions

    raw = pd.read_csv(
        lifetimes_data_file("CDNOW_sample.txt"),
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
        dtype={"master_id": str, "customer_id": str, "date": str},
    )
    return finalize_transactions(
        pd.DataFrame(
            {
                "member_id": raw["customer_id"],
                "ordered_at": pd.to_datetime(raw["date"], format="%Y%m%d"),
                "amount": raw["amount"],
            }
        )
    )


@pytest.fixture(scope="session")
def cdnow_cal_holdout(cdnow_sample_tx) -> pd.DataFrame:
    """Calibration 1997-01-01..09-30 and holdout to 1998-06-30 in weeks (days / 7, as in the paper)."""
    from workbench.summary import calibration_and_holdout

    ch = calibration_and_holdout(cdnow_sample_tx, CDNOW_CAL_END, CDNOW_END, freq="D")
    ch[["recency_cal", "T_cal", "duration_holdout"]] /= 7.0
    return ch


@pytest.fixture(scope="session")
def cdnow_cal(cdnow_cal_holdout) -> pd.DataFrame:
    from workbench import clv as wc

    return wc.calibration_summary(cdnow_cal_holdout)


@pytest.fixture(scope="session")
def cdnow_models(cdnow_cal) -> dict:
    """``{purchase model: CLVModel}`` fitted on the CDNOW calibration period, weekly time."""
    from workbench import clv as wc

    return {m: wc.fit_clv(cdnow_cal, m, time_unit="W") for m in wc.PURCHASE_MODELS}


@pytest.fixture(scope="session")
def demo_summary(demo) -> pd.DataFrame:
    """Daily summary of the 5,000-member demo before the September 2026 campaign."""
    from workbench.summary import member_summary

    return member_summary(demo.transactions, "2026-08-31", freq="D")


@pytest.fixture(scope="session")
def demo_model(demo_summary):
    """``CLVModel`` (BG/NBD + Gamma-Gamma, daily) fitted on ``demo_summary``."""
    from workbench import clv as wc

    return wc.fit_clv(demo_summary, time_unit="D")


# --------------------------------------------------------------------------------------------------
# the demo campaign: experiments/, text/test_experiments.py, plots/test_experiments.py
# --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def big_demo():
    """50,000 members (~32,000 in the campaign): 5,000 is too small to pin the effects down."""
    from workbench.data import generate_demo

    return generate_demo(50_000, seed=42)


@pytest.fixture(scope="session")
def analysis(big_demo):
    """``analyze_campaign`` of ``big_demo``'s campaign (seeded bootstrap)."""
    from workbench.experiments import CampaignSettings, analyze_campaign

    return analyze_campaign(big_demo.campaign, CampaignSettings(resamples=2000, policy_resamples=500, seed=3))


@pytest.fixture(scope="session")
def campaign_monitors(demo):
    """``monitor_campaign`` of the demo campaign (1 Sep - 31 Oct 2026, the window and costs of
    params/campaign_ab.yaml) in the report months 2026-09 (running, look 1 of 2) and 2026-10 (ended)."""
    import yaml

    from workbench.experiments import (
        CampaignCosts,
        CampaignData,
        CampaignSettings,
        add_costs,
        campaign_frame,
        campaign_look,
        monitor_campaign,
    )

    params = yaml.safe_load((Path(__file__).resolve().parents[1] / "params" / "campaign_ab.yaml").read_text())
    costs = CampaignCosts.from_dict(params["costs"])
    settings = CampaignSettings.from_dict({**params["analysis"], "resamples": 200, "policy_resamples": 100})
    out = {}
    for month in ("2026-09", "2026-10"):
        look = campaign_look(params["window_start"], params["window_end"], month)
        frame = campaign_frame(demo.transactions, demo.assignments, start=look.window_start, end=look.as_of)
        data = CampaignData(
            add_costs(frame, costs),
            True,
            "assignments.csv",
            "transactions",
            look.window_start,
            look.as_of,
            costs,
        )
        out[month] = monitor_campaign(data, demo.transactions, look, settings)
    return out


# --------------------------------------------------------------------------------------------- PostgreSQL
# The fixture ``postgres_url``: a throwaway PostgreSQL server (pg_kit.postgres_server: initdb + pg_ctl in a
# temporary folder on a free localhost port, as the ``postgres`` user when root; `make` installs Debian's
# ``postgresql``). The tests that use it are marked ``postgres`` (tests/data/test_sources.py,
# tests/summary/test_postgres.py).
@pytest.fixture(scope="session")
def postgres_url():
    from pg_kit import postgres_server

    with postgres_server() as url:
        yield url
