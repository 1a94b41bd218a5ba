"""The run's kernels: Unix sockets in a private folder (no TCP port another process could take first)."""

from __future__ import annotations

import json
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from workbench.report.kernel import SOCKET_PREFIX, kernel_transport
from workbench.report.params import NotebookRun
from workbench.report.run import execute

pytestmark = pytest.mark.skipif(os.name == "nt", reason="Windows has no Unix sockets: its kernels use TCP")

CELL = (
    "import json\nfrom ipykernel import get_connection_info\n"
    "print(json.dumps({k: v for k, v in get_connection_info(unpack=True).items() if k != 'key'}))"
)


def _connection(tmp_path: Path, name: str) -> dict:
    source = tmp_path / f"{name}.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL)]), source)
    output = tmp_path / f"{name}.out.ipynb"
    execute(NotebookRun(name, source, 60, {}, None), output, cwd=tmp_path)
    (out,) = nbformat.read(output, as_version=4).cells[0].outputs
    return json.loads(out["text"])


def test_kernel_sockets_are_private_and_removed(tmp_path):
    info = _connection(tmp_path, "one")
    assert kernel_transport() == "ipc"
    assert info["transport"] == "ipc"
    folder = Path(info["ip"]).parent
    assert folder.name.startswith(SOCKET_PREFIX)
    assert folder.parent in {Path(tempfile.gettempdir()), Path("/tmp")}
    assert len(f"{info['ip']}-{info['control_port']}") < 100  # Unix socket paths are limited (~107 bytes)
    assert not folder.exists()  # removed with the kernel
    assert not any(p.name.startswith("kernel") for p in tmp_path.iterdir())  # nothing left in the cwd


def test_kernels_started_at_once_each_get_their_own_folder(tmp_path):
    with ThreadPoolExecutor(4) as pool:
        infos = list(pool.map(lambda i: _connection(tmp_path, f"nb{i}"), range(4)))
    folders = {Path(info["ip"]).parent for info in infos}
    assert len(folders) == 4
    assert not any(folder.exists() for folder in folders)
