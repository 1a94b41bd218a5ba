"""notebooks/campaign_ab.ipynb executes with papermill on a small demo, in both languages: from the demo's
assignment list (outcomes measured from the log) and from a table that already holds its outcomes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "campaign_ab.ipynb"


@pytest.mark.slow  # four kernel runs of the report notebook (~10-20 s each)
@pytest.mark.parametrize(
    ("language", "campaign", "month"),
    [
        ("en", "assignments.csv", "2026-10"),
        ("zh-TW", "campaign.parquet", "2026-10"),
        ("en", "assignments.csv", "2026-09"),
        ("zh-TW", "assignments.csv", "2026-09"),
    ],
)
def test_notebook_runs_on_small_demo(tmp_path, language, campaign, month):
    """2026-10: the campaign (1 Sep - 31 Oct) has ended, the final analysis; 2026-09: look 1 of 2 of a
    running campaign (always-valid intervals, the trend, no verdict, money, segments or policy)."""
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
        parameters={**params, "language": language, "analysis": analysis, "month": month},
        kernel_name="python3",
        cwd=str(NOTEBOOK.parent),
        progress_bar=False,
    )
    outputs = [o for c in json.loads(out.read_text(encoding="utf-8"))["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] in ("error", "stream")]  # no errors, warnings, prints
    heads = [o["data"][HEADLINES_MIME] for o in outputs if HEADLINES_MIME in o.get("data", {})]
    assert len(heads) == 1 and 2 <= len(heads[0]) <= 4
    running = month == "2026-09"
    images = sum("image/png" in o.get("data", {}) for o in outputs)
    assert images == (2 if running else 5)  # lift, trend (+ segments, cost vs margin, policy when ended)
    text = json.dumps(
        [{k: v for k, v in o.get("data", {}).items() if k != "image/png"} for o in outputs],
        ensure_ascii=False,
    )
    status = heads[0][{"en": "Campaign status", "zh-TW": "活動狀態"}[language]]  # the month's index shows it
    look = {"en": "look 1 of 2", "zh-TW": "第 1 次檢視（共 2 次）"}[language]
    if running:
        assert status.startswith(
            {"en": "running, look 1 of 2", "zh-TW": "進行中，第 1 次檢視（共 2 次）"}[language]
        )
        assert "wb-look-running" in text and "wb-decision" in text and "wb-verdict" not in text
        assert ("always-valid" if language == "en" else "隨時有效") in text
        assert look in text
    else:
        assert status.startswith({"en": "ended", "zh-TW": "已結束"}[language])
        assert "wb-look-ended" in text and "wb-verdict" in text and "wb-decision" not in text
        assert ("final analysis" if language == "en" else "最終分析") in text
    assert "wb-srm" in text  # the SRM result is shown, prominently, before the effects
    assert text.index("wb-srm") < text.index("wb-findings")
    ids = demo.campaign["member_id"]
    assert not any(m in text for m in (ids.iloc[0], ids.iloc[len(ids) // 2], ids.iloc[-1]))  # aggregates only
    marker = "樣本比例檢查" if language == "zh-TW" else "Sample-ratio check"
    assert marker in text
    # the page says where the outcomes came from
    if campaign == "assignments.csv" and language == "en":
        assert "Outcomes measured from the transaction log (transactions.parquet)" in text
        assert "assignment list (assignments.csv)" in text
    elif campaign == "campaign.parquet":
        assert "成效與成本取自活動資料表（campaign.parquet）" in text


@pytest.mark.slow  # one kernel run
def test_notebook_before_the_window_says_so(tmp_path):
    """A report month that ends before the campaign starts: the page says when it starts, and shows nothing
    measured (no plot, no headline figure)."""
    import papermill

    from workbench.data import generate_demo
    from workbench.notebook import HEADLINES_MIME

    generate_demo(1000, seed=3).write(tmp_path / "data")
    data = {name: str(tmp_path / "data" / f"{name}.parquet") for name in ("transactions", "members")}
    data["campaign"] = str(tmp_path / "data" / "assignments.csv")
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={"data": data, "language": "en", "month": "2026-08"},
        kernel_name="python3",
        cwd=str(NOTEBOOK.parent),
        progress_bar=False,
    )
    outputs = [o for c in json.loads(out.read_text(encoding="utf-8"))["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] in ("error", "stream")]
    assert not [o for o in outputs if "image/png" in o.get("data", {}) or HEADLINES_MIME in o.get("data", {})]
    text = json.dumps([o.get("data", {}) for o in outputs], ensure_ascii=False)
    assert "The campaign starts on 1 Sep 2026 (window 1 Sep 2026 to 31 Oct 2026)" in text
    assert "wb-look-not_started" in text
