"""Reading a saved notebook for the static checker: bytes to a list of plain cells.

The checker meets whatever people commit: truncated files, binaries named ``.ipynb``,
nbformat 3, notebooks from before cell ids (nbformat < 4.5), sources as strings or as
lists of lines.  Everything here turns that into :class:`NbCell` values or one
:class:`NotebookError` whose message is a short phrase a person can act on; nothing else
is raised, so one bad file never stops the others.

Decisions:

* Reading is tolerant where the rules do not care (unknown metadata, odd output shapes)
  and strict where they do (``cells``, ``cell_type``, ``source``, ``execution_count``).
  Full nbformat schema validation is not run: it costs more than the whole check and
  rejects notebooks Jupyter opens happily.
* nbformat 3 is upgraded in memory (``nbformat.convert``) and checked; the file is left
  alone.  The upgrade invents random cell ids, which would make findings unstable, so
  they are replaced by derived ones.
* Cells without an id, and later holders of a duplicate id (an invalid notebook, usually
  a bad merge), get the id :mod:`jupyter_ext.core.cell_ids` derives, the one ``run``,
  ``lock``, ``repro``, ``diff`` and the pytest plugin use for the same cell.
* Unknown cell types are read as ``raw``: they never run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..analysis.snapshot import json_kind
from ..core.cell_ids import assign_cell_ids

__all__ = ["NbCell", "NotebookError", "load_notebook", "notebook_cells"]

_BINARY_SNIFF = 8192


class NotebookError(ValueError):
    """The file is not a notebook the checker can judge; the message says why."""


@dataclass(frozen=True, slots=True)
class NbCell:
    index: int
    """0-based position among all cells."""
    id: str
    cell_type: str
    source: str
    execution_count: int | None
    """``None`` for non-code cells and cells never run (a saved 0 is read as None)."""
    outputs: tuple[Mapping[str, Any], ...] = ()
    tags: frozenset[str] = frozenset()
    metadata: Mapping[str, Any] = field(default_factory=dict)


def load_notebook(path: Path) -> dict[str, Any]:
    """The notebook's JSON as nbformat 4, or :class:`NotebookError`."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise NotebookError("is a directory") from None
    except OSError as exc:
        raise NotebookError(f"cannot read: {exc.strerror or type(exc).__name__}") from None
    if not data.strip():
        raise NotebookError("empty file, not a notebook")
    if b"\x00" in data[:_BINARY_SNIFF]:
        raise NotebookError("binary file, not a notebook")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotebookError("not UTF-8 text (a binary file?), not a notebook") from None
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        hint = " (truncated?)" if exc.pos >= len(text.rstrip()) else ""
        raise NotebookError(
            f"not valid JSON{hint}: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise NotebookError("not a notebook: JSON nested too deeply") from None
    return upgrade(nb)


def upgrade(nb: object) -> dict[str, Any]:
    """Check the top-level shape; bring nbformat 3 up to 4 in memory."""
    if not isinstance(nb, dict):
        raise NotebookError(f"not a notebook: the JSON is {json_kind(nb)}, not an object")
    major = nb.get("nbformat")
    if major is None:
        raise NotebookError("not a notebook: no `nbformat` field")
    if not isinstance(major, int) or isinstance(major, bool):
        raise NotebookError(f"not a notebook: `nbformat` is {json_kind(major)}")
    if major == 4:
        return nb
    if major > 4:
        raise NotebookError(f"nbformat {major} is newer than this checker understands")
    if major < 3:
        raise NotebookError(
            f"nbformat {major} is too old: upgrade with `jupyter nbconvert --to notebook`"
        )
    try:
        import nbformat

        converted = nbformat.convert(nbformat.from_dict(nb), 4)
    except Exception as exc:
        raise NotebookError(f"nbformat 3 notebook that cannot be upgraded ({exc})") from None
    out: dict[str, Any] = json.loads(json.dumps(converted))
    for cell in out.get("cells", ()):
        if isinstance(cell, dict):
            cell.pop("id", None)  # random ids from the upgrade: use positional ones
    return out


def notebook_cells(nb: Mapping[str, Any]) -> list[NbCell]:
    """The cells of an nbformat 4 notebook (a dict or a ``NotebookNode``)."""
    cells = nb.get("cells")
    if not isinstance(cells, Sequence) or isinstance(cells, str | bytes):
        raise NotebookError(f"not a notebook: `cells` is {json_kind(cells)}, not a list")
    read = [_cell(raw, index) for index, raw in enumerate(cells)]
    ids = assign_cell_ids((c.id, c.source) for c in read)
    return [
        c if c.id == cell_id else _with_id(c, cell_id) for c, cell_id in zip(read, ids, strict=True)
    ]


def _cell(raw: object, index: int) -> NbCell:
    where = f"cell {index + 1}"
    if type(raw) is not dict and not isinstance(raw, Mapping):
        raise NotebookError(f"{where} is {json_kind(raw)}, not an object")
    cell_type = raw.get("cell_type")
    if not isinstance(cell_type, str):
        raise NotebookError(f"{where}: `cell_type` is {json_kind(cell_type)}, not a string")
    if cell_type not in ("code", "markdown", "raw"):
        cell_type = "raw"
    source = _source(raw.get("source", ""), where)
    cell_id = raw.get("id")
    if not isinstance(cell_id, str):
        cell_id = ""  # no id: notebook_cells gives it one
    count = raw.get("execution_count") if cell_type == "code" else None
    if count is not None and (not isinstance(count, int) or isinstance(count, bool)):
        raise NotebookError(f"{where}: `execution_count` is {json_kind(count)}, not an integer")
    if count is not None and count <= 0:
        count = None  # 0 is what sanitisers write: "not executed"
    outputs = raw.get("outputs", ()) if cell_type == "code" else ()
    if not isinstance(outputs, list | tuple):
        raise NotebookError(f"{where}: `outputs` is {json_kind(outputs)}, not a list")
    metadata = raw.get("metadata")
    if type(metadata) is not dict and not isinstance(metadata, Mapping):
        metadata = {}
    tags = metadata.get("tags")
    tag_set = frozenset(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else None
    return NbCell(
        index=index,
        id=cell_id,
        cell_type=cell_type,
        source=source,
        execution_count=count,
        outputs=tuple(o for o in outputs if type(o) is dict or isinstance(o, Mapping)),
        tags=tag_set or frozenset(),
        metadata=metadata,
    )


def _source(value: object, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        for j, part in enumerate(value):
            if not isinstance(part, str):
                raise NotebookError(f"{where}: `source` line {j + 1} is {json_kind(part)}")
        return "".join(value)
    raise NotebookError(f"{where}: `source` is {json_kind(value)}, not a string or list")


def _with_id(cell: NbCell, new_id: str) -> NbCell:
    return NbCell(
        index=cell.index,
        id=new_id,
        cell_type=cell.cell_type,
        source=cell.source,
        execution_count=cell.execution_count,
        outputs=cell.outputs,
        tags=cell.tags,
        metadata=cell.metadata,
    )
