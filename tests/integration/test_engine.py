"""The papermill engine and ``jupyter-ext run`` on real kernels.

papermill is driven both ways a user drives it: its own CLI with ``--engine
jupyter_ext`` and its Python API; ``jupyter-ext run`` as a subprocess.
"""

from __future__ import annotations

import os
import subprocess
from functools import partial
from pathlib import Path
from typing import Any

import nbformat
import pytest

from .commands import code_notebook
from .commands import jupyter_ext as cli

pytestmark = pytest.mark.integration


write_notebook = partial(code_notebook, parameters=True)


def run(*args: str, store: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, JUPYTER_EXT_STORE=str(store))
    return subprocess.run(list(args), capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def record_of(path: Path) -> dict[str, Any]:
    record = nbformat.read(path, as_version=4).metadata["jupyter_ext"]
    assert record["schema"] == "jupyter_ext.run/1"
    return dict(record)


def injected_id(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    return str(cells[0]["id"])


def test_papermill_cli_with_our_engine_records_cell_ids(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    nb = write_notebook(tmp_path / "in.ipynb", "x = 1", "y = x * 2", "print(y)", language=True)
    out = tmp_path / "out.ipynb"
    done = run(
        "papermill", "--engine", "jupyter_ext", str(nb), str(out), "-p", "x", "3",
        store=store, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "without encryption" not in done.stderr
    record = record_of(out)
    ids = [e["cell_id"] for e in record["executions"]]
    assert ids == ["cell-0", injected_id(out), "cell-1", "cell-2"]
    assert record["parameters"] == {"x": 3}
    assert record["executions"][2]["reads"] == ["x"]
    assert "source" not in record["executions"][0]
    assert nbformat.read(out, as_version=4).cells[3].outputs[0]["text"] == "6\n"


def test_papermill_api_with_store_kwarg(tmp_path: Path) -> None:
    import papermill

    from jupyter_ext.store.sqlite import RunStore

    store = tmp_path / "api.sqlite"
    nb = write_notebook(tmp_path / "in.ipynb", "n = 1", "total = n + 1", language=True)
    executed = papermill.execute_notebook(
        str(nb), None, parameters={"n": 41}, engine_name="jupyter_ext", store=store,
        progress_bar=False, cwd=str(tmp_path),
    )  # fmt: skip
    record = executed.metadata["jupyter_ext"]
    with RunStore(store) as runs:
        stored = runs.run_record(record["run_id"])
    assert stored["parameters"] == {"n": 41}
    assert [e["cell_id"] for e in stored["executions"]][2] == "cell-1"
    assert record["executions"] == stored["executions"]


def test_run_with_parameters_from_cli_and_file(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    nb = write_notebook(
        tmp_path / "nb.ipynb", "a = 0.0\nb = 'x'\nday = None", "print(repr(a), repr(b), repr(day))"
    )
    params = tmp_path / "params.yaml"
    params.write_text("a: 1\nb: from-file\nday: 2024-05-01\n")
    out = tmp_path / "out.ipynb"
    done = cli("run", str(nb), "-f", str(params), "-p", "a", "2.5", "-o", str(out),
               store=store, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    record = record_of(out)
    assert record["parameters"] == {"a": 2.5, "b": "from-file", "day": "2024-05-01"}
    printed = nbformat.read(out, as_version=4).cells[2].outputs[0]["text"]
    assert printed == "2.5 'from-file' '2024-05-01'\n"
    assert record["run_id"] in done.stdout  # the summary table
    assert "without encryption" not in done.stderr + done.stdout


def test_failing_notebook_exits_1_with_output_and_complete_record(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    nb = write_notebook(tmp_path / "nb.ipynb", "n = 1", "m = n + 1", "1 / 0", "never = 1")
    out = tmp_path / "out.ipynb"
    done = cli("run", str(nb), "-o", str(out), store=store, cwd=tmp_path)
    assert done.returncode == 1
    assert 'Exception encountered at "In [3]"' in done.stderr  # papermill's report
    assert "ZeroDivisionError" in done.stderr.splitlines()[-1]
    record = record_of(out)
    statuses = [(e["cell_id"], e["status"]) for e in record["executions"]]
    assert statuses == [("cell-0", "ok"), ("cell-1", "ok"), ("cell-2", "error")]
    assert record["executions"][2]["error_type"] == "ZeroDivisionError"
    executed = nbformat.read(out, as_version=4)
    assert any("papermill-error-cell-tag" in c.metadata.get("tags", []) for c in executed.cells)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "missing.ipynb"], "no such notebook"),
        (["run", "nb.ipynb", "-f", "bad.yaml"], "not valid YAML"),
        (["run", "nb.ipynb", "-p", "1x", "2"], "not a Python identifier"),
        (["run", "nb.ipynb", "--kernel", "no-such-kernel"], "no such kernel"),
        (["run", "nb.ipynb", "--order", "recorded", "-p", "a", "1"], "--order document"),
        (["run", "nb.ipynb", "-p", "a", "yes"], "parameter 'a' expects an int"),
        (["run", "nb.ipynb", "-p", "b", "1"], "unknown parameter 'b'"),
    ],
)
def test_input_errors_exit_2_with_one_line(tmp_path: Path, args: list[str], words: str) -> None:
    write_notebook(tmp_path / "nb.ipynb", "a = 1")
    (tmp_path / "bad.yaml").write_text("a: [1\n")
    done = cli(*args, store=tmp_path / "runs.sqlite", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert words in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_injected_cell_gets_a_fresh_id_each_run(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    nb = write_notebook(tmp_path / "nb.ipynb", "k = 0", "k2 = k * k")
    ids = []
    for name in ("one.ipynb", "two.ipynb"):
        done = cli("run", str(nb), "-p", "k", "4", "-o", str(tmp_path / name),
                   store=store, cwd=tmp_path)  # fmt: skip
        assert done.returncode == 0, done.stderr
        ids.append(injected_id(tmp_path / name))
        assert record_of(tmp_path / name)["executions"][1]["cell_id"] == ids[-1]
    assert ids[0] != ids[1]
