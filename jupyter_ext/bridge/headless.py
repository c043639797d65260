"""Run a notebook headless in a fresh kernel with recording on.

The kernel loads the extension at start (``--ext=jupyter_ext``), so the first cell is
recorded like every other. The runner chooses the run id and passes it, with the store
location and the notebook path, through the kernel's environment: afterwards it reads
the run back from the store by that id, with no side channel to the kernel.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import nbformat
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from ..core.ids import new_run_id
from ..store.location import default_store_path
from .client import CellIdNotebookClient, KernelStderr

Order = Literal["document", "recorded"]

_FLUSH_CODE = "__import__('jupyter_ext.capture.extension', fromlist=['flush']).flush(get_ipython())"


@dataclass(frozen=True, slots=True)
class HeadlessRun:
    run_id: str
    store: Path
    notebook: Any
    """The executed notebook (nbformat node)."""
    executed: int
    error: str | None
    """``None`` when every cell ran; else what failed, in papermill's words."""


def notebook_cells_in_order(nb: Any, order: Order) -> list[tuple[int, Any]]:
    """Code cells to execute, with their indices.

    ``recorded`` replays the notebook's own history: only cells with an execution count,
    in the order of those counts, which is how the author actually ran them.
    """
    cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    if order == "document":
        return cells
    executed = [(i, c) for i, c in cells if isinstance(c.get("execution_count"), int)]
    return sorted(executed, key=lambda item: (item[1]["execution_count"], item[0]))


def ensure_cell_ids(nb: Any) -> None:
    """Give cells of pre-4.5 notebooks ids, so that their executions can be told apart."""
    if nb.nbformat == 4 and nb.nbformat_minor < 5:
        nb.nbformat_minor = 5
    for cell in nb.cells:
        if not cell.get("id"):
            cell["id"] = os.urandom(4).hex()


def run_notebook(
    path: str | Path,
    *,
    order: Order = "document",
    kernel_name: str | None = None,
    timeout: float | None = 600,
    store: str | Path | None = None,
    cwd: str | Path | None = None,
    allow_errors: bool = False,
    on_cell: Callable[[int, int, Any], None] | None = None,
) -> HeadlessRun:
    """Execute ``path`` with recording on and return what ran (the file is not changed)."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    ensure_cell_ids(nb)
    run_id = new_run_id()
    store_path = Path(store) if store is not None else default_store_path()
    env = dict(os.environ)
    env.update(
        {
            "JUPYTER_EXT_RUN_ID": run_id,
            "JUPYTER_EXT_STORE": str(store_path),
            "JPY_SESSION_NAME": str(path.resolve()),
        }
    )
    env.pop("JUPYTER_EXT_DISABLE", None)
    resources = {"metadata": {"path": str(Path(cwd) if cwd else path.resolve().parent)}}
    client = CellIdNotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel_name or nb.metadata.get("kernelspec", {}).get("name", "python3"),
        resources=resources,
        allow_errors=allow_errors,
        extra_arguments=["--ext=jupyter_ext"],
    )
    todo = notebook_cells_in_order(nb, order)
    for _, cell in todo:
        cell.outputs = []
        cell.execution_count = None
    error: str | None = None
    executed = 0
    with client.setup_kernel(env=env, stderr=subprocess.PIPE):
        stderr = KernelStderr(client.km)
        try:
            for position, (index, cell) in enumerate(todo, start=1):
                if on_cell is not None:
                    on_cell(position, len(todo), cell)
                client.execute_cell(cell, index)
                executed += 1
        except CellExecutionError as exc:
            error = _first_line(str(exc)) or "a cell raised an exception"
            executed += 1
        except CellTimeoutError:
            error = f"a cell did not finish within {timeout} s"
        except DeadKernelError:
            error = "the kernel died"
        finally:
            _flush_kernel(client)
            stderr.shutting_down = True
    nb.metadata.setdefault("jupyter_ext", {})["run_id"] = run_id
    return HeadlessRun(run_id, store_path, nb, executed, error)


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _flush_kernel(client: Any, timeout: float = 30.0) -> None:
    """Ask the kernel to write everything before it shuts down (silent: not recorded)."""
    from nbclient.util import run_sync

    try:
        if client.kc is None:
            return
        run_sync(_async_flush_kernel)(client.kc, timeout)
    except Exception:
        return


async def _async_flush_kernel(kc: Any, timeout: float) -> None:
    from nbclient.util import ensure_async

    msg_id = kc.execute(_FLUSH_CODE, silent=True, store_history=False)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = await ensure_async(kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic())))
        if reply.get("parent_header", {}).get("msg_id") == msg_id:
            return
