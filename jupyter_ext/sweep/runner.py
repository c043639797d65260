"""Drive a sweep's points through any ``concurrent.futures.Executor``.

The same loop serves local processes and a Dask cluster (``Client.get_executor()``), so
the two paths cannot drift apart. What the loop guarantees:

* a point is ``ok`` or ``failed`` only when its worker sent a result back; everything
  else (cancelled, lost with a crashed worker or a dead scheduler, pending at Ctrl-C) is
  ``not run``: the summary never claims more than what ran;
* results are handed to ``on_result`` as they arrive, so completed points are reported
  even when the executor breaks later;
* Ctrl-C cancels the points not yet started and returns what finished.
"""

from __future__ import annotations

import concurrent.futures as cf
import concurrent.futures.process
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .point import PointResult, PointTask, run_point

POLL_SECONDS = 0.5


@dataclass(frozen=True)
class SweepOutcome:
    results: tuple[PointResult, ...]
    """One per task, in index order; ``not run`` for points that did not report back."""
    lost: str | None = None
    """Why some points were lost (the executor broke), in one line."""
    interrupted: bool = False


def run_points(
    executor: cf.Executor,
    tasks: Sequence[PointTask],
    on_result: Callable[[PointResult], None] | None = None,
    health: Callable[[], str | None] | None = None,
) -> SweepOutcome:
    """Run every task; ``health`` (polled while waiting) names a broken executor whose
    futures would otherwise never settle."""
    futures = {executor.submit(run_point, task): task for task in tasks}
    results: dict[int, PointResult] = {}
    lost: str | None = None
    interrupted = False
    pending = set(futures)
    try:
        while pending:
            done, pending = cf.wait(pending, timeout=POLL_SECONDS, return_when=cf.FIRST_COMPLETED)
            for future in done:
                task = futures[future]
                try:
                    result = future.result()
                except (Exception, cf.CancelledError) as exc:
                    lost = lost or _describe(exc)
                    continue
                results[task.index] = result
                if on_result is not None:
                    on_result(result)
            problem = health() if health is not None and pending else None
            if problem is not None:
                lost = lost or problem
                break
    except KeyboardInterrupt:
        interrupted = True
    finally:
        for future in pending:
            future.cancel()
    ordered = tuple(
        results.get(task.index) or PointResult(task.index, "not run", output=None) for task in tasks
    )
    return SweepOutcome(ordered, lost, interrupted)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, cf.CancelledError):
        return "the executor cancelled the point (its worker or scheduler went away)"
    if isinstance(exc, concurrent.futures.process.BrokenProcessPool):
        return "a worker process died (out of memory, or killed)"
    text = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__
