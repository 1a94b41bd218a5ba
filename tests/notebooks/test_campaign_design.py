"""notebooks/campaign_design.ipynb executes with papermill on a small demo, in both languages: the brief shows
counts and money only, the member-level files land in audience_dir, and small lists are flagged."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "campaign_design.ipynb"


@pytest.mark.slow  # two kernel runs (~10 s each)
@pytest.mark.parametrize("language", ["zh-TW", "en"])
def test_notebook_writes_the_files_and_shows_only_aggregates(tmp_path, language):
    import papermill

    from workbench.data import generate_demo
    from workbench.notebook import HEADLINES_MIME

    demo = generate_demo(3000, seed=7)
    demo.write(tmp_path / "data")
    data = {name: str(tmp_path / "data" / f"{name}.parquet") for name in ("transactions", "members")}
    audience = tmp_path / "audience"
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={"data": data, "language": language, "audience_dir": str(audience), "currency": "HKD"},
        kernel_name="python3",
        cwd=str(NOTEBOOK.parent),
        progress_bar=False,
    )
    outputs = [o for c in json.loads(out.read_text(encoding="utf-8"))["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] in ("error", "stream")]
    heads = [o["data"][HEADLINES_MIME] for o in outputs if HEADLINES_MIME in o.get("data", {})]
    assert len(heads) == 1 and len(heads[0]) == 3
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 2  # funnel, budget
    text = json.dumps(
        [{k: v for k, v in o.get("data", {}).items() if k != "image/png"} for o in outputs],
        ensure_ascii=False,
    )
    title = "行銷活動設計" if language == "zh-TW" else "Campaign design"
    assert f"<h1>{title}" in text and "HK$" in text and "NT$" not in text
    assert "wb-warning" in text  # 3,000 members: every list is under 1,000
    # the files: only in audience_dir, with their columns
    names = sorted(p.name for p in audience.iterdir())
    assert names[0] == "assignments.csv" and len(names) == 1 + 2 * 4
    listing = pd.read_csv(audience / "assignments.csv", dtype=str)
    assert list(listing.columns) == ["member_id", "arm", "stratum", "assigned_at"]
    assert list(pd.read_csv(audience / "meta_vip_gift.csv", dtype=str).columns) == ["email", "phone"]
    # no member id, phone or e-mail on the page
    sms = pd.read_csv(audience / "sms_vip_gift.csv", dtype=str)
    tokens = set(re.findall(r"[0-9A-Za-z_@.+\-]+", text))
    assert not tokens & set(listing["member_id"])
    assert not tokens & set(sms["mobile"])
    assert "@example.com" not in text and "0900" not in text
    assert str(tmp_path) not in text  # nor the folder the files went to
