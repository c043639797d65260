"""The pure parts of ``to-module``: IPython syntax, statement splitting, indentation
inside ``run()``, and which recorded digests a generated test may compare."""

from __future__ import annotations

import ast

import pytest

from jupyter_ext.convert.expected import expected_digests
from jupyter_ext.convert.render_module import indent
from jupyter_ext.convert.units import CellInput, split_cell


def split(source: str) -> tuple[list[str], list[tuple[str, str]]]:
    units, reports = split_cell(CellInput(0, "c0", source))
    return [u.text for u in units], [(r.kind, r.code) for r in reports]


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("%matplotlib inline", "dropped"),
        ("%config InlineBackend.figure_format = 'svg'", "dropped"),
        ("%%html\n<b>hi</b>", "dropped"),
        ("%timeit sum(range(10))", "dropped"),
        ("!pip install pandas", "left_out"),
        ("files = !ls", "left_out"),
        ("home = %env HOME", "left_out"),
        ("%env DEBUG=1", "left_out"),
        ("%pip install pandas", "left_out"),
        ("%store x", "left_out"),
        ("%%writefile out.txt\nhello", "left_out"),
        ("%%capture out\nx = 1", "left_out"),
        ("%%sh\nls", "left_out"),
        ("%some_unknown_magic arg", "left_out"),
        ("def f():\n    !ls\n    return 1", "left_out"),
        ("data = await fetch()", "left_out"),
        ("async with session() as s:\n    pass", "left_out"),
    ],
)
def test_ipython_syntax_is_dropped_or_left_out_with_a_report(source: str, kind: str) -> None:
    texts, reports = split(source)
    assert [r[0] for r in reports] == [kind]
    assert len(texts) == 1 and texts[0].startswith("# jupyter-ext: ")
    assert kind.replace("_", " ") in texts[0]


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("%time x = f(1)", ["x = f(1)"]),
        ("%%time\nx = 1\ny = x + 1", ["x = 1", "y = x + 1"]),
        ("%%capture\nx = 1", ["x = 1"]),
        ("%%time\n%time z = 2", ["z = 2"]),
    ],
)
def test_magics_that_run_python_become_that_python(source: str, code: list[str]) -> None:
    texts, reports = split(source)
    assert (texts, reports) == (code, [])


def test_statements_keep_their_comments_decorators_and_shared_lines() -> None:
    texts, _ = split(
        "# load\nimport os\n\n@dec\ndef f():  # why\n    return 1\na = 1; b = 2\n# end"
    )
    assert texts == [
        "# load\nimport os",
        "\n@dec\ndef f():  # why\n    return 1",
        "a = 1; b = 2\n# end",
    ]


def test_async_functions_are_kept() -> None:
    texts, reports = split("async def fetch():\n    return await other()")
    assert (texts, reports) == (["async def fetch():\n    return await other()"], [])


def test_unparseable_cells_are_reported() -> None:
    texts, reports = split("def broken(:\n    pass")
    assert reports == [("unparsed", "def broken(:")]
    assert texts[0].startswith("# jupyter-ext: left out 'def broken(:'")


def test_indent_leaves_multiline_strings_unchanged() -> None:
    code = 'q = """\nSELECT 1\n"""\nf = f"""\n{q}\n  x"""\nif q:\n    r = 1'
    indented = indent(code)
    assert indented.splitlines() == [
        '    q = """',
        "SELECT 1",
        '"""',
        '    f = f"""',
        "{q}",
        '  x"""',
        "    if q:",
        "        r = 1",
    ]
    wrapped = "def run():\n" + indented + "\n    return q, f"
    namespace: dict[str, object] = {}
    exec(compile(ast.parse(wrapped), "<test>", "exec"), namespace)
    assert namespace["run"]() == ("\nSELECT 1\n", "\n\nSELECT 1\n\n  x")  # type: ignore[operator]


def record(run_id: str, *executions: list[dict[str, object]]) -> dict[str, object]:
    return {
        "run_id": run_id,
        "executions": [{"seq": i, "variables": v} for i, v in enumerate(executions, 1)],
    }


def test_expected_digests_take_the_final_value_and_explain_exclusions() -> None:
    first = record(
        "r1",
        [{"name": "a", "type": "int", "digest": "d1"}, {"name": "f", "type": "_io.TextIOWrapper",
          "digest": None, "opaque": "open file"}],
        [{"name": "a", "type": "int", "digest": "d2"}, {"name": "p", "type": "__main__.Point",
          "digest": "dp"}, {"name": "noise", "type": "float", "digest": "n1"}],
    )  # fmt: skip
    second = record(
        "r2",
        [{"name": "a", "type": "int", "digest": "d2"}, {"name": "noise", "type": "float",
          "digest": "n2"}],
    )  # fmt: skip
    found = expected_digests(["a", "f", "p", "noise", "never"], [first, second])
    assert found.run_id == "r1"
    assert found.digests == {"a": "d2"}  # the last execution's digest
    assert found.excluded["f"] == "opaque (open file)"
    assert found.excluded["p"].startswith("instance of Point, a class the notebook defines")
    assert found.excluded["noise"].startswith("differs between two runs of the notebook")
    assert found.excluded["never"] == "no digest recorded in the notebook run"
    # one run: nothing can be ruled out as differing
    assert expected_digests(["noise"], [first]).digests == {"noise": "n1"}


def test_code_the_analysis_cannot_see_through_is_reported() -> None:
    from jupyter_ext.convert.plan import plan_module

    plan = plan_module([CellInput(0, "c0", 'exec("x = 1")\ny = 2')])
    assert [(r.kind, r.code) for r in plan.reports] == [("dynamic", 'exec("x = 1")')]
    assert plan.reports[0].blocking


def test_papermill_injected_parameters_do_not_override_run_arguments() -> None:
    from jupyter_ext.convert.plan import plan_module

    cells = [
        CellInput(0, "p", "months = 6", ("parameters",)),
        CellInput(1, "i", "# Parameters\nmonths = 12\n", ("injected-parameters",)),
        CellInput(2, "c", "total = months * 2"),
    ]
    plan = plan_module(cells)
    assert [(p.name, p.default) for p in plan.parameters] == [("months", "6")]
    assert "months" not in {n for u in plan.body for n in u.binds}
    assert [(r.cell, r.kind) for r in plan.reports] == [(1, "dropped")]


def test_a_parameter_default_that_reads_names_stays_in_run() -> None:
    from jupyter_ext.convert.plan import plan_module

    cells = [CellInput(0, "p", "start = 3\nend = start + len('ab')", ("parameters",))]
    plan = plan_module(cells)
    assert [p.name for p in plan.parameters] == ["start"]
    assert [u.text for u in plan.body] == ["end = start + len('ab')"]
    assert [(r.kind, r.code) for r in plan.reports] == [("kept_in_run", "end = start + len('ab')")]
    assert "reads `start`" in plan.reports[0].reason


def test_top_level_return_is_reported_not_run() -> None:
    texts, reports = split("x = 1\nreturn x")
    assert reports == [("unparsed", "x = 1")]
    assert "'return' outside function" in texts[0]


def test_future_imports_come_first_and_the_module_compiles() -> None:
    from jupyter_ext.convert.plan import plan_module
    from jupyter_ext.convert.render_module import render_module

    cells = [
        CellInput(0, "a", "import os"),
        CellInput(
            1, "b", "from __future__ import annotations\n\ndef f(x: Later) -> int:\n    return 1"
        ),
    ]
    module = render_module(plan_module(cells), "nb.ipynb")
    tree = ast.parse(module)
    assert isinstance(tree.body[1], ast.ImportFrom) and tree.body[1].module == "__future__"
    compile(module, "nb.py", "exec")
