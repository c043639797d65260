"""SIGKILL at random points, a hundred times: the store survives and keeps what it promised.

Each round starts a real IPython shell with the extension loaded in a fresh process,
runs cells as fast as it can (each writes a list and a new name, so every cell is a
store write), and is killed with SIGKILL after a random delay: during start-up, while
the store is being created or migrated, in the middle of a cell, in the middle of a
commit. All rounds share one store file, so every round also opens a store that the
previous kill left behind. After each kill the store must open, pass
``PRAGMA integrity_check``, and hold:

- every execution the shell reported durable (``flush`` returned True) before the kill;
- every execution that had completed at least ``GRACE_SECONDS`` before the kill (records
  are written off the cell's path within milliseconds; the grace only absorbs a loaded
  machine);
- a gap-free prefix ``1..k`` of the run's executions, each with the cell id and source
  of its cell: nothing half-written, nothing out of order.

``JX_RELIABILITY_KILLS`` sets the number of rounds (100 by default).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from jupyter_ext.store.sqlite import RunStore

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(1200)]

ROUNDS = int(os.environ.get("JX_RELIABILITY_KILLS", "100"))
GRACE_SECONDS = 2.0
ROOT = Path(__file__).resolve().parents[2]

SHELL = textwrap.dedent(
    """
    import sys
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    shell.run_line_magic("load_ext", "jupyter_ext")
    from jupyter_ext.capture import extension

    print("run", extension.recorder_of(shell).run.run_id, flush=True)
    i = 0
    while True:
        i += 1
        shell.run_cell(
            f"v{i % 20} = list(range({i % 500} * 10))\\nlast = len(v{i % 20}) + {i}",
            store_history=True,
            cell_id=f"cell-{i}",
        )
        print("done", i, flush=True)
        if i % 9 == 0 and extension.flush(shell, 30):
            print("durable", i, flush=True)
    """
)


def read_lines(stream: IO[str], into: list[tuple[float, str]]) -> None:
    for line in stream:
        into.append((time.monotonic(), line.strip()))


def kill_once(store: Path, rng: random.Random) -> tuple[str | None, int, int, float]:
    """One round: (run id, last durable seq, last seq completed before the grace, delay)."""
    env = dict(os.environ, JUPYTER_EXT_STORE=str(store))
    env.pop("JUPYTER_EXT_DISABLE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    child = subprocess.Popen(
        [sys.executable, "-c", SHELL],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[tuple[float, str]] = []
    assert child.stdout is not None and child.stderr is not None
    reader = threading.Thread(target=read_lines, args=(child.stdout, lines), daemon=True)
    reader.start()
    started = time.monotonic()
    if rng.random() < 0.2:
        # During start-up: importing, creating or migrating the store, beginning the run.
        time.sleep(rng.uniform(0.05, 1.0))
    else:
        # Among the cells: some time after recording started.
        deadline = started + 30
        while not any(text.startswith("run ") for _, text in lines):
            assert time.monotonic() < deadline and child.poll() is None, "shell did not start"
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.6))
    delay = time.monotonic() - started
    killed_at = time.monotonic()
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    reader.join(timeout=30)
    err = child.stderr.read()
    assert child.returncode == -signal.SIGKILL, err
    assert "Traceback" not in err and "jupyter-ext:" not in err, err
    run_id = next((text.split()[1] for _, text in lines if text.startswith("run ")), None)
    durable = max((int(t.split()[1]) for _, t in lines if t.startswith("durable ")), default=0)
    settled = max(
        (
            int(t.split()[1])
            for at, t in lines
            if t.startswith("done ") and at < killed_at - GRACE_SECONDS
        ),
        default=0,
    )
    return run_id, durable, settled, delay


def test_sigkill_at_random_points_loses_no_completed_cell(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    rng = random.Random(int(os.environ.get("JX_RELIABILITY_SEED", str(os.getpid()))))
    survived = 0
    phases = {"during start-up": 0, "before the first record": 0, "among the cells": 0}
    stored_total = 0
    for attempt in range(ROUNDS):
        run_id, durable, settled, delay = kill_once(store, rng)
        context = f"round {attempt}, killed after {delay:.2f}s"
        if not store.exists():  # killed before the extension created it
            assert run_id is None, context
            phases["during start-up"] += 1
            survived += 1
            continue
        with RunStore(store) as runs:  # opens (and recovers) a store killed mid-write
            assert runs.integrity_check() == "ok", context
            records = runs.executions(run_id) if run_id else []
        seqs = [r.seq for r in records]
        assert seqs == list(range(1, len(seqs) + 1)), f"{context}: gaps or disorder {seqs[-5:]}"
        assert len(seqs) >= max(durable, settled), (
            f"{context}: {len(seqs)} stored, {durable} reported durable, "
            f"{settled} completed {GRACE_SECONDS}s before the kill"
        )
        for r in records:
            assert r.cell_id == f"cell-{r.seq}" and f"+ {r.seq}" in r.source, context
        if run_id is None:
            phases["during start-up"] += 1
        else:
            phases["among the cells" if seqs else "before the first record"] += 1
        stored_total += len(seqs)
        survived += 1
    assert survived == ROUNDS
    print(f"\nkills survived: {survived} of {ROUNDS}; killed {phases}; {stored_total} records kept")
