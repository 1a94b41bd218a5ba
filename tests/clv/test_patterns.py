"""workbench.clv.patterns: input checks (named columns, choices, recency <= T) and the weighted patterns."""

from __future__ import annotations

import numpy as np
import pytest

from workbench import clv as wc
from workbench.clv.patterns import patterns


def test_input_errors(demo_summary):
    with pytest.raises(ValueError, match="required column\\(s\\) missing from summary: T"):
        wc.fit_clv(demo_summary.drop(columns="T"))
    with pytest.raises(ValueError, match="purchase_model must be one of .* got 'bg'"):
        wc.fit_clv(demo_summary, "bg")
    with pytest.raises(ValueError, match="time_unit must be one of .* got 'H'"):
        wc.fit_clv(demo_summary, time_unit="H")
    bad = demo_summary.copy()
    bad.iloc[3, bad.columns.get_loc("recency")] = bad.iloc[3]["T"] + 1
    with pytest.raises(ValueError, match="recency > T at row\\(s\\) \\[3\\]"):
        wc.fit_clv(bad)


def test_patterns_roundtrip(demo_summary):
    unique, codes = patterns(demo_summary)
    assert unique["weights"].sum() == len(demo_summary)
    np.testing.assert_array_equal(
        unique[["frequency", "recency", "T"]].to_numpy()[codes],
        demo_summary[["frequency", "recency", "T"]].to_numpy(),
    )
    assert len(unique) == len(demo_summary[["frequency", "recency", "T"]].drop_duplicates())
