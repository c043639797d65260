"""The backward slice behind ``%gather NAME`` (``jupyter_ext.analysis.gather``).

Records are built by hand with exactly the reads, writes, mutations and deletions the
recorder would report, so each test states the dependency structure it checks.  The
end-to-end check (the gathered code recreates the same digest in a fresh kernel) lives
in ``tests/integration/test_gather_kernel.py``.
"""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path
from typing import Any

import nbformat
import pytest

from jupyter_ext.analysis.gather import (
    GatherError,
    GatherResult,
    GatherStep,
    gather,
    write_gathered,
)
from jupyter_ext.core.records import ExecutionRecord, VariableState

RUN = "run-1"


def rec(
    seq: int,
    source: str = "",
    *,
    reads: str = "",
    writes: str = "",
    mutated: str = "",
    deleted: str = "",
    count: int | None = -1,
    cell_id: str | None = "",
    **kwargs: Any,
) -> ExecutionRecord:
    """One record; names are space-separated; count and cell id default from seq."""
    return ExecutionRecord(
        run_id=kwargs.pop("run_id", RUN),
        seq=seq,
        cell_id=f"c{seq}" if cell_id == "" else cell_id,
        execution_count=seq if count == -1 else count,
        source_hash=f"h{seq}",
        source=source,
        started_at=1000.0 + seq,
        duration=0.01,
        status=kwargs.pop("status", "ok"),
        reads=tuple(reads.split()),
        writes=tuple(writes.split()),
        mutated=tuple(mutated.split()),
        deleted=tuple(deleted.split()),
        **kwargs,
    )


def seqs(result: GatherResult) -> list[int]:
    return [step.seq for step in result.steps]


# ------------------------------------------------------------------------------ slices


def test_straight_chain() -> None:
    records = [
        rec(1, "a = 1", writes="a"),
        rec(2, "b = a + 1", reads="a", writes="b"),
        rec(3, "c = b * 2", reads="b", writes="c"),
    ]
    result = gather(records, "c")
    assert seqs(result) == [1, 2, 3]
    assert [s.produces for s in result.steps] == [("a",), ("b",), ("c",)]
    assert result.notes == ()
    assert result.name == "c" and result.run_id == RUN


def test_unrelated_and_read_only_executions_are_excluded() -> None:
    records = [
        rec(1, "a = 1", writes="a"),
        rec(2, "z = 99", writes="z"),
        rec(3, "print(a)", reads="a"),
        rec(4, "b = a + 1", reads="a", writes="b"),
        rec(5, "w = z + b", reads="z b", writes="w"),
        rec(6, "b", reads="b"),
    ]
    assert seqs(gather(records, "b")) == [1, 4]


def test_mutation_after_binding_keeps_both_in_order() -> None:
    records = [
        rec(1, "xs = [1, 2]", writes="xs"),
        rec(2, "n = 5", writes="n"),
        rec(3, "xs.append(3)", reads="xs", mutated="xs"),
        rec(4, "xs.append(n)", reads="xs n", mutated="xs"),
        rec(5, "print(xs)", reads="xs"),
    ]
    result = gather(records, "xs")
    assert seqs(result) == [1, 2, 3, 4]
    assert result.steps[1].produces == ("n",)


def test_mutation_through_a_function_needs_the_function_and_the_binding() -> None:
    records = [
        rec(1, "def grow(v):\n    v.append(0)", writes="grow"),
        rec(2, "xs = []", writes="xs"),
        rec(3, "grow(xs)", reads="grow xs", mutated="xs"),
    ]
    assert seqs(gather(records, "xs")) == [1, 2, 3]


def test_rebinding_without_reading_drops_the_earlier_binding() -> None:
    records = [
        rec(1, "x = 1", writes="x"),
        rec(2, "x.bit_length()", reads="x"),
        rec(3, "x = 5", writes="x"),
    ]
    result = gather(records, "x")
    assert seqs(result) == [3]
    assert result.notes == ()


def test_mutations_before_a_rebinding_are_dropped() -> None:
    records = [
        rec(1, "xs = [1]", writes="xs"),
        rec(2, "xs.append(2)", reads="xs", mutated="xs"),
        rec(3, "xs = [7]", writes="xs"),
        rec(4, "xs.append(8)", reads="xs", mutated="xs"),
    ]
    assert seqs(gather(records, "xs")) == [3, 4]


def test_repeated_increment_needs_every_execution() -> None:
    records = [
        rec(1, "x = 0", writes="x"),
        rec(2, "x = x + 1", reads="x", writes="x"),
        rec(3, "x = x + 1", reads="x", writes="x", cell_id="c2"),
        rec(4, "x = x + 1", reads="x", writes="x", cell_id="c2"),
    ]
    result = gather(records, "x")
    assert seqs(result) == [1, 2, 3, 4]
    assert all(step.produces == ("x",) for step in result.steps)


def test_function_defined_then_called() -> None:
    records = [
        rec(1, "def f(v):\n    return v * 2", writes="f"),
        rec(2, "a = 3", writes="a"),
        rec(3, "y = f(a)", reads="f a", writes="y"),
    ]
    assert seqs(gather(records, "y")) == [1, 2, 3]


def test_redefined_function_uses_the_definition_current_at_the_call() -> None:
    records = [
        rec(1, "def f():\n    return 1", writes="f"),
        rec(2, "y = f()", reads="f", writes="y"),
        rec(3, "def f():\n    return 2", writes="f"),
    ]
    assert seqs(gather(records, "y")) == [1, 2]


def test_transitive_function_globals() -> None:
    # The recorder lists, for a call, the functions called and the globals their bodies
    # load, transitively: y = outer() reads outer, inner and scale.
    records = [
        rec(1, "scale = 10", writes="scale"),
        rec(2, "def inner(v):\n    return v * scale", writes="inner"),
        rec(3, "def outer():\n    return inner(2)", writes="outer"),
        rec(4, "scale = 3", writes="scale"),
        rec(5, "other = 1", writes="other"),
        rec(6, "y = outer()", reads="outer inner scale", writes="y"),
        rec(7, "scale = 100", writes="scale"),
    ]
    result = gather(records, "y")
    assert seqs(result) == [2, 3, 4, 6]
    assert result.steps[2].produces == ("scale",)


def test_import_is_included() -> None:
    records = [
        rec(1, "import math", writes="math"),
        rec(2, "import os", writes="os"),
        rec(3, "r = math.sqrt(16)", reads="math", writes="r"),
    ]
    assert seqs(gather(records, "r")) == [1, 3]


def test_one_execution_providing_several_names_appears_once() -> None:
    records = [
        rec(1, "a, b = 1, 2", writes="a b"),
        rec(2, "c = a + b", reads="a b", writes="c"),
    ]
    result = gather(records, "c")
    assert seqs(result) == [1, 2]
    assert result.steps[0].produces == ("a", "b")


def test_records_are_taken_in_seq_order_whatever_order_they_come_in() -> None:
    records = [
        rec(3, "c = b", reads="b", writes="c"),
        rec(1, "a = 1", writes="a"),
        rec(2, "b = a", reads="a", writes="b"),
    ]
    assert seqs(gather(records, "c")) == [1, 2, 3]


def test_out_of_order_cells_follow_execution_order_not_cell_order() -> None:
    # Cell c3 ran before c1 was re-run: the execution order decides.
    records = [
        rec(1, "a = 1", writes="a", cell_id="c1"),
        rec(2, "b = a * 10", reads="a", writes="b", cell_id="c3"),
        rec(3, "a = 2", writes="a", cell_id="c1"),
    ]
    assert seqs(gather(records, "b")) == [1, 2]
    assert seqs(gather(records, "a")) == [3]


# ------------------------------------------------------------------------------ errors


def test_deleted_name_is_an_error() -> None:
    records = [rec(1, "x = 1", writes="x"), rec(5, "del x", deleted="x")]
    with pytest.raises(GatherError, match=r"`x` was deleted by \[5\]"):
        gather(records, "x")


def test_name_recreated_after_deletion_is_gathered() -> None:
    records = [
        rec(1, "x = 1", writes="x"),
        rec(2, "del x", deleted="x"),
        rec(3, "x = 2", writes="x"),
    ]
    assert seqs(gather(records, "x")) == [3]


def test_unknown_name_is_an_error() -> None:
    records = [rec(1, "x = 1", writes="x")]
    with pytest.raises(GatherError, match="`nope` was never recorded in this run"):
        gather(records, "nope")
    with pytest.raises(GatherError, match="never recorded"):
        gather([], "x")


def test_name_only_read_is_an_error_that_says_why() -> None:
    records = [rec(1, "y = df", reads="df", writes="y")]
    with pytest.raises(GatherError, match="defined before recording started"):
        gather(records, "df")


def test_not_a_name_is_an_error() -> None:
    with pytest.raises(GatherError, match="not a variable name"):
        gather([rec(1, "x = 1", writes="x")], "df.x")


def test_records_of_several_runs_are_refused() -> None:
    records = [rec(1, "x = 1", writes="x"), rec(2, "x = 2", writes="x", run_id="other")]
    with pytest.raises(GatherError, match="2 runs"):
        gather(records, "x")


def test_gather_error_is_a_value_error() -> None:
    assert issubclass(GatherError, ValueError)


# ------------------------------------------------------------------------------- notes


def test_name_defined_before_recording_is_noted() -> None:
    records = [
        rec(1, "y = df.x + 1", reads="df", writes="y"),
        rec(2, "df = 5", writes="df"),
    ]
    result = gather(records, "y")
    assert seqs(result) == [1]
    assert len(result.notes) == 1
    assert "`df` was defined before recording started" in result.notes[0]
    assert "[1]" in result.notes[0]


def test_mutated_name_bound_before_recording_is_noted() -> None:
    records = [rec(1, "xs.append(1)", reads="xs", mutated="xs")]
    result = gather(records, "xs")
    assert seqs(result) == [1]
    assert any("`xs` was defined before recording started" in n for n in result.notes)


def test_read_of_a_deleted_name_is_noted_not_followed_past_the_deletion() -> None:
    records = [
        rec(1, "a = 1", writes="a"),
        rec(2, "del a", deleted="a"),
        rec(3, "b = a", reads="a", writes="b", status="error", error_type="NameError"),
    ]
    result = gather(records, "b")
    assert seqs(result) == [3]
    assert any("`a` was deleted by [2] before [3] used it" in n for n in result.notes)


def test_failed_execution_is_kept_and_noted() -> None:
    records = [
        rec(1, "xs = []", writes="xs"),
        rec(
            6,
            "xs.append(1)\n1/0",
            reads="xs",
            mutated="xs",
            status="error",
            error_type="ZeroDivisionError",
        ),
    ]
    result = gather(records, "xs")
    assert seqs(result) == [1, 6]
    assert result.steps[1].status == "error"
    assert result.steps[1].error_type == "ZeroDivisionError"
    assert any("failed execution [6]" in n and "ZeroDivisionError" in n for n in result.notes), (
        result.notes
    )


def test_dynamic_execution_is_noted() -> None:
    records = [
        rec(4, "exec('a = 1')", writes="a", notes=("exec",)),
        rec(5, "b = a", reads="a", writes="b"),
        rec(6, "globals()['c'] = 1", writes="c", notes=("globals()",)),
    ]
    result = gather(records, "b")
    assert seqs(result) == [4, 5]
    assert len(result.notes) == 1
    assert "execution [4]" in result.notes[0] and "exec" in result.notes[0]
    assert "incomplete" in result.notes[0]


def test_opaque_value_used_by_an_execution_keeps_that_execution() -> None:
    # An in-place change of a value that cannot be digested is invisible, so a cell
    # that used it may have changed it: kept, with a note.
    opaque = VariableState(name="model", type_name="Model", digest=None, opaque="too big")
    records = [
        rec(1, "model = Model()", writes="model"),
        rec(2, "model.fit(data)", reads="model", variables=(opaque,)),
        rec(3, "print(1)"),
    ]
    result = gather(records, "model")
    assert seqs(result) == [1, 2]
    assert any("`model` could not be digested" in n and "[2]" in n for n in result.notes)


def test_digested_value_only_read_is_not_kept() -> None:
    state = VariableState(name="a", type_name="int", digest="abc")
    records = [
        rec(1, "a = 1", writes="a"),
        rec(2, "print(a)", reads="a", variables=(state,)),
    ]
    assert seqs(gather(records, "a")) == [1]


def test_labels_without_execution_count_use_seq() -> None:
    records = [rec(1, "x = 1", writes="x"), rec(2, "del x", deleted="x", count=None)]
    with pytest.raises(GatherError, match="deleted by #2"):
        gather(records, "x")
    step = gather([rec(3, "y = 1", writes="y", count=None)], "y").steps[0]
    assert step.label == "#3" and step.execution_count is None


# ------------------------------------------------------------------------------ output


def sample() -> GatherResult:
    return gather(
        [
            rec(1, "import math", writes="math", cell_id="imports"),
            rec(2, "xs = [1, 2]\n", writes="xs"),
            rec(3, "print('noise')"),
            rec(4, "xs.append(3)", reads="xs", mutated="xs", cell_id=None),
            rec(5, "%time total = math.fsum(xs)", reads="math xs", writes="total"),
        ],
        "total",
    )


def test_script_shape() -> None:
    script = sample().as_script()
    assert script.startswith(
        f"# Gathered by jupyter-ext: recreates `total` as it stood at the end of run {RUN}.\n"
    )
    assert "# [1] cell imports\nimport math\n\n" in script
    assert "# [2] cell c2\nxs = [1, 2]\n\n" in script
    assert "# [4]\nxs.append(3)\n\n" in script
    assert "print('noise')" not in script
    # Magics become the calls IPython makes for them; the header says to use ipython.
    assert "get_ipython().run_line_magic('time', 'total = math.fsum(xs)')" in script
    assert "%time" not in script.split("\n# [5]")[1]
    assert "run this file with `ipython`" in script
    assert script.endswith("\n") and not script.endswith("\n\n")
    ast.parse(script)


def test_script_without_magics_runs_with_plain_python() -> None:
    result = gather([rec(1, "a = 2", writes="a"), rec(2, "b = a ** 3", reads="a", writes="b")], "b")
    script = result.as_script()
    assert "ipython" not in script
    namespace: dict[str, Any] = {}
    exec(compile(script, "<gathered>", "exec"), namespace)
    assert namespace["b"] == 8


def test_script_lists_notes_in_the_header() -> None:
    result = gather([rec(1, "y = df", reads="df", writes="y")], "y")
    header = result.as_script().split("\n\n")[0]
    assert "# Note: `df` was defined before recording started" in header


def test_script_reports_a_failed_step_and_goes_on(capsys: pytest.CaptureFixture[str]) -> None:
    records = [
        rec(1, "xs = []", writes="xs"),
        rec(
            2,
            "xs.append(1)\n1/0",
            reads="xs",
            mutated="xs",
            status="error",
            error_type="ZeroDivisionError",
        ),
        rec(3, "xs.append(2)", reads="xs", mutated="xs"),
    ]
    script = gather(records, "xs").as_script()
    assert "raised ZeroDivisionError in the original run" in script
    namespace: dict[str, Any] = {}
    exec(compile(script, "<gathered>", "exec"), namespace)
    assert namespace["xs"] == [1, 2]
    assert "ZeroDivisionError" in capsys.readouterr().err


def test_notebook_shape() -> None:
    result = sample()
    nb = result.as_notebook()
    nbformat.validate(nb)
    assert nb.metadata["jupyter_ext"] == {"gathered": "total", "from_run": RUN}
    assert nb.cells[0].cell_type == "markdown"
    assert "`total`" in nb.cells[0].source and RUN in nb.cells[0].source
    code = nb.cells[1:]
    assert [c.cell_type for c in code] == ["code"] * 4
    # Sources stay exactly as they ran (magics included), minus trailing newlines.
    assert [c.source for c in code] == [
        "import math",
        "xs = [1, 2]",
        "xs.append(3)",
        "%time total = math.fsum(xs)",
    ]
    ids = [c.id for c in nb.cells]
    assert len(set(ids)) == len(ids) and "imports" not in ids
    origin = code[0].metadata["jupyter_ext"]["gathered_from"]
    assert origin == {"seq": 1, "cell_id": "imports", "execution_count": 1, "produces": ["math"]}
    assert all(c.outputs == [] and c.execution_count is None for c in code)


def test_notebook_lists_notes_and_tags_failed_steps() -> None:
    records = [
        rec(1, "xs = []", writes="xs"),
        rec(
            2,
            "xs.append(1)\n1/0",
            reads="xs",
            mutated="xs",
            status="error",
            error_type="ZeroDivisionError",
        ),
    ]
    nb = gather(records, "xs").as_notebook()
    assert "**Caveats**" in nb.cells[0].source
    assert "failed execution [2]" in nb.cells[0].source
    assert nb.cells[2].metadata["tags"] == ["raises-exception"]
    assert "tags" not in nb.cells[1].metadata


def test_result_without_run_id_still_renders() -> None:
    step = GatherStep(seq=1, cell_id=None, execution_count=None, source="x = 1", produces=("x",))
    result = GatherResult(name="x", steps=(step,), notes=())
    assert result.as_script().startswith("# Gathered by jupyter-ext: recreates `x`.\n")
    nb = result.as_notebook()
    assert nb.metadata["jupyter_ext"] == {"gathered": "x", "from_run": None}
    assert "# #1\nx = 1\n" in result.as_script()


def test_write_gathered_picks_the_format_from_the_suffix(tmp_path: Path) -> None:
    result = sample()
    py = write_gathered(result, tmp_path / "total.py")
    assert py == tmp_path / "total.py"
    assert py.read_text(encoding="utf-8") == result.as_script()
    nb_path = write_gathered(result, str(tmp_path / "total.IPYNB"))
    assert nb_path.suffix == ".IPYNB"
    data = json.loads(nb_path.read_text(encoding="utf-8"))
    assert data["metadata"]["jupyter_ext"]["gathered"] == "total"
    nbformat.validate(nbformat.read(str(nb_path), as_version=4))


@pytest.mark.parametrize("filename", ["total.txt", "total", "total.ipynb.bak"])
def test_write_gathered_refuses_other_suffixes(tmp_path: Path, filename: str) -> None:
    with pytest.raises(GatherError, match=r"\.ipynb or \.py"):
        write_gathered(sample(), tmp_path / filename)
    assert not (tmp_path / filename).exists()


def test_results_are_immutable() -> None:
    result = sample()
    with pytest.raises(AttributeError):
        result.name = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        result.steps[0].source = ""  # type: ignore[misc]


# -- redacted sources --------------------------------------------------------------------


def _secret_records(typed: str) -> list[ExecutionRecord]:
    """A run whose first cell held a secret: the store keeps it redacted."""
    from jupyter_ext.core.ids import source_hash
    from jupyter_ext.core.source_redaction import redact_source

    first = rec(1, redact_source(typed), writes="password user")
    first = dataclasses.replace(first, source_hash=source_hash(typed))
    return [first, rec(2, "login = (user, password)", reads="user password", writes="login")]


TYPED = "user = 'analyst'\npassword = 'hunter2'"


def test_redacted_step_says_which_line_lost_its_secret() -> None:
    result = gather(_secret_records(TYPED), "login")
    step = result.steps[0]
    assert step.source == "user = 'analyst'\npassword = '<redacted>'"
    assert step.redacted_lines == (2,)
    assert result.steps[1].redacted_lines == ()
    assert any(
        "[1]: line 2 of the recorded source had a secret replaced" in n for n in result.notes
    )
    script = result.as_script()
    assert (
        "# [1] cell c1\n# jupyter-ext: line 2 below had a secret replaced by <redacted>" in script
    )
    assert "# Note: [1]: line 2" in script
    nb = result.as_notebook()
    assert nb.cells[1].metadata["jupyter_ext"]["redacted_lines"] == [2]
    assert "line 2 of the recorded source" in nb.cells[0].source


def test_live_source_replaces_the_redacted_one_when_its_hash_matches() -> None:
    records = _secret_records(TYPED)
    asked: list[int] = []

    def live(record: ExecutionRecord) -> str | None:
        asked.append(record.seq)
        return TYPED

    result = gather(records, "login", live_source=live)
    assert result.steps[0].source == TYPED
    assert result.steps[0].redacted_lines == ()
    assert not any("redacted" in n for n in result.notes)
    assert asked == [1], "only redacted steps are looked up"
    assert "hunter2" in result.as_script()


@pytest.mark.parametrize(
    "live",
    [
        lambda r: "user = 'someone'\npassword = 'hunter2'",  # another cell: hash differs
        lambda r: None,
        lambda r: 1 / 0,  # a failing lookup costs nothing but the live source
    ],
    ids=["edited", "unknown", "raises"],
)
def test_live_source_is_not_trusted_unless_it_hashes_to_the_record(live: Any) -> None:
    result = gather(_secret_records(TYPED), "login", live_source=live)
    assert result.steps[0].source.endswith("password = '<redacted>'")
    assert result.steps[0].redacted_lines == (2,)
