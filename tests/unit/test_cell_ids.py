"""One identity per cell, also for notebooks saved before cells had ids (pure)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat

from jupyter_ext.bridge.headless import ensure_cell_ids
from jupyter_ext.bridge.static import check_notebook
from jupyter_ext.bridge.static_notebook import load_notebook, notebook_cells
from jupyter_ext.convert.export import code_cells
from jupyter_ext.core.cell_ids import assign_cell_ids, derived_cell_id, notebook_cell_ids

NBFORMAT_ID = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")


def _old_notebook(*sources: str, counts: bool = False) -> dict[str, object]:
    """nbformat 4.4, no ids, as the Python Data Science Handbook's chapters are saved."""
    cells: list[dict[str, object]] = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# A chapter"]}
    ]
    for n, source in enumerate(sources, start=1):
        cells.append(
            {
                "cell_type": "code",
                "execution_count": n if counts else None,
                "metadata": {},
                "outputs": [],
                "source": source.splitlines(keepends=True),
            }
        )
    return {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 4,
    }


def test_ids_are_kept_or_derived_from_source_and_rank() -> None:
    ids = assign_cell_ids([("own", "x = 1"), (None, "x = 1"), ("", "y"), (7, "x = 1")])
    assert ids[0] == "own"
    # rank 1 and 2: the second and third cell with the source "x = 1"
    assert ids[1:] == [
        derived_cell_id("x = 1", 1),
        derived_cell_id("y"),
        derived_cell_id("x = 1", 2),
    ]
    assert len(set(ids)) == 4 and all(NBFORMAT_ID.match(i) for i in ids)


def test_duplicate_sources_get_distinct_ids_and_duplicate_ids_keep_their_first_holder() -> None:
    ids = assign_cell_ids([(None, "x")] * 5 + [("a", "p"), ("a", "q")])
    assert len(set(ids)) == 7
    assert ids[5] == "a" and ids[6] == derived_cell_id("q")


def test_a_derived_id_never_takes_an_id_a_cell_already_holds() -> None:
    squatter = derived_cell_id("x = 1")
    ids = assign_cell_ids([(None, "x = 1"), (squatter, "y")])
    assert ids[1] == squatter and ids[0] != squatter and ids[0].startswith(squatter)


def test_other_cells_and_trailing_whitespace_leave_an_id_alone() -> None:
    before = assign_cell_ids([(None, "a = 1"), (None, "b = a"), (None, "print(b)")])
    inserted = assign_cell_ids(
        [(None, "import os"), (None, "a = 1  \n"), (None, "b = a"), ("p1", "n = 2")]
    )
    assert inserted[1:3] == before[:2]
    edited = assign_cell_ids([(None, "a = 2"), (None, "b = a"), (None, "print(b)")])
    assert edited[0] != before[0] and edited[1:] == before[1:]


def test_every_command_names_an_old_notebooks_cells_alike(tmp_path: Path) -> None:
    """check, the runner (run, lock, repro, pytest --jx), and to-module agree, and a
    second read gives the same ids: nothing random."""
    doc = _old_notebook("import math", "x = math.pi", "x", "x", counts=True)
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(doc))
    static = [c.id for c in notebook_cells(load_notebook(path))]
    nb = nbformat.read(path, as_version=4)
    ensure_cell_ids(nb)
    assert nb.nbformat_minor == 5
    assert [c["id"] for c in nb.cells] == static
    assert notebook_cell_ids(doc["cells"]) == static  # type: ignore[arg-type]
    assert [c.cell_id for c in code_cells(doc)] == static[1:]
    again = nbformat.read(path, as_version=4)
    ensure_cell_ids(again)
    assert [c["id"] for c in again.cells] == static
    assert len(set(static)) == len(static)
    findings = check_notebook(path).findings
    assert {f["cell_id"] for f in findings} <= set(static)


def test_ids_a_notebook_has_are_never_changed() -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nb.cells[0]["id"] = "mine"
    ensure_cell_ids(nb)
    assert nb.cells[0]["id"] == "mine"


def test_a_derived_id_carries_nothing_of_a_secret_in_the_cell() -> None:
    """Ids are stored and exported: one derived from a cell's raw text would let anyone
    test guesses of a password it holds."""
    from jupyter_ext.core.source_redaction import redact_source

    cell = "password = 'hunter2'\nconnect(password=password)"
    assert redact_source(cell) != cell
    assert derived_cell_id(cell) == derived_cell_id(redact_source(cell))
    assert derived_cell_id(cell) == derived_cell_id(
        "password = 'other'\nconnect(password=password)"
    )
    assert derived_cell_id(cell) != derived_cell_id("x = 1")
