"""Report params: one common YAML plus one per notebook, loaded and validated before anything runs.

Layout of a params folder (relative paths in these files are relative to the params folder itself, so
``../data/demo/transactions.parquet``, as ``workbench validate --params`` reads them)::

    params/common.yaml      data source, month, language, seed, audience_dir (see ``CommonParams``)
    params/report.yaml      the notebooks to run, in order, each with a timeout (see ``ReportConfig``)
    params/<name>.yaml      optional: parameters specific to notebooks/<name>.ipynb (a flat mapping)

``load_plan(params_dir)`` reads them with ``yaml.safe_load`` into frozen dataclasses and checks them against
each notebook's ``parameters`` cell (parsed with ``ast``, nothing is executed): an unknown or misspelt key,
a wrong type, or a key the notebook does not declare is a ``ParamsError`` naming the file and the key.
papermill itself only warns about undeclared parameters and silently runs the defaults.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from workbench.data import DataParams
from workbench.report.cells import Declared, ParametersCellError, compatible
from workbench.report.cells import notebook_parameters as _notebook_parameters
from workbench.settings import (
    MAX_ITEMS,
    MAX_TEXT,
    SettingsError,
    bounded,
    build,
    read_yaml,
    settings_error,
    validate,
)

COMMON_FILE = "common.yaml"
REPORT_FILE = "report.yaml"
MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
MAX_DEPTH = 20
"""Deepest nesting of lists and mappings accepted in a notebook parameter."""

#: Common params every report notebook declares, injected into each of them. ``data`` is the whole ``data:``
#: block of ``common.yaml`` (``workbench.data.DataParams`` fields, file paths relative to notebooks/), so every
#: option ``workbench validate`` accepts reaches every notebook.
CONTRACT_PARAMETERS = ("month", "language", "currency", "seed", "data", "audience_dir")


class ParamsError(SettingsError):
    """A params file (or a notebook's parameters cell) is invalid; the message names file and key."""


def notebook_parameters(path: Path) -> dict[str, Declared]:
    """See ``workbench.report.cells.notebook_parameters``; errors as ``ParamsError``."""
    try:
        return _notebook_parameters(path)
    except ParametersCellError as exc:
        raise ParamsError(str(exc)) from exc


@dataclass(frozen=True)
class CommonParams:
    """``params/common.yaml``. ``month`` empty = the latest complete month of the data."""

    data: DataParams
    month: str = ""
    language: Literal["zh-TW", "en"] = "zh-TW"
    seed: int = 42
    audience_dir: str = ""

    _error = ParamsError

    def __post_init__(self):
        validate(self)
        if self.month and not MONTH_RE.match(self.month):
            raise ParamsError("CommonParams.month", f"must be 'YYYY-MM' or empty; got {self.month!r}")


@dataclass(frozen=True)
class NotebookSpec:
    """One entry of ``report.yaml``'s ``notebooks`` list.

    Notebooks/<name>.ipynb, wall-time limit (s), and ``checks``: parameter -> ``"module:Class.from_dict"``, a
    package validator called on that parameter's value before anything runs (for structured params, e.g. a
    tier programme, whose inner keys the parameters cell cannot describe). ``default: false`` leaves the
    notebook out of the monthly run: it runs only when asked for by name (``workbench report --only NAME``),
    e.g. the campaign design, which is made when a campaign is planned, not every month.
    """

    name: str
    timeout: int = field(default=600, metadata=bounded(above=0))
    checks: Mapping[str, str] = field(default_factory=dict)
    default: bool = True

    _error = ParamsError

    def __post_init__(self):
        validate(self)
        for key, target in self.checks.items():
            if not re.match(r"^workbench(\.\w+)*:\w+(\.\w+)*$", target):
                raise settings_error(
                    self, f"checks[{key!r}]", f"must be 'workbench.module:callable'; got {target!r}"
                )
        if not NAME_RE.match(self.name):
            raise settings_error(
                self, "name", f"must be a file stem (letters, digits, _ -); got {self.name!r}"
            )


@dataclass(frozen=True)
class ReportConfig:
    """``params/report.yaml``: the notebooks in run order; ``notebooks_dir`` relative to the params folder.

    ``jobs``: notebooks run at once (0, the default, chooses by CPU cores and available memory,
    ``workbench.report.run.parallel_jobs``; 1: one after another). The kernels talk to the run over Unix
    sockets in private folders (``workbench.report.kernel``), so kernels started at the same moment by several
    runs on one machine cannot take each other's ports.
    """

    notebooks: tuple[NotebookSpec, ...]
    notebooks_dir: str = "../notebooks"
    jobs: int = field(default=0, metadata=bounded(0, 64))

    _error = ParamsError

    def __post_init__(self):
        validate(self)
        names = [nb.name for nb in self.notebooks]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise settings_error(self, "notebooks", f"must list each notebook once; repeated: {dupes}")


@dataclass(frozen=True)
class NotebookRun:
    """A validated notebook to execute: where it is, its limit, the exact parameters papermill injects."""

    name: str
    path: Path
    timeout: int
    parameters: Mapping[str, Any]
    params_file: Path | None


@dataclass(frozen=True)
class RunPlan:
    """Everything the runner needs, built and validated by ``load_plan`` before any notebook runs."""

    root: Path
    params_dir: Path
    notebooks_dir: Path
    common: CommonParams
    config: ReportConfig
    month: str
    notebooks: tuple[NotebookRun, ...]

    @property
    def language(self) -> str:
        """The report language of the run (``common.yaml``'s ``language``)."""
        return self.common.language

    def input_files(self) -> dict[str, Path]:
        """Input data files (param name -> absolute path) for the fingerprint.

        The files of the ``data:`` block, plus any notebook parameter from a params/<name>.yaml that names an
        existing file.
        """
        files: dict[str, Path] = {}
        d = self.common.data
        for key in d.PATHS:
            value = getattr(d, key)
            if d.is_file(value) and Path(value).is_file():
                files[key] = Path(value).resolve()
        for run in self.notebooks:
            if run.params_file is None:
                continue
            for key, value in read_yaml(run.params_file, error=ParamsError).items():
                if isinstance(value, str) and d.is_file(value) and (self.notebooks_dir / value).is_file():
                    files.setdefault(f"{run.name}.{key}", (self.notebooks_dir / value).resolve())
        return dict(sorted(files.items()))

    def prepared(self, month: str, transactions: Path | None) -> RunPlan:
        """The plan for ``month``, its notebooks reading the validated canonical copy ``transactions``.

        Parameters
        ----------
        month : str
            The report month ``YYYY-MM`` (given, from ``common.yaml`` or chosen from the data).
        transactions : Path or None
            The run's validated Parquet copy of the transactions (``workbench.report.inputs``); None for a
            run from an engine's result files (``data.summary`` / ``data.member_months``, no log).

        Returns
        -------
        RunPlan
            Every notebook's ``month`` and ``data`` parameters set; nothing else changes.
        """
        if transactions is None:  # a run from an engine's result files: the notebooks read those
            data = _data_mapping(self.common.data, self.params_dir, self.notebooks_dir)
        else:
            data = canonical_data(self.common.data, transactions, self.notebooks_dir)
        runs = tuple(
            dataclasses.replace(run, parameters={**run.parameters, "month": month, "data": data})
            for run in self.notebooks
        )
        return dataclasses.replace(self, month=month, notebooks=runs)


#: ``data:`` options that say how to read and parse a source; the run's canonical copy needs none of them.
PARSING_OPTIONS = ("columns", "date_format", "encoding", "sep", "table", "query", "member_id_width", "sheet")


# ------------------------------------------------------------------------------------------- the plan
def _rel(base: Path, notebooks_dir: Path, value: str) -> str:
    """A path relative to ``base`` (the params folder), rewritten relative to notebooks/ (papermill's cwd)."""
    if not DataParams.is_file(value):
        return value
    return Path(os.path.relpath((base / value).resolve(), notebooks_dir)).as_posix()


def common_parameters(common: CommonParams, base: Path, notebooks_dir: Path, month: str) -> dict[str, Any]:
    """The notebook parameters derived from ``common.yaml``: the contract names, paths relative to notebooks/.

    Parameters
    ----------
    common : CommonParams
        The validated ``common.yaml``.
    base : Path
        The params folder (relative paths in ``common.yaml`` are relative to it).
    notebooks_dir : Path
        Where the notebooks run (papermill's cwd).
    month : str
        The report month ``YYYY-MM``.

    Returns
    -------
    dict
        ``month, language, currency, seed, data, audience_dir``.
    """
    d = common.data
    return {
        "month": month,
        "language": common.language,
        "currency": d.currency,
        "seed": common.seed,
        "data": _data_mapping(d, base, notebooks_dir),
        "audience_dir": _rel(base, notebooks_dir, common.audience_dir),
    }


def _data_mapping(d: DataParams, base: Path, notebooks_dir: Path) -> dict[str, Any]:
    data = d.as_mapping()  # plain lists and dicts (guest_ids, a date_format list): papermill writes literals
    for key in d.PATHS:
        data[key] = _rel(base, notebooks_dir, data[key])
    return data


def canonical_data(data: DataParams, transactions: Path, notebooks_dir: Path) -> dict[str, Any]:
    """The ``data`` parameter of a notebook that reads the run's validated canonical Parquet copy.

    Parameters
    ----------
    data : DataParams
        The ``data:`` block of ``common.yaml`` (paths absolute).
    transactions : Path
        The canonical copy.
    notebooks_dir : Path
        papermill's cwd (paths are written relative to it).

    Returns
    -------
    dict
        ``DataParams`` fields: ``transactions`` the copy, the parsing options (``PARSING_OPTIONS``) at their
        defaults (``columns`` {}, ``date_format`` auto, no table, encoding or width), the rest as given.
    """
    fields = {f.name: f for f in dataclasses.fields(DataParams)}
    reset = {
        name: (f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default)
        for name, f in fields.items()
        if name in PARSING_OPTIONS
    }
    canonical = dataclasses.replace(data, transactions=str(transactions), **reset)
    return _data_mapping(canonical, notebooks_dir, notebooks_dir)


def check_size(where: str, key: str, value: Any) -> None:
    """Refuse a notebook parameter larger than settings allow.

    At most ``MAX_ITEMS`` values in all (nested lists and mappings counted together), ``MAX_TEXT`` characters
    per text, ``MAX_DEPTH`` levels.

    Parameters
    ----------
    where : str
        The params file (for the message).
    key : str
        The parameter.
    value : Any
        Its YAML value.

    Raises
    ------
    ParamsError
        Naming the file and the key.
    """
    count = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > MAX_ITEMS:
            raise ParamsError(
                f"{where}: key {key!r} holds more than {MAX_ITEMS:,} values; params are settings"
            )
        if depth > MAX_DEPTH:
            raise ParamsError(f"{where}: key {key!r} is nested more than {MAX_DEPTH} levels deep")
        if isinstance(item, str) and len(item) > MAX_TEXT:
            raise ParamsError(
                f"{where}: key {key!r} has a text of {len(item):,} characters (at most {MAX_TEXT:,})"
            )
        if isinstance(item, Mapping):
            stack.extend((v, depth + 1) for pair in item.items() for v in pair)
        elif isinstance(item, list | tuple):
            stack.extend((v, depth + 1) for v in item)


def _run_check(spec, key, target, own, declared, own_path: Path, report_path: Path) -> None:
    """Call the validator named in ``checks`` on the parameter's value (the YAML value, else the notebook's literal default); its exception becomes a ``ParamsError`` naming file and key."""
    import importlib

    if key not in declared:
        raise ParamsError(
            f"{report_path}: checks of {spec.name!r} name {key!r}, which the notebook does not declare"
        )
    module_name, _, attr = target.partition(":")
    func = importlib.import_module(module_name)
    for part in attr.split("."):
        func = getattr(func, part)
    where = own_path if key in own else f"{spec.name}.ipynb (default)"
    value = own[key] if key in own else declared[key].default
    if value is ...:
        return
    try:
        func(value)
    except Exception as exc:  # the package's validators raise ValueError/TypeError subclasses
        raise ParamsError(f"{where}: {key}: {exc}") from None


def load_plan(
    params_dir: str | Path,
    *,
    month: str | None = None,
    only: list[str] | None = None,
) -> RunPlan:
    """Read and validate every params file and notebook parameters cell; nothing is executed or read.

    Parameters
    ----------
    params_dir : str or Path
        The params folder (``common.yaml``, ``report.yaml``, ``<notebook>.yaml``).
    month : str, optional
        ``YYYY-MM`` (``--month``); default the ``month`` of ``common.yaml``.
    only : list of str, optional
        Run only these notebooks of ``report.yaml``.

    Returns
    -------
    RunPlan
        ``month`` is ``""`` when neither names one: ``workbench.report.inputs.validate_inputs`` then chooses
        the latest complete month of the validated data (``RunPlan.prepared``).

    Raises
    ------
    ParamsError
        A missing file, an unknown key (with "did you mean"), a wrong type, a value over the size limits,
        a key the notebook does not declare; the message names the file and the key.
    """
    params_dir = Path(params_dir).resolve()
    root = params_dir.parent
    common_path, report_path = params_dir / COMMON_FILE, params_dir / REPORT_FILE
    for path in (common_path, report_path):
        if not path.is_file():
            raise ParamsError(f"{path}: params file missing")
    common = build(CommonParams, read_yaml(common_path, error=ParamsError), f"{common_path}:")
    config = build(ReportConfig, read_yaml(report_path, error=ParamsError), f"{report_path}:")
    for key in DataParams.PATHS:
        value = getattr(common.data, key)
        if DataParams.is_file(value) and not (params_dir / value).is_file():
            raise ParamsError(
                f"{common_path}: data.{key}: no such file {value!r} (relative paths are relative to "
                f"{params_dir}; for the demo run `make demo`)"
            )
    common = dataclasses.replace(common, data=common.data.resolved(params_dir))
    if month is not None and not MONTH_RE.match(month):
        raise ParamsError(f"--month must be 'YYYY-MM', got {month!r}")

    names = [nb.name for nb in config.notebooks]
    for name in only or []:
        if name not in names:
            raise ParamsError(f"--only {name!r}: not listed in {report_path} (listed: {', '.join(names)})")
    specs = (
        [nb for nb in config.notebooks if nb.name in only]
        if only
        else [nb for nb in config.notebooks if nb.default]
    )
    if not specs and config.notebooks:
        raise ParamsError(
            f"{report_path}: no notebook runs by default (every one has default: false); use --only"
        )

    notebooks_dir = (params_dir / config.notebooks_dir).resolve()
    known_files = {COMMON_FILE, REPORT_FILE} | {f"{n}.yaml" for n in names}
    for stray in sorted(params_dir.glob("*.yaml")):
        close = difflib.get_close_matches(stray.stem, names, n=1, cutoff=0.8)
        if stray.name not in known_files and close:
            raise ParamsError(
                f"{stray}: no notebook {stray.stem!r} in {report_path}; misspelt {close[0] + '.yaml'!r}?"
            )

    # Validate every notebook (the data itself is read and validated once, by workbench.report.inputs).
    checked: list[tuple[NotebookSpec, Path, dict[str, Declared], dict[str, Any], Path | None]] = []
    base = common_parameters(common, params_dir, notebooks_dir, "0000-00")
    for spec in specs:
        nb_path = notebooks_dir / f"{spec.name}.ipynb"
        if not nb_path.is_file():
            raise ParamsError(f"{report_path}: notebook {spec.name!r} not found at {nb_path}")
        declared = notebook_parameters(nb_path)
        for key in CONTRACT_PARAMETERS:
            if key not in declared:
                raise ParamsError(
                    f"{nb_path}: parameters cell does not declare {key!r}, which {common_path.name} injects "
                    f"into every report notebook (declared: {', '.join(declared) or 'nothing'})"
                )
        own_path = params_dir / f"{spec.name}.yaml"
        own = read_yaml(own_path, error=ParamsError) if own_path.is_file() else {}
        for key, value in own.items():
            check_size(str(own_path), str(key), value)
            if key in base:
                raise ParamsError(
                    f"{own_path}: key {key!r} belongs in {common_path.name}, not a notebook's params"
                )
            if key not in declared:
                close = difflib.get_close_matches(str(key), list(declared), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ParamsError(
                    f"{own_path}: unknown key {key!r}{hint}: the parameters cell of {nb_path.name} does not "
                    f"declare it (declared: {', '.join(declared)})"
                )
            if not compatible(declared[key], value):
                raise ParamsError(
                    f"{own_path}: key {key!r} must be {type(declared[key].default).__name__} like the "
                    f"notebook's default {declared[key].default!r}, got {type(value).__name__} {value!r}"
                )
        for key, value in base.items():
            if key in declared and key != "month" and not compatible(declared[key], value):
                raise ParamsError(
                    f"{common_path}: {key!r} = {value!r} does not match the type of the default "
                    f"{declared[key].default!r} in {nb_path.name}"
                )
        for key, target in spec.checks.items():
            _run_check(spec, key, target, own, declared, own_path, report_path)
        checked.append((spec, nb_path, declared, own, own_path if own_path.is_file() else None))

    month = month or common.month  # "" = the latest complete month of the data, chosen when it is validated
    base = common_parameters(common, params_dir, notebooks_dir, month)
    runs = []
    for spec, nb_path, declared, own, own_path in checked:
        params = {k: v for k, v in base.items() if k in CONTRACT_PARAMETERS or k in declared}
        params.update(own)
        runs.append(NotebookRun(spec.name, nb_path, spec.timeout, params, own_path))
    return RunPlan(root, params_dir, notebooks_dir, common, config, month, tuple(runs))
