"""An nbclient ``NotebookClient`` that identifies cells the way JupyterLab does.

nbclient (and papermill on top of it) sends bare execute requests, so the kernel
cannot tell which cell ran. JupyterLab puts the cell's nbformat id in the request's
``metadata.cellId``; this client does the same, which makes headless runs and
interactive sessions produce comparable records.
"""

from __future__ import annotations

from typing import Any

from nbclient import NotebookClient
from nbclient.util import run_sync


class CellIdNotebookClient(NotebookClient):
    """Sends ``metadata.cellId`` with each execute request and loads the extension."""

    _current_cell_id: str | None = None

    async def async_start_new_kernel_client(self) -> Any:
        kc = await super().async_start_new_kernel_client()
        session = kc.session
        client = self

        def execute(
            code: str,
            silent: bool = False,
            store_history: bool = True,
            user_expressions: dict[str, Any] | None = None,
            allow_stdin: bool | None = None,
            stop_on_error: bool = True,
        ) -> str:
            content = {
                "code": code,
                "silent": silent,
                "store_history": store_history,
                "user_expressions": user_expressions or {},
                "allow_stdin": kc.allow_stdin if allow_stdin is None else allow_stdin,
                "stop_on_error": stop_on_error,
            }
            cell_id = client._current_cell_id
            metadata = {"cellId": cell_id} if cell_id and not silent else {}
            msg = session.msg("execute_request", content, metadata=metadata)
            kc.shell_channel.send(msg)
            return str(msg["header"]["msg_id"])

        kc.execute = execute  # type: ignore[method-assign]
        return kc

    async def async_execute_cell(
        self,
        cell: Any,
        cell_index: int,
        execution_count: int | None = None,
        store_history: bool = True,
    ) -> Any:
        cell_id = cell.get("id")
        self._current_cell_id = cell_id if isinstance(cell_id, str) else None
        try:
            return await super().async_execute_cell(
                cell, cell_index, execution_count=execution_count, store_history=store_history
            )
        finally:
            self._current_cell_id = None

    # nbclient binds its synchronous API to the base class's coroutines at class
    # creation; rebind so that the overrides above are what the sync calls run.
    start_new_kernel_client = run_sync(async_start_new_kernel_client)
    execute_cell = run_sync(async_execute_cell)


_KERNEL_NOISE = ("Kernel is running over TCP without encryption",)
# jupyter_client interrupts a kernel before asking it to shut down; the kernel logs it.
_SHUTDOWN_NOISE = ("KeyboardInterrupt caught in kernel",)


class KernelStderr:
    """Passes a kernel's stderr through, minus notices every start and stop repeats.

    The kernel must have been started with ``stderr=subprocess.PIPE``. Real problems
    (a crash, a failing import at start) still reach the user.
    """

    def __init__(self, kernel_manager: Any, sink: Any = None) -> None:
        import sys
        import threading

        self.shutting_down = False
        process = getattr(getattr(kernel_manager, "provisioner", None), "process", None)
        self._stream = getattr(process, "stderr", None)
        self._sink = sink if sink is not None else sys.stderr
        if self._stream is not None:
            threading.Thread(
                target=self._pump, name="jupyter-ext-kernel-stderr", daemon=True
            ).start()

    def _pump(self) -> None:
        try:
            for raw in iter(self._stream.readline, b""):  # type: ignore[union-attr]
                line = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
                if any(noise in line for noise in _KERNEL_NOISE):
                    continue
                if self.shutting_down and any(noise in line for noise in _SHUTDOWN_NOISE):
                    continue
                self._sink.write(line)
                self._sink.flush()
        except (OSError, ValueError):
            return
