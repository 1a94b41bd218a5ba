"""The kernels of a monthly run talk to the runner over Unix sockets in a private folder, not TCP ports.

jupyter_client's default (TCP) picks five free ports in the runner and the kernel binds them a moment later:
between the two, another process on the machine can take one (several runs, or a run's notebooks side by side,
starting kernels at the same time), and that kernel dies at start-up with ``ZMQError: Address already in use``.
Sockets in a folder made for the kernel (``ipc`` transport) cannot be taken by anyone else, need no port and are
removed with the folder when the kernel shuts down. Windows has no such sockets: TCP there.

``KernelPool``: kernels started, and their libraries imported, ahead of the notebooks that will use them: the
first ones while the runner validates the log (one core otherwise idle), the next while the notebooks before
them run. A kernel's start and imports cost ~4 s of each notebook's wall time at any size.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor

from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import AsyncKernelManager, KernelManager
from traitlets import DottedObjectName, default

__all__ = [
    "SOCKET_PREFIX",
    "WARM_UP",
    "KernelPool",
    "RunKernelManager",
    "WarmKernelManager",
    "kernel_transport",
]

#: what a pooled kernel imports before its notebook runs: the libraries every report notebook imports (the same
#: modules the notebook then imports itself, so its outputs are unchanged; run silently, no execution count)
WARM_UP = """
import matplotlib.pyplot
import pandas
import workbench.clv, workbench.experiments, workbench.i18n, workbench.notebook, workbench.plots
import workbench.results, workbench.segments, workbench.summary, workbench.text, workbench.tiers
"""
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]
"""ipykernel's own log off (see ``report.run.execute``)."""

#: the private folder of one kernel's sockets: ``<tmp>/workbench-kernel-XXXX/`` (a Unix socket's path is limited
#: to ~107 bytes, so the folder is short and in the temporary directory, never under the project)
SOCKET_PREFIX = "workbench-kernel-"


def kernel_transport() -> str:
    """``ipc`` (Unix sockets) where the platform has them, else ``tcp``."""
    return "tcp" if os.name == "nt" else "ipc"


class _PrivateSockets:
    """The sockets of the kernel in a folder of their own (mixed into a jupyter_client kernel manager)."""

    @default("transport")
    def _transport_default(self) -> str:
        return kernel_transport()

    @default("ip")
    def _ip_default(self) -> str:
        if self.transport != "ipc":
            return super()._ip_default()
        base = tempfile.gettempdir()
        if len(base) > 60:  # a long TMPDIR would push the socket paths past the limit
            base = "/tmp"
        folder = tempfile.mkdtemp(prefix=SOCKET_PREFIX, dir=base)
        # removed at shutdown (below); the finalizer covers a manager dropped without one
        self._socket_folder = weakref.finalize(self, shutil.rmtree, folder, True)
        return os.path.join(folder, "kernel")

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        folder = getattr(self, "_socket_folder", None)
        if folder is not None and not restart:
            folder()


class RunKernelManager(_PrivateSockets, AsyncKernelManager):
    """papermill's kernel manager for the run (``kernel_manager_class``): sockets in a private folder."""


class WarmKernelManager(_PrivateSockets, KernelManager):
    """A pooled kernel's manager: started in the pool's thread, driven by papermill (its client is asynchronous)."""

    client_class = DottedObjectName("jupyter_client.asynchronous.AsyncKernelClient")


def _start_warm(cwd: str, env: Mapping[str, str], timeout: float) -> WarmKernelManager:
    km = WarmKernelManager(kernel_name="python3")
    km.start_kernel(cwd=cwd, env=dict(env), extra_arguments=KERNEL_ARGUMENTS)
    kc = BlockingKernelClient()
    kc.load_connection_info(km.get_connection_info())
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=timeout)
        # silent: no outputs, no execution count; a failing import is left for the notebook to show
        kc.execute_interactive(WARM_UP, silent=True, store_history=False, timeout=timeout, allow_stdin=False)
    except Exception:
        km.shutdown_kernel(now=True)
        raise
    finally:
        kc.stop_channels()
    return km


class KernelPool:
    """Warm kernels for the notebooks of one run, started in a background thread.

    Parameters
    ----------
    size : int
        Kernels started at once (the run's notebooks side by side).
    total : int
        Notebooks of the run (no more kernels than that are ever started).
    cwd : str
        The kernels' working directory (the notebooks folder).
    env : mapping
        The kernels' environment.
    ahead : bool
        Start a notebook's successor kernel when it takes one (memory: one more idle kernel of ~0.3 GiB while
        the notebooks run; the runner turns it off when notebooks run one at a time, see ``report.run``).
    timeout : float
        Seconds a kernel may take to start and import.
    """

    def __init__(
        self,
        size: int,
        total: int,
        *,
        cwd: str,
        env: Mapping[str, str],
        ahead: bool = True,
        timeout: float = 120,
    ) -> None:
        self._args = (cwd, dict(env), timeout)
        self._left = total
        self.ahead = ahead
        self._lock = threading.Lock()
        self._ready: list[Future] = []
        self._starter = ThreadPoolExecutor(2, thread_name_prefix="kernel-pool")
        for _ in range(min(size, total)):
            self._add()

    def _add(self) -> None:
        if self._left > len(self._ready):
            self._ready.append(self._starter.submit(_start_warm, *self._args))

    def resize(self, size: int, *, ahead: bool) -> None:
        """Keep at most ``size`` kernels waiting (the run's final choice of jobs); shut down the rest."""
        with self._lock:
            self.ahead = ahead
            extra, self._ready = self._ready[size:], self._ready[:size]
        for future in extra:
            future.add_done_callback(_shut_down)

    def take(self) -> WarmKernelManager | None:
        """A started, warmed kernel for the next notebook (None: start one the usual way)."""
        with self._lock:
            self._left -= 1
            future = self._ready.pop(0) if self._ready else None
            if self.ahead:
                self._add()
        if future is None:
            return None
        try:
            km = future.result()
        except Exception:  # the notebook starts its own kernel and shows what fails
            return None
        return km if km.is_alive() else None

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Shut down every kernel not taken."""
        with self._lock:
            self._left, rest, self._ready = 0, self._ready, []
        for future in rest:
            future.add_done_callback(_shut_down)
        self._starter.shutdown(wait=True)


def _shut_down(future: Future) -> None:
    if future.exception() is None:
        future.result().shutdown_kernel(now=True)
