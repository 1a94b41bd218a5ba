"""Designing a campaign from member attributes.

The eligible audience, the arms and their offers, a stratified seeded assignment, the power of the design and
the expected budget per arm.

``CampaignPlan.from_dict(params)`` (``params/campaign_design.yaml``) -> ``plan_campaign(attributes, plan)``
-> ``PlannedCampaign``; ``workbench.experiments.write_campaign_files`` then writes the assignment list and the
send lists into ``audience_dir``. Everything in ``PlannedCampaign`` but ``assignments`` is an aggregate.

Expectations without the campaign come from the eligible members' own recent behaviour: in the
``baseline_days`` days before ``as_of`` (30, 90, 180 or 365; ``spend_<d>d`` and ``orders_<d>d``), scaled to
the campaign's length (``campaign days / baseline_days``; conversion is the share who bought in the
baseline window, not scaled). The budget of an arm is ``members x (per_member + per_order x expected orders
+ discount_rate x expected revenue)``: the offer's cost if members buy as they did (a discount also costs on
purchases that would have happened anyway). The power calculation is ``minimum_detectable_effect`` for
conversion and revenue per member, each arm against the control, at the eligible size and the design shares.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench.experiments.design import PowerDesign, assign_arms, minimum_detectable_effect
from workbench.experiments.sendlists import CHANNELS, MIN_LIST_SIZE
from workbench.settings import SettingsError, bounded, build, settings_error, validate

__all__ = ["CampaignPlan", "PlannedArm", "PlannedCampaign", "plan_campaign"]

NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
Channel = Literal["sms", "edm", "line", "meta"]  # sendlists.CHANNELS (a test checks they agree)
Country = Literal["TW", "HK"]  # sendlists.COUNTRIES


@dataclass(frozen=True)
class PlannedArm:
    """One arm of a designed campaign.

    Parameters
    ----------
    name : str
        The arm (letters, digits, ``_``, ``-``: it names the send-list files).
    share : float
        Its share of the eligible members (shares are normalised to sum 1).
    offer : str
        What the arm gets, in words, for the brief (``""`` for the control).
    per_member, per_order : float
        Expected cost per member (a gift, a message) and per order (a gift with purchase).
    discount_rate : float
        Share of the arm's revenue given as a discount (0.1 = 10% off).
    """

    name: str
    share: float = field(default=1.0, metadata=bounded(above=0))
    offer: str = ""
    per_member: float = field(default=0.0, metadata=bounded(0))
    per_order: float = field(default=0.0, metadata=bounded(0))
    discount_rate: float = field(default=0.0, metadata=bounded(0, 1))

    def __post_init__(self):
        validate(self)
        if not NAME.match(self.name):
            raise settings_error(
                self, "name", f"must be letters, digits, _ or - (it names files); got {self.name!r}"
            )


@dataclass(frozen=True)
class CampaignPlan:
    """A campaign design (``params/campaign_design.yaml``, see the module docstring).

    Parameters
    ----------
    audience : Mapping
        The eligibility rule (``workbench.audience.AudienceRule``: ``all``/``any``/``not``/leaves).
    arms : tuple of PlannedArm
        The arms, the control among them.
    start, end : str
        The campaign window (dates, both included); ``assigned_at`` of the assignment list is ``start``.
    control : str
        The control arm (no offer, no send list).
    strata : str or None
        The attribute the assignment is stratified on; ``quantiles`` cuts a numeric one into groups.
    quantiles : int or None
        Quantile groups of ``strata`` (``None``: its values are the strata).
    baseline_days : {30, 90, 180, 365}
        The recent window the expectations come from.
    channels : tuple of {"sms", "edm", "line", "meta"}
        The send lists to write.
    country : {"TW", "HK"}
        The brand's country (phone formats of the send lists).
    min_list_size : int
        Send lists with fewer members are flagged.
    alpha, power : float
        Of each arm-vs-control test (Bonferroni over the treatment arms).
    seed : int
        Seed of the assignment.
    """

    audience: Mapping[str, Any]
    arms: tuple[PlannedArm, ...]
    start: str
    end: str
    control: str = "control"
    strata: str | None = "spend_365d"
    quantiles: int | None = field(default=10, metadata=bounded(2, 100))
    baseline_days: Literal[30, 90, 180, 365] = 30
    channels: tuple[Channel, ...] = CHANNELS  # type: ignore[valid-type]
    country: Country = "TW"  # type: ignore[valid-type]
    min_list_size: int = field(default=MIN_LIST_SIZE, metadata=bounded(1))
    alpha: float = field(default=0.05, metadata=bounded(above=0, high=0.5))
    power: float = field(default=0.8, metadata=bounded(above=0, high=0.9999))
    seed: int = 42
    rule: object = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        from workbench.audience import AudienceRule

        validate(self)
        object.__setattr__(self, "rule", AudienceRule.from_dict(self.audience, "CampaignPlan.audience"))
        names = [a.name for a in self.arms]
        if len(names) < 2 or len(set(names)) != len(names):
            raise settings_error(
                self, "arms", f"must list at least two arms with distinct names; got {names}"
            )
        if self.control not in names:
            raise settings_error(
                self, "control", f"must be one of the arms ({', '.join(names)}); got {self.control!r}"
            )
        for key in ("start", "end"):
            try:
                pd.Timestamp(getattr(self, key))
            except (TypeError, ValueError):
                raise settings_error(
                    self, key, f"must be a date such as '2026-11-01'; got {getattr(self, key)!r}"
                ) from None
        if self.days < 1:
            raise settings_error(self, "end", f"must not be before start ({self.start}); got {self.end!r}")

    @classmethod
    def from_dict(cls, mapping: Mapping | None) -> CampaignPlan:
        """Build from the params mapping (YAML dates may come as dates: they are read as text).

        Parameters
        ----------
        mapping : Mapping
            The keys of the fields.

        Returns
        -------
        CampaignPlan
        """
        values = dict(mapping or {})
        for key in ("start", "end"):
            if key in values and hasattr(values[key], "isoformat"):
                values[key] = values[key].isoformat()
        return build(cls, values)

    @property
    def days(self) -> int:
        """Days in the campaign window (both ends included)."""
        return int((pd.Timestamp(self.end).normalize() - pd.Timestamp(self.start).normalize()).days) + 1

    @property
    def shares(self) -> tuple[float, ...]:
        """The arms' shares, control first, normalised to sum 1."""
        arms = self.ordered_arms
        total = sum(a.share for a in arms)
        return tuple(a.share / total for a in arms)

    @property
    def ordered_arms(self) -> tuple[PlannedArm, ...]:
        """The arms, control first."""
        return tuple(sorted(self.arms, key=lambda a: a.name != self.control))


@dataclass(frozen=True)
class PlannedCampaign:
    """The designed campaign.

    ``assignments`` is member-level (for ``audience_dir`` only); the rest are aggregates for the brief:
    ``funnel`` (``workbench.audience.funnel``), ``arms`` (per arm: ``arm, offer, share, members,
    expected_orders, expected_revenue, fixed_cost, order_cost, discount_cost, budget, budget_per_member``),
    ``power`` (per treatment arm and metric: ``arm, metric, baseline, mde, mde_relative``), ``baseline``
    (conversion, revenue and orders per member, revenue sd).
    """

    plan: CampaignPlan
    as_of: pd.Timestamp | None
    members: int
    funnel: pd.DataFrame
    assignments: pd.DataFrame
    arms: pd.DataFrame
    power: pd.DataFrame
    baseline: dict

    @property
    def eligible(self) -> int:
        """Members in the campaign."""
        return len(self.assignments)

    @property
    def budget(self) -> float:
        """Expected total cost of all arms."""
        return float(self.arms["budget"].sum())


def plan_campaign(attributes: pd.DataFrame, plan: CampaignPlan | Mapping) -> PlannedCampaign:
    """Eligible audience, stratified seeded assignment, power and budget of ``plan`` on ``attributes``.

    Parameters
    ----------
    attributes : DataFrame
        ``workbench.audience.member_attributes`` output (indexed by ``member_id``).
    plan : CampaignPlan or Mapping
        The design.

    Returns
    -------
    PlannedCampaign

    Raises
    ------
    AudienceRuleError
        For a rule that names an attribute the frame lacks.
    ArgumentError
        When the rule selects nobody.
    SettingsError
        When the strata attribute or the baseline window's attributes are missing.
    """
    from workbench.audience import funnel, select

    plan = plan if isinstance(plan, CampaignPlan) else CampaignPlan.from_dict(plan)
    eligible = select(attributes, plan.rule)
    steps = funnel(attributes, plan.rule)
    chosen = attributes.loc[eligible]
    arms = plan.ordered_arms
    names = [a.name for a in arms]
    members = pd.DataFrame({"member_id": chosen.index.astype("str")})
    strata = plan.strata
    if strata is not None:
        if strata not in chosen.columns:
            raise SettingsError(
                "CampaignPlan.strata",
                f"must be one of the attributes ({', '.join(chosen.columns)}); got {strata!r}",
            )
        values = chosen[strata]
        numeric = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)
        members[strata] = (
            values.astype("float64").fillna(-np.inf) if numeric else values.astype("str").fillna("(none)")
        ).to_numpy()
    quantiles = (
        plan.quantiles
        if strata is not None and pd.api.types.is_numeric_dtype(members[strata].dtype)
        else None
    )
    assigned = assign_arms(members, names, plan.shares, strata=strata, quantiles=quantiles, seed=plan.seed)
    assigned = assigned[["member_id", "arm", "stratum"]].assign(
        assigned_at=pd.Timestamp(plan.start).normalize().as_unit("us")
    )

    d = plan.baseline_days
    for col in (f"spend_{d}d", f"orders_{d}d"):
        if col not in chosen.columns:
            raise SettingsError("CampaignPlan.baseline_days", f"needs the attribute {col!r}; got {d}")
    scale = plan.days / d
    revenue = chosen[f"spend_{d}d"].to_numpy(dtype=float) * scale
    orders = chosen[f"orders_{d}d"].to_numpy(dtype=float) * scale
    bought = chosen[f"orders_{d}d"].to_numpy(dtype=float) > 0
    baseline = {
        "conversion": float(bought.mean()),
        "revenue": float(revenue.mean()),
        "revenue_sd": float(revenue.std(ddof=1)) if len(revenue) > 1 else float("nan"),
        "orders": float(orders.mean()),
        "days": plan.days,
        "baseline_days": d,
    }

    codes = pd.Categorical(assigned["arm"], categories=names).codes
    rows = []
    for j, arm in enumerate(arms):
        sel = codes == j
        n = int(sel.sum())
        exp_orders = float(orders[sel].sum())
        exp_revenue = float(revenue[sel].sum())
        fixed = arm.per_member * n
        per_order = arm.per_order * exp_orders
        discount = arm.discount_rate * exp_revenue
        rows.append(
            {
                "arm": arm.name,
                "offer": arm.offer,
                "share": plan.shares[j],
                "members": n,
                "expected_orders": exp_orders,
                "expected_revenue": exp_revenue,
                "fixed_cost": fixed,
                "order_cost": per_order,
                "discount_cost": discount,
                "budget": fixed + per_order + discount,
                "budget_per_member": (fixed + per_order + discount) / n if n else float("nan"),
            }
        )
    return PlannedCampaign(
        plan,
        attributes.attrs.get("as_of"),
        len(attributes),
        steps,
        assigned,
        pd.DataFrame(rows),
        _power(plan, baseline, len(assigned)),
        baseline,
    )


def _power(plan: CampaignPlan, baseline: dict, n: int) -> pd.DataFrame:
    """MDE per treatment arm for conversion and revenue per member (rows left out when not computable)."""
    names = [a.name for a in plan.ordered_arms]
    columns = ["arm", "metric", "baseline", "mde", "mde_relative"]
    if n < 4 * len(names):
        return pd.DataFrame(columns=columns)
    designs = []
    if 0 < baseline["conversion"] < 1:
        designs.append(
            (
                "converted",
                PowerDesign(
                    "binary", baseline["conversion"], shares=plan.shares, alpha=plan.alpha, power=plan.power
                ),
            )
        )
    if baseline["revenue_sd"] > 0:
        designs.append(
            (
                "revenue",
                PowerDesign(
                    "continuous",
                    baseline["revenue"],
                    sd=baseline["revenue_sd"],
                    shares=plan.shares,
                    alpha=plan.alpha,
                    power=plan.power,
                ),
            )
        )
    rows = []
    for metric, design in designs:
        table = minimum_detectable_effect(design, n)
        for r in table.itertuples(index=False):
            rows.append(
                {
                    "arm": names[int(r.arm)],
                    "metric": metric,
                    "baseline": design.baseline,
                    "mde": r.mde,
                    "mde_relative": r.mde_relative,
                }
            )
    return pd.DataFrame(rows, columns=columns)
