"""A tier programme as data.

Validated frozen dataclasses built from the params YAML shape, the benefit cost model, and the review rules on
arrays (``supported_tier``, ``review_outcome``, ``next_year_tier``).

See ``workbench.tiers.replay`` for the rules over the log; the public names are in ``workbench.tiers``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np

from workbench.settings import SettingsError, bounded, build, settings_error, validate

Metric = Literal["spend", "orders"]
Window = Literal["calendar_year", "rolling_12m", "lifetime"]
Review = Literal["annual", "monthly"]
UpgradeTiming = Literal["immediate", "review"]
Downgrade = Literal["to_supported", "one_step"]

EVENTS = ("upgrade", "fast_upgrade", "renewal", "grace", "downgrade")


class TierProgramError(SettingsError):
    """An invalid tier programme; the message names the tier (when there is one) and the field."""


@dataclass(frozen=True)
class Benefits:
    """What a tier gives a member per year (NT$ values; rates as fractions)."""

    birthday_voucher: float = field(default=0.0, metadata=bounded(0))  # face value of the birthday voucher
    member_day_multiplier: float = field(default=1.0, metadata=bounded(1))  # points on member days (1 = none)
    gift: float = field(default=0.0, metadata=bounded(0))  # cost of gifts per member per year
    discount: float = field(default=0.0, metadata=bounded(0, 1))  # tier discount on spend (0.05 = 5%)

    _error: ClassVar = TierProgramError

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class CostModel:
    """Programme-wide assumptions that turn benefits into cost."""

    voucher_redemption: float = field(default=0.6, metadata=bounded(0, 1))  # share of vouchers redeemed
    point_value: float = field(default=0.01, metadata=bounded(0, 1))  # cost of points per NT$1 at 1x
    member_day_share: float = field(default=0.25, metadata=bounded(0, 1))  # share of spend on member days

    _error: ClassVar = TierProgramError

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class Tier:
    """One tier: its name, the spend (or orders) a year that earns it and keeps it, and its benefits."""

    name: str
    upgrade: float = field(metadata=bounded(0))
    renewal: float | None = field(default=None, metadata=bounded(0))  # None: equal to upgrade
    fast_upgrade: float | None = field(
        default=None, metadata=bounded(above=0)
    )  # one order this large upgrades
    benefits: Benefits = Benefits()

    _error: ClassVar = TierProgramError

    def __post_init__(self):
        validate(self)
        if not self.name:
            raise settings_error(self, "name", "must be a non-empty text; got ''")
        if self.renewal is None:
            object.__setattr__(self, "renewal", self.upgrade)
        if self.renewal > self.upgrade:
            raise settings_error(
                self,
                "renewal",
                f"must not exceed the tier's upgrade ({self.upgrade:g}); got {self.renewal:g}",
            )

    def cost(self, spend, costs: CostModel):
        """Benefit cost per member for a year with ``spend`` (array-like)."""
        fixed, rate = self.cost_terms(costs)
        return fixed + rate * np.maximum(np.asarray(spend, dtype=float), 0.0)

    def cost_terms(self, costs: CostModel) -> tuple[float, float]:
        """(fixed cost per member, cost per NT$ of spend)."""
        b = self.benefits
        fixed = b.birthday_voucher * costs.voucher_redemption + b.gift
        rate = b.discount + costs.member_day_share * (b.member_day_multiplier - 1.0) * costs.point_value
        return fixed, rate


@dataclass(frozen=True)
class TierProgram:
    """A validated tier programme: tiers from the entry tier (``upgrade`` 0) up, and the rules."""

    tiers: tuple[Tier, ...]
    metric: Metric = "spend"
    window: Window = "calendar_year"
    review: Review = "annual"
    review_month: int = field(default=12, metadata=bounded(1, 12))
    upgrade_timing: UpgradeTiming = "immediate"
    downgrade: Downgrade = "to_supported"
    grace_months: int = field(default=0, metadata=bounded(0, 24))
    returns_deducted: bool = True
    carry_over: bool = False
    costs: CostModel = CostModel()

    _error: ClassVar = TierProgramError

    def __post_init__(self):
        validate(self)
        tiers = self.tiers
        if not 2 <= len(tiers) <= 5:
            raise settings_error(self, "tiers", f"must hold 2 to 5 tiers; got {len(tiers)}")
        names = [t.name for t in tiers]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise settings_error(self, "tiers", f"must have unique names; repeated: {', '.join(dupes)}")
        entry = tiers[0]
        if entry.upgrade != 0:
            raise settings_error(
                self, f"tiers[{entry.name!r}].upgrade", f"must be 0 for the entry tier; got {entry.upgrade:g}"
            )
        if entry.fast_upgrade is not None:
            raise settings_error(
                self, f"tiers[{entry.name!r}].fast_upgrade", "is not allowed on the entry tier"
            )
        for low, high in zip(tiers, tiers[1:], strict=False):
            if high.upgrade <= low.upgrade:
                raise settings_error(
                    self,
                    f"tiers[{high.name!r}].upgrade",
                    f"must be greater than the upgrade of tier {low.name!r} ({low.upgrade:g}): thresholds "
                    f"must increase; got {high.upgrade:g}",
                )
        if self.window == "calendar_year" and (self.review != "annual" or self.review_month != 12):
            raise settings_error(
                self,
                "review",
                "must be 'annual' with review_month 12 for window 'calendar_year'; "
                f"got review={self.review!r}, review_month={self.review_month}",
            )
        if self.carry_over and self.window != "calendar_year":
            raise settings_error(
                self, "carry_over", f"needs window 'calendar_year'; got window={self.window!r}"
            )

    # --- construction -------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, mapping: dict) -> TierProgram:
        """Build from the params YAML shape (``tiers: [{name, upgrade, renewal, fast_upgrade, benefits}]``, ...).

        Parameters
        ----------
        mapping : dict
            The ``program:`` mapping of ``params/tier_simulation.yaml``.

        Returns
        -------
        TierProgram
            Checked: every tier's thresholds and benefits, the windows and review rules.

        Raises
        ------
        TierProgramError
            Naming the tier and the field (``TierProgram.tiers['Gold'].upgrade must be ...; got ...``).
        """
        return build(cls, mapping)

    def to_dict(self) -> dict:
        """The programme as plain values (``TierProgram.from_dict`` reads it back)."""
        out = dataclasses.asdict(self)
        out["tiers"] = list(out["tiers"])
        return out

    def with_thresholds(self, upgrades: dict[str, float], *, keep_renewal_ratio: bool = True) -> TierProgram:
        """A copy with new ``upgrade`` thresholds (renewal scaled by the old renewal/upgrade ratio)."""
        tiers = []
        for t in self.tiers:
            if t.name in upgrades:
                new = float(upgrades[t.name])
                ratio = t.renewal / t.upgrade if t.upgrade > 0 else 1.0
                renewal = new * ratio if keep_renewal_ratio else min(t.renewal, new)
                t = dataclasses.replace(t, upgrade=new, renewal=renewal)
            tiers.append(t)
        unknown = set(upgrades) - set(self.names)
        if unknown:
            raise TierProgramError(
                f"TierProgram: no tier named {', '.join(sorted(unknown))}; tiers: {self.names}"
            )
        return dataclasses.replace(self, tiers=tuple(tiers))

    # --- vectors used by the replay and the simulator -----------------------------------------------
    @property
    def names(self) -> list[str]:
        """The tier names, entry tier first."""
        return [t.name for t in self.tiers]

    @property
    def upgrades(self) -> np.ndarray:
        """The upgrade thresholds, one per tier."""
        return np.array([t.upgrade for t in self.tiers], dtype=float)

    @property
    def renewals(self) -> np.ndarray:
        """The renewal thresholds, one per tier."""
        return np.array([t.renewal for t in self.tiers], dtype=float)

    def cost_terms(self) -> tuple[np.ndarray, np.ndarray]:
        """Per tier: (fixed cost per member, cost per unit of spend), as two arrays."""
        terms = [t.cost_terms(self.costs) for t in self.tiers]
        return np.array([f for f, _ in terms]), np.array([r for _, r in terms])

    def member_cost(self, tier_codes, spend) -> np.ndarray:
        """Benefit cost per member for a year: tier codes (0 = entry tier) and spend arrays."""
        fixed, rate = self.cost_terms()
        codes = np.asarray(tier_codes)
        return fixed[codes] + rate[codes] * np.maximum(np.asarray(spend, dtype=float), 0.0)


# --- rules on arrays ----------------------------------------------------------------------------------
def supported_tier(q: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Highest tier code whose threshold ``q`` meets (thresholds increasing, the first one 0 -> entry tier)."""
    code = np.searchsorted(thresholds, q, side="right") - 1
    return np.maximum(code, 0).astype(np.int8)


def review_outcome(q: np.ndarray, current: np.ndarray, program: TierProgram) -> tuple[np.ndarray, np.ndarray]:
    """Tier after a review with qualifying value ``q``, and the outcome code per member.

    Outcome codes: 0 = no change (entry tier staying), 1 = upgrade, 2 = renewal, 3 = downgrade / fail.
    Grace is not applied here (the caller decides what a failure means).
    """
    current = np.asarray(current, dtype=np.int8)
    up = supported_tier(q, program.upgrades)
    renewals = program.renewals
    upgraded = up > current
    renewed = ~upgraded & (current > 0) & (q >= renewals[current])
    failed = ~upgraded & ~renewed & (current > 0)
    target = np.where(upgraded, up, current).astype(np.int8)
    if failed.any():
        # highest lower tier whose renewal threshold q meets; renewal thresholds need not be monotone
        lower = np.zeros(len(q), dtype=np.int8)
        for k in range(1, len(program.tiers)):
            lower = np.where((k < current) & (q >= renewals[k]), np.int8(k), lower)
        if program.downgrade == "one_step":
            lower = np.maximum(lower, current - 1).astype(np.int8)
        target = np.where(failed, lower, target).astype(np.int8)
    outcome = np.select([upgraded, renewed, failed], [1, 2, 3], 0).astype(np.int8)
    return target, outcome


def next_year_tier(spend, program: TierProgram, current=None) -> np.ndarray:
    """Tier codes after the annual review on ``spend`` (qualification only when ``current`` is None)."""
    q = np.asarray(spend, dtype=float)
    if current is None:
        return supported_tier(q, program.upgrades)
    return review_outcome(q, np.asarray(current, dtype=np.int8), program)[0]
