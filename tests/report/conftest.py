"""Fixtures of the report room: one good monthly run of the tiny fixture notebooks
(tests/report/fixtures/notebooks) in a temporary project (helpers in report_kit.py)."""

from __future__ import annotations

import numpy as np
import pytest
from report_kit import make_project
from report_kit import run_project as run


@pytest.fixture(scope="package")
def first_run(tmp_path_factory):
    """One good run of both fixture notebooks (month from the data: its last day is 2026-10-31)."""
    root = make_project(tmp_path_factory.mktemp("project"), np.random.default_rng(20261123))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MPLBACKEND", "Agg")  # inherited by a kernel, this would silently drop every figure
        rc = run(root)
    return root, rc
