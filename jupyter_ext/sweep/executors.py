"""Where a sweep's points run: local worker processes, or a Dask distributed cluster.

Both are plain ``concurrent.futures.Executor`` objects handed to the same runner. Local
workers share one import of papermill (see :func:`_process_pool`); each point starts its
own kernel, so nothing of one point's run can leak into the next.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


class SchedulerUnreachable(Exception):
    """The Dask scheduler did not answer: nothing was submitted."""


@dataclass(frozen=True)
class ExecutorHandle:
    executor: cf.Executor
    label: str
    """``processes (2 workers)`` or ``dask tcp://...`` for the summary."""
    health: Callable[[], str | None] | None = None
    abort: Callable[[], None] | None = None
    """Stop running points now (after Ctrl-C), instead of waiting for them to finish."""


def default_workers() -> int:
    return os.cpu_count() or 1


@contextmanager
def local_processes(workers: int) -> Iterator[ExecutorHandle]:
    pool = _process_pool(workers)
    aborted: list[bool] = []

    def abort() -> None:
        # concurrent.futures has no public way to stop running work before Python 3.14;
        # its worker processes are terminated here, and each point's kernel exits when
        # it sees its parent gone (ipykernel's parent poller).
        aborted.append(True)
        for process in list(getattr(pool, "_processes", {}).values()):
            with contextlib.suppress(Exception):
                process.terminate()

    try:
        label = f"processes ({workers} worker{'s' if workers != 1 else ''})"
        yield ExecutorHandle(pool, label, abort=abort)
    finally:
        pool.shutdown(wait=not aborted, cancel_futures=True)


def _process_pool(workers: int) -> cf.ProcessPoolExecutor:
    """Workers that start with papermill already imported.

    A worker's import of papermill (nbformat, jsonschema and its format checkers) costs
    about two seconds of CPU, as much as a small point; paid once per worker, it is
    what keeps a pool from scaling with its workers.  On Linux the parent imports it
    once and forks the workers, which share it; they are forked here, before the
    progress bar (or anything else) starts a thread, so no lock is copied mid-use.
    Elsewhere (macOS, where forking is unsafe; Windows, where it does not exist) each
    worker is spawned and imports it itself.
    """
    import multiprocessing

    from . import point

    if sys.platform != "linux" or threading.active_count() > 1:
        context = multiprocessing.get_context("spawn")
        return cf.ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=point.preload
        )
    point.preload()
    fork = multiprocessing.get_context("fork")
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=fork)
    pool.submit(int).result()  # with fork, the first task forks every worker at once
    return pool


@contextmanager
def dask_cluster(address: str, connect_timeout: float) -> Iterator[ExecutorHandle]:
    """A client of the scheduler at ``address``; :class:`SchedulerUnreachable` if it does
    not answer within ``connect_timeout`` seconds.

    distributed logs every reconnection attempt with a traceback; a sweep reports a lost
    scheduler in one line of its own, so those logs are kept quiet.
    """
    from distributed import Client as _Client

    make_client: Any = _Client  # distributed's API is not fully typed
    _quiet_distributed()
    try:
        client: Any = make_client(address, timeout=connect_timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerUnreachable(
            f"no Dask scheduler answered at {address} within {connect_timeout:g} s "
            f"({type(exc).__name__}); check the address, or leave out --scheduler to "
            "run on local processes"
        ) from exc
    try:
        workers = len(client.scheduler_info().get("workers", {}))
        yield ExecutorHandle(
            client.get_executor(),
            f"dask {address} ({workers} worker{'s' if workers != 1 else ''})",
            health=lambda: _client_health(client),
        )
    finally:
        with contextlib.suppress(Exception):  # the scheduler may already be gone
            client.close(timeout=5)


def _client_health(client: object) -> str | None:
    status = str(getattr(client, "status", "running"))
    if status in ("running", "connecting", "newly-created"):
        return None
    return f"the connection to the Dask scheduler was lost (client {status})"


def _quiet_distributed() -> None:
    """Silence distributed's loggers for the rest of this process: the client keeps
    reconnecting (and logging tracebacks) in the background after the sweep has
    already said what happened. dask's logging config sets levels on child loggers
    (``distributed.client``), so each configured logger is silenced, not just the root."""
    names = [
        name
        for name in logging.root.manager.loggerDict
        if name.split(".")[0] in ("distributed", "tornado", "bokeh")
    ]
    for name in {"distributed", "tornado", *names}:
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
