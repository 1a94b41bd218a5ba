"""workbench.experiments.costs: costs per arm from params, checked by name, against hand computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.experiments import CampaignCosts, add_costs
from workbench.settings import SettingsError


def frame() -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "member_id": ["1", "2", "3", "4", "5"],
            "arm": ["control", "gift", "gift", "disc", "disc"],
            "orders": [1, 2, 0, 3, 1],
            "discount": [10.0, 0.0, 5.0, 30.0, 12.5],
            "recipient": [0, 1, 0, 0, 0],
        }
    )
    out.attrs["has_discount"] = True
    return out


def test_costs_per_member_order_recipient_and_discount():
    costs = CampaignCosts.from_dict(
        {
            "control": {"discount_column": True},
            "gift": {"per_member": 200, "per_order": 15, "recipients": "recipient"},
            "disc": {"discount_column": True, "per_member": 1.5},
        }
    )
    out = add_costs(frame(), costs)
    np.testing.assert_allclose(out["gift_cost"], [0, 200 + 2 * 15, 0, 1.5, 1.5])
    np.testing.assert_allclose(out["discount_cost"], [10, 0, 0, 30, 12.5])
    assert list(frame().columns) == list(out.columns[:5])  # the input is not changed
    none = add_costs(frame(), None)
    assert (none[["gift_cost", "discount_cost"]] == 0).all().all()
    everyone = add_costs(frame(), {"gift": {"per_member": 200}})
    np.testing.assert_allclose(everyone["gift_cost"], [0, 200, 200, 0, 0])


def test_bad_costs_are_named():
    with pytest.raises(
        SettingsError, match=r"CampaignCosts\['gift'\]\.per_member must be at least 0; got -5"
    ):
        CampaignCosts.from_dict({"gift": {"per_member": -5}})
    with pytest.raises(
        SettingsError,
        match=r"CampaignCosts\['gift'\]: unknown key 'per_membr' \(did you mean 'per_member'\?\)",
    ):
        CampaignCosts.from_dict({"gift": {"per_membr": 5}})
    with pytest.raises(
        SettingsError, match=r"CampaignCosts\['gift'\]\.discount_column must be true or false; got 'yes'"
    ):
        CampaignCosts.from_dict({"gift": {"discount_column": "yes"}})
    with pytest.raises(SettingsError, match="CampaignCosts must be a mapping of arm -> cost"):
        CampaignCosts.from_dict([1, 2])
    with pytest.raises(
        SettingsError,
        match=r"CampaignCosts\['vip'\] names an arm the assignment list does not have; arms: control, disc, gift",
    ):
        add_costs(frame(), {"vip": {"per_member": 1}})
    with pytest.raises(
        SettingsError, match=r"CampaignCosts\['gift'\]\.recipients must be a column of the assignment list"
    ):
        add_costs(frame(), {"gift": {"per_member": 1, "recipients": "sent"}})
    no_discount = frame().drop(columns="discount")
    with pytest.raises(
        SettingsError, match=r"CampaignCosts\['disc'\]\.discount_column needs the log's discount column"
    ):
        add_costs(no_discount, {"disc": {"discount_column": True}})


def test_reached_shares_are_the_recipients_share_of_each_arm(demo):
    """The gift arm's offer reached its recipients only: the share equals pandas on the flag (the demo hands
    the gift to the top 20% of the arm by pre-period spend); arms without ``recipients`` are left out."""
    from workbench.experiments import reached_shares

    costs = {"gift": {"per_member": 200, "recipients": "recipient"}, "disc": {"per_member": 1.5}}
    assert reached_shares(frame(), costs) == {"gift": 0.5}
    assert reached_shares(frame(), None) == {}
    table = demo.campaign
    got = reached_shares(table, {"vip_gift": {"per_member": 200, "recipients": "gift_recipient"}})
    expected = table.loc[table["arm"] == "vip_gift", "gift_recipient"].astype(bool).mean()
    assert got == {"vip_gift": pytest.approx(expected, abs=1e-12)}
    assert 0.15 < got["vip_gift"] < 0.25
