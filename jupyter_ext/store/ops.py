"""Write operations queued for the background writer.

Small frozen objects rather than closures: they can be counted, dropped selectively
(executions go first when the queue overflows; a run's own row is kept) and shown in
errors, and each knows how to apply itself to a :class:`RunStore`.

An operation is serialised when the writer thread gets to it, not when it is submitted:
hand over mappings that will not change afterwards (the writer's convenience methods
copy them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core.records import ExecutionRecord, ExecutionStart, RunInfo
from .sqlite import RunStore


@dataclass(frozen=True, slots=True)
class BeginRun:
    run: RunInfo

    def apply(self, store: RunStore) -> None:
        store.begin_run(self.run)


@dataclass(frozen=True, slots=True)
class AddExecution:
    record: ExecutionRecord
    fresh: bool = False
    """First write of this execution (see ``RunStore.add_execution``)."""

    def apply(self, store: RunStore) -> None:
        store.add_execution(self.record, fresh=self.fresh)


@dataclass(frozen=True, slots=True)
class StartExecution:
    start: ExecutionStart

    def apply(self, store: RunStore) -> None:
        store.start_execution(self.start)


@dataclass(frozen=True, slots=True)
class SetEnvironment:
    run_id: str
    environment: Mapping[str, Any]

    def apply(self, store: RunStore) -> None:
        store.set_environment(self.run_id, self.environment)


@dataclass(frozen=True, slots=True)
class SetParameters:
    run_id: str
    parameters: Mapping[str, Any]

    def apply(self, store: RunStore) -> None:
        store.set_parameters(self.run_id, self.parameters)


@dataclass(frozen=True, slots=True)
class SetNotebook:
    run_id: str
    path: str | None
    content_hash: str | None

    def apply(self, store: RunStore) -> None:
        store.set_notebook(self.run_id, self.path, self.content_hash)


@dataclass(frozen=True, slots=True)
class EndRun:
    run_id: str
    ended_at: float

    def apply(self, store: RunStore) -> None:
        store.end_run(self.run_id, self.ended_at)


StoreOp = (
    BeginRun | StartExecution | AddExecution | SetEnvironment | SetParameters | SetNotebook | EndRun
)
"""Everything :meth:`BackgroundWriter.submit` accepts."""
