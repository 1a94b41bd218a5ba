"""workbench.audience.rules: select agrees with pandas filters; bad rules are rejected by name; the funnel."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from workbench.audience import AudienceRule, AudienceRuleError, funnel, member_attributes, select
from workbench.errors import ArgumentError


@pytest.fixture(scope="module")
def attrs(demo):
    return member_attributes(demo.transactions, demo.members, as_of="2026-10-31")


def top(values: pd.Series, share: float) -> pd.Series:
    """Top share by value, the plain way: at least the ceil(share * n)-th largest of the non-missing values."""
    valid = values.dropna().sort_values(ascending=False)
    k = math.ceil(share * len(valid))
    return values >= valid.iloc[k - 1]


def test_select_agrees_with_pandas_filters(attrs):
    a = attrs
    cases = [
        ({"attr": "spend_365d", "ge": 5000}, a["spend_365d"] >= 5000),
        ({"attr": "home_store", "eq": "台北信義店"}, a["home_store"] == "台北信義店"),
        (
            {"attr": "member_type", "in": ["high_spend", "high_loyalty"]},
            a["member_type"].isin(["high_spend", "high_loyalty"]),
        ),
        ({"attr": "orders_90d", "between": [1, 3]}, a["orders_90d"].between(1, 3)),
        ({"attr": "last_purchase_at", "ge": "2026-10-01"}, a["last_purchase_at"] >= "2026-10-01"),
        ({"attr": "rfm_cell", "eq": 555}, a["rfm_cell"] == "555"),  # YAML writes 555 as a number
        ({"attr": "spend_365d", "top_share": 0.1}, top(a["spend_365d"], 0.1)),
        (
            {
                "all": [
                    {"attr": "days_since_last_purchase", "le": 180},
                    {"not": {"attr": "member_type", "in": ["churning", "sleeping"]}},
                    {"any": [{"attr": "aov_365d", "top_share": 0.2}, {"attr": "orders_365d", "ge": 6}]},
                ]
            },
            (a["days_since_last_purchase"] <= 180).fillna(False)
            & ~a["member_type"].isin(["churning", "sleeping"])
            & (top(a["aov_365d"], 0.2) | (a["orders_365d"] >= 6)),
        ),
        ({"not": {"attr": "is_birthday_month", "eq": True}}, a["is_birthday_month"] != True),  # noqa: E712
    ]
    for rule, expected in cases:
        got = select(a, rule)
        want = a.index[expected.fillna(False).to_numpy(dtype=bool)]
        assert got.equals(want), rule
        assert 0 < len(got) < len(a), rule


def test_missing_values_match_no_leaf_and_not_turns_that_around(attrs):
    never = attrs["aov_365d"].isna()
    assert never.any()
    low = select(attrs, {"attr": "aov_365d", "lt": 10**9})
    assert not low.isin(attrs.index[never]).any()
    negated = select(attrs, {"not": {"attr": "aov_365d", "lt": 10**9}})
    assert negated.equals(attrs.index[never])
    assert not select(attrs, {"attr": "aov_365d", "ne": -1}).isin(attrs.index[never]).any()


def test_funnel_counts_each_step(attrs):
    rule = {
        "all": [
            {"attr": "days_since_last_purchase", "le": 365},
            {"attr": "spend_365d", "ge": 3000},
            {"attr": "spend_365d", "top_share": 0.5},
        ]
    }
    f = funnel(attrs, rule)
    a = attrs
    s1 = (a["days_since_last_purchase"] <= 365).fillna(False)
    s2 = s1 & (a["spend_365d"] >= 3000)
    s3 = s2 & top(a["spend_365d"], 0.5)
    assert f["members"].tolist() == [len(a), int(s1.sum()), int(s2.sum()), int(s3.sum())]
    assert f["removed"].tolist() == [
        0,
        len(a) - int(s1.sum()),
        int(s1.sum() - s2.sum()),
        int(s2.sum() - s3.sum()),
    ]
    assert f["condition"].tolist()[1:] == [
        "days_since_last_purchase ≤ 365",
        "spend_365d ≥ 3,000",
        "top 50% by spend_365d",
    ]
    assert f["share"].iloc[0] == 1.0
    assert len(funnel(a, {"attr": "orders_30d", "gt": 0})) == 2  # a single condition is one step


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            {"attr": "spend_356d", "ge": 1},
            r"AudienceRule\.attr must be one of the member attributes \(spend_30d, .*got 'spend_356d' \(did you mean 'spend_365d'\?\)",
        ),
        (
            {"all": [{"attr": "spend_365d", "gte": 1}]},
            r"AudienceRule\.all\[0\]: unknown key 'gte' \(did you mean 'ge'\?\); allowed keys: all, any, not, attr, eq, ne",
        ),
        (
            {"attr": "spend_365d"},
            r"AudienceRule must have exactly one operator of eq, ne, lt, le, gt, ge, in, not_in, between, top_share; got none",
        ),
        (
            {"attr": "spend_365d", "ge": 1, "le": 5},
            r"AudienceRule must have exactly one operator .*; got ge, le",
        ),
        ({"any": []}, r"AudienceRule\.any must be a non-empty list of rules; got \[\]"),
        (
            {"all": [{"attr": "spend_365d", "ge": 1}], "any": []},
            r"AudienceRule must have 'all' as its only key",
        ),
        (
            {"not": {"attr": "spend_365d", "between": [5, 1]}},
            r"AudienceRule\.not\.between must have low <= high; got \[5, 1\]",
        ),
        ({"attr": "spend_365d", "between": 5}, r"AudienceRule\.between must be a list \[low, high\]"),
        (
            {"attr": "spend_365d", "top_share": 1.5},
            r"AudienceRule\.top_share must be a share between 0 \(excluded\) and 1; got 1\.5",
        ),
        (
            {"attr": "member_type", "in": "sleeping"},
            r"AudienceRule\.in must be a non-empty list of values; got 'sleeping'",
        ),
        (
            {"attr": "spend_365d", "ge": [1]},
            r"AudienceRule\.ge must be a number, a text or a date; got \[1\]",
        ),
        ("spend > 5", r"AudienceRule must be a mapping with one of all, any, not or attr; got 'spend > 5'"),
        ({"ge": 5}, r"AudienceRule must name an attribute \(attr: NAME\)"),
    ],
)
def test_bad_rules_are_rejected_by_name(rule, message):
    with pytest.raises(AudienceRuleError, match=message):
        AudienceRule.from_dict(rule)


def test_rules_that_do_not_fit_the_attributes_are_rejected_by_name(attrs):
    with pytest.raises(
        AudienceRuleError,
        match=r"AudienceRule\.all\[1\]\.lt needs a numeric or date attribute; got the text attribute 'member_type'",
    ):
        select(attrs, {"all": [{"attr": "orders_30d", "ge": 0}, {"attr": "member_type", "lt": 3}]})
    with pytest.raises(
        AudienceRuleError,
        match=r"AudienceRule\.ge must be a number for the numeric attribute 'spend_365d'; got 'a lot'",
    ):
        select(attrs, {"attr": "spend_365d", "ge": "a lot"})
    with pytest.raises(
        AudienceRuleError,
        match=r"AudienceRule\.ge must be a date for the date attribute 'last_purchase_at'; got 'soon'",
    ):
        select(attrs, {"attr": "last_purchase_at", "ge": "soon"})
    with pytest.raises(
        AudienceRuleError,
        match=r"AudienceRule\.attr must be one of the computed attributes \(spend_30d, .*got 'tier' \(tier needs a tier programme\)",
    ):
        select(attrs, {"attr": "tier", "eq": "Gold"})
    # the error is a settings error, so a params check reports it like every other setting
    assert issubclass(AudienceRuleError, ValueError)


def test_a_rule_selecting_nobody_says_so(attrs):
    rule = {"all": [{"attr": "orders_30d", "ge": 1}, {"attr": "spend_30d", "gt": 10**9}]}
    with pytest.raises(
        ArgumentError,
        match=r"select: the rule selects no member of the 5,000 .*members left after each step: : 5,000; orders_30d ≥ 1: \d[\d,]*; spend_30d > 1,000,000,000: 0",
    ):
        select(attrs, rule)


def test_describe_uses_the_callers_words():
    rule = AudienceRule.from_dict(
        {
            "all": [
                {"attr": "tier", "eq": "Gold"},
                {"not": {"attr": "nes", "eq": "sleeping"}},
                {"any": [{"attr": "clv_12m", "top_share": 0.2}, {"attr": "orders_365d", "ge": 3}]},
            ]
        }
    )
    assert (
        rule.describe() == "tier = Gold and not (nes = sleeping) and (top 20% by clv_12m or orders_365d ≥ 3)"
    )
    words = {"all": " 且 ", "any": " 或 ", "not": "非（{rule}）", "top_share": "{attr}前 {share}"}
    assert rule.describe(label=lambda a: f"<{a}>", words=words) == (
        "<tier> = Gold 且 非（<nes> = sleeping） 且 (<clv_12m>前 20% 或 <orders_365d> ≥ 3)"
    )
    assert rule.attributes() == ["tier", "nes", "clv_12m", "orders_365d"]
    assert np.array_equal(
        rule.steps()[1].mask(pd.DataFrame({"nes": ["sleeping", "new", None]})), [False, True, True]
    )
