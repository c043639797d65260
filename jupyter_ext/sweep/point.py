"""One point of a sweep, run where the executor puts it (a local process, a Dask worker).

The task and its result are small frozen dataclasses of plain values, so they pickle
for any executor. :func:`run_point` never raises for a notebook problem: a failing cell,
a dead kernel or a point papermill refuses all come back as a ``failed`` result with one
line saying why, so one bad point never stops the others.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..bridge.error_text import last_line

Status = Literal["ok", "failed", "not run"]


@dataclass(frozen=True)
class PointTask:
    index: int
    notebook: str
    parameters: dict[str, Any]
    output: str
    store: str
    collect: tuple[str, ...] = ()
    kernel_name: str | None = None
    timeout: float | None = None


@dataclass(frozen=True)
class PointResult:
    index: int
    status: Status
    duration: float | None = None
    run_id: str | None = None
    output: str | None = None
    error: str | None = None
    collected: dict[str, Any] = field(default_factory=dict)


def run_point(task: PointTask) -> PointResult:
    """Execute the notebook for one point with recording on; the output notebook carries
    the run record, the store holds it too."""
    start = time.perf_counter()
    collected: dict[str, Any] = {}
    try:
        run = _execute(task, collected)
    except Exception as exc:  # papermill input errors, kernel start failures
        message = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return PointResult(
            task.index,
            "failed",
            time.perf_counter() - start,
            error=f"{type(exc).__name__}: {message}"[:300],
        )
    output = task.output if Path(task.output).exists() else None
    return PointResult(
        index=task.index,
        status="failed" if run.error else "ok",
        duration=time.perf_counter() - start,
        run_id=run.run_id,
        output=output,
        error=(last_line(run.error) or "failed")[:300] if run.error else None,
        collected=collected,
    )


def preload() -> None:
    """Import what running a point needs, ahead of the first point (in the sweep's own
    processes only: a Dask worker is the user's, and imports as it likes)."""
    from ..cli.startup import skip_slow_optional_imports

    skip_slow_optional_imports()
    from ..bridge import engine  # noqa: F401
    from . import collect  # noqa: F401


def _execute(task: PointTask, collected: dict[str, Any]) -> Any:
    from ..bridge.engine import ENGINE_NAME, execute_recorded

    extra: dict[str, Any] = {}
    engine = ENGINE_NAME
    if task.collect:
        from .collect import ENGINE_NAME as COLLECTING

        engine = COLLECTING
        extra = {"collect": list(task.collect), "on_collected": collected.update}
    with _private_kernel_sockets() as config:
        if config is not None:
            extra["config"] = config
        return execute_recorded(
            task.notebook,
            output=task.output,
            parameters=task.parameters,
            kernel_name=task.kernel_name,
            timeout=task.timeout,
            store=task.store,
            engine_name=engine,
            **extra,
        )


@contextmanager
def _private_kernel_sockets() -> Iterator[Any]:
    """Kernel channels on Unix sockets in a folder of this point's own (POSIX only).

    Kernels started at the same moment by parallel workers pick their TCP ports by
    binding to a free port and releasing it; two workers in lockstep can get the same
    port, and the losing kernel never answers ("Kernel didn't respond in 60 seconds",
    seen here with two workers). Unix sockets in a private folder cannot collide.
    """
    if os.name != "posix":
        yield None
        return
    from traitlets.config import Config

    folder = tempfile.mkdtemp(prefix="jx-sweep-")  # short: socket paths are limited to ~100 bytes
    try:
        yield Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(folder, "k")}})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
