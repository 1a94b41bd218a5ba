"""Notebook outputs never reach git (issue 14): ``.gitattributes`` sends every ``*.ipynb`` through the
nbstripout clean filter that ``scripts/git-filters.sh`` configures (``make install`` runs it).

In a throwaway clone holding the project's notebooks, a notebook is executed in place by a real kernel (as
a JupyterLab session saves it: outputs, execution counts, the kernel's language_info); ``git diff`` then
shows nothing, while the same clone without the filter shows the notebook
modified (so the check can fail). ``git status`` lists a notebook just saved by Lab until the index is
refreshed (git compares the file's size first); ``git add`` then stages nothing and the status is clean."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def clone(tmp_path) -> Path:
    root = tmp_path / "clone"
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    shutil.copy(REPO / ".gitattributes", root / ".gitattributes")
    _git(root, "init", "-q")
    _git(root, "config", "user.name", "test")
    _git(root, "config", "user.email", "test@workbench")
    subprocess.run(["bash", str(REPO / "scripts" / "git-filters.sh"), sys.executable], cwd=root, check=True)
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "notebooks")
    return root


def test_the_committed_notebooks_pass_the_filter_unchanged(clone):
    assert _git(clone, "status", "--porcelain") == ""
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        stored = _git(clone, "show", f"HEAD:notebooks/{path.name}")
        assert stored == path.read_text(encoding="utf-8"), f"{path.name} is not stored as written"


def test_a_notebook_run_in_place_leaves_the_clone_clean(clone):
    from nbclient import NotebookClient

    path = clone / "notebooks" / "lab_session.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print('NT$1,200')\n1 + 1"), nbformat.v4.new_code_cell("x = 2")]
    # the metadata the project's notebooks carry
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, path)
    _git(clone, "add", "-A")
    _git(clone, "commit", "-qm", "a notebook")
    assert _git(clone, "status", "--porcelain") == ""

    ran = nbformat.read(path, as_version=4)
    NotebookClient(ran, kernel_name="python3", timeout=120).execute()
    nbformat.write(ran, path)  # saved in place, as Lab's autosave does
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["cells"][0]["outputs"] and saved["cells"][0]["execution_count"] == 1
    assert saved["metadata"]["language_info"].get("version"), "the kernel did not record language_info"

    assert _git(clone, "diff") == "", "the run's outputs show in git diff"
    # the control: the same clone without the filter sees the outputs
    unfiltered = _git(clone, "-c", "filter.nbstripout.clean=cat", "diff", "--no-textconv")
    assert "NT$1,200" in unfiltered
    # git status goes by the file's size and time until the index is refreshed; adding stages nothing
    _git(clone, "add", "-A")
    assert _git(clone, "diff", "--cached") == ""
    assert _git(clone, "status", "--porcelain") == ""
    stored = json.loads(_git(clone, "show", "HEAD:notebooks/lab_session.ipynb"))
    assert all(c.get("outputs") == [] and c.get("execution_count") is None for c in stored["cells"])
