"""workbench.tiers.program: the programme built from a mapping, and every invalid one named by tier and
field (the programme of the tests: kit.tier_program)."""

from __future__ import annotations

import dataclasses

import pytest
from kit import tier_program as program

from workbench.tiers import TierProgram, TierProgramError


def test_from_dict_builds_frozen_program_and_round_trips():
    prog = program(window="rolling_12m", review_month=6, grace_months=2)
    assert prog.names == ["Member", "Silver", "Gold"]
    assert prog.tiers[2].benefits.gift == 300
    assert prog.costs.voucher_redemption == 0.5
    with pytest.raises(dataclasses.FrozenInstanceError):
        prog.window = "lifetime"
    assert TierProgram.from_dict(prog.to_dict()) == prog
    assert program().tiers[0].renewal == 0  # renewal defaults to upgrade


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"windw": "lifetime"}, r"TierProgram: unknown key 'windw' \(did you mean 'window'\?\)"),
        (
            {"tier_changes": {"Gold": {"upgarde": 5}}},
            r"TierProgram\.tiers\['Gold'\]: unknown key 'upgarde' \(did you mean 'upgrade'\?\)",
        ),
        (
            {"tier_changes": {"Silver": {"benefits": {"cashback": 1}}}},
            r"TierProgram\.tiers\['Silver'\]\.benefits: unknown key 'cashback'",
        ),
        (
            {"tier_changes": {"Gold": {"upgrade": 9000, "renewal": 9000}}},
            r"TierProgram\.tiers\['Gold'\]\.upgrade must be greater than the upgrade of tier 'Silver' \(10000\): thresholds must increase; got 9000",
        ),
        (
            {"tier_changes": {"Silver": {"renewal": 12000}}},
            r"TierProgram\.tiers\['Silver'\]\.renewal must not exceed the tier's upgrade \(10000\); got 12000",
        ),
        (
            {"tier_changes": {"Member": {"upgrade": 100}}},
            r"TierProgram\.tiers\['Member'\]\.upgrade must be 0 for the entry tier; got 100",
        ),
        (
            {"tier_changes": {"Gold": {"upgrade": "lots"}}},
            r"TierProgram\.tiers\['Gold'\]\.upgrade must be a number; got 'lots'",
        ),
        (
            {"tier_changes": {"Gold": {"benefits": {"discount": 1.5}}}},
            r"TierProgram\.tiers\['Gold'\]\.benefits\.discount must be between 0 and 1; got 1\.5",
        ),
        (
            {"window": "fiscal_year"},
            r"TierProgram\.window must be one of 'calendar_year', 'rolling_12m', 'lifetime'; got 'fiscal_year'",
        ),
        (
            {"downgrade": "two_steps"},
            r"TierProgram\.downgrade must be one of 'to_supported', 'one_step'; got 'two_steps'",
        ),
        (
            {"upgrade_timing": "never"},
            r"TierProgram\.upgrade_timing must be one of 'immediate', 'review'; got 'never'",
        ),
        ({"metric": "visits"}, r"TierProgram\.metric must be one of 'spend', 'orders'; got 'visits'"),
        ({"grace_months": 1.5}, r"TierProgram\.grace_months must be an integer; got 1\.5"),
        ({"returns_deducted": "yes"}, r"TierProgram\.returns_deducted must be true or false; got 'yes'"),
        (
            {"carry_over": True, "window": "rolling_12m"},
            r"TierProgram\.carry_over needs window 'calendar_year'; got window='rolling_12m'",
        ),
        (
            {"review": "monthly"},
            r"TierProgram\.review must be 'annual' with review_month 12 for window 'calendar_year'; got review='monthly', review_month=12",
        ),
        ({"costs": {"point_value": 2}}, r"TierProgram\.costs\.point_value must be between 0 and 1; got 2\.0"),
        ({"costs": {"points": 2}}, r"TierProgram\.costs: unknown key 'points'"),
    ],
)
def test_invalid_programs_name_tier_and_field(changes, match):
    with pytest.raises(TierProgramError, match=match):
        program(**changes)


def test_tier_count_and_duplicates():
    with pytest.raises(TierProgramError, match=r"TierProgram\.tiers must hold 2 to 5 tiers; got 1"):
        TierProgram.from_dict({"tiers": [{"name": "Member", "upgrade": 0}]})
    with pytest.raises(TierProgramError, match="repeated: Gold"):
        TierProgram.from_dict({"tiers": [{"name": "Gold", "upgrade": 0}, {"name": "Gold", "upgrade": 5}]})
    with pytest.raises(
        TierProgramError, match=r"TierProgram.tiers\['Silver'\]: missing required key 'upgrade'"
    ):
        TierProgram.from_dict({"tiers": [{"name": "Member", "upgrade": 0}, {"name": "Silver"}]})
