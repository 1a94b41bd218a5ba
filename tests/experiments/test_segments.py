"""workbench.experiments.segments: effects per segment and the interaction test against a saturated OLS."""

from __future__ import annotations

import pytest
import statsmodels.formula.api as smf
from kit import HILLSTROM_ARMS as ARMS
from kit import HILLSTROM_CONTROL as CONTROL
from scipy import stats
from statsmodels.stats.multitest import multipletests

from workbench.experiments import segment_effects


def test_segment_effects_and_interaction_match_saturated_ols(hillstrom):
    seg = segment_effects(hillstrom, "segment", CONTROL, {"spend": "continuous"}, "zip_code")
    assert len(seg) == 2 * 3
    for arm in ARMS:
        sub = hillstrom[hillstrom["segment"].isin([arm, CONTROL])].assign(
            treat=lambda d, arm=arm: (d["segment"] == arm).astype(float)
        )
        fit = smf.ols("spend ~ C(zip_code) * treat", data=sub).fit(cov_type="HC1")
        names = [n for n in fit.params.index if ":treat" in n]
        wald = fit.wald_test(", ".join(f"{n} = 0" for n in names), scalar=True)
        rows = seg[seg["arm"] == arm]
        assert rows["interaction_p"].iloc[0] == pytest.approx(float(wald.pvalue), rel=1e-6)
        for level in ("Rural", "Urban"):
            y = sub.loc[sub["zip_code"] == level]
            t = stats.ttest_ind(y.loc[y.treat == 1, "spend"], y.loc[y.treat == 0, "spend"], equal_var=False)
            assert rows.loc[rows["segment"] == level, "p_value"].iloc[0] == pytest.approx(t.pvalue, rel=1e-9)
    assert seg["p_adjusted"].to_numpy() == pytest.approx(multipletests(seg["p_value"], method="holm")[1])
