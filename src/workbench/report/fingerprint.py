"""The data fingerprint of a run (SHA-256 of each input file, or of the canonical frame) and package versions."""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from workbench.data import mask_url
from workbench.report.params import RunPlan

PACKAGES = (
    "workbench",
    "pandas",
    "numpy",
    "scipy",
    "threadpoolctl",  # the bootstrap's BLAS threads (experiments.bootstrap)
    "lifetimes",
    "statsmodels",
    "duckdb",
    "pyarrow",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "ipykernel",
)


# ----------------------------------------------------------------------------------------- fingerprint
def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    """The SHA-256 of a file, read in chunks of ``chunk`` bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def frame_sha256(frame) -> str:
    """sha256 of a canonical frame's contents (row hashes of pandas, column names and dtypes)."""
    import pandas as pd

    digest = hashlib.sha256(json.dumps([[c, str(frame[c].dtype)] for c in frame.columns]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def fingerprint_inputs(plan: RunPlan, frame) -> dict[str, Any]:
    """Per input (param name): path, size and sha256; plus one combined sha256 over all of them.

    Parameters
    ----------
    plan : RunPlan
        The run (its ``data:`` block and notebook params name the input files).
    frame : DataFrame
        The validated transactions (``workbench.report.inputs``), hashed when the source is not a file
        (``demo``, ``cdnow``, a database).

    Returns
    -------
    dict
        ``{"sha256": combined, "inputs": {name: {"path"|"source", "bytes"|"rows", "sha256"}}}``; a database
        source is recorded with its password masked (``workbench.data.mask_url``).
    """
    inputs: dict[str, dict[str, Any]] = {}
    for key, path in plan.input_files().items():
        inputs[key] = {
            "path": str(path.relative_to(plan.root)) if path.is_relative_to(plan.root) else str(path),
            "bytes": path.stat().st_size,
            "sha256": file_sha256(path),
        }
    data = plan.common.data
    if "transactions" not in inputs and frame is not None:  # 'demo', 'cdnow' or a database: hash the frame
        entry = {"source": mask_url(data.transactions)}
        if data.table or data.query:
            entry["table" if data.table else "query"] = data.table or data.query
        inputs["transactions"] = {**entry, "rows": len(frame), "sha256": frame_sha256(frame)}
    combined = hashlib.sha256(
        json.dumps({k: v["sha256"] for k, v in sorted(inputs.items())}, sort_keys=True).encode()
    ).hexdigest()
    return {"sha256": combined, "inputs": inputs}


def versions() -> dict[str, str]:
    """The versions of Python and of the packages that compute the reports."""
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found
