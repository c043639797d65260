"""One recorded papermill run of a notebook, as ``to-pipeline`` and ``pipeline run`` need it.

Both commands run a notebook with recording on and want the same three things back: the
run id, one line saying why it failed, and the run record the output notebook carries.
papermill and nbclient are imported here, on the first run, so a pipeline with nothing to
do never pays for them.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..bridge.error_text import last_line


@dataclass(frozen=True)
class StepRun:
    run_id: str | None
    """None when the run did not start (unknown kernel, a notebook papermill refuses)."""
    error: str | None
    """One line: why the run did not start, or the last line of papermill's report."""
    record: dict[str, Any] | None
    """The ``jupyter_ext.run/1`` record of the output notebook, when there is one."""


def run_recorded(notebook: Path, *, name: str, progress: bool, **options: Any) -> StepRun:
    """Run ``notebook`` through the recording engine; ``options`` go to
    :func:`~jupyter_ext.bridge.engine.execute_recorded`. Never raises for a run that
    failed or did not start: the caller reports it."""
    from jupyter_client.kernelspec import NoSuchKernel
    from papermill.exceptions import PapermillException

    from ..bridge.engine import execute_recorded

    bar: dict[str, Any] | bool = (
        {"desc": name, "disable": None, "leave": False, "file": sys.stderr} if progress else False
    )
    try:
        run = execute_recorded(notebook, progress_bar=bar, **options)
    except NoSuchKernel as exc:
        return StepRun(None, f"no such kernel: {exc.name}", None)
    except PapermillException as exc:
        return StepRun(None, str(exc).strip().splitlines()[0], None)
    record = run.notebook.metadata.get("jupyter_ext") if run.notebook is not None else None
    error = (last_line(run.error) or "the run failed") if run.error else None
    return StepRun(run.run_id, error, record if isinstance(record, dict) else None)
