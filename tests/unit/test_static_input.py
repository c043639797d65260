"""Bad input: every unreadable file gives one line naming the problem, never a traceback,
and does not stop the other files of the same call."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v3 import new_code_cell as v3_code_cell
from nbformat.v3 import new_notebook as v3_notebook
from nbformat.v3 import new_worksheet

from jupyter_ext.bridge.static import check_notebook, check_paths
from jupyter_ext.core.cell_ids import derived_cell_id

from .static_helpers import OUT, code, notebook, write


def error_of(path: Path) -> str | None:
    result = check_notebook(path)
    if result.error is not None:
        assert result.findings == ()
        assert "\n" not in result.error
    return result.error


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"this is not json", "not valid JSON: Expecting value at line 1 column 1"),
        (b'{"nbformat": 4, "cells": [', "not valid JSON (truncated?)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file, not a notebook"),
        (b"\xff\xfe\xfd garbage", "not UTF-8 text"),
        (b"", "empty file"),
        (b"[1, 2]", "the JSON is a list, not an object"),
        (b'{"cells": []}', "no `nbformat` field"),
        (b'{"nbformat": 5, "cells": []}', "nbformat 5 is newer"),
        (b'{"nbformat": 2, "worksheets": []}', "nbformat 2 is too old"),
        (b'{"nbformat": 4, "cells": {}}', "`cells` is an object, not a list"),
        (b'{"nbformat": 4, "cells": [{"source": "x"}]}', "cell 1: `cell_type` is null"),
        (
            b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": 3}]}',
            "cell 1: `source` is a number",
        ),
        (
            b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": "", '
            b'"execution_count": "7"}]}',
            "`execution_count` is a string",
        ),
        (b"[" * 100_000, "nested too deeply"),
    ],
    ids=lambda value: repr(value)[:24],
)
def test_unreadable_files_give_one_line(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "bad.ipynb"
    path.write_bytes(content)
    error = error_of(path)
    assert error is not None and expected in error


def test_missing_file_and_directory_without_notebooks(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    results = check_paths([tmp_path / "nope.ipynb", tmp_path / "empty"])
    assert [r.error for r in results] == [
        "no such file or directory",
        "no notebooks (*.ipynb) found",
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path / "locked.ipynb", notebook(code("x = 1")))
    path.chmod(0)
    try:
        assert error_of(path) == "cannot read: Permission denied"
    finally:
        path.chmod(0o644)


def test_a_directory_named_like_a_notebook_and_a_dangling_link(tmp_path: Path) -> None:
    (tmp_path / "dir.ipynb").mkdir()
    assert error_of(tmp_path / "dir.ipynb") == "is a directory"
    (tmp_path / "link.ipynb").symlink_to(tmp_path / "gone.ipynb")
    (result,) = check_paths([tmp_path / "link.ipynb"])
    assert result.error == "no such file or directory"


def test_nbformat_3_is_upgraded_in_memory_and_checked(tmp_path: Path) -> None:
    cells = [
        v3_code_cell(input="y = x + 1", prompt_number=1, outputs=[]),
        v3_code_cell(input="x = 1", prompt_number=2, outputs=[]),
    ]
    nb = v3_notebook(worksheets=[new_worksheet(cells=cells)])
    path = tmp_path / "old.ipynb"
    path.write_text(nbformat.v3.nbjson.writes(nb), encoding="utf-8")
    result = check_notebook(path)
    assert result.error is None
    assert [(f["code"], f["cell_id"]) for f in result.findings] == [
        ("JX105", derived_cell_id("y = x + 1"))
    ]
    assert json.loads(path.read_text())["nbformat"] == 3  # the file is left alone


def test_notebooks_without_cell_ids_are_checked(tmp_path: Path) -> None:
    nb = notebook(code("y = x", 1), code("x = 1", 2))
    for cell in nb["cells"]:
        del cell["id"]
    nb["nbformat_minor"] = 4
    result = check_notebook(write(tmp_path / "nb.ipynb", nb))
    assert [(f["code"], f["cell_id"]) for f in result.findings] == [
        ("JX105", derived_cell_id("y = x"))
    ]


def test_good_files_are_still_checked_next_to_bad_ones(tmp_path: Path) -> None:
    good = write(tmp_path / "a.ipynb", notebook(code("x = 1", 1)))
    bad = tmp_path / "b.ipynb"
    bad.write_text("{")
    messy = write(tmp_path / "c.ipynb", notebook(code("y = z")))
    results = check_paths([tmp_path])
    assert [Path(r.path).name for r in results] == ["a.ipynb", "b.ipynb", "c.ipynb"]
    assert [r.error is None for r in results] == [True, False, True]
    assert [len(r.findings) for r in results] == [0, 0, 1]
    assert str(good) in {r.path for r in results} and str(messy) in {r.path for r in results}


def test_directories_skip_checkpoints_and_repeat_nothing(tmp_path: Path) -> None:
    write(tmp_path / "a.ipynb", notebook(code("x = 1")))
    (tmp_path / ".ipynb_checkpoints").mkdir()
    write(tmp_path / ".ipynb_checkpoints" / "a-checkpoint.ipynb", notebook(code("y = q")))
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub" / "b.ipynb", notebook(code("x = 1")))
    results = check_paths([tmp_path, tmp_path / "a.ipynb"])
    assert sorted(Path(r.path).name for r in results) == ["a.ipynb", "b.ipynb"]


def test_unexpected_internal_failures_become_an_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jupyter_ext.bridge.static as static

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(static, "file_findings", boom)
    result = check_notebook(write(tmp_path / "nb.ipynb", notebook(code("x = 1"))))
    assert result.error == "internal error while checking (RuntimeError: bug)"


def test_ten_thousand_cells_in_reasonable_time(tmp_path: Path) -> None:
    cells = []
    for i in range(10_000):
        source = f"v{i} = v{i - 1} + 1" if i else "v0 = 0"
        cells.append(code(source, i + 1, outputs=[OUT] if i % 10 == 0 else []))
    cells[5000]["execution_count"] = 20_000  # one cell re-run at the end
    path = write(tmp_path / "big.ipynb", notebook(*cells))
    started = time.perf_counter()
    result = check_notebook(path)
    elapsed = time.perf_counter() - started
    assert result.error is None
    assert {f["code"] for f in result.findings} == {"JX201", "JX202"}
    assert elapsed < 30, elapsed
