"""notebooks/clv.ipynb: committed clean with its params file, and executed with papermill on a small demo."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from workbench.data import generate_demo

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "clv.ipynb"


def test_notebook_committed_clean_and_params_file_matches():
    import yaml

    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert nb["cells"][0]["metadata"].get("tags") == ["parameters"]
    assert all(
        not c.get("outputs") and c.get("execution_count") is None
        for c in nb["cells"]
        if c["cell_type"] == "code"
    )
    params = yaml.safe_load((NOTEBOOK.parents[1] / "params" / "clv.yaml").read_text(encoding="utf-8"))
    source = "".join(nb["cells"][0]["source"])
    for key in params:
        assert f"\n{key} = " in source, key


@pytest.mark.slow  # two kernel runs of the report notebook (~10-20 s each)
@pytest.mark.parametrize("language", ["en", "zh-TW"])
def test_notebook_runs_on_small_demo(tmp_path, language):
    import papermill

    from workbench.notebook import HEADLINES_MIME

    demo = generate_demo(3000, seed=7)
    demo.write(tmp_path / "data")
    files = {
        name: str(tmp_path / "data" / f"{name}.parquet") for name in ("transactions", "members", "campaign")
    }
    params = {"data": {**files, "truth": str(tmp_path / "data" / "truth.json")}}
    audience = tmp_path / "audience" if language == "zh-TW" else ""
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={**params, "language": language, "audience_dir": str(audience)},
        kernel_name="python3",
        cwd=str(NOTEBOOK.parent),
        progress_bar=False,
    )
    outputs = [o for c in json.loads(out.read_text(encoding="utf-8"))["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] in ("error", "stream")]  # no errors, warnings, prints
    heads = [o["data"][HEADLINES_MIME] for o in outputs if HEADLINES_MIME in o.get("data", {})]
    assert len(heads) == 1 and len(heads[0]) == 4
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 6
    text = json.dumps(
        [{k: v for k, v in o.get("data", {}).items() if k != "image/png"} for o in outputs],
        ensure_ascii=False,
    )
    ids = demo.members["member_id"]
    assert not any(m in text for m in (ids.iloc[0], ids.iloc[len(ids) // 2], ids.iloc[-1]))  # aggregates only
    assert ("前 10% 的會員" if language == "zh-TW" else "The top 10% of members") in text
    if audience:
        written = pd.read_csv(audience / "clv_audience.csv", dtype={"member_id": str})
        assert len(written) > 0 and (written["clv_decile"] == 1).all()
    else:
        assert not (tmp_path / "audience").exists()
