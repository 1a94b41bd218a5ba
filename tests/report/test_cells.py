"""workbench.report.cells: the parameters cell of a notebook read without running it."""

from __future__ import annotations

import json

from workbench.report.cells import notebook_parameters


def test_notebook_parameters_parses_literals_and_annotations(tmp_path):
    source = "a = 1\nb: float = 2.5\nc = [1, 2]\nd = some_call()\ne, f = 1, 2\n# comment\ng = None\n"
    nb = {"cells": [{"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": source}]}
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    got = notebook_parameters(path)
    assert {k: v.default for k, v in got.items()} == {"a": 1, "b": 2.5, "c": [1, 2], "d": ..., "g": None}
    assert got["b"].annotation == "float"
