"""The designed campaign that tests of several rooms read (text/, plots/, notebooks/): the 5,000-member demo
with the project's default campaign design (params/campaign_design.yaml)."""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def default_design() -> dict:
    """The ``design:`` mapping of the project's params/campaign_design.yaml."""
    return yaml.safe_load((REPO / "params" / "campaign_design.yaml").read_text(encoding="utf-8"))["design"]
