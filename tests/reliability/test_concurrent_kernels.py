"""Two and four real kernels recording into one store at the same time, for a minute.

Each kernel is driven by its own client thread, executing cells back to back as a user
running a long notebook would; all point ``JUPYTER_EXT_STORE`` at the same file. At the
end every kernel's run holds exactly the executions its client saw complete, in order,
each once, with its own cell ids and sources: none lost, none duplicated, none written
under another kernel's run.

``JX_RELIABILITY_SECONDS`` sets how long the kernels write (60 by default).
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from jupyter_ext.store.sqlite import RunStore
from tests.integration.kernels import Kernel

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

SECONDS = float(os.environ.get("JX_RELIABILITY_SECONDS", "60"))
BUSY_NOTICE = "another kernel holds its lock"


def drive(kernel: Kernel, name: str, until: float, done: list[str], failures: list[str]) -> None:
    """Execute cells until ``until``; append the cell id of each one that completed."""
    i = told = 0
    try:
        while time.monotonic() < until:
            i += 1
            cell_id = f"{name}-{i}"
            code = f"data_{i % 13} = [{i}] * {(i * 37) % 2000}\ntotal = sum(data_{i % 13})"
            execution = kernel.execute(code, cell_id=cell_id, timeout=120)
            # When the other kernels hold the lock past the bound of the cell's own
            # commit, the record goes to the background writer and the user is told
            # once; anything else on stderr is a failure.
            told += execution.stderr.count(BUSY_NOTICE)
            other = [line for line in execution.stderr.splitlines() if BUSY_NOTICE not in line]
            if not execution.ok or "".join(other).strip():
                failures.append(f"{cell_id}: {execution.reply} {execution.stderr!r}")
                return
            done.append(cell_id)
        if told > 1:
            failures.append(f"{name}: told {told} times that the store is busy; once is enough")
    except Exception as exc:  # reported by the test, not lost in a thread
        failures.append(f"{name}: {type(exc).__name__}: {exc}")


@pytest.mark.parametrize("count", [2, 4])
def test_kernels_sharing_a_store_lose_and_duplicate_nothing(tmp_path: Path, count: int) -> None:
    store = tmp_path / "shared" / "runs.sqlite"  # created by the kernels, under contention
    kernels = [Kernel(extension=True, store=store, cwd=tmp_path) for _ in range(count)]
    try:
        run_ids = [json.loads(k.execute("%track --json").stdout)["run_id"] for k in kernels]
        assert len(set(run_ids)) == count
        completed: list[list[str]] = [[] for _ in kernels]
        failures: list[str] = []
        until = time.monotonic() + SECONDS
        threads = [
            threading.Thread(target=drive, args=(k, f"k{n}", until, completed[n], failures))
            for n, k in enumerate(kernels)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(SECONDS + 180)
        assert not failures, failures
        for k in kernels:
            flushed = k.execute(
                "from jupyter_ext.capture import extension\n"
                "print(extension.flush(get_ipython(), 60))"
            )
            assert flushed.stdout.strip() == "True", flushed.stderr
    finally:
        for k in kernels:
            k.shutdown()

    with RunStore(store) as runs:
        assert runs.integrity_check() == "ok"
        assert runs.journal_mode == "wal"
        total = 0
        for run_id, cells in zip(run_ids, completed, strict=True):
            records = runs.executions(run_id)
            # The %track cell first, then the driven cells, then the flush cell.
            driven = [r for r in records if r.cell_id is not None]
            assert [r.cell_id for r in driven] == cells, run_id
            assert [r.seq for r in records] == list(range(1, len(cells) + 3)), run_id
            for r in driven:
                i = int(str(r.cell_id).rsplit("-", 1)[1])
                assert f"[{i}] * {(i * 37) % 2000}" in r.source
                assert r.status == "ok"
            total += len(driven)
        rows = runs._conn.execute(
            "SELECT count(*), count(DISTINCT run_id || ':' || seq) FROM executions"
        ).fetchone()
        assert rows[0] == rows[1] == total + 2 * count
    print(f"\n{count} kernels, {SECONDS:.0f}s: {total} executions recorded, 0 lost, 0 duplicated")
