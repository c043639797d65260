"""Data lineage end to end: real kernels, ``jupyter-ext run``, papermill and ``show``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import nbformat
import pytest
import xxhash

from jupyter_ext.schemas import __file__ as schemas_init

from .commands import code_notebook as notebook
from .kernels import Kernel

pytestmark = pytest.mark.integration

PIPELINE = (
    "import pandas as pd, numpy as np, pathlib",
    "pd.DataFrame({'a': [1, 2, 3]}).to_csv('table.csv', index=False)",
    "df = pd.read_csv('table.csv')\nnp.save('col.npy', df['a'].to_numpy())",
    "arr = np.load('col.npy')\npathlib.Path('summary.txt').write_text(str(arr.sum()))",
)


def file_digest(path: Path) -> str:
    return str(xxhash.xxh3_128_hexdigest(b"jupyter-ext file 1\0" + path.read_bytes()))


def run(*args: str, store: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, JUPYTER_EXT_STORE=str(store))
    return subprocess.run(list(args), capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def check_pipeline_files(record: dict[str, Any], where: Path) -> None:
    schema = json.loads((Path(schemas_init).parent / "run.schema.json").read_text())
    jsonschema.validate(record, schema)
    seen = {(Path(f["path"]).name, f["mode"], f["cell_id"]) for f in record["files"]}
    assert seen == {
        ("table.csv", "write", "cell-1"),
        ("table.csv", "read", "cell-2"),
        ("col.npy", "write", "cell-2"),
        ("col.npy", "read", "cell-3"),
        ("summary.txt", "write", "cell-3"),
    }
    for entry in record["files"]:
        path = Path(entry["path"])
        assert path == (where / path.name).resolve()
        assert entry["size"] == path.stat().st_size
        assert entry["digest"] == file_digest(path)  # nothing rewrote them afterwards
    seqs = {e["cell_id"]: e["seq"] for e in record["executions"]}
    assert all(f["seq"] == seqs[f["cell_id"]] for f in record["files"])


def test_jupyter_ext_run_output_notebook_and_show_carry_the_files(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    nb = notebook(tmp_path / "pipe.ipynb", *PIPELINE)
    done = run(
        sys.executable, "-m", "jupyter_ext.cli.main", "run", str(nb), "-o", "out.ipynb",
        store=store, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    record = nbformat.read(tmp_path / "out.ipynb", as_version=4).metadata["jupyter_ext"]
    check_pipeline_files(dict(record), tmp_path)
    shown = run(
        sys.executable, "-m", "jupyter_ext.cli.main", "show", record["run_id"],
        store=store, cwd=tmp_path,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "files (5 read or written)" in shown.stdout
    table_digest = file_digest(tmp_path / "table.csv")[:12]
    assert any(
        "write" in line and table_digest in line and line.endswith("table.csv")
        for line in shown.stdout.splitlines()
    )

    def file_cmd(*args: str) -> subprocess.CompletedProcess[str]:
        return run(
            sys.executable, "-m", "jupyter_ext.cli.main", "file", *args, store=store, cwd=tmp_path
        )

    found = file_cmd("table.csv", "--json")
    assert found.returncode == 0, found.stderr
    answer = json.loads(found.stdout)
    assert answer["path"] == str((tmp_path / "table.csv").resolve())
    assert [(u["mode"], u["cell_id"], u["matches_disk"]) for u in answer["uses"]] == [
        ("read", "cell-2", True),  # newest first
        ("write", "cell-1", True),
    ]
    (tmp_path / "table.csv").write_text("a\n9\n")  # changed outside any recorded run
    text = file_cmd("table.csv").stdout
    assert "= on disk" not in text and "write" in text and record["run_id"] in text
    missing = file_cmd("never.csv")
    assert missing.returncode == 1 and "no recorded execution read or wrote it" in missing.stdout


def test_papermill_engine_output_notebook_carries_the_files(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    nb = notebook(tmp_path / "pipe.ipynb", *PIPELINE)
    done = run(
        sys.executable, "-m", "papermill", "--engine", "jupyter_ext", str(nb), "out.ipynb",
        store=store, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    record = nbformat.read(tmp_path / "out.ipynb", as_version=4).metadata["jupyter_ext"]
    check_pipeline_files(dict(record), tmp_path)


HOSTILE = """
import os, threading, pathlib
os.mkfifo('pipe')
def feed():
    with open('pipe', 'w') as w:
        w.write('fifo data')
t = threading.Thread(target=feed); t.start()
with open('pipe') as r:
    print(r.read())
t.join()
with open('gone.txt', 'w') as f:
    f.write('x')
os.remove('gone.txt')
fd = os.open('raw.bin', os.O_RDWR | os.O_CREAT)
os.write(fd, b'abc'); os.close(fd)
print(pathlib.Path('raw.bin').read_bytes())
open('does-not-exist.csv')
"""


def test_a_real_kernel_behaves_the_same_with_and_without_file_tracking(
    tmp_path: Path,
) -> None:
    visible = []
    for tracked in (False, True):
        where = tmp_path / ("on" if tracked else "off")
        where.mkdir()
        with Kernel(extension=tracked, store=tmp_path / "runs.sqlite", cwd=where) as kernel:
            first = kernel.execute(HOSTILE, cell_id="hostile")
            second = kernel.execute("print(open('raw.bin', 'rb').read())", cell_id="after")
            visible.append((first.visible(), second.visible()))
            if tracked:
                kernel.execute("import jupyter_ext.capture.extension as e\ne.flush(get_ipython())")
                report = kernel.execute("%lineage raw.bin --json", cell_id="ask")
                lineage = json.loads(report.stdout)
    assert visible[0] == visible[1]
    assert visible[1][0][3] == [("FileNotFoundError", "[Errno 2] No such file or directory: "
                                 "'does-not-exist.csv'")]  # fmt: skip
    assert [(e["cell_id"], e["mode"], e["size"]) for e in lineage["events"]] == [
        ("hostile", "update", 3),
        ("after", "read", 3),
    ]
    assert lineage["events"][1]["written_by"]["cell_id"] == "hostile"
