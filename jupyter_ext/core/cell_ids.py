"""One identity per cell, also for notebooks saved before cells had ids (nbformat < 4.5).

nbformat 4.5 (2021) gave every cell an ``id``; notebooks saved before have none, and
many public notebooks are that old. ``run``, ``check``, ``lock``, ``repro``, ``diff``
and ``pytest --jx`` all name cells by id, so a cell without one gets the id derived
here: the same in every command, and the same in every run of the unchanged notebook.

* A cell keeps its own id when it is a non-empty string of at most 1024 characters
  that no earlier cell holds (a duplicate, usually from a bad merge, stays with its
  first holder).
* Any other cell gets 8 hex digits of ``sha256("<rank>:<source hash>")``, the hash
  being ``core.ids.source_hash`` (secrets redacted, trailing whitespace removed line
  by line and at the end, as editors change it without changing meaning), and ``rank``
  counts the earlier cells with that same source, so two cells with equal sources
  still get different ids. Inserting, deleting or moving other cells leaves a cell's
  id alone, and so does the parameters cell papermill injects; editing the cell gives
  it a new one (editing only a secret in it does not).
* Should a derived id equal an id already taken, more hex digits are used.

Pure: no I/O; the same input always gives the same ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any, TypeGuard

from .ids import source_hash

__all__ = [
    "MAX_ID_LENGTH",
    "assign_cell_ids",
    "derived_cell_id",
    "notebook_cell_ids",
    "source_text",
    "usable_id",
]

MAX_ID_LENGTH = 1024
"""Longer ids are not taken as ids (nbformat allows 64; notebooks exceed it)."""

_SHORT = 8


def usable_id(value: object) -> TypeGuard[str]:
    """Whether ``value`` (a cell's ``id`` field as read) can serve as its identity."""
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH


def _normalised(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.rstrip().splitlines())


def derived_cell_id(source: str, rank: int = 0, length: int = _SHORT) -> str:
    """The id of a cell without one: ``rank`` earlier cells have the same source.

    Derived from the redacted source's hash, not the source: ids are stored and
    exported, and a hash of a cell holding a password would let anyone test guesses.
    """
    text = f"{rank}:{source_hash(source)}"
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:length]


def assign_cell_ids(cells: Iterable[tuple[object, str]]) -> list[str]:
    """The identity of each cell, given as ``(id field as read, source)`` in document order."""
    given = list(cells)
    out: list[str | None] = []
    taken: set[str] = set()
    for cell_id, _ in given:
        if usable_id(cell_id) and cell_id not in taken:
            taken.add(cell_id)
            out.append(cell_id)
        else:
            out.append(None)
    ranks: dict[str, int] = {}
    for position, (_, source) in enumerate(given):
        key = _normalised(source)
        rank = ranks.get(key, 0)
        ranks[key] = rank + 1
        if out[position] is not None:
            continue
        new = _free_id(source, rank, taken)
        taken.add(new)
        out[position] = new
    return [cell_id for cell_id in out if cell_id is not None]


def _free_id(source: str, rank: int, taken: set[str]) -> str:
    for length in range(_SHORT, 65, 4):
        candidate = derived_cell_id(source, rank, length)
        if candidate not in taken:
            return candidate
    suffix = 2
    base = derived_cell_id(source, rank, 64)
    while f"{base}-{suffix}" in taken:  # only reachable by ids chosen to collide
        suffix += 1
    return f"{base}-{suffix}"


def source_text(value: object) -> str:
    """A cell's ``source`` as text: nbformat stores a string or a list of lines."""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return "".join(part for part in value if isinstance(part, str))
    return ""


def notebook_cell_ids(cells: Iterable[Any]) -> list[str]:
    """:func:`assign_cell_ids` for the cells of an nbformat 4 notebook (dicts or nodes);
    a cell that is not a mapping counts as one without id or source."""
    pairs = []
    for cell in cells:
        if isinstance(cell, Mapping):
            pairs.append((cell.get("id"), source_text(cell.get("source", ""))))
        else:
            pairs.append((None, ""))
    return assign_cell_ids(pairs)
