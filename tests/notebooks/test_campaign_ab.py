"""notebooks/campaign_ab.ipynb executes with papermill on a small demo, in both languages: from the demo's
assignment list (outcomes measured from the log) and from a table that already holds its outcomes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "campaign_ab.ipynb"


@pytest.mark.slow  # two kernel runs of the report notebook (~10-20 s each)
@pytest.mark.parametrize(("language", "campaign"), [("en", "assignments.csv"), ("zh-TW", "campaign.parquet")])
def test_notebook_runs_on_small_demo(tmp_path, language, campaign):
    import papermill

    from workbench.data import generate_demo
    from workbench.notebook import HEADLINES_MIME

    demo = generate_demo(3000, seed=7)
    demo.write(tmp_path / "data")
    files = {name: str(tmp_path / "data" / f"{name}.parquet") for name in ("transactions", "members")}
    files["campaign"] = str(tmp_path / "data" / campaign)
    params = {"data": {**files, "truth": str(tmp_path / "data" / "truth.json")}}
    analysis = {"resamples": 500, "policy_resamples": 200}
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={**params, "language": language, "analysis": analysis},
        kernel_name="python3",
        cwd=str(NOTEBOOK.parent),
        progress_bar=False,
    )
    outputs = [o for c in json.loads(out.read_text(encoding="utf-8"))["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] in ("error", "stream")]  # no errors, warnings, prints
    heads = [o["data"][HEADLINES_MIME] for o in outputs if HEADLINES_MIME in o.get("data", {})]
    assert len(heads) == 1 and 2 <= len(heads[0]) <= 4
    assert (
        sum("image/png" in o.get("data", {}) for o in outputs) == 4
    )  # lift, segments, cost vs margin, policy
    text = json.dumps(
        [{k: v for k, v in o.get("data", {}).items() if k != "image/png"} for o in outputs],
        ensure_ascii=False,
    )
    assert "wb-srm" in text  # the SRM result is shown, prominently, before the effects
    assert text.index("wb-srm") < text.index("wb-findings")
    ids = demo.campaign["member_id"]
    assert not any(m in text for m in (ids.iloc[0], ids.iloc[len(ids) // 2], ids.iloc[-1]))  # aggregates only
    marker = "樣本比例檢查" if language == "zh-TW" else "Sample-ratio check"
    assert marker in text
    # the page says where the outcomes came from
    if campaign == "assignments.csv":
        assert "Outcomes measured from the transaction log (transactions.parquet)" in text
        assert "assignment list (assignments.csv)" in text
    else:
        assert "成效與成本取自活動資料表（campaign.parquet）" in text
