"""Hash locks: the variable digests of a clean top-to-bottom run, cell by cell.

``NB.lock.json`` records, for every code cell, the content digest of each variable the
cell touched in a fresh run and of the text it showed (:mod:`.outputs`), plus the
environment that produced them. A later run (a ``repro``, a test) is compared cell by
cell; the first variable or output that differs is what a person needs to see.

Cells are matched by their nbformat id. Two cells have no stable id: the cell papermill
injects for parameters gets a fresh random id on every run, so it is matched by its
``injected-parameters`` tag; and notebooks older than nbformat 4.5 have no ids of their
own, so their cells are matched by position (the source hash then tells an edited
cell). Their cells are still named by the ids :mod:`jupyter_ext.core.cell_ids` derives,
which every run of the unchanged notebook records.

Pure functions over run records (``jupyter_ext.run/1`` dicts) and notebooks, plus
reading and writing the lock file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.cell_ids import notebook_cell_ids
from .outputs import output_digest, output_text

LOCK_SCHEMA = "jupyter_ext.lock/1"
INJECTED_TAG = "injected-parameters"
PAPERMILL_PARAMETERS_COMMENT = "# Parameters"


class LockError(ValueError):
    """A lock file that cannot be read or does not fit; the message is one line."""


@dataclass(frozen=True, slots=True)
class CellDigests:
    """One code cell's part of a run: what the comparison and the cause analysis read."""

    key: str
    """``id:<cell id>``, ``tag:injected-parameters`` or ``pos:<n>`` (n-th code cell)."""
    index: int | None
    """Position in the notebook (all cells, 0-based), when known."""
    source_hash: str | None
    status: str
    variables: dict[str, str | None]
    """Name -> digest (None: opaque, cannot be compared)."""
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    source: str | None = field(default=None, compare=False)
    cell_id: str | None = field(default=None, compare=False)
    """The cell's id in that run, for its label (its own, or the derived one)."""
    output: str | None = None
    """Digest of the text the cell showed (:func:`.outputs.output_text`); None: unknown
    (the store keeps no outputs, and older locks have none)."""
    output_text: str | None = field(default=None, compare=False)
    """That text itself, when the run's notebook is at hand."""

    @property
    def label(self) -> str:
        """How a person finds the cell: its position and its id or tag."""
        where = f"cell {self.index + 1}" if self.index is not None else "a cell"
        kind, _, value = self.key.partition(":")
        if kind == "id":
            return f"{where} (id {value})"
        if kind == "tag":
            return f"{where} (the {value} cell)"
        return f"{where} (id {self.cell_id})" if self.cell_id else where

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "key": self.key,
            "index": self.index,
            "source_hash": self.source_hash,
            "status": self.status,
            "variables": dict(sorted(self.variables.items())),
        }
        if self.cell_id and not self.key.startswith("id:"):
            out["cell_id"] = self.cell_id
        if self.output is not None:
            out["output"] = self.output
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CellDigests:
        variables = data.get("variables")
        if not isinstance(data.get("key"), str) or not isinstance(variables, dict):
            raise LockError("a cell entry lacks its key or variables")
        index = data.get("index")
        cell_id, output = data.get("cell_id"), data.get("output")
        return cls(
            key=str(data["key"]),
            index=index if isinstance(index, int) else None,
            source_hash=data.get("source_hash"),
            status=str(data.get("status", "ok")),
            variables={str(k): (v if isinstance(v, str) else None) for k, v in variables.items()},
            cell_id=cell_id if isinstance(cell_id, str) else None,
            output=output if isinstance(output, str) else None,
        )


def notebook_has_ids(nb: Any) -> bool:
    """Whether every cell of ``nb`` (as read from disk) carries an nbformat id."""
    return (nb.nbformat, nb.nbformat_minor) >= (4, 5) and all(c.get("id") for c in nb.cells)


def cell_keys(nb: Any, ids_are_stable: bool) -> dict[str, tuple[str, int]]:
    """Cell id (as executed) -> (matching key, index) for the code cells of ``nb``.

    ``ids_are_stable`` is whether the *input* notebook had ids: the runner gives id-less
    cells derived ones, which change when the cell is edited, so such cells are matched
    by position and an edit shows as a changed source.
    """
    keys: dict[str, tuple[str, int]] = {}
    position = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.get("id"):
            continue
        if INJECTED_TAG in (cell.get("metadata", {}).get("tags") or []):
            keys[cell["id"]] = (f"tag:{INJECTED_TAG}", index)
            continue
        keys[cell["id"]] = (f"id:{cell['id']}" if ids_are_stable else f"pos:{position}", index)
        position += 1
    return keys


def _digests(execution: Mapping[str, Any]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for var in execution.get("variables") or []:
        digest = var.get("digest")
        out[str(var.get("name"))] = digest if isinstance(digest, str) else None
    return out


def _cell(
    key: str,
    index: int | None,
    execution: Mapping[str, Any],
    source: str | None,
    shown: str | None = None,
) -> CellDigests:
    cell_id = execution.get("cell_id")
    return CellDigests(
        key=key,
        index=index,
        source_hash=execution.get("source_hash"),
        status=str(execution.get("status", "ok")),
        variables=_digests(execution),
        reads=tuple(execution.get("reads") or ()),
        writes=tuple(execution.get("writes") or ()),
        source=source,
        cell_id=cell_id if isinstance(cell_id, str) else None,
        output=output_digest(shown) if shown is not None else None,
        output_text=shown,
    )


def cells_from_run(record: Mapping[str, Any], nb: Any, ids_are_stable: bool) -> list[CellDigests]:
    """The cells of a fresh run of ``nb`` (the executed notebook), in execution order,
    with the text each showed."""
    keys = cell_keys(nb, ids_are_stable)
    cells = {c["id"]: c for c in nb.cells if c.get("id")}
    last: dict[str, Mapping[str, Any]] = {}
    for execution in record.get("executions") or []:
        cell_id = execution.get("cell_id")
        if cell_id in keys:
            last.pop(cell_id, None)  # a re-run cell moves to its latest position
            last[cell_id] = execution
    return [
        _cell(
            keys[cid][0],
            keys[cid][1],
            ex,
            cells[cid].source,
            output_text(cells[cid].get("outputs") or ()),
        )
        for cid, ex in last.items()
    ]


def cells_from_stored_run(
    record: Mapping[str, Any], nb: Any, ids_are_stable: bool
) -> list[CellDigests]:
    """The cells of a run read back from the store, matched against the notebook ``nb``.

    The stored run's injected-parameters cell had its own random id: it is recognised by
    papermill's ``# Parameters`` comment. Without stable ids, executions count as cells
    in the order they ran, which is the notebook's order for a headless run. The store
    keeps no outputs: the cells' ``output`` is unknown.
    """
    derived = dict(zip(notebook_cell_ids(nb.cells), range(len(nb.cells)), strict=True))
    current = derived if ids_are_stable else {}
    out: dict[str, CellDigests] = {}
    position = 0
    for execution in record.get("executions") or []:
        source = execution.get("source")
        cell_id = execution.get("cell_id")
        index: int | None = None
        if isinstance(source, str) and source.startswith(PAPERMILL_PARAMETERS_COMMENT + "\n"):
            key = f"tag:{INJECTED_TAG}"
        elif cell_id in current:
            key, index = f"id:{cell_id}", current[cell_id]
        elif not ids_are_stable:
            key, position = f"pos:{position}", position + 1
            index = derived.get(cell_id) if isinstance(cell_id, str) else None
        else:
            key = f"run:{cell_id}"
        out.pop(key, None)
        out[key] = _cell(key, index, execution, source if isinstance(source, str) else None)
    return list(out.values())


def environment_summary(environment: Mapping[str, Any]) -> dict[str, Any]:
    """What a lock keeps of an environment: the Python version and imported packages."""
    python = environment.get("python") or {}
    imported = environment.get("imported") or {}
    return {
        "python": python.get("version") if isinstance(python, dict) else None,
        "packages": dict(sorted(imported.items())) if isinstance(imported, dict) else {},
    }


def build_lock(
    notebook: str | Path,
    record: Mapping[str, Any],
    cells: Iterable[CellDigests],
    parameters: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The lock document for one clean run."""
    return {
        "schema": LOCK_SCHEMA,
        "notebook": Path(notebook).name,
        "created_at": time.time(),
        "run_id": record.get("run_id"),
        "parameters": dict(parameters or {}),
        "environment": environment_summary(record.get("environment") or {}),
        "cells": [c.to_json() for c in cells],
    }


def lock_path_for(notebook: str | Path) -> Path:
    """``analysis.ipynb`` -> ``analysis.lock.json`` beside it."""
    path = Path(notebook)
    return path.with_name(path.stem + ".lock.json")


def write_lock(path: str | Path, lock: Mapping[str, Any]) -> None:
    Path(path).write_text(json.dumps(lock, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def read_lock(path: str | Path) -> dict[str, Any]:
    """The lock document at ``path``; :class:`LockError` if it is not one."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LockError(f"{path}: cannot read the lock ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise LockError(f"{path}: not JSON (line {exc.lineno})") from exc
    if not isinstance(data, dict) or data.get("schema") != LOCK_SCHEMA:
        raise LockError(f"{path}: not a {LOCK_SCHEMA} lock file")
    if not isinstance(data.get("cells"), list):
        raise LockError(f"{path}: the lock has no cells")
    return data


def lock_cells(lock: Mapping[str, Any]) -> list[CellDigests]:
    return [CellDigests.from_json(c) for c in lock.get("cells") or []]


@dataclass(frozen=True, slots=True)
class DigestRun:
    """A fresh recorded run of a notebook, keyed for comparison."""

    run_id: str
    error: str | None
    """papermill's report when a cell failed (the cells up to it are still compared)."""
    record: dict[str, Any]
    cells: list[CellDigests]
    environment: dict[str, Any]
    """The lock-style summary of the run's environment."""
    state: dict[str, Any] | None = None
    notebook: Any = None
    """The executed notebook (nbformat node), when papermill produced one."""


def run_for_digests(
    notebook: str | Path,
    parameters: Mapping[str, Any] | None = None,
    **options: Any,
) -> DigestRun:
    """Run ``notebook`` top to bottom in a fresh kernel through the recording engine.

    ``options`` go to :func:`~jupyter_ext.bridge.engine.execute_recorded` (``store``,
    ``kernel_name``, ``timeout``, ``progress_bar``, ``output``...).
    """
    import nbformat

    from .engine import execute_recorded

    stable = notebook_has_ids(nbformat.read(notebook, as_version=4))
    run = execute_recorded(notebook, parameters=dict(parameters or {}), **options)
    record: dict[str, Any] = {}
    if run.notebook is not None:
        found = run.notebook.metadata.get("jupyter_ext")
        record = dict(found) if isinstance(found, Mapping) else {}
    cells = cells_from_run(record, run.notebook, stable) if run.notebook is not None else []
    return DigestRun(
        run.run_id,
        run.error,
        record,
        cells,
        environment_summary(record.get("environment") or {}),
        run.state,
        run.notebook,
    )
