"""The run store: location, schema and migrations, and every record round-tripped."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_ext.core.records import (
    RUN_SCHEMA,
    ExecutionRecord,
    FileAccess,
    RunInfo,
    RunState,
    VariableState,
    files_by_seq,
)
from jupyter_ext.store.location import default_store_path
from jupyter_ext.store.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    StoreVersionError,
    migrate,
    schema_version,
)
from jupyter_ext.store.sqlite import (
    AmbiguousRunError,
    RunStore,
    RunSummary,
    UnknownRunError,
)


def make_run(run_id: str = "r1", started_at: float = 1000.0, **kw: object) -> RunInfo:
    return RunInfo(run_id=run_id, started_at=started_at, **kw)  # type: ignore[arg-type]


def make_exec(run_id: str = "r1", seq: int = 1, **kw: object) -> ExecutionRecord:
    fields: dict[str, object] = {
        "cell_id": f"cell-{seq}",
        "execution_count": seq,
        "source_hash": f"hash-{seq}",
        "source": f"x{seq} = {seq}",
        "started_at": 2000.0 + seq,
        "duration": 0.25,
        "status": "ok",
    }
    fields.update(kw)
    return ExecutionRecord(run_id=run_id, seq=seq, **fields)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RunStore]:
    s = RunStore(tmp_path / "runs.sqlite")
    yield s
    s.close()


# -- location ----------------------------------------------------------------------------


def test_store_path_from_environment_expands_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/someone")
    monkeypatch.setenv("JUPYTER_EXT_STORE", "~/stores/mine.sqlite")
    assert default_store_path() == Path("/home/someone/stores/mine.sqlite")


def test_store_path_relative_override_is_made_absolute(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JUPYTER_EXT_STORE", "rel/runs.sqlite")
    assert default_store_path() == tmp_path / "rel" / "runs.sqlite"


@pytest.mark.parametrize("value", [None, "", "  "])
def test_store_path_defaults_to_jupyter_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("JUPYTER_EXT_STORE", raising=False)
    else:
        monkeypatch.setenv("JUPYTER_EXT_STORE", value)
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    assert default_store_path() == tmp_path / "data" / "jupyter_ext" / "runs.sqlite"
    assert not (tmp_path / "data").exists()  # locating creates nothing


# -- connection and schema ---------------------------------------------------------------


def test_open_creates_parent_dirs_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "runs.sqlite"
    with RunStore(path) as s:
        assert path.exists()
        assert s.journal_mode == "wal"
        conn = s._conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
        assert schema_version(conn) == SCHEMA_VERSION == len(MIGRATIONS)


def test_pragmas_override_defaults_and_are_validated(tmp_path: Path) -> None:
    with RunStore(tmp_path / "s.sqlite", pragmas={"busy_timeout": 123}) as s:
        assert s._conn.execute("PRAGMA busy_timeout").fetchone()[0] == 123
    with pytest.raises(ValueError, match="pragma"):
        RunStore(tmp_path / "t.sqlite", pragmas={"x; DROP TABLE runs": 1})
    with pytest.raises(ValueError, match="pragma"):
        RunStore(tmp_path / "t.sqlite", pragmas={"cache_size": "1; DROP"})


def test_create_false_refuses_missing_store(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        RunStore(tmp_path / "missing.sqlite", create=False)
    assert not (tmp_path / "missing.sqlite").exists()


def test_memory_store_works() -> None:
    with RunStore(":memory:") as s:
        s.begin_run(make_run())
        assert s.get_run("r1") == make_run()


def _tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')")
    return {r[0] for r in rows}


def test_migrate_from_version_zero_and_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "v0.sqlite"
    sqlite3.connect(path).close()  # an empty file: version 0
    conn = sqlite3.connect(path, isolation_level=None)
    assert schema_version(conn) == 0
    v = SCHEMA_VERSION
    assert migrate(conn) == (0, v)
    assert {"runs", "executions", "variables", "runs_by_notebook", "variables_by_name"} <= (
        _tables(conn)
    )
    assert {"files", "files_by_path"} <= _tables(conn)
    assert migrate(conn) == (v, v)  # nothing left to do
    assert migrate(conn) == (v, v)
    conn.close()
    with RunStore(path) as s:  # opening migrates nothing either
        assert schema_version(s._conn) == v


def test_migration_steps_apply_in_order_and_keep_data(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with RunStore(path) as s:
        s.begin_run(make_run())
    step2 = ("ALTER TABLE runs ADD COLUMN label TEXT", "UPDATE runs SET label = 'old'")
    conn = sqlite3.connect(path, isolation_level=None)
    v = SCHEMA_VERSION
    assert migrate(conn, (*MIGRATIONS, step2)) == (v, v + 1)
    assert conn.execute("SELECT run_id, label FROM runs").fetchall() == [("r1", "old")]
    conn.close()


def test_failed_migration_leaves_store_untouched(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    broken = (*MIGRATIONS, ("CREATE TABLE extra (x)", "THIS IS NOT SQL"))
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, broken)
    assert schema_version(conn) == 0
    assert _tables(conn) == set()
    assert not conn.in_transaction
    conn.close()


def test_store_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite"
    with RunStore(path):
        pass
    conn = sqlite3.connect(path)
    newer = SCHEMA_VERSION + 1
    conn.execute(f"PRAGMA user_version = {newer}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreVersionError, match=f"schema version {newer}") as info:
        RunStore(path)
    assert info.value.found == newer and info.value.supported == SCHEMA_VERSION
    # ... and nothing was changed
    conn = sqlite3.connect(path)
    assert schema_version(conn) == newer
    conn.close()


# -- writers and readers -----------------------------------------------------------------


def test_run_info_round_trips_every_field(store: RunStore) -> None:
    run = RunInfo(
        run_id="018f-abc",
        started_at=1716000000.125,
        notebook_path="/nb/ünïcode analysis.ipynb",
        notebook_hash="nbhash",
        kernel="ipykernel 7.0.0",
        pid=4242,
        parameters={"alpha": 0.5, "names": ["a", "b"], "nested": {"k": None}},
    )
    store.begin_run(run)
    assert store.get_run(run.run_id) == run
    assert store.get_run("nope") is None


def test_execution_round_trips_every_field(store: RunStore) -> None:
    variables = (
        VariableState("df", "pandas.DataFrame", "d1", written=True),
        VariableState("big", "numpy.ndarray", None, opaque="over size budget", mutated=True),
        VariableState("gone", "int", None, deleted=True),
        VariableState("a", "list", "d4", written=True, mutated=True),
    )
    rec = ExecutionRecord(
        run_id="r1",
        seq=7,
        cell_id=None,
        execution_count=None,
        source_hash="sh",
        source="df = load()\n# ünïcode ✓\n\tbig.sort()\ndel gone\n",
        started_at=1716000001.5,
        duration=0.000125,
        status="error",
        error_type="ValueError",
        reads=("load", "big"),
        writes=("df", "a"),
        mutated=("big",),
        deleted=("gone",),
        variables=variables,
        notes=("star import", "%run"),
    )
    plain = make_exec(seq=8)
    store.begin_run(make_run())
    store.add_execution(rec)
    store.add_execution(plain)
    assert store.executions("r1") == [rec, plain]
    assert store.executions("other") == []


def test_add_execution_is_idempotent_and_replaces_variables(store: RunStore) -> None:
    store.begin_run(make_run())
    first = make_exec(variables=(VariableState("a", "int", "1"), VariableState("b", "int", "2")))
    store.add_execution(first)
    store.add_execution(first)
    assert store.count_executions("r1") == 1
    second = make_exec(status="error", variables=(VariableState("c", "int", "3"),))
    store.add_execution(second)
    assert store.executions("r1") == [second]
    assert store._conn.execute("SELECT count(*) FROM variables").fetchone()[0] == 1


def test_begin_run_twice_keeps_the_first(store: RunStore) -> None:
    store.begin_run(make_run(kernel="first"))
    store.begin_run(make_run(kernel="second"))
    run = store.get_run("r1")
    assert run is not None and run.kernel == "first"
    assert len(store.list_runs()) == 1


def test_execution_before_its_run_is_kept_and_run_filled_in_later(store: RunStore) -> None:
    store.add_execution(make_exec(seq=1))
    store.set_environment("r1", {"python": "3.11"})
    assert store.count_executions("r1") == 1
    store.begin_run(make_run(started_at=5.0, notebook_path="nb.ipynb", kernel="k"))
    run = store.get_run("r1")
    assert run == make_run(started_at=5.0, notebook_path="nb.ipynb", kernel="k")
    assert store.get_environment("r1") == {"python": "3.11"}


def test_environment_parameters_notebook_and_end(store: RunStore) -> None:
    store.begin_run(make_run(parameters={"a": 1}))
    assert store.get_environment("r1") is None
    env = {"python": {"version": "3.11.7"}, "packages": {"numpy": "2.0"}, "z": 1, "a": 2}
    store.set_environment("r1", env)
    assert store.get_environment("r1") == env
    raw = store._conn.execute("SELECT environment FROM runs").fetchone()[0]
    assert raw == json.dumps(env, sort_keys=True)  # stable text: equal content, equal bytes
    store.set_parameters("r1", {"b": 2})
    store.set_notebook("r1", "/x/nb.ipynb", "nbh")
    store.end_run("r1", 3000.0)
    run = store.get_run("r1")
    assert run is not None
    assert (run.parameters, run.notebook_path, run.notebook_hash) == (
        {"b": 2},
        "/x/nb.ipynb",
        "nbh",
    )
    summary = store.run_summary("r1")
    assert summary is not None and summary.ended_at == 3000.0
    assert store.run_summary("nope") is None


def test_odd_values_in_environment_do_not_lose_the_record(store: RunStore) -> None:
    store.begin_run(make_run())
    store.set_environment("r1", {"path": Path("/a/b"), "when": {1, 2} and "set"})
    assert store.get_environment("r1") == {"path": "/a/b", "when": "set"}


def test_list_runs_orders_filters_counts_and_limits(store: RunStore) -> None:
    store.begin_run(make_run("a", 1.0, notebook_path="one.ipynb", kernel="k1"))
    store.begin_run(make_run("b", 3.0, notebook_path="two.ipynb"))
    store.begin_run(make_run("c", 2.0, notebook_path="one.ipynb"))
    for seq in (1, 2, 3):
        store.add_execution(make_exec("a", seq, status="error" if seq == 2 else "ok"))
    store.end_run("a", 10.0)
    runs = store.list_runs()
    assert [r.run_id for r in runs] == ["b", "c", "a"]
    assert runs[2] == RunSummary("a", 1.0, 10.0, "one.ipynb", 3, 1, "k1", RunState("ended"))
    assert [r.run_id for r in store.list_runs("one.ipynb")] == ["c", "a"]
    assert store.list_runs("none.ipynb") == []
    assert [r.run_id for r in store.list_runs(limit=2)] == ["b", "c"]
    assert len(store.list_runs(limit=None)) == 3
    assert store.count_executions("a") == 3 and store.count_executions("b") == 0


def test_resolve_run_id(store: RunStore) -> None:
    with pytest.raises(UnknownRunError, match="no runs"):
        store.resolve_run_id("latest")
    for rid, started in (("0190aa-111", 1.0), ("0190ab-222", 3.0), ("0190ab-333", 2.0)):
        store.begin_run(make_run(rid, started))
    assert store.resolve_run_id("latest") == "0190ab-222"
    assert store.resolve_run_id("0190aa") == "0190aa-111"
    assert store.resolve_run_id(" 0190ab-3 ") == "0190ab-333"
    assert store.resolve_run_id("0190ab-222") == "0190ab-222"
    with pytest.raises(AmbiguousRunError, match="ambiguous") as info:
        store.resolve_run_id("0190ab")
    assert info.value.candidates == ("0190ab-222", "0190ab-333")
    with pytest.raises(UnknownRunError, match="0190ff"):
        store.resolve_run_id("0190ff")
    with pytest.raises(UnknownRunError):
        store.resolve_run_id("")
    # LIKE wildcards are taken literally
    with pytest.raises(UnknownRunError):
        store.resolve_run_id("%")
    assert isinstance(UnknownRunError("x"), LookupError)


def test_run_record_document(store: RunStore) -> None:
    store.begin_run(
        make_run(notebook_path="nb.ipynb", notebook_hash="nbh", kernel="k", parameters={"p": 1})
    )
    store.set_environment("r1", {"python": "3.11"})
    var = VariableState("x1", "int", "dx", written=True)
    store.add_execution(make_exec(seq=1, writes=("x1",), variables=(var,)))
    store.add_execution(make_exec(seq=2, status="error", error_type="NameError", reads=("y",)))
    store.end_run("r1", 9999.0)
    doc = store.run_record("r1")
    json.dumps(doc)  # plain JSON
    assert doc["schema"] == RUN_SCHEMA == "jupyter_ext.run/1"
    assert set(doc) == {
        "schema",
        "run_id",
        "started_at",
        "ended_at",
        "notebook",
        "kernel",
        "parameters",
        "environment",
        "executions",
        "files",
        "state",
    }
    assert doc["state"] == {"status": "ended", "running": None}
    assert doc["files"] == []
    assert doc["run_id"] == "r1" and doc["ended_at"] == 9999.0
    assert doc["notebook"] == {"path": "nb.ipynb", "content_hash": "nbh"}
    assert doc["parameters"] == {"p": 1} and doc["environment"] == {"python": "3.11"}
    first, second = doc["executions"]
    assert first["seq"] == 1 and first["variables"] == [var.to_json()]
    assert second["status"] == "error" and second["error_type"] == "NameError"
    assert "source" not in first  # exports carry hashes, not code
    assert store.run_record("r1", include_source=True)["executions"][0]["source"] == "x1 = 1"
    with pytest.raises(UnknownRunError):
        store.run_record("nope")


def test_second_connection_sees_committed_writes(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with RunStore(path) as writer, RunStore(path) as reader:
        writer.begin_run(make_run())
        writer.add_execution(make_exec())
        assert reader.count_executions("r1") == 1
        assert reader.integrity_check() == "ok"


def test_transaction_groups_writes_and_rolls_back_together(store: RunStore) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.begin_run(make_run())
        store.add_execution(make_exec())
        raise RuntimeError("boom")
    assert store.list_runs() == [] and store.count_executions("r1") == 0
    with store.transaction():
        store.begin_run(make_run())
        store.add_execution(make_exec())
    assert store.count_executions("r1") == 1


def test_one_store_shared_by_threads(store: RunStore) -> None:
    errors: list[BaseException] = []

    def work(run_id: str) -> None:
        try:
            store.begin_run(make_run(run_id))
            for seq in range(1, 51):
                store.add_execution(
                    make_exec(run_id, seq, variables=(VariableState("v", "int", "d"),))
                )
                store.list_runs()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r.executions for r in store.list_runs()) == [50, 50, 50, 50]


def test_closed_store_refuses_use(tmp_path: Path) -> None:
    s = RunStore(tmp_path / "s.sqlite")
    s.close()
    with pytest.raises(sqlite3.ProgrammingError):
        s.list_runs()


def test_falls_back_to_rollback_journal_where_wal_cannot_work(tmp_path: Path) -> None:
    # The dot-file locking VFS (for file systems without usable POSIX locks) has no
    # shared memory, so SQLite refuses WAL there, as it does on many network mounts.
    path = tmp_path / "nfs-like" / "runs.sqlite"
    with RunStore(path, vfs="unix-dotfile") as s:
        assert s.journal_mode == "delete"
        s.begin_run(make_run())
        s.add_execution(make_exec())
    with RunStore(path, vfs="unix-dotfile") as s:
        assert s.count_executions("r1") == 1
        assert s.integrity_check() == "ok"


def test_files_round_trip_and_are_replaced_with_their_execution(store: RunStore) -> None:
    store.begin_run(make_run())
    files = (
        FileAccess("/data/a.csv", "read", 10, "d" * 32),
        FileAccess("/data/b.csv", "write", None, None, "deleted before the execution ended"),
    )
    store.add_execution(make_exec(seq=1, files=files))
    assert store.executions("r1")[0].files == files
    doc = store.run_record("r1")
    assert doc["files"][1] == {
        "path": "/data/b.csv",
        "mode": "write",
        "size": None,
        "digest": None,
        "opaque": "deleted before the execution ended",
        "seq": 1,
        "cell_id": make_exec(seq=1).cell_id,
    }
    assert files_by_seq(doc) == {1: files}
    store.add_execution(make_exec(seq=1, files=files[:1]))  # a retry replaces, never adds
    assert store.executions("r1")[0].files == files[:1]
