"""The one settings loader: frozen dataclasses built from YAML mappings, checked field by field.

Every settings class of the workbench (``DataParams``, ``TierProgram``, ``CampaignSettings``,
``SegmentSettings``, the report params) is a frozen dataclass whose ``__post_init__`` calls
:func:`validate`, and whose ``from_dict`` is :func:`build`. The field's type hint says what is allowed:
``str``, ``int``, ``float`` (an int is accepted and converted), ``bool``, ``Literal[...]`` (the choices),
``X | None``, ``tuple[X, ...]`` (a YAML list), ``Mapping[K, V]``, and nested settings dataclasses (a YAML
mapping). Bounds come from the field's metadata, written with :func:`bounded`::

    @dataclass(frozen=True)
    class Benefits:
        discount: float = field(default=0.0, metadata=bounded(0, 1))

        def __post_init__(self):
            validate(self)

Every problem is a ``SettingsError`` (or the class's own subclass, named by ``_error``) in one wording::

    TierProgram.tiers['Gold'].benefits.discount must be between 0 and 1; got 1.5
    CampaignSettings: unknown key 'marign' (did you mean 'margin'?); allowed keys: arm, control, ...
    params/common.yaml: data.currency must be one of 'TWD', 'HKD', 'USD'; got 'NTD'

YAML files are read with :func:`read_yaml`: ``safe_load`` (no Python tags), no anchors or aliases (a YAML
"bomb" expands a few bytes into gigabytes), a size limit, and only mappings at the top.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from workbench.errors import WorkbenchError

__all__ = ["SettingsError", "bounded", "build", "read_yaml", "settings_error", "validate"]

MAX_YAML_BYTES = 1 << 20
"""Largest params file read (1 MiB): params are settings, never data."""
MAX_ITEMS = 10_000
"""Longest list or mapping accepted in settings."""
MAX_TEXT = 10_000
"""Longest text value accepted in settings (characters)."""


class SettingsError(WorkbenchError, ValueError):
    """A settings mapping or params file is invalid.

    ``path`` names the owner and the field (``TierProgram.tiers['Gold'].upgrade``), ``problem`` says what
    is wrong (``must be at least 0; got -5``); the message is ``"{path} {problem}"``.
    """

    def __init__(self, path: str, problem: str = ""):
        self.path = path
        self.problem = problem
        sep = "" if problem.startswith(":") or not path else " "
        super().__init__(f"{path}{sep}{problem}")

    def moved(self, prefix: str, owner: str) -> SettingsError:
        """The same error with the owner ``owner`` at the start of ``path`` replaced by ``prefix``."""
        rest = self.path[len(owner) :] if self.path.startswith(owner) else f": {self.path}"
        return type(self)(_join(prefix, rest), self.problem)


def _join(prefix: str, rest: str) -> str:
    if prefix.endswith(":"):
        return f"{prefix} {rest.lstrip('.')}" if rest else prefix[:-1]
    return prefix + rest


def bounded(low: float | None = None, high: float | None = None, *, above: float | None = None) -> dict:
    """Field metadata for a number: ``low <= value <= high`` (either may be None); ``above``: ``value > above``."""
    return {"low": low, "high": high, "above": above}


def _error_class(cls) -> type[SettingsError]:
    return getattr(cls, "_error", SettingsError)


def settings_error(obj_or_cls, field_name: str | None, problem: str) -> SettingsError:
    """The settings error of ``obj_or_cls`` (its ``_error`` class) for ``field_name`` (None: the whole)."""
    cls = obj_or_cls if isinstance(obj_or_cls, type) else type(obj_or_cls)
    path = cls.__name__ if field_name is None else f"{cls.__name__}.{field_name}"
    return _error_class(cls)(path, problem)


def _type_name(tp) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " | ".join(repr(a) for a in typing.get_args(tp))
    if origin in (types.UnionType, typing.Union):
        return " | ".join(_type_name(a) for a in typing.get_args(tp))
    if origin is not None:
        return getattr(origin, "__name__", str(origin))
    return getattr(tp, "__name__", str(tp))


def _got(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class _Problem(Exception):
    """A field-level problem before the owner's path is known."""

    def __init__(self, sub: str, problem: str):
        self.sub, self.problem = sub, problem


def _bounds(value, meta: Mapping) -> None:
    low, high, above = meta.get("low"), meta.get("high"), meta.get("above")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return
    bad = (
        math.isnan(value)
        or (low is not None and value < low)
        or (high is not None and value > high)
        or (above is not None and value <= above)
    )
    if not bad:
        return
    if above is not None:
        want = f"greater than {above:g}" + (f" and at most {high:g}" if high is not None else "")
    elif low is not None and high is not None:
        want = f"between {low:g} and {high:g}"
    elif low is not None:
        want = f"at least {low:g}"
    else:
        want = f"at most {high:g}"
    raise _Problem("", f"must be {want}; got {_got(value)}")


def _convert(tp, value, sub: str = ""):
    """``value`` as type ``tp`` (lists -> tuples, int -> float), else ``_Problem``; nested dataclasses built."""
    if tp is Any:
        return value
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None and len(options) < len(typing.get_args(tp)):
            return None
        if len(options) == 1:
            return _convert(options[0], value, sub)
        for option in options:
            try:
                return _convert(option, value, sub)
            except _Problem:
                continue
        raise _Problem(sub, f"must be {_type_name(tp)}; got {_got(value)}")
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if not isinstance(value, Mapping):
            raise _Problem(sub, f"must be a mapping ({tp.__name__}); got {_got(value)}")
        return _build_nested(tp, value, sub)
    if origin is Literal:
        allowed = typing.get_args(tp)
        if value not in allowed or isinstance(value, bool) != isinstance(allowed[0], bool):
            raise _Problem(sub, f"must be one of {', '.join(map(repr, allowed))}; got {_got(value)}")
        return value
    if origin is tuple:
        args = typing.get_args(tp)
        item_tp = args[0] if args else Any
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise _Problem(sub, f"must be a list; got {_got(value)}")
        if len(value) > MAX_ITEMS:
            raise _Problem(sub, f"must have at most {MAX_ITEMS:,} items; got {len(value):,}")
        out = []
        for i, v in enumerate(value):
            label = (
                f"[{v['name']!r}]" if isinstance(v, Mapping) and isinstance(v.get("name"), str) else f"[{i}]"
            )
            if dataclasses.is_dataclass(v) and isinstance(getattr(v, "name", None), str):
                label = f"[{v.name!r}]"
            out.append(_convert(item_tp, v, f"{sub}{label}"))
        return tuple(out)
    if origin in (Mapping, dict) or tp in (dict, Mapping):
        args = typing.get_args(tp)
        key_tp, val_tp = args if args else (Any, Any)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise _Problem(sub, f"must be a mapping; got {_got(value)}")
        if len(value) > MAX_ITEMS:
            raise _Problem(sub, f"must have at most {MAX_ITEMS:,} entries; got {len(value):,}")
        return {
            _convert(key_tp, k, f"{sub}[{k!r}]"): _convert(val_tp, v, f"{sub}[{k!r}]")
            for k, v in value.items()
        }
    if tp is bool:
        if not isinstance(value, bool):
            raise _Problem(sub, f"must be true or false; got {_got(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise _Problem(sub, f"must be an integer; got {_got(value)}")
        return int(value)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Problem(sub, f"must be a number; got {_got(value)}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise _Problem(sub, f"must be text; got {_got(value)} (quote it in YAML)")
        if len(value) > MAX_TEXT:
            raise _Problem(sub, f"must be at most {MAX_TEXT:,} characters; got {len(value):,}")
        return value
    if isinstance(tp, type):
        if not isinstance(value, tp):
            raise _Problem(sub, f"must be {tp.__name__}; got {_got(value)}")
        return value
    raise TypeError(f"settings: unsupported field type {tp!r}")  # a programming error, not the user's


def _build_nested(cls, mapping: Mapping, sub: str):
    try:
        return build(cls, mapping)
    except SettingsError as exc:
        raise _Problem(sub + exc.path[len(cls.__name__) :], exc.problem) from None


def _hints(cls) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def validate(obj) -> None:
    """Check (and normalise: lists to tuples, ints to floats) every field of the settings ``obj``.

    Call it first in ``__post_init__``; raises the class's ``SettingsError`` naming owner and field.
    """
    cls = type(obj)
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        value = getattr(obj, f.name)
        try:
            converted = _convert(hints[f.name], value)
            if f.metadata:
                _bounds(converted, f.metadata)
        except _Problem as p:
            raise _error_class(cls)(f"{cls.__name__}.{f.name}{p.sub}", p.problem) from None
        if converted is not value:
            object.__setattr__(obj, f.name, converted)


def build(cls, mapping: Mapping[str, Any] | None, where: str | None = None):
    """``cls(**mapping)`` for a settings dataclass, every key checked.

    Parameters
    ----------
    cls : type
        A frozen settings dataclass whose ``__post_init__`` calls :func:`validate`.
    mapping : Mapping or None
        The YAML mapping (``None`` = all defaults).
    where : str, optional
        What to call the owner in messages (default the class name); a params file passes
        ``"params/common.yaml: data"`` or ``"params/report.yaml:"``.

    Returns
    -------
    cls
        The validated settings.

    Raises
    ------
    SettingsError
        (or the class's own subclass) for an unknown key (with "did you mean"), a missing required key,
        a wrong type, a value outside the choices or the bounds.
    """
    owner = cls.__name__
    prefix = where or owner
    err = _error_class(cls)
    mapping = {} if mapping is None else mapping
    if not isinstance(mapping, Mapping):
        raise err(prefix.rstrip(":"), f"must be a mapping; got {_got(mapping)}")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init and not f.name.startswith("_")}
    for key in mapping:
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise err(prefix.rstrip(":"), f": unknown key {key!r}{hint}; allowed keys: {', '.join(fields)}")
    hints = _hints(cls)
    kwargs = {}
    for name, f in fields.items():
        if name in mapping:
            try:
                kwargs[name] = _convert(hints[name], mapping[name])
            except _Problem as p:
                raise err(_join(prefix, f".{name}{p.sub}"), p.problem) from None
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise err(prefix.rstrip(":"), f": missing required key {name!r} ({_type_name(hints[name])})")
    try:
        return cls(**kwargs)
    except SettingsError as exc:
        if where is None:
            raise
        raise exc.moved(prefix, owner) from None


def read_yaml(path: str | Path, *, error: type[SettingsError] = SettingsError) -> dict[str, Any]:
    """A params YAML file as a mapping: ``safe_load``, no anchors/aliases, at most ``MAX_YAML_BYTES``.

    An empty file is ``{}``; anything but a mapping at the top is an error naming the file.
    """
    import yaml

    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(f"{path}:", f"cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_YAML_BYTES:
        raise error(
            f"{path}:", f"is {len(raw):,} bytes; params files are limited to {MAX_YAML_BYTES:,} bytes"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}:", f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if getattr(event, "anchor", None) is not None or isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                raise error(
                    f"{path}:",
                    f"line {mark.line + 1}: YAML anchors and aliases (&name, *name) are not allowed in params",
                )
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise error(f"{path}:", f"is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise error(f"{path}:", f"must be a mapping of key: value; got {type(data).__name__}")
    return data
