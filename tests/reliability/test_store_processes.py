"""The store across real processes: concurrent writers, and writers killed mid-write.

Several kernels (and the CLI) share one store file, and kernels get killed; SQLite's WAL
is what makes that safe, and these tests hold the store to it with real processes.
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

ROOT = Path(__file__).resolve().parents[2]
KILL_ROUNDS = int(os.environ.get("JUPYTER_EXT_TEST_KILL_ROUNDS", "10"))
"""How many times the killed-writer test kills a writer; raise it for a soak run."""

CONCURRENT_WRITER = textwrap.dedent(
    """
    import os, sys, time
    from jupyter_ext.core.records import ExecutionRecord, RunInfo, VariableState
    from jupyter_ext.store.sqlite import RunStore
    from jupyter_ext.store.writer import BackgroundWriter

    path, run_id, n, how = sys.argv[1:5]
    n = int(n)

    def record(seq):
        return ExecutionRecord(
            run_id=run_id, seq=seq, cell_id=f"c{seq % 7}", execution_count=seq,
            source_hash=f"h{seq}", source=f"x = {seq}  # {run_id}", started_at=time.time(),
            duration=0.001, status="error" if seq % 50 == 0 else "ok",
            reads=("a", "b"), writes=("x",),
            variables=tuple(
                VariableState(f"v{k}", "int", f"{run_id}:{seq}:{k}", written=k == 0)
                for k in range(3)
            ),
        )

    # Start together, so that the store is created under contention: say we are ready,
    # then wait for the test's word, which it sends once every writer is ready.
    print("ready", flush=True)
    sys.stdin.readline()
    run = RunInfo(run_id, time.time(), kernel=how, pid=os.getpid())
    if how == "store":
        store = RunStore(path)
        store.begin_run(run)
        for seq in range(1, n + 1):
            store.add_execution(record(seq))
        store.end_run(run_id, time.time())
        store.close()
    else:
        problems = []
        writer = BackgroundWriter(path, on_problem=problems.append)
        writer.begin_run(run)
        for seq in range(1, n + 1):
            writer.add_execution(record(seq))
        writer.end_run(run_id, time.time())
        assert writer.close(60), writer.status()
        assert not problems, problems
    """
)

KILLED_WRITER = textwrap.dedent(
    """
    import os, random, sys, time
    from jupyter_ext.core.records import ExecutionRecord, RunInfo, VariableState
    from jupyter_ext.store.writer import BackgroundWriter

    path, run_id = sys.argv[1:3]
    writer = BackgroundWriter(path, on_problem=lambda m: print("problem", m, flush=True))
    writer.begin_run(RunInfo(run_id, time.time(), pid=os.getpid()))
    seq = 0
    while True:
        for _ in range(random.randint(1, 5)):
            seq += 1
            writer.add_execution(ExecutionRecord(
                run_id=run_id, seq=seq, cell_id="c", execution_count=seq, source_hash="h",
                source="y = [0] * 1000\\n" * 20, started_at=time.time(), duration=0.0,
                status="ok",
                variables=tuple(VariableState(f"v{k}", "list", f"d{seq}.{k}") for k in range(4)),
            ))
        if writer.flush(10):
            print(seq, flush=True)
    """
)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def collect(stream: IO[str], into: list[str]) -> None:
    into.extend(stream)


@pytest.mark.parametrize(
    ("processes", "how"), [(2, "store"), (4, "store"), (2, "writer"), (4, "writer")]
)
def test_concurrent_processes_share_one_store(tmp_path: Path, processes: int, how: str) -> None:
    path = tmp_path / "shared" / "runs.sqlite"  # does not exist yet
    n = 300
    run_ids = [f"run-{i}" for i in range(processes)]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT_WRITER, str(path), rid, str(n), how],
            env=child_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rid in run_ids
    ]
    for child in children:  # each has imported everything and waits for the word
        assert child.stdout is not None
        line = child.stdout.readline()
        if line != "ready\n":
            _, err = child.communicate(timeout=120)
            pytest.fail(f"a writer did not start: {line!r} {err}")
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    for child in children:
        _, err = child.communicate(timeout=120)
        assert child.returncode == 0, err

    with RunStore(path) as store:
        assert store.integrity_check() == "ok"
        assert store.journal_mode == "wal"
        runs = {r.run_id: r for r in store.list_runs(limit=None)}
        assert sorted(runs) == run_ids
        for rid in run_ids:
            assert runs[rid].executions == n and runs[rid].errors == n // 50
            assert runs[rid].ended_at is not None and runs[rid].kernel == how
            execs = store.executions(rid)
            assert [e.seq for e in execs] == list(range(1, n + 1))
            for e in execs:
                assert e.source == f"x = {e.seq}  # {rid}"
                assert [v.digest for v in e.variables] == [f"{rid}:{e.seq}:{k}" for k in range(3)]
        total = store._conn.execute("SELECT count(*) FROM variables").fetchone()[0]
        assert total == processes * n * 3


def test_killed_writer_loses_nothing_it_reported_flushed(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    rng = random.Random(os.getpid())
    for attempt in range(KILL_ROUNDS):
        run_id = f"killed-{attempt}"
        child = subprocess.Popen(
            [sys.executable, "-c", KILLED_WRITER, str(path), run_id],
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines: list[str] = []
        assert child.stdout is not None
        reader = threading.Thread(target=collect, args=(child.stdout, lines))
        reader.start()
        # From "still starting up" to "well into writing".
        time.sleep(rng.uniform(0.1, 0.7))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        reader.join(timeout=30)
        assert child.stderr is not None
        err = child.stderr.read()
        assert child.returncode == -signal.SIGKILL, err
        assert not any(line.startswith("problem") for line in lines), lines
        flushed = max((int(line) for line in lines), default=0)

        with RunStore(path) as store:  # opens (and recovers) a store killed mid-write
            assert store.integrity_check() == "ok"
            seqs = [e.seq for e in store.executions(run_id)]
        assert seqs[:flushed] == list(range(1, flushed + 1)), (attempt, flushed)
        assert seqs == list(range(1, len(seqs) + 1))  # nothing half-written, no gaps
