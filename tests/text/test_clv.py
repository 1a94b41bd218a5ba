"""workbench.text.clv: the CLV findings are generated from the numbers, in both languages."""

from __future__ import annotations

import pandas as pd

from workbench import clv as wc
from workbench.text import clv as words


def test_findings_are_generated_from_numbers(demo_model, demo_summary):
    pred = demo_model.predict(demo_summary, 12, gross_margin=0.45)
    comparison = pd.DataFrame(
        [
            {
                "model": "bgnbd",
                "predicted_total": 110.0,
                "actual_total": 100.0,
                "total_error_pct": 0.10,
                "bucket_mae": 0.2,
            }
        ]
    )
    en = words.findings(
        demo_summary, pred, demo_model, comparison, lang="en", calibration_end="2026-04-30", holdout_months=6
    )
    zh = words.findings(
        demo_summary,
        pred,
        demo_model,
        comparison,
        lang="zh-TW",
        calibration_end="2026-04-30",
        holdout_months=6,
    )
    assert len(en) == len(zh) >= 5
    share = wc.top_decile_share(pred["clv"])
    assert f"{share * 100:.1f}%" in en[0] and f"{share * 100:.1f}%" in zh[0]
    assert "+10.0%" in en[2] and "110" in en[2]  # validation right after the value figures
    assert "前 10%" in zh[0]
