"""What each arm of a campaign cost, from params: ``costs:`` in ``params/campaign_ab.yaml``.

```yaml
costs:                                  # arm -> any of these (an arm not listed cost nothing)
  control: {discount_column: true}      # regular promotions: counted in every arm, so they cancel out
  blanket_discount: {discount_column: true}
  vip_gift: {per_member: 200, recipients: gift_recipient, discount_column: true}
```

* ``per_member``: a fixed cost per member of the arm (a gift's unit cost, an SMS);
* ``per_order``: a cost per order in the campaign window (a gift with purchase);
* ``discount_column: true``: the discount actually granted in the window (the log's ``discount`` column,
  ``campaign_frame``'s ``discount``) is the arm's cost. Set it for the control too: regular promotions are
  then counted in every arm and cancel in the arm-minus-control differences of ``campaign_economics``;
* ``recipients``: a column of the assignment list (1/true = received the offer): only those members carry
  ``per_member`` / ``per_order`` (the demo's VIP gift went to the top 20% of its arm only).

``add_costs`` writes the two cost columns ``campaign_economics`` reads: ``discount_cost`` (discounts, which
the accounting adds back to list-price revenue for the margin) and ``gift_cost`` (everything else).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.settings import SettingsError, bounded, build, validate

__all__ = ["ArmCost", "CampaignCosts", "add_costs"]


@dataclass(frozen=True)
class ArmCost:
    """The cost of one arm (see the module docstring).

    Parameters
    ----------
    per_member : float
        Fixed cost per member (or per recipient), in the brand's currency.
    per_order : float
        Cost per order in the window (per recipient's order with ``recipients``).
    discount_column : bool
        The discounts granted in the window are a cost of the arm.
    recipients : str, optional
        Column of the assignment list marking who received the offer.
    """

    per_member: float = field(default=0.0, metadata=bounded(0))
    per_order: float = field(default=0.0, metadata=bounded(0))
    discount_column: bool = False
    recipients: str | None = None

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class CampaignCosts:
    """Cost per arm: ``arms`` maps an arm name to its ``ArmCost`` (build it with :meth:`from_dict`)."""

    arms: Mapping[str, ArmCost] = field(default_factory=dict)

    def __post_init__(self):
        validate(self)

    @classmethod
    def from_dict(cls, mapping: Mapping | None) -> CampaignCosts:
        """Build from the params mapping arm -> ``{per_member, per_order, discount_column, recipients}``.

        Parameters
        ----------
        mapping : Mapping or None
            ``costs:`` of ``params/campaign_ab.yaml``; ``None`` = no costs.

        Returns
        -------
        CampaignCosts

        Raises
        ------
        SettingsError
            ``CampaignCosts['vip_gift'].per_member must be at least 0; got -5``, an unknown key with "did you
            mean", an arm that is not a mapping.
        """
        if mapping is None:
            return cls()
        if not isinstance(mapping, Mapping):
            raise SettingsError("CampaignCosts", f"must be a mapping of arm -> cost; got {mapping!r}")
        arms = {}
        for arm, spec in mapping.items():
            if not isinstance(arm, str):
                raise SettingsError("CampaignCosts", f"arm names must be text; got {arm!r}")
            arms[arm] = build(ArmCost, spec, f"CampaignCosts[{arm!r}]")
        return cls(arms)


def add_costs(
    frame: pd.DataFrame,
    costs: CampaignCosts | Mapping | None,
    *,
    arm: str = "arm",
    discount_cost: str = "discount_cost",
    gift_cost: str = "gift_cost",
) -> pd.DataFrame:
    """``frame`` with the cost columns ``discount_cost`` and ``gift_cost`` per member from ``costs``.

    Parameters
    ----------
    frame : DataFrame
        One row per member: ``arm``, and ``orders`` / ``discount`` when a cost needs them (``campaign_frame``).
    costs : CampaignCosts or Mapping or None
        Cost per arm; arms not listed cost nothing.
    arm, discount_cost, gift_cost : str
        The arm column and the names of the two cost columns written.

    Returns
    -------
    DataFrame
        A copy with the two cost columns (replacing columns of those names).

    Raises
    ------
    SettingsError
        Naming the arm: an arm that is not in the frame, a ``recipients`` column it lacks, or
        ``discount_column`` without a ``discount`` column.
    """
    costs = costs if isinstance(costs, CampaignCosts) else CampaignCosts.from_dict(costs)
    if arm not in frame.columns:
        raise SettingsError(
            "CampaignCosts", f"needs the arm column {arm!r}; columns: {', '.join(frame.columns)}"
        )
    arms = frame[arm].astype("str").to_numpy()
    present = sorted(set(arms))
    out = frame.copy()
    disc = np.zeros(len(frame))
    gift = np.zeros(len(frame))
    for name, cost in costs.arms.items():
        where = f"CampaignCosts[{name!r}]"
        if name not in present:
            raise SettingsError(
                where, f"names an arm the assignment list does not have; arms: {', '.join(present)}"
            )
        sel = arms == name
        if cost.discount_column:
            if "discount" not in frame.columns or not frame.attrs.get("has_discount", True):
                raise SettingsError(
                    f"{where}.discount_column", "needs the log's discount column, which the transactions lack"
                )
            disc[sel] = frame.loc[sel, "discount"].to_numpy(dtype=float)
        paid = sel
        if cost.recipients is not None:
            if cost.recipients not in frame.columns:
                raise SettingsError(
                    f"{where}.recipients",
                    f"must be a column of the assignment list ({', '.join(frame.columns)}); got {cost.recipients!r}",
                )
            paid = sel & _received(frame[cost.recipients])
        gift[paid] += cost.per_member
        if cost.per_order:
            if "orders" not in frame.columns:
                raise SettingsError(
                    f"{where}.per_order", "needs the orders column (measure the outcomes first)"
                )
            gift[paid] += cost.per_order * frame.loc[paid, "orders"].to_numpy(dtype=float)
    out[discount_cost] = disc
    out[gift_cost] = gift
    return out


def _received(column: pd.Series) -> np.ndarray:
    """The members a ``recipients`` column flags (1/true; text or missing counts as not received)."""
    return pd.to_numeric(column, errors="coerce").fillna(0).to_numpy(dtype=float) != 0


def reached_shares(frame: pd.DataFrame, costs) -> dict[str, float]:
    """The share of each arm's members its offer reached, for the arms whose cost names ``recipients``.

    A gift handed only to the top 20% of an arm (``recipients: gift_recipient``) was tested on those 20%:
    a targeting rule that would hand it to more of them is outside what was randomised
    (``workbench.experiments.supported_policy``'s ``tested_shares``).

    Parameters
    ----------
    frame : DataFrame
        The campaign table (``arm`` and the recipients columns).
    costs : Mapping, CampaignCosts or None
        ``costs:`` of ``params/campaign_ab.yaml``.

    Returns
    -------
    dict of str to float
        Arm -> share of its members flagged as recipients (arms without ``recipients`` are left out).
    """
    costs = costs if isinstance(costs, CampaignCosts) else CampaignCosts.from_dict(costs)
    out = {}
    for name, cost in costs.arms.items():
        if cost.recipients is None or cost.recipients not in frame.columns:
            continue
        sel = frame["arm"].astype("str").to_numpy() == name
        if sel.any():
            out[name] = float(_received(frame[cost.recipients])[sel].mean())
    return out
