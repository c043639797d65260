"""Each file-level rule (JX2xx) and the engine's rules on saved notebooks, both ways:
the notebook that should be flagged is, and its nearest clean variant is not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jupyter_ext.bridge.static import check_notebook

from .static_helpers import OUT, code, error_output, md, notebook, write

Check = Callable[..., list[dict[str, Any]]]


@pytest.fixture
def check(tmp_path: Path) -> Check:
    def run(nb: dict[str, Any], **kwargs: Any) -> list[dict[str, Any]]:
        result = check_notebook(write(tmp_path / "nb.ipynb", nb), **kwargs)
        assert result.error is None, result.error
        return list(result.findings)

    return run


def codes(findings: list[dict[str, Any]]) -> list[str]:
    return [f["code"] for f in findings]


def test_a_clean_executed_notebook_has_no_findings(check: Check) -> None:
    nb = notebook(
        md("# title"),
        code("import math\nimport os", 1),
        code("x = math.pi\nprint(x)", 2),
        code("y = x * 2\ny", 3),
    )
    assert check(nb) == []


# -- JX201 non-monotonic counts -------------------------------------------------------


def test_jx201_flags_only_the_cell_run_out_of_place(check: Check) -> None:
    nb = notebook(code("a = 1", 1), code("b = 2", 5), code("c = 3", 2), code("d = 4", 3))
    found = [f for f in check(nb) if f["code"] == "JX201"]
    assert [(f["cell_index"], f["cell_id"]) for f in found] == [(1, "c1")]
    assert found[0]["message"].startswith("ran as [5], after [2] below it")
    assert "Restart & Run All" in found[0]["message"]
    assert found[0]["severity"] == "warning" and found[0]["line"] is None


def test_jx201_not_for_increasing_counts_with_markdown_between(check: Check) -> None:
    nb = notebook(code("a = 1", 1), md("text"), code("b = 2", 2), code("c = 3", 3))
    assert "JX201" not in codes(check(nb))


# -- JX202 gaps ----------------------------------------------------------------------


def test_jx202_reports_gaps_once_anchored_after_the_first(check: Check) -> None:
    nb = notebook(code("a = 1", 1), code("b = 2", 4), code("c = 3", 5), code("d = 4", 9))
    (gap,) = [f for f in check(nb) if f["code"] == "JX202"]
    assert gap["missing"] == [[2, 3], [6, 8]]
    assert gap["cell_index"] == 1 and gap["severity"] == "info"
    assert "skip [2]-[3], [6]-[8]: 5 executions" in gap["message"]


def test_jx202_counts_not_starting_at_one_are_a_gap(check: Check) -> None:
    nb = notebook(code("a = 1", 3), code("b = 2", 4))
    (gap,) = [f for f in check(nb) if f["code"] == "JX202"]
    assert gap["missing"] == [[1, 2]]


def test_jx202_not_for_consecutive_counts(check: Check) -> None:
    nb = notebook(code("a = 1", 1), code("b = 2", 2))
    assert "JX202" not in codes(check(nb))


# -- JX203 duplicates ----------------------------------------------------------------


def test_jx203_duplicates_mean_several_sessions_and_suspend_order_rules(check: Check) -> None:
    nb = notebook(
        code("x = 1", 1),
        code("y = x + 1", 2),
        code("x = 5", 1),  # a second session
        code("z = 3", 5),
    )
    found = check(nb)
    assert codes(found) == ["JX203"]
    (dup,) = found
    assert dup["cell_index"] == 2
    assert dup["duplicates"] == [{"execution_count": 1, "cell_indices": [0, 2]}]
    assert "several kernel sessions" in dup["message"]


def test_jx203_not_for_distinct_counts(check: Check) -> None:
    assert "JX203" not in codes(check(notebook(code("x = 1", 1), code("y = 2", 2))))


# -- JX204 unexecuted cells ------------------------------------------------------------


def test_jx204_flags_an_unexecuted_cell_above_executed_ones(check: Check) -> None:
    nb = notebook(code("a = 1", 1), code("b = 2"), code("c = 3", 2), code("d = 4"))
    found = [f for f in check(nb) if f["code"] == "JX204"]
    assert [f["cell_index"] for f in found] == [1]  # the tail cell is work in progress


def test_jx204_not_for_empty_or_comment_cells(check: Check) -> None:
    nb = notebook(code("a = 1", 1), code("   \n"), code("# just a note"), code("c = 3", 2))
    assert "JX204" not in codes(check(nb))


def test_jx204_not_in_a_notebook_without_outputs(check: Check) -> None:
    nb = notebook(code("a = 1", 1, outputs=[]), code("b = 2"), code("c = a + 1", 3, outputs=[]))
    assert check(nb) == []  # counts kept by a stripper: not evidence of a run


# -- JX205 error outputs -------------------------------------------------------------


def test_jx205_flags_a_saved_error_with_its_line(check: Check) -> None:
    nb = notebook(code("x = 1", 1), code("x\n1/0", 2, outputs=[error_output()]))
    (err,) = [f for f in check(nb) if f["code"] == "JX205"]
    assert err["severity"] == "error" and err["cell_index"] == 1 and err["line"] == 2
    assert "ZeroDivisionError: division by zero" in err["message"]
    assert err["error"] == "ZeroDivisionError"


def test_jx205_not_for_stderr_streams(check: Check) -> None:
    warn = {"output_type": "stream", "name": "stderr", "text": "Warning: careful\n"}
    assert "JX205" not in codes(check(notebook(code("x = 1", 1, outputs=[warn]))))


# -- JX206 absolute paths --------------------------------------------------------------


@pytest.mark.parametrize(
    "literal",
    ["/home/ana/data.csv", "/Users/bob/x.parquet", "C:\\\\Users\\\\bob\\\\x.csv", "D:/data/x"],
)
def test_jx206_flags_absolute_paths(check: Check, literal: str) -> None:
    nb = notebook(code(f"import pandas as pd\n\ndf = pd.read_csv('{literal}')"))
    (found,) = [f for f in check(nb) if f["code"] == "JX206"]
    assert found["line"] == 3 and found["cell_index"] == 0
    assert "relative to the notebook" in found["message"]


@pytest.mark.parametrize(
    "literal",
    ["data/x.csv", "https://example.org/home/x.csv", "file.csv", "/tmp/scratch", "~/x.csv"],
)
def test_jx206_not_for_relative_paths_or_urls(check: Check, literal: str) -> None:
    assert "JX206" not in codes(check(notebook(code(f"path = '{literal}'"))))


def test_jx206_finds_paths_in_f_strings_and_magics(check: Check) -> None:
    nb = notebook(code("name = 'x'\np = f'/home/ana/{name}.csv'"), code("%cd /home/ana/project"))
    assert [f["cell_index"] for f in check(nb) if f["code"] == "JX206"] == [0, 1]


# -- JX207 imports below the top -------------------------------------------------------


def test_jx207_flags_imports_below_the_first_cell_of_code(check: Check) -> None:
    nb = notebook(
        code('"""Setup."""\nimport os\n%matplotlib inline'),
        code("import sys\nx = 1\nimport json"),  # first cell of code: still the top
        code("y = 2\n\nimport numpy as np\nfrom collections import abc"),
    )
    (late,) = [f for f in check(nb) if f["code"] == "JX207"]
    assert late["cell_index"] == 2 and late["line"] == 3
    assert late["modules"] == ["collections", "numpy"]
    assert "move the import to the first cell" in late["message"]


def test_jx207_not_for_imports_inside_functions(check: Check) -> None:
    nb = notebook(code("x = 1"), code("def f():\n    import json\n    return json"))
    assert "JX207" not in codes(check(nb))


# -- JX208 papermill parameters ----------------------------------------------------------


def test_jx208_flags_injected_parameters_without_a_parameters_cell(check: Check) -> None:
    nb = notebook(code("alpha = 0.5", tags=["injected-parameters"]), code("alpha = 0.1"))
    (found,) = [f for f in check(nb) if f["code"] == "JX208"]
    assert found["cell_index"] == 0 and "tagged `parameters`" in found["message"]


def test_jx208_from_papermill_metadata_alone(check: Check) -> None:
    nb = notebook(code("x = 1"), metadata={"papermill": {"parameters": {"alpha": 1}}})
    (found,) = [f for f in check(nb) if f["code"] == "JX208"]
    assert found["cell_id"] is None and found["cell_index"] is None


def test_jx208_not_when_a_parameters_cell_exists(check: Check) -> None:
    nb = notebook(
        code("alpha = 0.1", tags=["parameters"]),
        code("alpha = 0.5", tags=["injected-parameters"]),
        metadata={"papermill": {"parameters": {"alpha": 0.5}}},
    )
    assert "JX208" not in codes(check(nb))


# -- engine rules on saved notebooks -----------------------------------------------------


def test_jx105_undefined_in_order_even_when_never_executed(check: Check) -> None:
    nb = notebook(code("y = x + 1"), code("x = 1"))
    (found,) = check(nb)
    assert (found["code"], found["cell_index"], found["names"]) == ("JX105", 0, ["x"])


def test_jx101_stale_from_a_later_rebinding(check: Check) -> None:
    nb = notebook(code("x = 1", 1), code("y = x + 1", 2), code("x = 2", 3))
    (found,) = check(nb)
    assert (found["code"], found["cell_id"], found["names"]) == ("JX101", "c1", ["x"])
    assert found["cell_index"] == 1 and found["line"] is None


def test_no_stale_when_the_same_value_is_bound_again(check: Check) -> None:
    nb = notebook(
        code("import math\nx = 1", 1),
        code("y = math.pi * x", 2),
        code("import math\nx = 1", 3),  # the same import and literal again
    )
    assert "JX101" not in codes(check(nb))


def test_method_calls_are_not_mutations_but_append_is(check: Check) -> None:
    base = [code("xs = [3, 1]", 1), code("n = len(xs)", 2)]
    assert check(notebook(*base, code("xs.count(1)", 3))) == []
    (found,) = check(notebook(*base, code("xs.append(2)", 3)))
    assert (found["code"], found["names"]) == ("JX101", ["xs"])


def test_stale_through_a_function_that_reads_a_changed_global(check: Check) -> None:
    nb = notebook(
        code("rate = 2", 1),
        code("def scale(v):\n    return v * rate", 2),
        code("out = scale(3)", 3, outputs=[OUT]),
        code("rate = 5", 4),
    )
    (found,) = check(nb)
    assert (found["code"], found["cell_id"], found["names"]) == ("JX101", "c2", ["rate"])


def test_notebooks_in_other_languages_get_only_the_rules_that_do_not_read_code(
    check: Check,
) -> None:
    cells = [code("x <- '/home/ana/x.csv'", 2), code("library(dplyr)\ny <- z", 1)]
    r_meta = {"kernelspec": {"name": "ir", "language": "R", "display_name": "R"}}
    assert codes(check(notebook(*cells, metadata=r_meta))) == ["JX201"]
    py_meta = {"language_info": {"name": "python"}}
    assert "JX206" in codes(check(notebook(*cells, metadata=py_meta)))
