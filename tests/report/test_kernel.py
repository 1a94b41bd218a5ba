"""The run's kernels: Unix sockets in a private folder (no TCP port another process could take first)."""

from __future__ import annotations

import json
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import psutil
import pytest

from workbench.report.kernel import SOCKET_PREFIX, KernelPool, kernel_transport
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


WARM_CELL = (
    "import os, sys\n"
    "print(os.getcwd())\n"
    "print(all(name in sys.modules for name in ('workbench.tiers', 'workbench.experiments', 'matplotlib.pyplot')))"
)


def _kernels() -> set[int]:
    """The live ipykernel processes below this one (zombies other tests left behind are not kernels)."""
    found = set()
    for process in psutil.Process().children(recursive=True):
        try:
            if process.status() != psutil.STATUS_ZOMBIE and "ipykernel" in " ".join(process.cmdline()):
                found.add(process.pid)
        except psutil.Error:  # gone meanwhile, or a zombie
            continue
    return found


def test_pooled_kernel_runs_the_notebook_warm_and_is_shut_down(tmp_path):
    before = _kernels()
    source = tmp_path / "warm.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(WARM_CELL)]), source)
    with KernelPool(1, 1, cwd=str(tmp_path), env=os.environ) as pool:
        km = pool.take()
        assert km is not None and km.is_alive()
        assert pool.take() is None  # one notebook: no second kernel
        execute(NotebookRun("warm", source, 60, {}, None), tmp_path / "out.ipynb", km=km)
        assert not km.is_alive()
    cell = nbformat.read(tmp_path / "out.ipynb", as_version=4).cells[0]
    assert cell.execution_count == 1  # the warm-up ran silently
    assert cell.outputs[0]["text"].splitlines() == [str(tmp_path), "True"]
    assert not _kernels() - before


def test_pool_shuts_down_kernels_not_taken():
    before = _kernels()
    pool = KernelPool(2, 4, cwd=tempfile.gettempdir(), env=os.environ)
    pool.resize(1, ahead=False)  # the run chose one at a time: the second kernel goes
    km = pool.take()
    assert km is not None
    assert pool.take() is None  # not started ahead
    km.shutdown_kernel(now=True)
    pool.close()
    assert not _kernels() - before
