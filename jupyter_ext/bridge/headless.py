"""Run a notebook headless in a fresh kernel with recording on.

The kernel loads the extension at start (``--ext=jupyter_ext``), so the first cell is
recorded like every other. The runner chooses the run id and passes it, with the store
location and the notebook path, through the kernel's environment: afterwards it reads
the run back from the store by that id, with no side channel to the kernel.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import nbformat
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from ..core.cell_ids import notebook_cell_ids
from ..core.ids import new_run_id
from ..store.location import default_store_path
from .client import CellIdNotebookClient, KernelStderr

Order = Literal["document", "recorded"]

_FINISH_EXPRESSION = (
    "__import__('jupyter_ext.capture.extension', fromlist=['finish']).finish(get_ipython())"
)


@dataclass(frozen=True, slots=True)
class HeadlessRun:
    run_id: str
    store: Path
    notebook: Any
    """The executed notebook (nbformat node)."""
    executed: int
    error: str | None
    """``None`` when every cell ran; else what failed, in papermill's words."""
    state: dict[str, Any] | None = None
    """The kernel's last hygiene ``state`` (warnings per cell), as the panel would see it."""


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
    """Give every cell its identity (:mod:`jupyter_ext.core.cell_ids`): cells of pre-4.5
    notebooks get the ids ``check``, ``lock`` and ``diff`` derive for them, the same in
    every run, so that runs of the same notebook compare cell by cell."""
    if nb.nbformat == 4 and nb.nbformat_minor < 5:
        nb.nbformat_minor = 5
    for cell, cell_id in zip(nb.cells, notebook_cell_ids(nb.cells), strict=True):
        if cell.get("id") != cell_id:
            cell["id"] = cell_id


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
    state: dict[str, Any] | None = None
    with client.setup_kernel(env=env, stderr=subprocess.PIPE):
        stderr = KernelStderr(client.km)
        send_notebook_snapshot(client.kc, nb, path)
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
            state = finish_kernel(client)
            stderr.shutting_down = True
    nb.metadata.setdefault("jupyter_ext", {})["run_id"] = run_id
    return HeadlessRun(run_id, store_path, nb, executed, error, state)


def send_notebook_snapshot(kc: Any, nb: Any, path: Path) -> None:
    """Tell the kernel the document order, as JupyterLab's panel does over the comm.

    Without it the kernel would take execution order for document order, and a replay
    in recorded order could never show that a cell reads from a cell below it.
    """
    comm_id = uuid.uuid4().hex
    cells = [
        {"id": cell["id"], "cell_type": cell.cell_type, "source": cell.source} for cell in nb.cells
    ]
    snapshot = {"type": "notebook", "seq": 1, "path": str(path), "cells": cells}
    for msg_type, content in (
        ("comm_open", {"comm_id": comm_id, "target_name": "jupyter_ext", "data": {"protocol": 1}}),
        ("comm_msg", {"comm_id": comm_id, "data": snapshot}),
    ):
        kc.shell_channel.send(kc.session.msg(msg_type, content))


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def finish_kernel(client: Any, timeout: float = 30.0) -> dict[str, Any] | None:
    """Flush the recorder and fetch the hygiene state (silent: not recorded)."""
    from nbclient.util import run_sync

    try:
        if client.kc is None:
            return None
        result: dict[str, Any] | None = run_sync(_async_finish_kernel)(client.kc, timeout)
        return result
    except Exception:
        return None


async def _async_finish_kernel(kc: Any, timeout: float) -> dict[str, Any] | None:
    return await ask_kernel(kc, _FINISH_EXPRESSION, timeout)


async def ask_kernel(kc: Any, expression: str, timeout: float) -> dict[str, Any] | None:
    """Evaluate ``expression`` (which must give a JSON object's text) as a silent user
    expression: no execution count, no history, no record, nothing in the notebook.
    None when the kernel does not answer in time or the answer is not such an object."""
    from nbclient.util import ensure_async

    msg_id = kc.execute(
        "", silent=True, store_history=False, user_expressions={"answer": expression}
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = await ensure_async(kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic())))
        if reply.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        found = reply.get("content", {}).get("user_expressions", {}).get("answer", {})
        text = found.get("data", {}).get("text/plain")
        if found.get("status") != "ok" or not isinstance(text, str):
            return None
        value = json.loads(ast.literal_eval(text))
        return value if isinstance(value, dict) else None
    return None
