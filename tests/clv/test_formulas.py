"""workbench.clv.formulas: the closed forms stay finite where lifetimes' own do not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import clv as wc


def test_pareto_stable_where_lifetimes_returns_nan():
    """Frequent buyers whose last purchase is on the last day: lifetimes' A_0 cancels to log(-tiny) = NaN."""
    model = wc.CLVModel(
        purchase_model="pareto_nbd",
        spend_model=None,
        time_unit="D",
        purchase_params={"r": 1.055, "alpha": 34.97, "s": 0.83, "beta": 264.7},
        spend_params={},
        params=pd.DataFrame(),
        diagnostics={},
        spend_exclusions={},
        members=0,
    )
    frame = pd.DataFrame({"frequency": [112.0, 5.0], "recency": [780.0, 100.0], "T": [780.0, 780.0]})
    alive = model.prob_alive(frame)
    assert alive.iloc[0] == pytest.approx(1.0)
    assert 0 < alive.iloc[1] < 1
    assert np.isfinite(model.expected_purchases(frame, 30.0)).all()
