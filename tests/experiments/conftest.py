"""Fixtures of the experiments room: the real Hillstrom e-mail experiment and its analysis, the demo
campaign's control revenue as a super-population. (The 50,000-member demo campaign analysis, also used by
text/ and plots/, is in tests/conftest.py.)"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kit import HILLSTROM_CONTROL as CONTROL
from kit import HILLSTROM_METRICS as METRICS

from workbench.experiments import analyze


@pytest.fixture(scope="module")
def hillstrom(hillstrom_path) -> pd.DataFrame:
    return pd.read_csv(hillstrom_path)


@pytest.fixture(scope="module")
def result(hillstrom) -> pd.DataFrame:
    return analyze(hillstrom, "segment", CONTROL, METRICS)


@pytest.fixture(scope="module")
def population(demo) -> np.ndarray:
    c = demo.campaign
    return c.loc[c["arm"] == "control", "revenue"].to_numpy(dtype=float)
