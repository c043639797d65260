"""The recorder in an in-process IPython shell: what a user's executions produce."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from jupyter_ext.capture import extension
from jupyter_ext.core.ids import source_hash

from .conftest import Session


def test_records_each_execution_with_identity_and_timing(session: Session) -> None:
    session.run("x = 1", cell_id="cell-a")
    session.run("y = x + 1", cell_id="cell-b")
    session.run("print(y)")
    records = session.records()
    assert [r.seq for r in records] == [1, 2, 3]
    assert [r.cell_id for r in records] == ["cell-a", "cell-b", None]
    assert [r.execution_count for r in records] == [1, 2, 3]
    assert records[1].source == "y = x + 1"
    assert records[1].source_hash == source_hash("y = x + 1")
    assert all(r.status == "ok" and r.duration >= 0 and r.started_at > 0 for r in records)
    assert records[0].writes == ("x",)
    assert records[1].reads == ("x",) and records[1].writes == ("y",)
    assert records[2].reads == ("y",) and records[2].writes == ()


def test_failed_and_syntax_error_cells_are_recorded_as_failed(session: Session) -> None:
    session.run("1 / 0")
    session.run("def broken(:")
    first, second = session.records()
    assert (first.status, first.error_type) == ("error", "ZeroDivisionError")
    assert (second.status, second.error_type) == ("error", "SyntaxError")
    assert any("syntax error" in note for note in second.notes)


def test_writes_the_ast_cannot_see_are_found_by_the_namespace_diff(
    session: Session, tmp_path: Path
) -> None:
    script = tmp_path / "helper_script.py"
    script.write_text("from_script = 42\n")
    session.run("globals()['g'] = 1")
    session.run("exec('e = 2')")
    session.run("%time t = 3")
    session.run(f"%run {script}")
    records = session.records()
    assert "g" in records[0].writes
    assert "e" in records[1].writes
    assert "t" in records[2].writes
    assert "from_script" in records[3].writes
    assert all(r.notes for r in records)  # each says the static view was incomplete


def test_in_place_mutation_through_method_alias_and_helper(session: Session) -> None:
    session.run("a = [1, 2]\nb = a\nc = [0]")
    session.run("a.append(3)")
    record = session.last()
    assert set(record.mutated) == {"a", "b"}  # b is the same object
    assert session.variable(record, "a").mutated
    assert "c" not in {v.name for v in record.variables}

    session.run("def grow(items):\n    items.append(0)")
    session.run("grow(c)")
    assert session.last().mutated == ("c",)

    session.run("def touch_global():\n    c.append(1)")
    session.run("touch_global()")
    record = session.last()
    assert record.mutated == ("c",)
    assert "c" in record.reads and "touch_global" in record.reads


def test_rebinding_to_an_equal_value_is_not_a_change(session: Session) -> None:
    session.run("x = [1, 2]")
    first = session.variable(session.last(), "x")
    session.run("x = [1, 2]")
    second = session.variable(session.last(), "x")
    assert second.written and not second.mutated
    assert first.digest == second.digest is not None


def test_reads_follow_user_functions_transitively(session: Session) -> None:
    session.run("k = 10")
    session.run("def inner():\n    return k\n\ndef outer():\n    return inner() + 1")
    session.run("result = outer()")
    record = session.last()
    assert {"outer", "inner", "k"} <= set(record.reads)
    assert record.writes == ("result",)


def test_comprehension_and_parameter_shadowing_do_not_read_globals(session: Session) -> None:
    session.run("i = 99\nn = 5")
    session.run("squares = [i * i for i in range(n)]")
    record = session.last()
    assert set(record.reads) == {"n"}
    session.run("def f(i):\n    return i")
    assert session.last().reads == ()


def test_del_is_recorded(session: Session) -> None:
    session.run("tmp = 1")
    session.run("del tmp")
    record = session.last()
    assert record.deleted == ("tmp",)
    assert session.variable(record, "tmp").deleted


def test_track_magic_text_and_json(session: Session, capsys: pytest.CaptureFixture[str]) -> None:
    session.run("x = 1")
    session.recorder.flush(10)
    capsys.readouterr()
    session.run("%track --json")
    status = json.loads(capsys.readouterr().out)
    assert status["recording"] is True
    assert status["run_id"] == session.recorder.run.run_id
    assert status["store"] == str(session.store)
    assert status["executions"] >= 1
    session.run("%track")
    text = capsys.readouterr().out
    assert status["run_id"] in text and str(session.store) in text


def test_loading_twice_records_once(session: Session) -> None:
    session.run("%load_ext jupyter_ext")
    session.run("z = 1")
    writes = [r.writes for r in session.records()]
    assert writes.count(("z",)) == 1


def test_unload_stops_recording(session: Session, capsys: pytest.CaptureFixture[str]) -> None:
    session.run("x = 1")
    recorder = session.recorder
    session.run("%unload_ext jupyter_ext")
    session.run("y = 2")
    assert extension.recorder_of(session.shell) is None
    from jupyter_ext.store.sqlite import RunStore

    with RunStore(session.store) as store:
        writes = [r.writes for r in store.executions(recorder.run.run_id)]
    assert ("x",) in writes and ("y",) not in writes
    capsys.readouterr()
    session.run("%track")
    assert "not recording" in capsys.readouterr().out


def test_disabled_by_environment(
    plain_shell: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JUPYTER_EXT_DISABLE", "1")
    shell = plain_shell
    shell.run_cell("%load_ext jupyter_ext")  # type: ignore[attr-defined]
    assert extension.recorder_of(shell) is None
    shell.run_cell("%track")  # type: ignore[attr-defined]
    assert "disabled" in capsys.readouterr().out


def test_unwritable_store_keeps_cells_running_and_says_so_once(
    plain_shell: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the store's directory should be")
    monkeypatch.setenv("JUPYTER_EXT_STORE", str(blocker / "runs.sqlite"))
    shell = plain_shell
    shell.run_cell("%load_ext jupyter_ext")  # type: ignore[attr-defined]
    results = [shell.run_cell(f"v{i} = {i}\nprint('out', v{i})") for i in range(5)]  # type: ignore[attr-defined]
    recorder = extension.recorder_of(shell)
    recorder.flush(5)
    for i in range(3):
        shell.run_cell(f"w{i} = {i}")  # type: ignore[attr-defined]
    assert all(r.success for r in results)
    captured = capfd.readouterr()
    assert [f"out {i}" for i in range(5)] == [
        line for line in captured.out.splitlines() if line.startswith("out")
    ]
    notices = [line for line in captured.err.splitlines() if "jupyter-ext" in line]
    assert len(notices) == 1, captured.err
    assert str(blocker) in notices[0]


def test_large_array_digest_runs_in_background_and_sees_mutation(session: Session) -> None:
    pytest.importorskip("numpy")
    session.run("import numpy as np\nbig = np.zeros(4_000_000)")
    session.run("big[0] = 1.0")  # must wait for the pending digest before mutating
    session.run("view = big")
    records = session.records()
    assert session.variable(records[0], "big").digest is not None
    after = session.variable(records[1], "big")
    assert after.mutated and after.digest != session.variable(records[0], "big").digest


def test_imported_module_versions_are_recorded(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site" / "freshly_imported_pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("__version__ = '1.2.3'\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    session.run("import freshly_imported_pkg")
    recorder = session.recorder
    assert recorder.flush(30)
    from jupyter_ext.store.sqlite import RunStore

    with RunStore(session.store) as store:
        env = store.get_environment(recorder.run.run_id)
    assert env is not None
    assert env["imported"] == {"freshly_imported_pkg": "1.2.3"}
    assert "IPython" in env["kernel_imported"]


def test_recording_survives_internal_failure(
    session: Session, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import jupyter_ext.capture.recorder as recorder_module

    def explode(code: str) -> None:
        raise RuntimeError("analysis blew up")

    monkeypatch.setattr(recorder_module, "analyse", explode)
    result = session.run("value = 41 + 1\nprint(value)")
    assert result.success and session.shell.user_ns["value"] == 42
    captured = capsys.readouterr()
    assert "42" in captured.out
    assert captured.err.count("jupyter-ext") == 1


def test_script_with_many_cells_keeps_order(session: Session) -> None:
    for i in range(30):
        session.run(f"acc_{i % 3} = {i}", cell_id=f"c{i}")
    records = session.records()
    assert [r.cell_id for r in records] == [f"c{i}" for i in range(30)]
    assert records[-1].writes == ("acc_2",)


def test_function_that_declares_global_is_seen(session: Session) -> None:
    session.run(
        textwrap.dedent("""
        def setter():
            global made_by_function
            made_by_function = 7
    """)
    )
    session.run("setter()")
    assert "made_by_function" in session.last().writes


def test_track_rejects_bad_arguments_with_one_line(
    session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    result = session.run("%track --bogus")
    assert result.success
    out = capsys.readouterr().out.strip().splitlines()
    assert out == ["%track: unrecognized arguments: --bogus"]


def test_large_namespaces_still_catch_invisible_writes(plain_shell: object, tmp_path: Path) -> None:
    """Above ``full_sweep_max_names`` the full sweep runs only after cells that can bind
    names invisibly; those bindings must still be recorded, and plain cells stay exact."""
    shell = plain_shell
    shell.config.JupyterExt.full_sweep_max_names = 5  # type: ignore[attr-defined]
    shell.run_cell("%load_ext jupyter_ext")  # type: ignore[attr-defined]
    session = Session(shell, tmp_path / "runs.sqlite")  # type: ignore[arg-type]
    session.run("globals().update({f'n{i}': i for i in range(50)})")
    session.run("x = 1")
    session.run("exec('hidden = 2')")
    session.run("def setter():\n    global via_function\n    via_function = 3")
    session.run("setter()")
    session.run("del n3")
    # Rebinding existing names changes no size: only the triggered sweep can see it.
    session.run("exec('n5 = \"changed\"')")
    session.run("def rebind():\n    global n6\n    n6 = [6]")
    session.run("rebind()")
    records = session.records()
    assert {f"n{i}" for i in range(50)} <= set(records[0].writes)
    assert records[1].writes == ("x",)
    assert "hidden" in records[2].writes
    assert "via_function" in records[4].writes
    assert records[5].deleted == ("n3",)
    assert "n5" in records[6].writes
    assert "n6" in records[8].writes
    assert session.recorder.settings.full_sweep_max_names == 5


SECRET_CELL = (
    "password = 'hunter2-canary'\n"
    "conn = 'postgresql://analyst:canary-pw@db.internal/prod'\n"
    "!echo https://analyst:canary-shell@host.invalid/x"
)


def test_sources_are_stored_with_secrets_redacted_and_hashed_like_the_checker(
    session: Session,
) -> None:
    from jupyter_ext.bridge.static_code import code_facts

    session.run(SECRET_CELL, cell_id="secret")
    session.run("n = len(password)", cell_id="use")
    first, second = session.records()
    assert first.source == (
        "password = '<redacted>'\n"
        "conn = 'postgresql://analyst:<redacted>@db.internal/prod'\n"
        "!echo https://analyst:<redacted>@host.invalid/x"
    )
    assert "canary" not in first.source
    # The checker, the live rules and the stored source all hash to the recorded hash.
    assert first.source_hash == code_facts(SECRET_CELL).source_hash
    assert first.source_hash == source_hash(first.source) == source_hash(SECRET_CELL)
    assert second.source == "n = len(password)"
    store_bytes = b"".join(p.read_bytes() for p in session.store.parent.glob("runs.sqlite*"))
    assert b"canary" not in store_bytes


def test_redaction_can_be_switched_off_and_the_store_scrubbed_later(
    plain_shell: object, tmp_path: Path
) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    from jupyter_ext.store.scrub import scrub_store
    from jupyter_ext.store.sqlite import RunStore

    assert isinstance(plain_shell, InteractiveShell)
    plain_shell.config.JupyterExt.redact_sources = False
    plain_shell.run_cell("%load_ext jupyter_ext")
    session = Session(plain_shell, tmp_path / "runs.sqlite")
    session.run(SECRET_CELL, cell_id="secret")
    (record,) = session.records()
    assert record.source == SECRET_CELL, "redact_sources = False keeps the source verbatim"
    assert record.source_hash == source_hash(SECRET_CELL), "the hash is redacted regardless"
    extension.unload(plain_shell)

    result = scrub_store(session.store)
    assert (result.executions, result.changed, result.compacted) == (1, 1, True)
    with RunStore(session.store) as store:
        (scrubbed,) = store.executions(record.run_id)
    assert scrubbed.source.count("<redacted>") == 3 and "canary" not in scrubbed.source
    assert scrubbed.source_hash == record.source_hash
    store_bytes = b"".join(p.read_bytes() for p in session.store.parent.glob("runs.sqlite*"))
    assert b"canary" not in store_bytes


def test_values_of_secret_names_are_not_digested(session: Session) -> None:
    """A digest of a short password can be brute-forced from the store; strings do not
    change in place, so the rules lose nothing when the digest is left out."""
    from jupyter_ext.capture.hashing import digest
    from jupyter_ext.capture.recorder import SECRET_NOT_DIGESTED

    session.run("db_password = 'hunter2'\ntoken_count = 5\nkeyboard = 'qwerty'", cell_id="c1")
    record = session.last()
    secret = session.variable(record, "db_password")
    assert secret.digest is None and secret.opaque == SECRET_NOT_DIGESTED
    assert session.variable(record, "token_count").digest == digest(5).value
    assert session.variable(record, "keyboard").digest == digest("qwerty").value
    leaked = digest("hunter2").value
    assert leaked is not None
    for path in session.store.parent.glob(session.store.name + "*"):
        assert leaked.encode() not in path.read_bytes(), path
