"""workbench.report.fingerprint: a source that is not a file is fingerprinted by its canonical frame."""

from __future__ import annotations


def test_fingerprint_of_a_non_file_source_hashes_the_canonical_frame(tmp_path, cdnow):
    from workbench.report import fingerprint_inputs, frame_sha256, load_plan, validate_inputs

    for sub in ("params", "notebooks"):
        (tmp_path / sub).mkdir()
    (tmp_path / "params" / "common.yaml").write_text("data: {transactions: cdnow}\nmonth: '1998-06'\n")
    (tmp_path / "params" / "report.yaml").write_text("notebooks: []\n")
    plan = load_plan(tmp_path / "params")
    inputs, frame = validate_inputs(plan)  # the up-front validation loads the source once ...
    assert inputs.fingerprint == fingerprint_inputs(plan, frame)  # ... and hashes that frame
    assert inputs.fingerprint["inputs"]["transactions"] == {
        "source": "cdnow",
        "rows": len(cdnow),
        "sha256": frame_sha256(cdnow),
    }
    changed = cdnow.copy()
    changed.loc[changed.index[0], "amount"] += 0.01
    assert frame_sha256(changed) != frame_sha256(cdnow)
    assert frame_sha256(cdnow.copy()) == frame_sha256(cdnow)


def test_versions_record_the_packages_that_compute_the_reports():
    from importlib import metadata

    from workbench.report.fingerprint import versions

    found = versions()
    for name in ("pandas", "numpy", "scipy", "threadpoolctl", "lifetimes", "statsmodels", "duckdb"):
        assert found[name] == metadata.version(name)
