"""``gather`` end to end: the gathered code recreates the value in a fresh kernel.

A messy notebook run happens in a real tracked kernel: cells re-run after edits, out of order,
irrelevant cells, a list changed in place, helper functions reading a global that is
changed again after use, an IPython magic and a shell command.  The slice of ``result``
is gathered from the stored records and replayed in fresh kernels (as one script, cell
by cell, as a notebook through nbclient, and as a file under ``ipython``); the digest of
``result`` must equal the original's every time.  A negative control drops one in-place
change from the slice and shows the digest then differs, so the comparison can fail.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import nbclient
import nbformat
import pytest
from nbformat.v4 import new_code_cell

from jupyter_ext.analysis.gather import GatherResult, gather, write_gathered
from jupyter_ext.core.records import ExecutionRecord
from jupyter_ext.store.sqlite import RunStore

from .kernels import Kernel

pytestmark = pytest.mark.integration

HAVE_NUMPY = importlib.util.find_spec("numpy") is not None

DIGEST = "print(__import__('jupyter_ext.capture.hashing', fromlist=['digest']).digest({}).value)"
FLUSH = "__import__('jupyter_ext.capture.extension', fromlist=['flush']).flush(get_ipython())"

# (cell id, source), in the order they are executed: the ids show re-runs and the
# document position the cell would have (c1 at the top, c12 at the bottom).
EXECUTIONS: list[tuple[str, str]] = [
    ("c1", "data = [0]"),  # 1: overwritten by the edited re-run below
    ("c5", "offset = 10"),  # 2: used by shift() when result is computed
    ("c2", "junk = list(range(5))\nprint(junk)"),  # 3: irrelevant
    ("c1", "data = [3, 1, 4, 1, 5]"),  # 4: c1 edited and re-run
    ("c3", "import numpy as np" if HAVE_NUMPY else "import math"),  # 5
    ("c4", "def shift(v):\n    return v + offset"),  # 6: reads a global when called
    ("c6", "def scaled(values, factor):\n    return [shift(v * factor) for v in values]"),
    ("c7", "data.append(9)"),  # 8: in-place change after the binding
    ("c8", "print(len(data), offset)"),  # 9: only reads
    (
        "c9",
        "%time arr = np.asarray(scaled(data, 2))"  # 10: a magic, calls both helpers
        if HAVE_NUMPY
        else "%time arr = [float(x) for x in scaled(data, 2)]",
    ),
    ("c13", "words = !echo alpha beta"),  # 11: a shell command binding a name
    (
        "c10",
        "result = {'total': float(arr.sum()), 'items': sorted(data), 'n': len(arr),"
        " 'words': words[0].split()}"
        if HAVE_NUMPY
        else "result = {'total': math.fsum(arr), 'items': sorted(data), 'n': len(arr),"
        " 'words': words[0].split()}",
    ),  # 12
    ("c11", "result['tag'] = 'v' + str(offset)"),  # 13: mutates result, reads offset
    ("c5", "offset = 1000"),  # 14: c5 re-run after result was computed
    ("c7", "data.clear()"),  # 15: changes data after result no longer depends on it
    ("c12", "summary = str(result)"),  # 16: only reads result
    ("c2", "junk.append(1)"),  # 17: irrelevant
]
EXPECTED_SEQS = [2, 4, 5, 6, 7, 8, 10, 11, 12, 13]
MUTATION_SEQ = 8


@dataclasses.dataclass
class Original:
    records: list[ExecutionRecord]
    result: GatherResult
    digest: str
    root: Path


def run_id_of(kernel: Kernel) -> str:
    status = kernel.execute("%track --json")
    run_id: str = json.loads(status.stdout)["run_id"]
    return run_id


def records_of(kernel: Kernel, store: Path) -> list[ExecutionRecord]:
    run_id = run_id_of(kernel)
    flushed = kernel.execute(FLUSH)
    assert flushed.ok and flushed.results[0]["text/plain"] == "True", flushed
    with RunStore(store, create=False) as runs:
        return runs.executions(run_id)


def digest_in(kernel: Kernel, name: str = "result") -> str:
    out = kernel.execute(DIGEST.format(name))
    assert out.ok, out.errors
    value = out.stdout.strip()
    assert len(value) >= 16, out.stdout
    return value


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Original]:
    root = tmp_path_factory.mktemp("gather")
    store = root / "original.sqlite"
    with Kernel(extension=True, store=store, cwd=root) as kernel:
        for cell_id, source in EXECUTIONS:
            out = kernel.execute(source, cell_id=cell_id)
            assert out.ok, (source, out.errors)
        value = digest_in(kernel)
        records = records_of(kernel, store)
    yield Original(records=records, result=gather(records, "result"), digest=value, root=root)


def fresh_kernel(root: Path, label: str) -> Kernel:
    return Kernel(extension=True, store=root / f"{label}.sqlite", cwd=root)


def test_executions_were_recorded_as_sent(original: Original) -> None:
    sources = [r.source for r in original.records[: len(EXECUTIONS)]]
    assert sources == [source for _, source in EXECUTIONS]


def test_slice_holds_exactly_what_result_depends_on(original: Original) -> None:
    steps = original.result.steps
    assert [s.seq for s in steps] == EXPECTED_SEQS
    by_seq = {s.seq: s for s in steps}
    assert by_seq[2].source == "offset = 10"  # not the later offset = 1000
    assert by_seq[4].source == "data = [3, 1, 4, 1, 5]"  # not the overwritten [0]
    assert by_seq[MUTATION_SEQ].produces == ("data",)
    assert by_seq[13].produces == ("result",)
    # The recorder flags the body of %time as not fully analysable; nothing else.
    assert len(original.result.notes) == 1, original.result.notes
    assert "[10]" in original.result.notes[0] and "%time" in original.result.notes[0]
    assert original.result.run_id == original.records[0].run_id


def test_gathered_script_recreates_result_in_a_fresh_kernel(original: Original) -> None:
    path = write_gathered(original.result, original.root / "result.py")
    script = path.read_text(encoding="utf-8")
    assert "get_ipython().run_line_magic('time'" in script
    assert "get_ipython().getoutput('echo alpha beta')" in script
    with fresh_kernel(original.root, "script") as kernel:
        out = kernel.execute(script, cell_id="gathered")
        assert out.ok, out.errors
        assert digest_in(kernel) == original.digest


def test_gathered_steps_replayed_cell_by_cell_recreate_result_and_gather_to_themselves(
    original: Original,
) -> None:
    store = original.root / "cells.sqlite"
    with Kernel(extension=True, store=store, cwd=original.root) as kernel:
        for i, step in enumerate(original.result.steps):
            out = kernel.execute(step.source, cell_id=f"g{i}")
            assert out.ok, (step.source, out.errors)
        assert digest_in(kernel) == original.digest
        again = gather(records_of(kernel, store), "result")
    # The slice of a replayed slice is the whole replay.
    assert [s.source for s in again.steps] == [s.source for s in original.result.steps]
    assert [s.seq for s in again.steps] == list(range(1, len(original.result.steps) + 1))


def test_negative_control_missing_mutation_changes_the_digest(original: Original) -> None:
    steps = tuple(s for s in original.result.steps if s.seq != MUTATION_SEQ)
    assert len(steps) == len(original.result.steps) - 1
    broken = dataclasses.replace(original.result, steps=steps)
    with fresh_kernel(original.root, "broken") as kernel:
        out = kernel.execute(broken.as_script(), cell_id="gathered")
        assert out.ok, out.errors
        assert digest_in(kernel) != original.digest


def test_gathered_notebook_runs_with_nbclient(original: Original) -> None:
    path = write_gathered(original.result, original.root / "result.ipynb")
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["jupyter_ext"]["gathered"] == "result"
    assert nb.cells[0].cell_type == "markdown"
    assert len(nb.cells) == 1 + len(EXPECTED_SEQS)
    nb.cells.append(new_code_cell(DIGEST.format("result")))
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(original.root)}},
    )
    client.execute()
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert errors == []
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs).strip()
    assert printed == original.digest


def test_gathered_script_runs_under_ipython(original: Original, tmp_path: Path) -> None:
    script = original.result.as_script() + "\n" + DIGEST.format("result") + "\n"
    path = tmp_path / "result_check.py"
    path.write_text(script, encoding="utf-8")
    env = dict(os.environ, IPYTHONDIR=str(tmp_path / "ipython"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "IPython",
            "--quick",
            "--no-banner",
            "--HistoryManager.hist_file=:memory:",
            str(path),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == original.digest
