"""Finding or creating the parameters cell: which names become parameters, and why."""

from __future__ import annotations

from typing import Any

import nbformat
import pytest

from jupyter_ext.pipeline.parameters_cell import ConversionError, convert_notebook
from jupyter_ext.pipeline.typed_params import declared_parameters


def notebook(*sources: str, tagged: int | None = None) -> dict[str, Any]:
    cells: list[dict[str, Any]] = []
    for i, source in enumerate(sources):
        if source.startswith("# md:"):
            cells.append({"cell_type": "markdown", "id": f"c{i}", "metadata": {}, "source": source})
            continue
        cells.append(
            {
                "cell_type": "code",
                "id": f"c{i}",
                "metadata": {"tags": ["parameters"]} if i == tagged else {"collapsed": False},
                "source": source,
                "outputs": [{"output_type": "stream", "name": "stdout", "text": "kept\n"}],
                "execution_count": i + 1,
            }
        )
    return {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def sources(nb: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    return [(c["id"], c["source"], c["metadata"].get("tags", [])) for c in nb["cells"]]


def test_mixed_cell_is_split_and_only_names_read_later_move() -> None:
    nb = notebook(
        "import os\nn_rows = 1000\nDEBUG = False\nrate: float = 0.1",
        "# md: data",
        "df = list(range(n_rows))\nprint(rate)",
        "x = n_rows * 2",
    )
    done = convert_notebook(nb, label="a.ipynb")
    assert done.changed
    new, *rest = sources(done.notebook)
    assert new[1:] == ("n_rows = 1000\nrate: float = 0.1", ["parameters"])
    assert new[0] not in {"c0", "c1", "c2", "c3"}  # a fresh id
    assert rest == [
        ("c0", "import os\nDEBUG = False", []),
        ("c1", "# md: data", []),
        ("c2", "df = list(range(n_rows))\nprint(rate)", []),
        ("c3", "x = n_rows * 2", []),
    ]
    assert {n: p.type_name for n, p in done.parameters.items()} == {
        "n_rows": "int",
        "rate": "float",
    }
    text = "\n".join(done.decisions)
    assert "`n_rows` (int, 1000) → parameter: read by cells 3, 4" in text
    assert "`DEBUG` (bool, False) not read by a later cell: stays" in text
    assert "`df` (cell 3) not a literal: stays" in text
    # The rewritten notebook is valid, keeps outputs, and declares what was decided.
    nbformat.validate(nbformat.from_dict(done.notebook))
    assert done.notebook["cells"][3]["outputs"][0]["text"] == "kept\n"
    assert set(declared_parameters(done.notebook)) == {"n_rows", "rate"}


def test_cell_of_only_parameters_is_tagged_in_place() -> None:
    nb = notebook("import csv", "# knobs\nregion = 'north'\nmonths = 6", "print(region, months)")
    done = convert_notebook(nb, label="b.ipynb")
    knobs = "# knobs\nregion = 'north'\nmonths = 6"
    assert sources(done.notebook)[1] == ("c1", knobs, ["parameters"])
    assert done.notebook["cells"][1]["metadata"]["collapsed"] is False  # metadata kept
    assert len(done.notebook["cells"]) == 3
    assert "tagged 'parameters' in place" in done.decisions[-1]


def test_literals_across_cells_gather_in_one_cell_and_emptied_cells_go() -> None:
    nb = notebook("a = 1\nimport math", "b = 'x'", "print(a, b)")
    done = convert_notebook(nb, label="c.ipynb")
    ids = [c[0] for c in sources(done.notebook)]
    assert sources(done.notebook)[0][1:] == ("a = 1\nb = 'x'", ["parameters"])
    assert ids[1:] == ["c0", "c2"]  # c1 held only `b`
    assert sources(done.notebook)[1][1] == "import math"


def test_a_name_rebound_before_it_is_read_is_not_a_parameter() -> None:
    nb = notebook("n = 3", "print('start')\nn = 10\nprint(n)")
    done = convert_notebook(nb, label="d.ipynb")
    assert not done.changed and done.parameters == {}
    assert "no parameters" in done.decisions[-1]


def test_conflicting_literal_types_are_an_error() -> None:
    with pytest.raises(ConversionError) as caught:
        convert_notebook(notebook("n = 3", "n = 'x'", "print(n)"), label="e.ipynb")
    assert str(caught.value).startswith("e.ipynb: conflicting types for parameter 'n'")
    assert "int and str" in str(caught.value)


def test_int_then_float_is_not_a_conflict() -> None:
    done = convert_notebook(notebook("n = 3\nn = 3.5", "print(n)"), label="f.ipynb")
    assert done.parameters["n"].type_name == "float"


def test_every_assignment_of_a_parameter_moves_so_none_overrides_it() -> None:
    nb = notebook("n = 3\nn = 4\nprint(n)")
    done = convert_notebook(nb, label="j.ipynb")
    assert sources(done.notebook) == [
        (done.notebook["cells"][0]["id"], "n = 3\nn = 4", ["parameters"]),
        ("c0", "print(n)", []),
    ]
    assert [d for d in done.decisions if d.startswith("`n`")] == [
        "`n` (int, 4) → parameter: read by cell 1"
    ]


def test_existing_parameters_cell_is_described_not_changed() -> None:
    nb = notebook("import os", "k: int = 2\nunused = 'z'", "print(k)", tagged=1)
    done = convert_notebook(nb, label="g.ipynb")
    assert not done.changed and done.notebook == nb
    text = "\n".join(done.decisions)
    assert "cell 2 is already tagged 'parameters'" in text
    assert "`k` (int, 2) → parameter: read by cell 3" in text
    assert "`unused` (str, 'z') → parameter, but no later cell reads it" in text


def test_magics_and_functions_count_as_readers() -> None:
    nb = notebook("%matplotlib inline\nscale = 2", "def f(x):\n    return x * scale", "f(1)")
    done = convert_notebook(nb, label="h.ipynb")
    assert "`scale` (int, 2) → parameter: read by cell 2" in "\n".join(done.decisions)
    assert done.notebook["cells"][0]["source"] == "scale = 2"
    assert done.notebook["cells"][1]["source"] == "%matplotlib inline"


def test_nothing_at_the_top_is_a_literal() -> None:
    done = convert_notebook(notebook("df = load()", "print(df)"), label="i.ipynb")
    assert not done.changed
    assert done.decisions[0] == "`df` (cell 1) not a literal: stays; the top ends there"
