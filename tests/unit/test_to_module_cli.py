"""``jupyter-ext to-module`` without recording: the module, the pairing, the reports,
``--strict`` and bad input. (Recording and the generated tests: tests/integration.)"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_ext.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "to_module"


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("definitions.ipynb", "magics.ipynb"):
        shutil.copy(DATA / name, tmp_path / name)
    shutil.copy(ROOT / "examples" / "messy_analysis.ipynb", tmp_path / "messy_analysis.ipynb")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_module_imports_without_side_effects_and_runs(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["to-module", "definitions.ipynb", "-o", "pkg/defs.py", "--no-record"]) == 0
    out = capsys.readouterr().out
    assert "wrote pkg/defs.py: 2 imports and 4 definitions at module level" in out
    assert not (work / "pkg" / "test_defs.py").exists()  # --no-record: module only
    before = sorted(p.name for p in (work / "pkg").iterdir())
    probe = (
        "import defs, json; print(json.dumps({'run': callable(defs.run), "
        "'first': defs.run(), 'second': defs.run(n=3, label='x')}, default=repr))"
    )
    done = subprocess.run(
        [sys.executable, "-c", "import defs"], cwd=work / "pkg", capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert sorted(p.name for p in (work / "pkg").iterdir() if p.name != "__pycache__") == [
        n for n in before if n != "__pycache__"
    ]
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=work / "pkg", capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    shown, _, last = done.stdout.rstrip("\n").rpartition("\n")
    # display(mean) prints outside a notebook: the mean area, pi * 2.5**2 * mean(i**2)
    printed = [float(line) for line in shown.splitlines()]
    assert printed == pytest.approx([math.pi * 6.25 * 6, math.pi * 6.25 * 5 / 3])
    result = json.loads(last)
    assert result["run"] is True
    first, second = result["first"], result["second"]
    # each call has its own state: the mutable literal is not shared between calls
    assert first["buckets"] == [0, 1, 0, 1, 0]
    assert second["buckets"] == [0, 1, 0]
    assert first["counter"] == 1 and first["status"] == "positive" and first["i"] == 4
    # the multi-line string keeps its value inside run()
    assert first["query"] == "\nSELECT *\nFROM run\n"
    assert second["query"] == "\nSELECT *\nFROM x\n"
    assert set(first) == {"buckets", "values", "total", "query", "counter", "mean", "i", "status"}


def test_pairs_the_notebook_as_py_percent(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["to-module", "definitions.ipynb", "-o", "defs.py", "--no-record"]) == 0
    paired = work / "definitions.py"
    assert paired.read_text().count("# %%") >= 7
    metadata = json.loads((work / "definitions.ipynb").read_text())["metadata"]
    assert metadata["jupytext"]["formats"] == "ipynb,py:percent"
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == [
        "changed definitions.ipynb: jupytext formats (none) -> ipynb,py:percent "
        "(metadata only; cells and outputs as they were)",
        "wrote definitions.py: the notebook as a py:percent script, paired with it",
    ]
    assert out[2].startswith("wrote defs.py: ")


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.name != "__pycache__"}


def test_a_notebook_paired_with_markdown_gains_the_script_and_nothing_else(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Shaped like the Python Data Science Handbook's chapters: nbformat 4.4, no cell ids,
    paired `ipynb,md` with no .md file beside it. The .md is not created, the notebook
    changes in its jupytext metadata only, and the report names every file."""
    shutil.copy(ROOT / "tests" / "data" / "nbformat44" / "arrays.ipynb", work)
    nb_path = work / "arrays.ipynb"
    before, files = json.loads(nb_path.read_text()), _files(work)
    assert main(["to-module", "arrays.ipynb", "-o", "arrays_mod.py", "--no-record"]) == 0
    assert _files(work) == files | {"arrays.py", "arrays_mod.py"}
    after = json.loads(nb_path.read_text())
    assert after["metadata"].pop("jupytext") == {"formats": "ipynb,md,py:percent"}
    before["metadata"].pop("jupytext")
    assert after == before  # still 4.4, still no ids, outputs kept
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == [
        "changed arrays.ipynb: jupytext formats ipynb,md -> ipynb,md,py:percent "
        "(metadata only; cells and outputs as they were)",
        "wrote arrays.py: the notebook as a py:percent script, paired with it",
        "did not create arrays.md: the pairing names it, it does not exist",
    ]
    # an existing Markdown twin, with an edit the notebook lacks, is left alone
    (work / "arrays.md").write_text("# edited by hand\n")
    (work / "arrays.py").unlink()
    before["metadata"]["jupytext"] = {"formats": "ipynb,md"}
    nb_path.write_text(json.dumps(before))
    assert main(["to-module", "arrays.ipynb", "-o", "arrays_mod.py", "--no-record"]) == 0
    assert (work / "arrays.md").read_text() == "# edited by hand\n"
    assert json.loads(nb_path.read_text())["cells"] == before["cells"]
    out = capsys.readouterr().out
    assert "left arrays.md as it is: also paired with the notebook" in out
    assert "`jupytext --sync arrays.ipynb` updates it" in out


def test_a_script_already_paired_is_left_as_it_is(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["to-module", "definitions.ipynb", "-o", "defs.py", "--no-record"]) == 0
    script, nb_path = work / "definitions.py", work / "definitions.ipynb"
    script.write_text(script.read_text() + "\n# a reviewer's note\n")
    before = (script.read_bytes(), nb_path.read_bytes())
    capsys.readouterr()
    assert main(["to-module", "definitions.ipynb", "-o", "defs.py", "--no-record"]) == 0
    assert (script.read_bytes(), nb_path.read_bytes()) == before
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "left definitions.py as it is: the notebook's paired script already "
        "(`jupytext --sync definitions.ipynb` updates it)"
    )
    assert not any(line.startswith("changed") for line in out)


def test_a_script_the_notebook_is_not_paired_with_is_not_overwritten(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (work / "definitions.py").write_text("# someone's own module\n")
    before = (work / "definitions.ipynb").read_bytes()
    assert main(["to-module", "definitions.ipynb", "-o", "defs.py", "--no-record"]) == 2
    err = capsys.readouterr().err
    assert "definitions.py exists and definitions.ipynb is not paired with it" in err
    assert err.count("\n") == 1
    assert (work / "definitions.py").read_text() == "# someone's own module\n"
    assert (work / "definitions.ipynb").read_bytes() == before
    assert not (work / "defs.py").exists()


def test_no_pair_leaves_the_notebook_alone(work: Path) -> None:
    before = (work / "definitions.ipynb").read_bytes()
    assert (
        main(["to-module", "definitions.ipynb", "-o", "defs.py", "--no-record", "--no-pair"]) == 0
    )
    assert (work / "definitions.ipynb").read_bytes() == before
    assert not (work / "definitions.py").exists()


def test_shell_escapes_and_run_are_reported_and_strict_fails(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["to-module", "magics.ipynb", "-o", "mags.py", "--no-record"]) == 0
    out = capsys.readouterr().out
    assert "magics.ipynb: cell 3: left out: `!pip install requests`: shell command" in out
    assert "magics.ipynb: cell 4: left out: `%run helpers.py`: runs another file" in out
    assert "magics.ipynb: cell 5: left out: `%%bash`" in out
    module = (work / "mags.py").read_text()
    assert "# jupyter-ext: left out '!pip install requests'" in module
    code = main(["to-module", "magics.ipynb", "-o", "mags.py", "--no-record", "--strict"])
    assert code == 1
    assert "(--strict)" in capsys.readouterr().err


def test_out_of_order_notebook_is_reported(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["to-module", "messy_analysis.ipynb", "-o", "messy.py", "--no-record", "--strict"])
    out = capsys.readouterr().out
    assert code == 1
    assert (
        "messy_analysis.ipynb: cell 5: out of order: the saved run read `threshold` from a "
        "cell below this one" in out
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.ipynb", "-o", "m.py"], "missing.ipynb: no such notebook"),
        (["definitions.ipynb", "-o", "m.txt"], "m.txt: the module must be a .py file"),
        (["definitions.ipynb", "-o", "my-mod.py"], "my-mod.py: the module must be a .py file"),
        (["definitions.ipynb", "-o", "definitions.py"], "that is where jupytext pairs"),
        (["definitions.ipynb", "-o", "m.py", "--runs", "0"], "--runs must be at least 1"),
        (["entry.ipynb", "-o", "m.py"], "entry.ipynb: the notebook binds `run`"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    work: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    nb = new_notebook(cells=[new_code_cell("def run():\n    return 1")])
    nbformat.write(nb, work / "entry.ipynb")
    assert main(["to-module", *args, "--no-record"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


def test_help_is_fast_and_names_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "jupyter_ext.cli.main", "to-module", "--help"],
        capture_output=True, text=True, timeout=60, env=dict(os.environ),
    )  # fmt: skip
    assert done.returncode == 0
    assert "--strict" in done.stdout and "--testbook" in done.stdout


def test_odd_but_readable_notebooks_convert_without_noise(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cell = {"cell_type": "code", "metadata": {"tags": "parameters"}, "outputs": []}
    doc = {
        "cells": [
            {**cell, "source": ["x = 1\n", "y = x + 1"], "execution_count": None},
            {**cell, "source": "%%time\n" + "(" * 200, "execution_count": 2},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,  # ids missing although 4.5 requires them
    }
    (work / "odd.ipynb").write_text(json.dumps(doc))
    # jupytext will not write an invalid notebook: one line, exit 2
    assert main(["to-module", "odd.ipynb", "-o", "odd_mod.py", "--no-record"]) == 2
    assert capsys.readouterr().err == (
        "jupyter-ext: odd.ipynb: jupytext could not pair it ('parameters' is not of type 'array')\n"
    )
    assert main(["to-module", "odd.ipynb", "-o", "odd_mod.py", "--no-record", "--no-pair"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "cell 2: unparsed: `(((" in captured.out
    compile((work / "odd_mod.py").read_text(), "odd_mod.py", "exec")


def test_p_text_reaches_a_str_parameter_as_typed(
    work: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from jupyter_ext.convert import export

    seen: list[dict[str, object]] = []

    def record(notebook: Path, nb: object, options: export.Options) -> tuple[list[object], str]:
        seen.append(dict(options.parameters))
        return [], "not run here"

    monkeypatch.setattr(export, "_record", record)
    args = ["definitions.ipynb", "-o", "defs.py", "--no-pair", "-p", "label", "3.10"]
    assert main(["to-module", *args, "-p", "n", "4"]) == 1
    # `label = "run"` declares a str: papermill's -p typing would have made it 3.1
    assert seen == [{"label": "3.10", "n": 4}]
    assert "no test written: not run here" in capsys.readouterr().err


def test_testbook_injects_after_the_code_cell_run_takes_parameters_from(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jupyter_ext.convert import export

    nb = nbformat.read(work / "definitions.ipynb", as_version=4)
    nb.cells[0].metadata["tags"] = ["parameters"]  # a markdown cell: papermill's tag, misused
    nbformat.write(nb, work / "definitions.ipynb")
    record = {"run_id": "r1", "executions": []}
    monkeypatch.setattr(export, "_record", lambda *_: ([record], None))
    args = ["definitions.ipynb", "-o", "defs.py", "--no-pair", "--testbook", "-p", "n", "4"]
    assert main(["to-module", *args]) == 0
    test = (work / "test_defs.py").read_text()
    assert "tb.inject(code, after=2, run=False)" in test
    assert "def run(\n    *,\n    n: int = 5," in (work / "defs.py").read_text()


def test_module_is_made_from_the_notebook_s_own_sources_secrets_included(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store keeps sources redacted; the module comes from the notebook file, so a
    literal the notebook needs is there as written, never as ``<redacted>``."""
    monkeypatch.chdir(tmp_path)
    nb = new_notebook(
        cells=[
            new_code_cell("API_KEY = 'abc123'\nDB = 'postgresql://u:pw1@h/db'"),
            new_code_cell("def headers():\n    return {'Authorization': 'Bearer ' + API_KEY}"),
        ]
    )
    nbformat.write(nb, tmp_path / "client.ipynb")
    assert main(["to-module", "client.ipynb", "-o", "client_mod.py", "--no-record"]) == 0
    text = (tmp_path / "client_mod.py").read_text()
    assert "API_KEY = 'abc123'" in text or 'API_KEY = "abc123"' in text
    assert "u:pw1@h" in text and "<redacted>" not in text
