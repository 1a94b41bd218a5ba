"""workbench.data.parsing: the channel labels of real exports (and the text helpers the parsers share)."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.data import describe_transactions, load_transactions


@pytest.mark.parametrize(
    ("label", "channel"),
    [("門市", "store"), ("實體店", "store"), ("POS", "store"), ("網路商店", "online"), ("官網", "online"),
     (" E-Commerce ", "online"), ("網上商店", "online"), ("APP", "online"), ("LINE 禮物", "LINE 禮物")],
)  # fmt: skip
def test_channel_labels_of_real_exports(label, channel):
    """Back-office channel labels read as the canonical store/online; unknown labels are kept as written."""
    frame = pd.DataFrame(
        {"member_id": ["001", "002"], "ordered_at": ["2026-01-01", "2026-01-02"], "amount": ["1", "2"]}
    )
    frame["channel"] = [label, "門市"]
    tx = load_transactions(frame)
    assert tx["channel"].tolist() == [channel, "store"]
    if channel in ("store", "online"):
        assert list(tx["channel"].cat.categories) == ["store", "online"]
    else:
        facts = dict(describe_transactions(tx))
        assert label in facts["note"] and "neither" in facts["note"]
