"""The kernels of a monthly run talk to the runner over Unix sockets in a private folder, not TCP ports.

jupyter_client's default (TCP) picks five free ports in the runner and the kernel binds them a moment later:
between the two, another process on the machine can take one (several runs, or a run's notebooks side by side,
starting kernels at the same time), and that kernel dies at start-up with ``ZMQError: Address already in use``.
Sockets in a folder made for the kernel (``ipc`` transport) cannot be taken by anyone else, need no port and are
removed with the folder when the kernel shuts down. Windows has no such sockets: TCP there.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref

from jupyter_client.manager import AsyncKernelManager
from traitlets import default

__all__ = ["SOCKET_PREFIX", "RunKernelManager", "kernel_transport"]

#: the private folder of one kernel's sockets: ``<tmp>/workbench-kernel-XXXX/`` (a Unix socket's path is limited
#: to ~107 bytes, so the folder is short and in the temporary directory, never under the project)
SOCKET_PREFIX = "workbench-kernel-"


def kernel_transport() -> str:
    """``ipc`` (Unix sockets) where the platform has them, else ``tcp``."""
    return "tcp" if os.name == "nt" else "ipc"


class RunKernelManager(AsyncKernelManager):
    """papermill's kernel manager for the run (``kernel_manager_class``): sockets in a private folder."""

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
