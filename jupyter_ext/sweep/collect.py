"""The recording engine, plus one silent request for ``--collect`` values at the end.

Why a silent user expression rather than an extra cell: an appended cell would be
recorded as an execution of the run, change the notebook the record describes, and have
to be cut out of the output again. A silent request is not recorded by the extension,
leaves nothing in the output notebook, and runs while the kernel still holds the final
state, after the recorder has been flushed, whether the last cell succeeded or not.
"""

from __future__ import annotations

from typing import Any

from papermill.engines import papermill_engines
from traitlets import Callable, List, Unicode

from ..bridge.engine import RecordingEngine, RecordingNotebookClient
from ..bridge.headless import ask_kernel
from .scalars import expression

ENGINE_NAME = "jupyter_ext_collect"


class CollectingNotebookClient(RecordingNotebookClient):
    """Asks the kernel for the ``collect`` names' final values before it shuts down."""

    collect = List(Unicode(), help="names whose final scalar values are fetched").tag(config=True)
    on_collected = Callable(None, allow_none=True, help="called with the name -> entry dict")

    def papermill_execute_cells(self) -> None:
        try:
            super().papermill_execute_cells()
        finally:
            if self.collect and self.on_collected is not None:
                self.on_collected(fetch_scalars(self, list(self.collect)))


class CollectingEngine(RecordingEngine):
    client_class = CollectingNotebookClient


def fetch_scalars(client: Any, names: list[str], timeout: float = 30.0) -> dict[str, Any]:
    """name -> ``{"value": v}`` or ``{"problem": ...}``; every name ``unavailable`` when the
    kernel does not answer (it died, or the extension is missing)."""
    from nbclient.util import run_sync

    unavailable = {name: {"problem": "unavailable"} for name in names}
    try:
        if client.kc is None:
            return unavailable
        found: dict[str, Any] | None = run_sync(_ask)(client.kc, names, timeout)
    except Exception:
        return unavailable
    return found if found is not None else unavailable


async def _ask(kc: Any, names: list[str], timeout: float) -> dict[str, Any] | None:
    return await ask_kernel(kc, expression(names), timeout)


papermill_engines.register(ENGINE_NAME, CollectingEngine)
