"""A tier programme as data: validated frozen dataclasses built from the params YAML shape, the benefit
cost model, and the review rules on arrays (``supported_tier``, ``review_outcome``, ``next_year_tier``).

See ``workbench.tiers`` for the YAML shape and the rules; this module is re-exported there.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

Metric = Literal["spend", "orders"]
Window = Literal["calendar_year", "rolling_12m", "lifetime"]
Review = Literal["annual", "monthly"]
UpgradeTiming = Literal["immediate", "review"]
Downgrade = Literal["to_supported", "one_step"]

EVENTS = ("upgrade", "fast_upgrade", "renewal", "grace", "downgrade")


class TierProgramError(ValueError):
    """An invalid tier programme; the message names the tier (when there is one) and the field."""


def _check_choice(owner: str, name: str, value, choices) -> None:
    allowed = get_args(choices)
    if value not in allowed:
        raise TierProgramError(f"{owner}: field {name!r} must be one of {allowed}, got {value!r}")


def _check_number(owner: str, name: str, value, *, low=0.0, high=None, integer=False) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (integer and not isinstance(value, int))
    ):
        kind = "an integer" if integer else "a number"
        raise TierProgramError(f"{owner}: field {name!r} must be {kind}, got {value!r}")
    if value < low or (high is not None and value > high) or value != value:
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise TierProgramError(f"{owner}: field {name!r} must be {bounds}, got {value!r}")


def _known(owner: str, cls, mapping: dict) -> dict:
    if not isinstance(mapping, dict):
        raise TierProgramError(f"{owner}: expected a mapping, got {type(mapping).__name__}")
    allowed = [f.name for f in dataclasses.fields(cls)]
    unknown = [k for k in mapping if k not in allowed]
    if unknown:
        raise TierProgramError(
            f"{owner}: unknown field(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(allowed)}"
        )
    return dict(mapping)


@dataclass(frozen=True)
class Benefits:
    """What a tier gives a member per year (NT$ values; rates as fractions)."""

    birthday_voucher: float = 0.0  # face value of the birthday voucher
    member_day_multiplier: float = 1.0  # points multiplier on member days (1 = no extra points)
    gift: float = 0.0  # cost of gifts per member per year
    discount: float = 0.0  # tier discount on the member's spend (0.05 = 5%)

    def __post_init__(self):
        _check_number("benefits", "birthday_voucher", self.birthday_voucher)
        _check_number("benefits", "member_day_multiplier", self.member_day_multiplier, low=1.0)
        _check_number("benefits", "gift", self.gift)
        _check_number("benefits", "discount", self.discount, high=1.0)


@dataclass(frozen=True)
class CostModel:
    """Programme-wide assumptions that turn benefits into cost."""

    voucher_redemption: float = 0.6  # share of birthday vouchers redeemed
    point_value: float = 0.01  # NT$ cost of the points earned per NT$1 of spend at 1x
    member_day_share: float = 0.25  # share of spend made on member days

    def __post_init__(self):
        _check_number("TierProgram costs", "voucher_redemption", self.voucher_redemption, high=1.0)
        _check_number("TierProgram costs", "point_value", self.point_value, high=1.0)
        _check_number("TierProgram costs", "member_day_share", self.member_day_share, high=1.0)


@dataclass(frozen=True)
class Tier:
    name: str
    upgrade: float
    renewal: float | None = None  # None: equal to upgrade
    fast_upgrade: float | None = None  # one order at least this large upgrades at once
    benefits: Benefits = Benefits()

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise TierProgramError(
                f"TierProgram: tier field 'name' must be a non-empty string, got {self.name!r}"
            )
        owner = f"TierProgram tier {self.name!r}"
        _check_number(owner, "upgrade", self.upgrade)
        if self.renewal is None:
            object.__setattr__(self, "renewal", self.upgrade)
        _check_number(owner, "renewal", self.renewal)
        if self.renewal > self.upgrade:
            raise TierProgramError(
                f"{owner}: field 'renewal' ({self.renewal:g}) must not exceed its 'upgrade' ({self.upgrade:g})"
            )
        if self.fast_upgrade is not None:
            _check_number(owner, "fast_upgrade", self.fast_upgrade)
            if self.fast_upgrade <= 0:
                raise TierProgramError(
                    f"{owner}: field 'fast_upgrade' must be positive, got {self.fast_upgrade!r}"
                )
        if isinstance(self.benefits, dict):
            spec = _known(f"{owner} benefits", Benefits, self.benefits)
            try:
                object.__setattr__(self, "benefits", Benefits(**spec))
            except TierProgramError as err:
                raise TierProgramError(f"{owner} {err}") from None
        elif not isinstance(self.benefits, Benefits):
            raise TierProgramError(f"{owner}: field 'benefits' must be a mapping, got {self.benefits!r}")

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
    review_month: int = 12
    upgrade_timing: UpgradeTiming = "immediate"
    downgrade: Downgrade = "to_supported"
    grace_months: int = 0
    returns_deducted: bool = True
    carry_over: bool = False
    costs: CostModel = CostModel()

    def __post_init__(self):
        tiers = tuple(self.tiers)
        object.__setattr__(self, "tiers", tiers)
        if not 2 <= len(tiers) <= 5:
            raise TierProgramError(f"TierProgram: field 'tiers' must hold 2 to 5 tiers, got {len(tiers)}")
        names = [t.name for t in tiers]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise TierProgramError(f"TierProgram: tier names must be unique; repeated: {', '.join(dupes)}")
        if tiers[0].upgrade != 0:
            raise TierProgramError(
                f"TierProgram tier {tiers[0].name!r}: field 'upgrade' of the entry tier must be 0, "
                f"got {tiers[0].upgrade:g}"
            )
        for low, high in zip(tiers, tiers[1:], strict=False):
            if high.upgrade <= low.upgrade:
                raise TierProgramError(
                    f"TierProgram tier {high.name!r}: field 'upgrade' ({high.upgrade:g}) must be greater than "
                    f"tier {low.name!r} upgrade ({low.upgrade:g}); thresholds must increase"
                )
        if tiers[0].fast_upgrade is not None:
            raise TierProgramError(
                f"TierProgram tier {tiers[0].name!r}: field 'fast_upgrade' is not allowed on the entry tier"
            )
        for name, choices in (
            ("metric", Metric),
            ("window", Window),
            ("review", Review),
            ("upgrade_timing", UpgradeTiming),
            ("downgrade", Downgrade),
        ):
            _check_choice("TierProgram", name, getattr(self, name), choices)
        _check_number("TierProgram", "review_month", self.review_month, low=1, high=12, integer=True)
        _check_number("TierProgram", "grace_months", self.grace_months, low=0, high=24, integer=True)
        for name in ("returns_deducted", "carry_over"):
            if not isinstance(getattr(self, name), bool):
                raise TierProgramError(
                    f"TierProgram: field {name!r} must be true or false, got {getattr(self, name)!r}"
                )
        if self.window == "calendar_year" and (self.review != "annual" or self.review_month != 12):
            raise TierProgramError(
                "TierProgram: field 'review' must be 'annual' with review_month 12 for window 'calendar_year', "
                f"got review={self.review!r}, review_month={self.review_month}"
            )
        if self.carry_over and self.window != "calendar_year":
            raise TierProgramError(
                f"TierProgram: field 'carry_over' needs window 'calendar_year', got window={self.window!r}"
            )
        if isinstance(self.costs, dict):
            object.__setattr__(self, "costs", CostModel(**_known("TierProgram costs", CostModel, self.costs)))
        elif not isinstance(self.costs, CostModel):
            raise TierProgramError(f"TierProgram: field 'costs' must be a mapping, got {self.costs!r}")

    # --- construction -------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, mapping: dict) -> TierProgram:
        """Build from the params YAML shape (``tiers: [{name, upgrade, renewal, fast_upgrade, benefits}]``, ...)."""
        data = _known("TierProgram", cls, mapping)
        if "tiers" not in data:
            raise TierProgramError("TierProgram: field 'tiers' is required")
        tiers = []
        for i, spec in enumerate(data["tiers"]):
            name = spec.get("name", f"#{i + 1}") if isinstance(spec, dict) else f"#{i + 1}"
            spec = _known(f"TierProgram tier {name!r}", Tier, spec)
            for required in ("name", "upgrade"):
                if required not in spec:
                    raise TierProgramError(f"TierProgram tier {name!r}: field {required!r} is required")
            tiers.append(Tier(**spec))
        data["tiers"] = tuple(tiers)
        return cls(**data)

    def to_dict(self) -> dict:
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
        return [t.name for t in self.tiers]

    @property
    def upgrades(self) -> np.ndarray:
        return np.array([t.upgrade for t in self.tiers], dtype=float)

    @property
    def renewals(self) -> np.ndarray:
        return np.array([t.renewal for t in self.tiers], dtype=float)

    def cost_terms(self) -> tuple[np.ndarray, np.ndarray]:
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
