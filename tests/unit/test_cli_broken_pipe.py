"""Output cut short by its reader (``jupyter-ext runs | head -5``) ends quietly: no
``BrokenPipeError`` traceback, exit code 0, as ruff and ripgrep do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_ext.store.sqlite import RunStore

ROOT = Path(__file__).resolve().parents[2]
MESSY = ROOT / "examples" / "messy_analysis.ipynb"
COMMAND = [sys.executable, "-m", "jupyter_ext.cli.main"]


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["runs"],
        ["runs", "--json"],
        ["check", str(MESSY)],
        ["check", str(MESSY), "--format", "json"],
        ["check", "--help"],
    ],
)
def test_a_reader_gone_before_the_first_byte(args: list[str], tmp_path: Path) -> None:
    """``| head`` that has already exited: the command's first write meets a closed pipe."""
    store = tmp_path / "runs.sqlite"
    RunStore(store).close()
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone: every write is a broken pipe
    try:
        done = subprocess.run(
            [*COMMAND, *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ, JUPYTER_EXT_STORE=str(store)),
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (0, "")
