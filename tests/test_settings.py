"""workbench.settings: ``build`` / ``validate`` on small settings dataclasses defined here (unknown and missing
keys, choices, bounds, nested paths, list -> tuple), ``read_yaml``'s refusals, and ``build`` on the report's
own params.

The expected outcomes are written out or computed here independently (a plain predicate for the bounds,
``dataclasses.fields`` for the allowed keys), not taken from the module under test.

(No ``from __future__ import annotations``: the settings read the fields' type hints, and the dataclasses
below should not depend on how pytest imports this module to resolve them.)
"""

import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import Literal

import pytest

from workbench.errors import WorkbenchError
from workbench.report.params import CommonParams, ParamsError
from workbench.settings import MAX_YAML_BYTES, SettingsError, bounded, build, read_yaml, validate


# --- the settings classes under test: a small tier programme, and one field per kind of bound -----------------
@dataclass(frozen=True)
class Benefits:
    discount: float = field(default=0.0, metadata=bounded(0, 1))
    voucher: float = field(default=0.0, metadata=bounded(0))

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class Tier:
    name: str
    upgrade: float = field(default=0.0, metadata=bounded(0))
    benefits: Benefits = Benefits()

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class TierProgram:
    tiers: tuple[Tier, ...] = ()
    window: Literal["calendar_year", "rolling_12m", "lifetime"] = "calendar_year"
    grace_months: int = field(default=0, metadata=bounded(0, 12))
    shares: tuple[float, ...] = ()

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class Bounds:
    share: float = field(default=0.5, metadata=bounded(0, 1))
    floor: float = field(default=2.0, metadata=bounded(low=2))
    ceiling: float = field(default=10.0, metadata=bounded(high=10))
    positive_share: float = field(default=0.5, metadata=bounded(above=0, high=1))

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class Levels:
    level: Literal[1, 2, 3] = 1

    def __post_init__(self):
        validate(self)


class OwnError(SettingsError):
    """A settings class's own error family (like ``TierProgramError``)."""


@dataclass(frozen=True)
class Owned:
    _error = OwnError
    size: int = 1

    def __post_init__(self):
        validate(self)


def _raises(cls, mapping) -> SettingsError:
    with pytest.raises(SettingsError) as info:
        build(cls, mapping)
    return info.value


# --- keys -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "suggestion"),
    [("windw", "window"), ("grace_month", "grace_months"), ("tier", "tiers"), ("colour", None)],
)
def test_unknown_key_names_owner_suggests_and_lists_the_allowed_keys(key, suggestion):
    allowed = [f.name for f in dataclasses.fields(TierProgram)]  # independent of build's own list
    error = _raises(TierProgram, {key: 1})
    hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
    assert str(error) == f"TierProgram: unknown key {key!r}{hint}; allowed keys: {', '.join(allowed)}"
    assert isinstance(error, ValueError) and isinstance(error, WorkbenchError)


def test_missing_required_key_is_named_with_its_type_and_where_it_is():
    assert str(_raises(Tier, {"upgrade": 5})) == "Tier: missing required key 'name' (str)"
    nested = _raises(TierProgram, {"tiers": [{"name": "Member"}, {"upgrade": 5}]})
    assert str(nested) == "TierProgram.tiers[1]: missing required key 'name' (str)"
    assert build(Tier, {"name": "Member"}) == Tier("Member")  # the defaults fill the rest


def test_unknown_key_in_a_params_file_is_prefixed_by_the_file():
    with pytest.raises(SettingsError) as info:
        build(TierProgram, {"windw": 1}, "params/tiers.yaml: program")
    error = info.value
    assert str(error).startswith("params/tiers.yaml: program: unknown key 'windw' (did you mean 'window'?)")


# --- choices --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value", ["calendar_year", "rolling_12m", "lifetime", "fiscal_year", "Lifetime", 1, None]
)
def test_literal_accepts_exactly_its_choices(value):
    choices = ("calendar_year", "rolling_12m", "lifetime")
    if isinstance(value, str) and value in choices:
        assert build(TierProgram, {"window": value}).window == value
        return
    error = _raises(TierProgram, {"window": value})
    assert str(error) == (
        f"TierProgram.window must be one of 'calendar_year', 'rolling_12m', 'lifetime'; got {value!r}"
    )


def test_a_boolean_is_not_a_numeric_choice():
    """YAML ``true`` equals 1 in Python, but is not the choice 1."""
    assert build(Levels, {"level": 2}).level == 2
    assert str(_raises(Levels, {"level": True})) == "Levels.level must be one of 1, 2, 3; got True"
    assert str(_raises(Levels, {"level": 4})) == "Levels.level must be one of 1, 2, 3; got 4"


# --- bounds ---------------------------------------------------------------------------------------------------
BOUNDS = {  # field: (plain predicate of an allowed value, the wording of the rule)
    "share": (lambda v: 0 <= v <= 1, "between 0 and 1"),
    "floor": (lambda v: v >= 2, "at least 2"),
    "ceiling": (lambda v: v <= 10, "at most 10"),
    "positive_share": (lambda v: 0 < v <= 1, "greater than 0 and at most 1"),
}


@pytest.mark.parametrize("name", list(BOUNDS))
@pytest.mark.parametrize("value", [-1.5, -0.0, 0, 1e-9, 0.5, 1, 1.0000001, 2, 2.5, 10, 10.5, math.nan])
def test_bounded_fields_accept_exactly_the_values_inside(name, value):
    allowed, rule = BOUNDS[name]
    if not math.isnan(value) and allowed(value):
        assert getattr(build(Bounds, {name: value}), name) == value
        return
    error = _raises(Bounds, {name: value})
    assert str(error) == f"Bounds.{name} must be {rule}; got {float(value)!r}"
    assert (error.path, error.problem) == (f"Bounds.{name}", f"must be {rule}; got {float(value)!r}")


def test_bounds_are_checked_on_direct_construction_too():
    with pytest.raises(SettingsError, match=r"^Benefits\.discount must be between 0 and 1; got 1\.5$"):
        Benefits(discount=1.5)
    with pytest.raises(SettingsError, match=r"^TierProgram\.grace_months must be between 0 and 12; got 13$"):
        TierProgram(grace_months=13)


# --- nested settings: the path names every level --------------------------------------------------------------
def test_nested_dataclass_path_in_the_message():
    mapping = {
        "tiers": [
            {"name": "Member"},
            {"name": "Silver", "upgrade": 10000, "benefits": {"discount": 0.03}},
            {"name": "Gold", "upgrade": 30000, "benefits": {"discount": 1.5}},
        ]
    }
    error = _raises(TierProgram, mapping)
    assert str(error) == "TierProgram.tiers['Gold'].benefits.discount must be between 0 and 1; got 1.5"
    assert error.path == "TierProgram.tiers['Gold'].benefits.discount"
    assert error.problem == "must be between 0 and 1; got 1.5"
    # a tier is named by its name in the path, a wrong type by what was expected
    negative = _raises(TierProgram, {"tiers": [{"name": "Member"}, {"name": "Gold", "upgrade": -5}]})
    assert str(negative) == "TierProgram.tiers['Gold'].upgrade must be at least 0; got -5.0"
    wrong = _raises(TierProgram, {"tiers": [{"name": "Gold", "benefits": "lots"}]})
    assert str(wrong) == "TierProgram.tiers['Gold'].benefits must be a mapping (Benefits); got 'lots'"
    # built from mappings all the way down
    ok = dict(mapping, tiers=mapping["tiers"][:2])
    built = build(TierProgram, ok)
    assert built.tiers[1] == Tier("Silver", 10000.0, Benefits(discount=0.03))


def test_a_class_with_its_own_error_raises_it():
    with pytest.raises(OwnError, match=r"^Owned\.size must be an integer; got 'big'$"):
        build(Owned, {"size": "big"})
    with pytest.raises(OwnError, match=r"^Owned: unknown key 'sise' \(did you mean 'size'\?\)"):
        build(Owned, {"sise": 2})


# --- conversion -----------------------------------------------------------------------------------------------
def test_lists_become_tuples_and_ints_floats():
    shares = [1, 2.5, 3]
    built = build(TierProgram, {"shares": shares, "tiers": [{"name": "Member", "upgrade": 0}]})
    assert built.shares == tuple(float(s) for s in shares) and type(built.shares) is tuple
    assert [type(s) for s in built.shares] == [float, float, float]
    assert type(built.tiers) is tuple and type(built.tiers[0]) is Tier and built.tiers[0].upgrade == 0.0
    assert shares == [1, 2.5, 3]  # the input is not changed
    direct = TierProgram(shares=[0.5, 1])  # validate normalises on direct construction too
    assert direct.shares == (0.5, 1.0) and type(direct.shares) is tuple
    hash(direct)  # frozen and hashable: no list left inside
    with pytest.raises(SettingsError, match=r"^TierProgram\.shares must be a list; got 'a, b'$"):
        build(TierProgram, {"shares": "a, b"})
    with pytest.raises(SettingsError, match=r"^TierProgram\.shares\[1\] must be a number; got 'x'$"):
        build(TierProgram, {"shares": [1, "x"]})


def test_integers_stay_integers():
    assert build(TierProgram, {"grace_months": 3}).grace_months == 3
    assert build(TierProgram, {"grace_months": 3.0}).grace_months == 3  # 3.0 from YAML is the integer 3
    for bad in (1.5, "3", True):
        with pytest.raises(SettingsError, match=r"^TierProgram\.grace_months must be an integer; got "):
            build(TierProgram, {"grace_months": bad})


# --- read_yaml ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("base: &b {upgrade: 1}\nsilver: *b\n", 1),  # anchor and alias
        ("a: 1\nb: &x 2\n", 2),  # an anchor alone
        ("a: 1\nc: 3\nlist:\n  - &x 1\n  - *x\n", 4),
        ('lol: &a ["lol", "lol"]\nlol2: &b [*a, *a]\nlol3: [*b, *b]\n', 1),  # the start of a YAML bomb
    ],
)
def test_read_yaml_refuses_anchors_and_aliases(tmp_path, text, line):
    path = tmp_path / "tiers.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        read_yaml(path)
    message = str(info.value)
    assert message.startswith(f"{path}: line {line}: YAML anchors and aliases")
    assert "not allowed in params" in message
    # the same mapping written out in full is read
    plain = tmp_path / "plain.yaml"
    plain.write_text("base: {upgrade: 1}\nsilver: {upgrade: 1}\n", encoding="utf-8")
    assert read_yaml(plain) == {"base": {"upgrade": 1}, "silver": {"upgrade": 1}}


def test_read_yaml_refuses_oversize_files_naming_the_file(tmp_path):
    body = "note: '"
    fits = tmp_path / "fits.yaml"
    fits.write_text(body + "x" * (MAX_YAML_BYTES - len(body) - 2) + "'\n", encoding="utf-8")
    assert fits.stat().st_size == MAX_YAML_BYTES
    assert len(read_yaml(fits)["note"]) == MAX_YAML_BYTES - len(body) - 2
    big = tmp_path / "big.yaml"
    big.write_bytes(fits.read_bytes() + b"\n")
    size = big.stat().st_size
    assert size == MAX_YAML_BYTES + 1
    with pytest.raises(SettingsError) as info:
        read_yaml(big)
    message = str(info.value)
    assert message.startswith(f"{big}: ")
    assert re.search(rf"\b{size:,} bytes\b", message) and f"{MAX_YAML_BYTES:,} bytes" in message
    with pytest.raises(ParamsError, match=re.escape(str(big))):  # a caller's own error family
        read_yaml(big, error=ParamsError)


def test_read_yaml_empty_file_is_empty_and_a_list_is_refused(tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    assert read_yaml(empty) == {}
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=rf"^{re.escape(str(listed))}: must be a mapping"):
        read_yaml(listed)


# --- build on the report's params (moved from report/test_params.py) -------------------------------------------
def test_build_rejects_unknown_nested_keys():
    with pytest.raises(ParamsError, match=r"x\.data: unknown key 'colums' \(did you mean 'columns'\?\)"):
        build(CommonParams, {"data": {"transactions": "demo", "colums": {}}}, "x")
    common = build(
        CommonParams, {"data": {"transactions": "demo", "encoding": None, "member_id_width": 5}}, "x"
    )
    assert common.data.member_id_width == 5 and common.data.encoding is None
    with pytest.raises(ParamsError, match=r"x\.data\.member_id_width must be an integer; got '5'"):
        build(CommonParams, {"data": {"transactions": "demo", "member_id_width": "5"}}, "x")
