"""Shared fixtures: seeded generator, small demo brand, CDNOW log, the shared Hillstrom data."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # in-process only; never via MPLBACKEND (it would leak into executed notebooks)

import matplotlib.pyplot as plt
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261123)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="session")
def demo():
    """The 5,000-member demo brand (deterministic)."""
    from workbench.data import generate_demo

    return generate_demo(5000, seed=42)


@pytest.fixture(scope="session")
def cdnow():
    from workbench.data import load_cdnow

    return load_cdnow()


@pytest.fixture(scope="session")
def hillstrom_path() -> Path:
    path = SHARED_DATA / "hillstrom.csv"
    if not path.exists():
        pytest.skip(f"shared test data not available: {path} (present in CI, not in a user's clone)")
    return path
