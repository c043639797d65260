"""``parse_notebook_message``: the frontend's document snapshot, validated at the boundary.

Every malformed variant is rejected with :class:`SnapshotError` (never another exception)
and a reason that names the problem, so the kernel can log it and carry on.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from jupyter_ext.analysis.snapshot import (
    CellSnapshot,
    NotebookSnapshot,
    SnapshotError,
    parse_notebook_message,
)


def message(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": "notebook",
        "seq": 3,
        "path": "work/analysis.ipynb",
        "cells": [
            {"id": "a", "cell_type": "markdown", "source": "# Title"},
            {"id": "b", "cell_type": "code", "source": ["x = 1\n", "y = 2\n"]},
            {"id": "c", "cell_type": "raw", "source": ""},
        ],
    }
    data.update(changes)
    return data


def with_cell(index: int, **changes: Any) -> dict[str, Any]:
    data = message()
    data["cells"] = copy.deepcopy(data["cells"])
    cell = data["cells"][index]
    for key, value in changes.items():
        if value is _DROP:
            del cell[key]
        else:
            cell[key] = value
    return data


_DROP = object()


def dropping(key: str) -> dict[str, Any]:
    data = message()
    del data[key]
    return data


class Explosive(dict):  # type: ignore[type-arg]
    """A mapping whose lookups fail in an unexpected way."""

    def __contains__(self, key: object) -> bool:
        raise RuntimeError("boom")


def bad(case_id: str, data: Any, reason: str, **limits: int) -> Any:
    return pytest.param(data, reason, limits, id=case_id)


REJECTED = [
    bad("not-an-object", ["notebook"], "message is a list, not an object"),
    bad("null", None, "message is null, not an object"),
    bad("missing-type", dropping("type"), "missing field `type`"),
    bad("wrong-type", message(type="state"), "`type` is 'state', not 'notebook'"),
    bad("missing-seq", dropping("seq"), "missing field `seq`"),
    bad("seq-string", message(seq="3"), "`seq` is a string, not an integer"),
    bad("seq-float", message(seq=3.0), "`seq` is a number, not an integer"),
    bad("seq-bool", message(seq=True), "`seq` is a boolean, not an integer"),
    bad("seq-negative", message(seq=-1), "`seq` is negative (-1)"),
    bad("missing-path", dropping("path"), "missing field `path`"),
    bad("path-number", message(path=7), "`path` is a number, not a string or null"),
    bad("missing-cells", dropping("cells"), "missing field `cells`"),
    bad("cells-object", message(cells={"a": 1}), "`cells` is an object, not a list"),
    bad("cell-not-object", message(cells=["x = 1"]), "cell 0 is a string, not an object"),
    bad("cell-missing-id", with_cell(1, id=_DROP), "cell 1: missing field `id`"),
    bad("cell-id-number", with_cell(1, id=5), "cell 1: `id` is a number, not a string"),
    bad("cell-id-empty", with_cell(1, id=""), "cell 1: `id` is empty"),
    bad("cell-id-huge", with_cell(1, id="x" * 5000), "cell 1: `id` is too long (5000 characters)"),
    bad("duplicate-ids", with_cell(2, id="a"), "duplicate cell id 'a' (cell 2)"),
    bad("cell-missing-type", with_cell(0, cell_type=_DROP), "cell 0: missing field `cell_type`"),
    bad(
        "cell-type-unknown",
        with_cell(0, cell_type="heading"),
        "cell 0: unknown `cell_type` 'heading'",
    ),
    bad(
        "cell-type-null", with_cell(0, cell_type=None), "cell 0: `cell_type` is null, not a string"
    ),
    bad("cell-missing-source", with_cell(1, source=_DROP), "cell 1: missing field `source`"),
    bad(
        "source-number",
        with_cell(1, source=1),
        "cell 1: `source` is a number, not a string or list",
    ),
    bad(
        "source-list-with-a-number",
        with_cell(1, source=["x = 1\n", 2]),
        "cell 1: `source` line 1 is a number, not a string",
    ),
    bad("too-many-cells", message(), "too many cells (3 > 2)", max_cells=2),
    bad(
        "source-too-large",
        with_cell(1, source="x" * 101),
        "cell 1: source too large (over 100 characters)",
        max_source_chars=100,
    ),
    bad(
        "source-list-too-large",
        with_cell(1, source=["x" * 60, "y" * 60]),
        "cell 1: source too large (over 100 characters)",
        max_source_chars=100,
    ),
    bad(
        "notebook-too-large",
        message(cells=[{"id": str(i), "cell_type": "code", "source": "x" * 40} for i in range(5)]),
        "notebook too large (sources exceed 100 characters)",
        max_total_chars=100,
    ),
    bad("hostile-mapping", Explosive(), "unreadable notebook message (RuntimeError)"),
]


@pytest.mark.parametrize(("data", "reason", "limits"), REJECTED)
def test_malformed_messages_are_rejected_with_a_reason(
    data: Any, reason: str, limits: dict[str, int]
) -> None:
    with pytest.raises(SnapshotError) as caught:
        parse_notebook_message(data, **limits)
    assert str(caught.value) == reason
    assert isinstance(caught.value, ValueError)


def test_a_valid_message_becomes_a_snapshot() -> None:
    snapshot = parse_notebook_message(message())
    assert snapshot == NotebookSnapshot(
        seq=3,
        path="work/analysis.ipynb",
        cells=(
            CellSnapshot("a", "markdown", "# Title"),
            CellSnapshot("b", "code", "x = 1\ny = 2\n"),
            CellSnapshot("c", "raw", ""),
        ),
    )


def test_null_path_seq_zero_no_cells_and_unknown_keys_are_fine() -> None:
    snapshot = parse_notebook_message(
        {"type": "notebook", "seq": 0, "path": None, "cells": [], "future": {"x": 1}}
    )
    assert (snapshot.seq, snapshot.path, snapshot.cells) == (0, None, ())


def test_positions_count_every_cell_type_and_lookups_are_by_id() -> None:
    snapshot = parse_notebook_message(message())
    assert [snapshot.position(c) for c in ("a", "b", "c", "zz")] == [0, 1, 2, None]
    assert snapshot.cell("b") == CellSnapshot("b", "code", "x = 1\ny = 2\n")
    assert snapshot.cell("zz") is None
    assert "b" in snapshot and "zz" not in snapshot and len(snapshot) == 3


def test_building_a_snapshot_directly_with_duplicate_ids_fails() -> None:
    with pytest.raises(SnapshotError, match="duplicate cell id 'a'"):
        NotebookSnapshot(1, None, (CellSnapshot("a", "code", ""), CellSnapshot("a", "code", "")))


def test_large_notebooks_index_in_linear_time() -> None:
    cells = [{"id": f"c{i}", "cell_type": "code", "source": f"x{i} = {i}"} for i in range(10_000)]
    snapshot = parse_notebook_message({"type": "notebook", "seq": 1, "path": None, "cells": cells})
    assert snapshot.position("c9999") == 9999
