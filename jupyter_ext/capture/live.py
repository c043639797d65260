"""The live side of the rules: one engine per kernel, fed by the recorder and the frontend.

Records arrive on the finalizer thread (after their digests are known); notebook
snapshots and magics arrive on the kernel's main thread. One lock serialises both, and
every listener (the comm) is told after each change, outside the lock, so a slow
frontend never holds up recording.

Records are held as long as the engine's graph holds their execution (the latest
``history_limit``, plus the few the rules still need); the store has every one.  What
forgotten records did to files is kept per path, so file lineage can say when its
answer may lie in what was forgotten.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..analysis.file_lineage import FileLineage, ForgottenUses
from ..analysis.horizon import Horizon
from ..analysis.hygiene import Finding, HygieneEngine
from ..analysis.names import CellNames, analyse
from ..analysis.snapshot import NotebookSnapshot
from ..core.records import ExecutionRecord

PROTOCOL = 1

Listener = Callable[[dict[str, Any]], None]


class LiveHygiene:
    def __init__(self, shell: Any, history_limit: int | None = None) -> None:
        self._shell = shell
        self._lock = threading.RLock()
        self._forgotten_files = ForgottenUses()
        self.engine = HygieneEngine(
            analyse_source=self._analyse_current,
            history_limit=history_limit,
            on_forget=self._forgotten_files.note,
        )
        self._listeners: list[Listener] = []

    def _analyse_current(self, source: str) -> CellNames:
        """Analyse a cell's current source the way IPython would run it (magics rewritten)."""
        try:
            code = self._shell.input_transformer_manager.transform_cell(source)
        except Exception:
            code = source
        return analyse(code if isinstance(code, str) else source)

    # -- inputs ----------------------------------------------------------------------

    def on_record(self, record: ExecutionRecord) -> None:
        with self._lock:
            self.engine.add_execution(record)
            # Serialising the state is O(cells): only worth it when a frontend listens.
            state = self._state_locked() if self._listeners else None
        if state is not None:
            self._notify(state)

    def on_notebook(self, snapshot: NotebookSnapshot) -> bool:
        with self._lock:
            applied = self.engine.set_notebook(snapshot)
            state = self._state_locked() if applied and self._listeners else None
        if state is not None:
            self._notify(state)
        return applied

    def reset_notebook(self) -> None:
        """Forget the document: a reconnecting frontend counts snapshots from 0 again."""
        with self._lock:
            self.engine.clear_notebook()
            state = self._state_locked() if self._listeners else None
        if state is not None:
            self._notify(state)

    # -- outputs ---------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _notify(self, state: dict[str, Any]) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(state)
            except Exception:
                continue

    def _state_locked(self) -> dict[str, Any]:
        return {
            "type": "state",
            "protocol": PROTOCOL,
            "notebook_seq": self.engine.notebook_seq,
            "warnings": [f.to_json() for f in self.engine.warnings()],
            "cells": self.engine.cell_status(),
        }

    def state(self) -> dict[str, Any]:
        with self._lock:
            return self._state_locked()

    def warnings(self) -> list[Finding]:
        with self._lock:
            return list(self.engine.warnings())

    def records(self) -> list[ExecutionRecord]:
        """The records held in memory, in ``seq`` order: every one from :meth:`horizon`
        on, and before it only those the rules still need."""
        with self._lock:
            return [node.record for node in self.engine.graph.nodes()]

    def horizon(self) -> Horizon | None:
        """Where the held history begins; None while every execution is held."""
        with self._lock:
            return self.engine.graph.horizon_info()

    def file_lineage(self) -> FileLineage:
        """File lineage over the held records, aware of what forgotten ones did."""
        with self._lock:
            return FileLineage(self.records(), self._forgotten_files.copy())

    def locked(self) -> threading.RLock:
        """For readers that need several consistent views of the engine at once."""
        return self._lock
