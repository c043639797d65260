"""SIGKILL at random points, a hundred times: the store survives and keeps what it promised.

Each round forks a fresh process from a warm parent (IPython and jupyter-ext already
imported, nothing started), creates a real IPython shell there, loads the extension and
runs cells as fast as it can (each writes a list and a new name, so every cell is a
store write); it is killed with SIGKILL after a random delay: during start-up (creating
or migrating the store, beginning the run), or up to a few seconds into the cells, in
the middle of a cell, of a digest or of a commit. All rounds share one store file, so
every round also opens a store that the previous kill left behind. After each kill the
store must open, pass ``PRAGMA integrity_check``, and hold:

- every execution the shell reported durable (``flush`` returned True) before the kill;
- every execution that had completed before the kill: ``run_cell`` returned, which is
  after ``post_run_cell`` committed its record (no grace period: a record is durable
  before the cell's reply, so the one just completed counts too);
- a gap-free prefix ``1..k`` of the run's executions, each with the cell id and source
  of its cell: nothing half-written, nothing out of order.

``JX_RELIABILITY_KILLS`` sets the number of rounds (100 by default). A real ipykernel
killed mid-cell is in ``test_kernel_kill.py``.
"""

from __future__ import annotations

import os
import random
import re
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
COMPLETE = re.compile(r"^(run \S+|done \d+|durable \d+)$")
ROOT = Path(__file__).resolve().parents[2]

# A warm parent: reads one line per round from stdin and forks a child that records.
ZYGOTE = textwrap.dedent(
    """
    import os, sys
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config
    import jupyter_ext.capture.extension, jupyter_ext.capture.recorder
    import jupyter_ext.store.sqlite, jupyter_ext.store.writer, jupyter_ext.analysis.names

    def record_forever():
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

    print("ready", flush=True)
    for _ in sys.stdin:
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            try:
                record_forever()
            finally:
                os._exit(1)
        print("child", pid, flush=True)
        os.waitpid(pid, 0)
        # A leading newline ends a line the child was killed in the middle of writing.
        print("\\nreaped", pid, flush=True)
    """
)


class Zygote:
    def __init__(self, store: Path) -> None:
        env = dict(os.environ, JUPYTER_EXT_STORE=str(store))
        env.pop("JUPYTER_EXT_DISABLE", None)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[tuple[float, str]] = []
        self.errors: list[str] = []
        assert self.proc.stdout is not None and self.proc.stderr is not None
        threading.Thread(
            target=self._read, args=(self.proc.stdout, self.lines), daemon=True
        ).start()
        threading.Thread(target=self._errors, args=(self.proc.stderr,), daemon=True).start()
        self.wait_for(lambda text: text == "ready", 0, timeout=60)

    @staticmethod
    def _read(stream: IO[str], into: list[tuple[float, str]]) -> None:
        for line in stream:
            into.append((time.monotonic(), line.strip()))

    def _errors(self, stream: IO[str]) -> None:
        self.errors.extend(stream)

    def wait_for(self, predicate: object, start: int, timeout: float = 30) -> int:
        """Index of the first line at or after ``start`` matching ``predicate``."""
        deadline = time.monotonic() + timeout
        while True:
            for index in range(start, len(self.lines)):
                if predicate(self.lines[index][1]):  # type: ignore[operator]
                    return index
            assert self.proc.poll() is None, "".join(self.errors)[-3000:]
            assert time.monotonic() < deadline, (self.lines[start:][-5:], self.errors[-5:])
            time.sleep(0.005)

    def fork(self) -> tuple[int, int]:
        start = len(self.lines)
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        at = self.wait_for(lambda t: t.startswith("child "), start)
        return int(self.lines[at][1].split()[1]), at + 1

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def kill_once(zygote: Zygote, rng: random.Random) -> tuple[str | None, int, int, float, list[str]]:
    """One round: (run id, last durable seq, last seq completed, delay, unexpected lines)."""
    pid, start = zygote.fork()
    started = time.monotonic()
    if rng.random() < 0.2:
        # During start-up: creating or migrating the store, beginning the run.
        time.sleep(rng.uniform(0.0, 0.3))
    else:
        zygote.wait_for(lambda t: t.startswith("run "), start)
        time.sleep(rng.uniform(0.0, 2.5))
    killed_at = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    end = zygote.wait_for(lambda t: t == f"reaped {pid}", start)
    lines = [(at, t) for at, t in zygote.lines[start:end] if t]
    if lines and not COMPLETE.match(lines[-1][1]):
        lines.pop()  # cut short by the kill
    texts = [t for _, t in lines]
    run_id = next((t.split()[1] for t in texts if t.startswith("run ")), None)
    durable = max((int(t.split()[1]) for t in texts if t.startswith("durable ")), default=0)
    done = [int(t.split()[1]) for t in texts if t.startswith("done ")]
    unexpected = [t for t in texts if not COMPLETE.match(t)]
    return run_id, durable, max(done, default=0), killed_at - started, unexpected


def test_sigkill_at_random_points_loses_no_completed_cell(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    rng = random.Random(int(os.environ.get("JX_RELIABILITY_SEED", str(os.getpid()))))
    phases = {"during start-up": 0, "before the first record": 0, "among the cells": 0}
    survived = stored_total = guarded = 0
    zygote = Zygote(store)
    try:
        for attempt in range(ROUNDS):
            run_id, durable, settled, delay, unexpected = kill_once(zygote, rng)
            context = f"round {attempt}, killed after {delay:.2f}s"
            assert not unexpected, (context, unexpected)
            if run_id is None:
                phases["during start-up"] += 1
            if not store.exists():  # killed before the extension created it
                assert run_id is None, context
                survived += 1
                continue
            with RunStore(store) as runs:  # opens (and recovers) a store killed mid-write
                assert runs.integrity_check() == "ok", context
                records = runs.executions(run_id) if run_id else []
            seqs = [r.seq for r in records]
            assert seqs == list(range(1, len(seqs) + 1)), f"{context}: gaps {seqs[-5:]}"
            assert len(seqs) >= max(durable, settled), (
                f"{context}: {len(seqs)} stored, {durable} reported durable, "
                f"{settled} completed before the kill"
            )
            for r in records:
                assert r.cell_id == f"cell-{r.seq}" and f"+ {r.seq}" in r.source, context
            if run_id is not None:
                phases["among the cells" if seqs else "before the first record"] += 1
            stored_total += len(seqs)
            guarded += max(durable, settled)
            survived += 1
    finally:
        zygote.close()
    assert not any("Traceback" in line for line in zygote.errors), zygote.errors[-20:]
    assert survived == ROUNDS
    print(
        f"\nkills survived: {survived} of {ROUNDS}; killed {phases}; {stored_total} records "
        f"kept, {guarded} of them promised (completed before the kill)"
    )
