"""Audience rules: which members a campaign is for, written the way YAML writes it naturally.

A rule is a mapping::

    all:                                   # every condition (any: at least one; not: the opposite)
      - {attr: days_since_last_purchase, le: 180}
      - {attr: spend_365d, between: [3000, 50000]}
      - not: {attr: member_type, in: [sleeping, churning]}
      - any:
          - {attr: tier, eq: Gold}
          - {attr: clv_12m, top_share: 0.2}   # the top 20% of members by clv_12m

A leaf names one attribute of ``workbench.audience.ATTRIBUTES`` (``attr``) and exactly one operator of
``OPERATORS``: ``eq ne lt le gt ge`` (a number, a date for the date attributes, text for the text ones),
``in`` / ``not_in`` (a list), ``between`` (``[low, high]``, both included) and ``top_share`` (a share in
(0, 1]: members whose value is at least the ``ceil(share * n)``-th largest of the ``n`` members with a value,
ties at the boundary included, as the member overview's "top 20%"). Every leaf is evaluated over all members
of the attributes frame (so ``top_share`` means the top share of all members, wherever the leaf stands), and
a member whose value is missing satisfies no leaf (``not`` turns that into a match).

``AudienceRule.from_dict`` checks a rule like every other setting and names the place of each problem::

    AudienceRule.all[2].not.attr must be one of the member attributes ...; got 'membr_type' (did you mean 'member_type'?)

``select(attributes, rule)`` returns the member ids; ``funnel(attributes, rule)`` how many members are left
after each condition of a top-level ``all`` (the report's funnel).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench.audience.attributes import ATTRIBUTES
from workbench.errors import ArgumentError
from workbench.segments import _top
from workbench.settings import MAX_ITEMS, SettingsError

__all__ = ["OPERATORS", "AudienceRule", "AudienceRuleError", "funnel", "select"]

OPERATORS: tuple[str, ...] = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "between", "top_share")
COMBINATIONS: tuple[str, ...] = ("all", "any", "not")
SYMBOLS: dict[str, str] = {
    "eq": "{attr} = {value}",
    "ne": "{attr} ≠ {value}",
    "lt": "{attr} < {value}",
    "le": "{attr} ≤ {value}",
    "gt": "{attr} > {value}",
    "ge": "{attr} ≥ {value}",
    "in": "{attr} in {value}",
    "not_in": "{attr} not in {value}",
    "between": "{attr} between {low} and {high}",
    "top_share": "top {share} by {attr}",
    "not": "not ({rule})",
    "all": " and ",
    "any": " or ",
}
"""How ``AudienceRule.describe`` writes each operator (the report passes its own words)."""
_ORDERED = ("lt", "le", "gt", "ge", "between", "top_share")
# other spellings of the operators, for "did you mean"
_SPELLINGS = {
    "gte": "ge",
    "lte": "le",
    "neq": "ne",
    "equals": "eq",
    "nin": "not_in",
    "top": "top_share",
    ">=": "ge",
    "<=": "le",
    ">": "gt",
    "<": "lt",
    "=": "eq",
    "==": "eq",
    "!=": "ne",
    "range": "between",
}


class AudienceRuleError(SettingsError):
    """An audience rule is invalid, or names an attribute the attributes frame does not have."""


def _got(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _scalar(value) -> bool:
    return isinstance(value, str | int | float | bool) or hasattr(value, "isoformat")


@dataclass(frozen=True)
class AudienceRule:
    """A checked rule: ``kind`` ``all``/``any``/``not`` with ``children``, or a ``leaf`` ``attr`` ``op`` ``value``.

    Build it with :meth:`from_dict`; ``path`` is where it sits in the mapping (for messages).
    """

    kind: Literal["all", "any", "not", "leaf"]
    children: tuple[AudienceRule, ...] = ()
    attr: str | None = None
    op: str | None = None
    value: Any = None
    path: str = "AudienceRule"

    @classmethod
    def from_dict(cls, mapping: Mapping[str, Any], path: str = "AudienceRule") -> AudienceRule:
        """Check and build a rule from its YAML mapping (see the module docstring).

        Parameters
        ----------
        mapping : Mapping
            ``{all: [...]}``, ``{any: [...]}``, ``{not: {...}}`` or a leaf ``{attr: NAME, OP: value}``.
        path : str
            Where the mapping sits, for messages (``"params/campaign_design.yaml: audience"``).

        Returns
        -------
        AudienceRule

        Raises
        ------
        AudienceRuleError
            Naming the place, what is allowed and the bad value: an unknown attribute or operator (with
            "did you mean"), a leaf without or with two operators, a value of the wrong kind.
        """
        if isinstance(mapping, AudienceRule):
            return mapping
        if not isinstance(mapping, Mapping) or not mapping:
            raise AudienceRuleError(
                path, f"must be a mapping with one of all, any, not or attr; got {_got(mapping)}"
            )
        keys = [str(k) for k in mapping]
        combo = [k for k in keys if k in COMBINATIONS]
        if combo:
            if len(keys) > 1:
                raise AudienceRuleError(
                    path, f"must have {combo[0]!r} as its only key; got {', '.join(map(repr, keys))}"
                )
            key = combo[0]
            value = mapping[key]
            if key == "not":
                return cls("not", (cls.from_dict(value, f"{path}.not"),), path=path)
            if isinstance(value, str) or not isinstance(value, list | tuple) or not value:
                raise AudienceRuleError(
                    f"{path}.{key}", f"must be a non-empty list of rules; got {_got(value)}"
                )
            if len(value) > MAX_ITEMS:
                raise AudienceRuleError(
                    f"{path}.{key}", f"must have at most {MAX_ITEMS:,} rules; got {len(value):,}"
                )
            children = tuple(cls.from_dict(v, f"{path}.{key}[{i}]") for i, v in enumerate(value))
            return cls(key, children, path=path)
        return cls._leaf(mapping, path)

    @classmethod
    def _leaf(cls, mapping: Mapping, path: str) -> AudienceRule:
        allowed = ("attr", *OPERATORS)
        for key in mapping:
            if key not in allowed:
                close = [_SPELLINGS[key]] if key in _SPELLINGS else []
                close = close or difflib.get_close_matches(str(key), [*allowed, *COMBINATIONS], n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise AudienceRuleError(
                    path, f": unknown key {key!r}{hint}; allowed keys: all, any, not, {', '.join(allowed)}"
                )
        if "attr" not in mapping:
            raise AudienceRuleError(path, f"must name an attribute (attr: NAME); got {_got(dict(mapping))}")
        attr = mapping["attr"]
        if not isinstance(attr, str) or attr not in ATTRIBUTES:
            close = difflib.get_close_matches(str(attr), list(ATTRIBUTES), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise AudienceRuleError(
                f"{path}.attr",
                f"must be one of the member attributes ({', '.join(ATTRIBUTES)}); got {_got(attr)}{hint}",
            )
        ops = [k for k in mapping if k in OPERATORS]
        if len(ops) != 1:
            raise AudienceRuleError(
                path,
                f"must have exactly one operator of {', '.join(OPERATORS)}; got {', '.join(ops) or 'none'}",
            )
        op = ops[0]
        return cls("leaf", attr=attr, op=op, value=_check_value(op, mapping[op], f"{path}.{op}"), path=path)

    # ---- use ---------------------------------------------------------------------------------
    def attributes(self) -> list[str]:
        """The attributes the rule reads, in order of appearance."""
        if self.kind == "leaf":
            return [self.attr]
        return list(dict.fromkeys(a for c in self.children for a in c.attributes()))

    def steps(self) -> tuple[AudienceRule, ...]:
        """The funnel's steps: the conditions of a top-level ``all``, else the rule itself."""
        return self.children if self.kind == "all" else (self,)

    def mask(self, attributes: pd.DataFrame) -> np.ndarray:
        """Which rows of ``attributes`` the rule selects (a boolean array)."""
        if self.kind == "leaf":
            return _leaf_mask(self, attributes)
        masks = [c.mask(attributes) for c in self.children]
        if self.kind == "not":
            return ~masks[0]
        return np.logical_and.reduce(masks) if self.kind == "all" else np.logical_or.reduce(masks)

    def describe(
        self, label: Callable[[str], str] = str, words: Mapping[str, str] | None = None, fmt=None
    ) -> str:
        """The rule as one line of text: ``days_since_last_purchase ≤ 180 and top 20% by clv_12m``.

        Parameters
        ----------
        label : callable
            Attribute name -> shown name.
        words : mapping, optional
            Templates per operator (``SYMBOLS``' keys); the report passes translated ones.
        fmt : callable, optional
            ``(value, attribute) -> shown text`` (numbers with thousands separators by default).
        """
        words = {**SYMBOLS, **(words or {})}
        fmt = fmt or _shown
        if self.kind == "not":
            return words["not"].format(rule=self.children[0].describe(label, words, fmt))
        if self.kind in ("all", "any"):
            parts = [c.describe(label, words, fmt) for c in self.children]
            parts = [
                f"({p})" if c.kind in ("all", "any") and len(self.children) > 1 else p
                for p, c in zip(parts, self.children, strict=True)
            ]
            return words[self.kind].join(parts)
        name = label(self.attr)
        if self.op == "between":
            low, high = (fmt(v, self.attr) for v in self.value)
            return words["between"].format(attr=name, low=low, high=high)
        if self.op == "top_share":
            return words["top_share"].format(attr=name, share=f"{self.value:.0%}")
        if self.op in ("in", "not_in"):
            return words[self.op].format(
                attr=name, value="[" + ", ".join(fmt(v, self.attr) for v in self.value) + "]"
            )
        return words[self.op].format(attr=name, value=fmt(self.value, self.attr))


def _shown(value, attr: str | None = None) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _check_value(op: str, value, path: str):
    """The value of operator ``op``, checked (lists to tuples)."""
    if op in ("in", "not_in"):
        if isinstance(value, str) or not isinstance(value, list | tuple) or not value:
            raise AudienceRuleError(path, f"must be a non-empty list of values; got {_got(value)}")
        if len(value) > MAX_ITEMS or not all(_scalar(v) for v in value):
            raise AudienceRuleError(
                path, f"must list at most {MAX_ITEMS:,} numbers, texts or dates; got {_got(value)}"
            )
        return tuple(value)
    if op == "between":
        if (
            isinstance(value, str)
            or not isinstance(value, list | tuple)
            or len(value) != 2
            or not all(_scalar(v) and not isinstance(v, bool) for v in value)
        ):
            raise AudienceRuleError(
                path, f"must be a list [low, high] of two numbers or dates; got {_got(value)}"
            )
        low, high = value
        if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
            raise AudienceRuleError(path, f"must have low <= high; got {_got(list(value))}")
        return tuple(value)
    if op == "top_share":
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not 0 < value <= 1
            or math.isnan(value)
        ):
            raise AudienceRuleError(path, f"must be a share between 0 (excluded) and 1; got {_got(value)}")
        return float(value)
    if not _scalar(value):
        raise AudienceRuleError(path, f"must be a number, a text or a date; got {_got(value)}")
    if op in _ORDERED and isinstance(value, bool):
        raise AudienceRuleError(path, f"must be a number or a date; got {_got(value)}")
    return value


def _column(rule: AudienceRule, attributes: pd.DataFrame) -> pd.Series:
    if rule.attr not in attributes.columns:
        needs = {
            "tier": "a tier programme",
            "to_next_tier": "a tier programme",
            "clv_12m": "a fitted CLV model",
            "p_alive": "a fitted CLV model",
            "expected_purchases_12m": "a fitted CLV model",
        }.get(rule.attr, "a members table with that column")
        have = ", ".join(map(str, attributes.columns))
        raise AudienceRuleError(
            f"{rule.path}.attr",
            f"must be one of the computed attributes ({have}); got {rule.attr!r} ({rule.attr} needs {needs})",
        )
    return attributes[rule.attr]


def _typed(rule: AudienceRule, column: pd.Series, value, kind: str):
    """``value`` as the column's kind: a Timestamp for dates, a number for numbers, text for text."""
    where = f"{rule.path}.{rule.op}"
    if kind == "date":
        try:
            return pd.Timestamp(value)
        except (TypeError, ValueError):
            raise AudienceRuleError(
                where, f"must be a date for the date attribute {rule.attr!r}; got {_got(value)}"
            ) from None
    if kind == "number":
        if isinstance(value, bool) and not pd.api.types.is_bool_dtype(column.dtype):
            raise AudienceRuleError(
                where, f"must be a number for the numeric attribute {rule.attr!r}; got {_got(value)}"
            )
        if not isinstance(value, int | float):
            raise AudienceRuleError(
                where, f"must be a number for the numeric attribute {rule.attr!r}; got {_got(value)}"
            )
        return value
    return str(value)


def _kind(column: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return "date"
    if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
        return "number"
    return "text"


def _leaf_mask(rule: AudienceRule, attributes: pd.DataFrame) -> np.ndarray:
    column = _column(rule, attributes)
    kind = _kind(column)
    op, value = rule.op, rule.value
    if op in _ORDERED and kind == "text":
        raise AudienceRuleError(
            f"{rule.path}.{op}", f"needs a numeric or date attribute; got the text attribute {rule.attr!r}"
        )
    if op == "top_share":
        if kind != "number":
            raise AudienceRuleError(
                f"{rule.path}.{op}", f"needs a numeric attribute; got the date attribute {rule.attr!r}"
            )
        return _top(column.astype("float64"), value).to_numpy(dtype=bool)
    values = column.astype("str") if kind == "text" else column
    present = column.notna().to_numpy()
    if op in ("in", "not_in"):
        hit = values.isin([_typed(rule, column, v, kind) for v in value]).to_numpy(dtype=bool)
        return present & (hit if op == "in" else ~hit)
    if op == "between":
        low, high = (_typed(rule, column, v, kind) for v in value)
        return (
            present
            & (values >= low).fillna(False).to_numpy(dtype=bool)
            & (values <= high).fillna(False).to_numpy(dtype=bool)
        )
    target = _typed(rule, column, value, kind)
    compare = {"eq": "__eq__", "ne": "__ne__", "lt": "__lt__", "le": "__le__", "gt": "__gt__", "ge": "__ge__"}
    result = getattr(values, compare[op])(target)
    return present & result.fillna(False).to_numpy(dtype=bool)


def _rule(rule) -> AudienceRule:
    return rule if isinstance(rule, AudienceRule) else AudienceRule.from_dict(rule)


def select(attributes: pd.DataFrame, rule) -> pd.Index:
    """The member ids ``rule`` selects from ``attributes`` (``member_attributes`` output), in its order.

    Parameters
    ----------
    attributes : DataFrame
        One row per member, indexed by ``member_id``.
    rule : Mapping or AudienceRule
        The rule (see the module docstring).

    Returns
    -------
    Index
        The selected ``member_id`` values.

    Raises
    ------
    AudienceRuleError
        For a bad rule, or one naming an attribute the frame lacks (the message lists those it has).
    ArgumentError
        When the rule selects nobody (the message gives the members left after each step).
    """
    rule = _rule(rule)
    chosen = attributes.index[rule.mask(attributes)]
    if len(chosen) == 0:
        steps = funnel(attributes, rule)
        left = "; ".join(f"{r.condition}: {r.members:,}" for r in steps.itertuples(index=False))
        raise ArgumentError(
            f"select: the rule selects no member of the {len(attributes):,} ({rule.describe()}); "
            f"members left after each step: {left}"
        )
    return chosen


def funnel(attributes: pd.DataFrame, rule) -> pd.DataFrame:
    """Members left after each step of ``rule`` (the conditions of a top-level ``all``, in order).

    Parameters
    ----------
    attributes : DataFrame
        One row per member (``member_attributes`` output).
    rule : Mapping or AudienceRule
        The rule.

    Returns
    -------
    DataFrame
        ``step`` (0 = every member), ``condition`` (``AudienceRule.describe`` of the step; "" for step 0),
        ``members`` left after it, ``removed`` by it, ``share`` of all members left; aggregates only.
    """
    rule = _rule(rule)
    total = len(attributes)
    rows = [{"step": 0, "condition": "", "members": total, "removed": 0}]
    left = np.ones(total, dtype=bool)
    for i, step in enumerate(rule.steps(), start=1):
        before = int(left.sum())
        left &= step.mask(attributes)
        rows.append(
            {
                "step": i,
                "condition": step.describe(),
                "members": int(left.sum()),
                "removed": before - int(left.sum()),
            }
        )
    out = pd.DataFrame(rows)
    out["share"] = out["members"] / total if total else np.nan
    out.attrs["rule"] = rule
    return out
