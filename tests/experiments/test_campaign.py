"""workbench.experiments.campaign: the demo campaign end to end recovers the true effects; its settings."""

from __future__ import annotations

import pytest

from workbench.experiments import CampaignSettings


def test_recovers_true_effects_within_cis(big_demo, analysis):
    truth = big_demo.truth["campaign"]["true_effects"]
    assert analysis.srm_ok and analysis.srm_p > 0.5
    for table in (analysis.effects, analysis.adjusted):
        assert len(table) == 6
        for row in table.itertuples(index=False):
            true = truth[row.arm][row.metric]
            assert row.abs_ci_low <= true <= row.abs_ci_high, (row.arm, row.metric, row.method, true)
    boot = analysis.economics.revenue_bootstrap.query("variant == 'uncapped'")
    for row in boot.itertuples(index=False):
        assert row.abs_ci_low <= truth[row.arm]["revenue"] <= row.abs_ci_high
    # the pre-period covariate helps: the adjusted revenue CIs are narrower
    vr = analysis.adjusted.query("metric == 'revenue'")["variance_reduction"]
    assert (vr > 0.1).all()


def test_settings_from_dict():
    s = CampaignSettings.from_dict(
        {"margin": 0.4, "metrics": {"revenue": "continuous"}, "expected_shares": [1, 1, 1]}
    )
    assert s.margin == 0.4 and s.expected_shares == (1.0, 1.0, 1.0)
    with pytest.raises(
        ValueError, match=r"CampaignSettings: unknown key 'marign' \(did you mean 'margin'\?\)"
    ):
        CampaignSettings.from_dict({"marign": 0.4})
    with pytest.raises(ValueError, match=r"CampaignSettings.metrics\['revenue'\] must be one of"):
        CampaignSettings(metrics={"revenue": "money"})
    with pytest.raises(ValueError, match="CampaignSettings.correction must be"):
        CampaignSettings(correction="bonferroni")
