"""A store written by an older version is migrated in place, and nothing in it is lost.

The store is built with the oldest released schema (the first migration step, exactly as
a version-1 package created it) and filled with version-1 rows through plain SQL; then
the current package opens it, from the library and from a real kernel. Whatever steps
have been added since, the old runs must read back unchanged and new ones be written
next to them.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from jupyter_ext.store.schema import MIGRATIONS, SCHEMA_VERSION, migrate, schema_version
from jupyter_ext.store.sqlite import RunStore
from tests.integration.kernels import Kernel


def make_version_one_store(path: Path, executions: int = 25) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        assert migrate(conn, MIGRATIONS[:1]) == (0, 1)
        conn.execute("BEGIN")
        conn.execute(
            "INSERT INTO runs (run_id, started_at, ended_at, notebook_path, kernel, parameters)"
            " VALUES ('old-run', 1000.0, 2000.0, '/nb/old.ipynb', 'ipykernel 6.0', '{\"n\": 3}')"
        )
        for seq in range(1, executions + 1):
            conn.execute(
                "INSERT INTO executions (run_id, seq, cell_id, execution_count, source_hash,"
                " source, started_at, duration, status, reads, writes)"
                " VALUES ('old-run', ?, ?, ?, ?, ?, ?, 0.01, 'ok', '[\"a\"]', '[\"b\"]')",
                (seq, f"cell-{seq}", seq, f"hash-{seq}", f"b = a + {seq}", 1000.0 + seq),
            )
            conn.execute(
                "INSERT INTO variables (run_id, seq, name, position, type_name, digest, written)"
                " VALUES ('old-run', ?, 'b', 0, 'int', ?, 1)",
                (seq, f"digest-{seq}"),
            )
        conn.execute("COMMIT")
        assert schema_version(conn) == 1
    finally:
        conn.close()


def assert_old_run_intact(store: RunStore, executions: int = 25) -> None:
    run = store.get_run("old-run")
    assert run is not None and run.notebook_path == "/nb/old.ipynb"
    records = store.executions("old-run")
    assert [r.seq for r in records] == list(range(1, executions + 1))
    for r in records:
        assert r.cell_id == f"cell-{r.seq}" and r.source == f"b = a + {r.seq}"
        assert r.reads == ("a",) and r.writes == ("b",)
        assert [(v.name, v.digest) for v in r.variables] == [("b", f"digest-{r.seq}")]


def test_library_migrates_an_older_store(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    make_version_one_store(path)
    with RunStore(path) as store:
        assert schema_version(store._conn) == SCHEMA_VERSION
        assert store.integrity_check() == "ok"
        assert_old_run_intact(store)
    with RunStore(path) as store:  # a second open is a no-op
        assert_old_run_intact(store)


@pytest.mark.integration
def test_kernel_records_into_a_migrated_store(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    make_version_one_store(path)
    with Kernel(extension=True, store=path, cwd=tmp_path) as kernel:
        run_id = json.loads(kernel.execute("%track --json").stdout)["run_id"]
        for i in range(5):
            assert kernel.execute(f"x{i} = {i}", cell_id=f"new-{i}").ok
        flushed = kernel.execute(
            "from jupyter_ext.capture import extension\nprint(extension.flush(get_ipython(), 30))"
        )
        assert flushed.stdout.strip() == "True" and not flushed.stderr.strip()
    with RunStore(path) as store:
        assert schema_version(store._conn) == SCHEMA_VERSION
        assert_old_run_intact(store)
        cells = [r.cell_id for r in store.executions(run_id)]
    assert cells == [None, *[f"new-{i}" for i in range(5)], None]
