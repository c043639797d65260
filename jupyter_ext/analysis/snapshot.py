"""The notebook as the frontend last described it: cell ids, types and sources in order.

The kernel cannot see the document; it only sees code arriving for execution.  The
frontend therefore sends a ``notebook`` message (DESIGN contract 3) after every structural
or source change, and the rules read document order, deletions and edits from it.

That message crosses a process boundary and may come from an old, new or buggy frontend,
so :func:`parse_notebook_message` validates it completely and turns every problem into a
:class:`SnapshotError` with a short reason the kernel can log before ignoring the message.
Nothing malformed reaches the rules, and nothing else is ever raised: a bad message must
never disturb the user's kernel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "CELL_TYPES",
    "CellSnapshot",
    "NotebookSnapshot",
    "SnapshotError",
    "parse_notebook_message",
]

CELL_TYPES = frozenset({"code", "markdown", "raw"})
"""The cell types nbformat 4 knows."""

_MAX_ID_CHARS = 1024
"""nbformat ids are at most 64 characters; allow generous slack, but not megabytes."""


class SnapshotError(ValueError):
    """A ``notebook`` message that cannot be used; the message is a short reason."""


@dataclass(frozen=True, slots=True)
class CellSnapshot:
    id: str
    cell_type: str
    """``"code"``, ``"markdown"`` or ``"raw"``."""
    source: str


@dataclass(frozen=True, slots=True)
class NotebookSnapshot:
    """One version of the document, numbered by the frontend's increasing ``seq``."""

    seq: int
    path: str | None
    cells: tuple[CellSnapshot, ...]
    _index: dict[str, int] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        # Built once: position() is asked for every cell on every rule evaluation.
        index: dict[str, int] = {}
        for i, cell in enumerate(self.cells):
            if index.setdefault(cell.id, i) != i:
                raise SnapshotError(f"duplicate cell id {_show(cell.id)}")
        object.__setattr__(self, "_index", index)

    def position(self, cell_id: str) -> int | None:
        """0-based index of the cell among all cells (code, markdown, raw); None if absent."""
        return self._index.get(cell_id)

    def cell(self, cell_id: str) -> CellSnapshot | None:
        i = self._index.get(cell_id)
        return None if i is None else self.cells[i]

    def __contains__(self, cell_id: object) -> bool:
        return cell_id in self._index

    def __len__(self) -> int:
        return len(self.cells)


def parse_notebook_message(
    data: object,
    *,
    max_cells: int = 10_000,
    max_source_chars: int = 1_000_000,
    max_total_chars: int = 20_000_000,
) -> NotebookSnapshot:
    """Validate a frontend ``notebook`` message and return its snapshot.

    Expected shape: ``{"type": "notebook", "seq": int >= 0, "path": str | None,
    "cells": [{"id": str, "cell_type": "code"|"markdown"|"raw", "source": str | [str]}]}``.
    Sources given as lists of strings (nbformat's on-disk form) are joined.  Unknown keys
    are ignored so that a newer frontend can add fields.  The size limits bound the work
    and memory one message can cause.  Raises :class:`SnapshotError` only.
    """
    try:
        return _parse(data, max_cells, max_source_chars, max_total_chars)
    except SnapshotError:
        raise
    except Exception as exc:  # a bug here must still surface as a reason, not a crash
        raise SnapshotError(f"unreadable notebook message ({type(exc).__name__})") from None


def _parse(data: object, max_cells: int, max_source: int, max_total: int) -> NotebookSnapshot:
    if not isinstance(data, Mapping):
        raise SnapshotError(f"message is {json_kind(data)}, not an object")
    if "type" not in data:
        raise SnapshotError("missing field `type`")
    if data["type"] != "notebook":
        raise SnapshotError(f"`type` is {_show(data['type'])}, not 'notebook'")
    seq = _field(data, "seq")
    if not _is_int(seq):
        raise SnapshotError(f"`seq` is {json_kind(seq)}, not an integer")
    assert isinstance(seq, int)
    if seq < 0:
        raise SnapshotError(f"`seq` is negative ({seq})")
    path = _field(data, "path")
    if path is not None and not isinstance(path, str):
        raise SnapshotError(f"`path` is {json_kind(path)}, not a string or null")
    cells = _field(data, "cells")
    if not isinstance(cells, list | tuple):
        raise SnapshotError(f"`cells` is {json_kind(cells)}, not a list")
    if len(cells) > max_cells:
        raise SnapshotError(f"too many cells ({len(cells)} > {max_cells})")
    out: list[CellSnapshot] = []
    seen: set[str] = set()
    total = 0
    for i, raw in enumerate(cells):
        cell = _cell(raw, i, max_source)
        if cell.id in seen:
            raise SnapshotError(f"duplicate cell id {_show(cell.id)} (cell {i})")
        seen.add(cell.id)
        total += len(cell.source)
        if total > max_total:
            raise SnapshotError(f"notebook too large (sources exceed {max_total} characters)")
        out.append(cell)
    return NotebookSnapshot(seq=seq, path=path, cells=tuple(out))


def _cell(raw: object, i: int, max_source: int) -> CellSnapshot:
    where = f"cell {i}"
    if not isinstance(raw, Mapping):
        raise SnapshotError(f"{where} is {json_kind(raw)}, not an object")
    cell_id = _field(raw, "id", where)
    if not isinstance(cell_id, str):
        raise SnapshotError(f"{where}: `id` is {json_kind(cell_id)}, not a string")
    if not cell_id:
        raise SnapshotError(f"{where}: `id` is empty")
    if len(cell_id) > _MAX_ID_CHARS:
        raise SnapshotError(f"{where}: `id` is too long ({len(cell_id)} characters)")
    cell_type = _field(raw, "cell_type", where)
    if not isinstance(cell_type, str):
        raise SnapshotError(f"{where}: `cell_type` is {json_kind(cell_type)}, not a string")
    if cell_type not in CELL_TYPES:
        raise SnapshotError(f"{where}: unknown `cell_type` {_show(cell_type)}")
    source = _source(_field(raw, "source", where), where, max_source)
    return CellSnapshot(id=cell_id, cell_type=cell_type, source=source)


def _source(value: object, where: str, max_source: int) -> str:
    too_large = f"{where}: source too large (over {max_source} characters)"
    if isinstance(value, str):
        if len(value) > max_source:
            raise SnapshotError(too_large)
        return value
    if not isinstance(value, list | tuple):
        raise SnapshotError(f"{where}: `source` is {json_kind(value)}, not a string or list")
    size = 0
    for j, part in enumerate(value):
        if not isinstance(part, str):
            raise SnapshotError(f"{where}: `source` line {j} is {json_kind(part)}, not a string")
        size += len(part)
        if size > max_source:
            raise SnapshotError(too_large)
    return "".join(value)


def _field(data: Mapping[object, object], key: str, where: str | None = None) -> object:
    if key not in data:
        prefix = f"{where}: " if where else ""
        raise SnapshotError(f"{prefix}missing field `{key}`")
    return data[key]


def _is_int(value: object) -> bool:
    # JSON has no separate bool type in most decoders' eyes, but Python's does: True is
    # an int subclass, and a seq of True is a frontend bug, not the number 1.
    return isinstance(value, int) and not isinstance(value, bool)


def json_kind(value: object) -> str:
    """How a JSON value reads in an error message ("a string", "null", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
