"""workbench.files: every published file is written to a temporary file beside it and moved into place, so
a failed write leaves the previous file byte for byte and no temporary file behind; audience files only
when an audience folder is set. Checked against the folder's listing and bytes read back here."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pytest

from workbench import files


def _listing(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_atomic_path_writes_beside_the_target_and_replaces_it(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("old", encoding="utf-8")
    with files.atomic_path(target) as tmp:
        assert tmp.parent == target.parent and tmp != target  # same folder: os.replace is atomic
        tmp.write_text("new", encoding="utf-8")
        assert target.read_text(encoding="utf-8") == "old"  # nothing visible before the end
    assert target.read_text(encoding="utf-8") == "new"
    assert _listing(tmp_path) == ["report.html"]


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_a_failed_write_leaves_the_old_file_intact_and_no_temp_file(tmp_path, error):
    target = tmp_path / "run.json"
    target.write_bytes(b'{"status": "ok"}\n')
    before = target.read_bytes()
    with pytest.raises(error), files.atomic_path(target) as tmp:
        tmp.write_text('{"status": "fa', encoding="utf-8")  # half written, then the run dies
        raise error("killed")
    assert target.read_bytes() == before
    assert _listing(tmp_path) == ["run.json"]


class _BreaksHalfway:
    """A frame whose CSV writer writes part of the file, then fails (a full disk, a bad value)."""

    def to_csv(self, path, **kwargs):
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("member_id,clv\n0000001,")
        raise OSError("No space left on device")


def test_write_helpers_that_fail_keep_the_previous_file(tmp_path):
    old = pd.DataFrame({"member_id": ["0000001", "0000002"], "clv": [1.5, 2.5]})
    csv = files.write_csv(tmp_path / "audience.csv", old)
    parquet = files.write_parquet(tmp_path / "tx.parquet", old)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(OSError, match="No space left"):
        files.write_csv(csv, _BreaksHalfway())
    unwritable = pd.DataFrame({"member_id": ["1", 2]})  # text and a number: Arrow refuses the column
    with pytest.raises(pa.ArrowTypeError):
        files.write_parquet(parquet, unwritable)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    pd.testing.assert_frame_equal(pd.read_csv(csv, dtype={"member_id": str}), old)
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), old)


def test_write_text_json_and_bytes_create_the_folder(tmp_path):
    value = {"month": "2026-10", "title": "會員月報", "figures": [1, 2.5, None]}
    path = files.write_json(tmp_path / "a" / "b" / "run.json", value)
    assert path == tmp_path / "a" / "b" / "run.json"
    raw = path.read_bytes()
    assert json.loads(raw.decode("utf-8")) == value
    assert "會員月報".encode() in raw and raw.endswith(b"\n")  # UTF-8 text, not \\u escapes
    assert files.write_text(tmp_path / "t.txt", "NT$1,200\n").read_text(encoding="utf-8") == "NT$1,200\n"
    assert files.write_bytes(tmp_path / "b.bin", b"\x00\xff").read_bytes() == b"\x00\xff"
    assert _listing(tmp_path) == ["a", "b.bin", "t.txt"] and _listing(tmp_path / "a" / "b") == ["run.json"]


@pytest.mark.parametrize("folder", ["", None])
def test_write_audience_returns_none_without_a_folder(tmp_path, monkeypatch, folder):
    monkeypatch.chdir(tmp_path)
    frame = pd.DataFrame({"member_id": ["0000001"], "segment": ["vip"]})
    assert files.write_audience(frame, folder, "vip") is None
    assert _listing(tmp_path) == []  # nothing written, not even in the working folder


def test_write_audience_keeps_member_ids_as_text(tmp_path):
    frame = pd.DataFrame({"member_id": ["0000001", "0012345"], "clv_decile": [1, 1]})
    path = files.write_audience(frame, tmp_path / "audience", "clv_audience")
    assert path == tmp_path / "audience" / "clv_audience.csv"
    assert path.read_text(encoding="utf-8").splitlines() == [
        "member_id,clv_decile",
        "0000001,1",
        "0012345,1",
    ]
    assert _listing(tmp_path / "audience") == ["clv_audience.csv"]


def test_published_files_get_the_usual_mode(tmp_path):
    """mkstemp makes 0600 files; a published page must be readable like any file the user writes."""
    import os

    mask = os.umask(0o022)
    try:
        path = files.write_text(tmp_path / "page.html", "<p>x</p>")
    finally:
        os.umask(mask)
    assert (path.stat().st_mode & 0o777) == 0o644
