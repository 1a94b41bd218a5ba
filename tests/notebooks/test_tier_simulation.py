"""notebooks/tier_simulation.ipynb, end to end on a small demo."""

from __future__ import annotations

import pytest


@pytest.mark.slow  # one kernel run of the report notebook (~15-30 s)
def test_notebook_runs_on_small_demo(tmp_path):
    import json
    from pathlib import Path

    import papermill

    from workbench.data import generate_demo
    from workbench.notebook import HEADLINES_MIME

    generate_demo(3000, seed=7).write(tmp_path / "data")
    nb = Path(__file__).resolve().parents[2] / "notebooks" / "tier_simulation.ipynb"
    out = tmp_path / "out.ipynb"
    params = {
        "data": {
            name: str(tmp_path / "data" / f"{name}.parquet")
            for name in ("transactions", "members", "campaign")
        }
    }
    papermill.execute_notebook(
        str(nb),
        str(out),
        parameters={**params, "language": "en", "sweep_size": 10},
        kernel_name="python3",
        cwd=str(nb.parent),
        progress_bar=False,
    )
    cells = json.loads(out.read_text(encoding="utf-8"))["cells"]
    outputs = [o for c in cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] in ("error", "stream")]  # no errors, warnings, prints
    heads = [o["data"][HEADLINES_MIME] for o in outputs if HEADLINES_MIME in o.get("data", {})]
    assert len(heads) == 1 and len(heads[0]) == 5  # four of its own + the overview's concentration figure
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 8  # the three sweep heatmaps apart
    text = json.dumps([{k: v for k, v in o.get("data", {}).items() if k != "image/png"} for o in outputs])
    assert "0000001" not in text and "0002999" not in text  # aggregates only: no member ids
