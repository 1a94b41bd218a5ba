"""A notebook's ``parameters`` cell, read without running anything.

The names it declares and their literal defaults (papermill itself only warns about parameters a notebook does
not declare).
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.errors import WorkbenchError


class ParametersCellError(WorkbenchError, ValueError):
    """The notebook cannot be read or has no usable ``parameters`` cell."""


@dataclass(frozen=True)
class Declared:
    """A parameter declared in a notebook's ``parameters`` cell; ``default`` is ``...`` when not a literal."""

    name: str
    default: Any
    annotation: str | None


def notebook_parameters(path: Path) -> dict[str, Declared]:
    """The names (and literal defaults) assigned in the notebook's cell tagged ``parameters``.

    Reads the .ipynb as JSON and parses the cell with ``ast`` (no kernel, no nbformat import).
    """
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ParametersCellError(f"{path}: cannot read notebook: {exc}") from exc
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else source
            break
    else:
        raise ParametersCellError(f"{path}: no code cell tagged 'parameters' (papermill needs one)")
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ParametersCellError(f"{path}: parameters cell is not plain Python: {exc}") from exc
    declared: dict[str, Declared] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value, ann = node.targets, node.value, None
        elif isinstance(node, ast.AnnAssign):
            targets, value, ann = [node.target], node.value, ast.unparse(node.annotation)
        else:
            continue
        try:
            default = ast.literal_eval(value) if value is not None else ...
        except ValueError:
            default = ...
        for target in targets:
            if isinstance(target, ast.Name):
                declared[target.id] = Declared(target.id, default, ann)
    return declared


def compatible(declared: Declared, value) -> bool:
    """Whether ``value`` has the type of the notebook's default (int is fine where a float is expected)."""
    default = declared.default
    if default is ... or default is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, int | float)
    if isinstance(default, int):
        return isinstance(value, int)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, list | tuple):
        return isinstance(value, list | tuple)
    if isinstance(default, dict):
        return isinstance(value, dict)
    return True
