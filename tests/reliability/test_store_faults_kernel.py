"""A store that is full, read-only or locked, under a real kernel.

The user's cells run and print exactly what they would, the kernel says once (on the
cell's stderr) that the store cannot be written, and once the cause goes away recording
resumes and every execution made meanwhile is in the store. The file system faults are
real: a small tmpfs that fills up (``SQLITE_FULL``, then grown while the kernel runs)
and a read-only mount (then remounted read-write). They need ``mount``, which needs
root; where it is not allowed the two tests say so and skip, and the same faults are
still covered below the kernel by ``test_store_failures.py`` (``SQLITE_FULL`` through
``max_page_count``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from jupyter_ext.store.sqlite import RunStore
from tests.integration.kernels import Kernel

pytestmark = pytest.mark.integration

PROBLEM = "cannot write the run store"
RECOVERED = "writable again"


def sh(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False)


# Mounting needs root (CI runs as root). Elsewhere the writer-level tests of
# test_store_failures (an injected SQLITE_FULL, a read-only file) stand in; as root, a
# mount that fails is a failure, not a skip.
needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="mounting a small tmpfs needs root; see test_store_failures"
)


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 192 KiB tmpfs of our own; unmounted (lazily, if still busy) afterwards."""
    where = tmp_path / "mnt"
    where.mkdir()
    done = sh("mount", "-t", "tmpfs", "-o", "size=192k", "tmpfs", str(where))
    assert done.returncode == 0, f"cannot mount a tmpfs as root: {done.stderr.strip()}"
    try:
        yield where
    finally:
        if sh("umount", str(where)).returncode != 0:
            sh("umount", "-l", str(where))


def remount(where: Path, options: str) -> None:
    done = sh("mount", "-o", f"remount,{options}", str(where))
    assert done.returncode == 0, done.stderr


class Session:
    """A tracked kernel and everything its cells printed on stderr."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.stderr = ""
        self.cells = 0

    def run(self, code: str) -> str:
        execution = self.kernel.execute(code, cell_id=f"cell-{self.cells}", timeout=120)
        self.cells += 1
        assert execution.ok, execution.errors
        self.stderr += execution.stderr
        return execution.stdout

    def run_until(self, text: str, code: str = "pass", timeout: float = 120) -> None:
        """Run ``code`` until a cell prints ``text`` on stderr.

        The writer thread queues its message and the next cell prints it; between cells,
        wait for the writer to settle what was submitted (written, or an attempt failed)
        instead of pausing.
        """
        deadline = time.monotonic() + timeout
        while True:
            self.run(code)
            if text in self.stderr:
                return
            assert time.monotonic() < deadline, f"no {text!r} on stderr: {self.stderr!r}"
            self.flush()

    def keep_working(self, attempts: int = 2) -> None:
        """Cells run through the outage while the writer retries and fails again: each
        flush starts a waiting retry at once and answers False once it has failed."""
        for i in range(attempts):
            assert self.run(f"print({i} * 2)") == f"{i * 2}\n"
            assert not self.flush(), "the store was written during the outage"

    def flush(self) -> bool:
        out = self.run(
            "from jupyter_ext.capture import extension as _jx\nprint(_jx.flush(get_ipython(), 60))"
        )
        return out.strip() == "True"

    def status(self) -> dict[str, object]:
        status: dict[str, object] = json.loads(self.run("%track --json"))
        return status


def assert_all_recorded(store: Path, run_id: str, executions: int) -> None:
    with RunStore(store) as runs:
        assert runs.integrity_check() == "ok"
        seqs = [r.seq for r in runs.executions(run_id)]
    assert seqs == list(range(1, executions + 1))


def recovers(s: Session, fix: Callable[[], None]) -> int:
    """Remove the fault while the kernel runs: the pending records reach the store,
    the user is told of the recovery, and was told of the problem once.  Returns the
    number of executions, for :func:`assert_all_recorded`."""
    fix()
    assert s.flush()
    s.run_until(RECOVERED)
    assert s.flush()
    told_once(s.stderr)
    return s.cells


def told_once(stderr: str) -> None:
    assert stderr.count(PROBLEM) == 1, stderr
    assert stderr.count(RECOVERED) == 1, stderr
    assert "Traceback" not in stderr and "dropped" not in stderr, stderr


@needs_root
def test_full_file_system_then_space_again(small_fs: Path, tmp_path: Path) -> None:
    store = small_fs / "runs.sqlite"
    kernel = Kernel(extension=True, store=store, cwd=tmp_path)
    try:
        s = Session(kernel)
        run_id = str(s.status()["run_id"])
        # Each cell's source (kept in the store) is 16 KiB: a dozen fill the file system.
        s.run_until(PROBLEM, code=f"payload = {'x' * 16_000!r}\nsize = len(payload)")
        s.keep_working()
        assert s.status()["store_status"]["last_error"]  # type: ignore[index]
        executions = recovers(s, lambda: remount(small_fs, "size=16m"))  # space again
    finally:
        kernel.shutdown()
    assert_all_recorded(store, run_id, executions)


@needs_root
def test_read_only_file_system_then_writable(small_fs: Path, tmp_path: Path) -> None:
    store = small_fs / "runs.sqlite"
    with RunStore(store):  # a store from an earlier run
        pass
    remount(small_fs, "ro")
    kernel = Kernel(extension=True, store=store, cwd=tmp_path)
    try:
        s = Session(kernel)
        run_id = str(s.status()["run_id"])
        s.run_until(PROBLEM, code="values = [1, 2, 3]\nvalues.append(4)")
        assert "read-only" in s.stderr or "readonly" in s.stderr or "unable to open" in s.stderr
        s.keep_working()
        executions = recovers(s, lambda: remount(small_fs, "rw"))
    finally:
        kernel.shutdown()
    assert_all_recorded(store, run_id, executions)


def test_store_locked_by_another_process_then_released(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    with RunStore(store):
        pass
    holder = sqlite3.connect(store, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # e.g. a long maintenance job, or a hung writer
    kernel = Kernel(extension=True, store=store, cwd=tmp_path)
    try:
        s = Session(kernel)
        run_id = str(s.status()["run_id"])
        s.run_until(PROBLEM, code="counter = sum(range(100))")  # after the busy timeout
        assert "locked" in s.stderr
        s.keep_working()  # each retry waits out the 5 s busy timeout before it fails

        def release() -> None:
            holder.execute("COMMIT")
            holder.close()

        executions = recovers(s, release)
    finally:
        kernel.shutdown()
    assert_all_recorded(store, run_id, executions)
