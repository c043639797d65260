"""Data lineage in an in-process shell: the files cells read and write, as recorded."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest
import xxhash

from jupyter_ext.capture import extension
from jupyter_ext.capture.file_state import (
    OPAQUE_CHANGED,
    OPAQUE_DELETED,
    OPAQUE_NOT_REGULAR,
    FileStat,
    digest_file,
)
from jupyter_ext.capture.hashing import OPAQUE_BUDGET_BYTES
from jupyter_ext.core.records import ExecutionRecord, FileAccess
from jupyter_ext.store.sqlite import RunStore

from .conftest import Session


def file_digest(data: bytes) -> str:
    """The digest an independent reader computes for ``data`` (documented format)."""
    return str(xxhash.xxh3_128_hexdigest(b"jupyter-ext file 1\0" + data))


def files_of(record: ExecutionRecord) -> dict[str, FileAccess]:
    return {f.path: f for f in record.files}


def real(path: Path) -> str:
    return os.path.realpath(path)


def test_pandas_csv_written_then_read_with_size_and_digest(
    session: Session, tmp_path: Path
) -> None:
    session.run("import pandas as pd", cell_id="imp")
    session.run(
        "df = pd.DataFrame({'a': [1, 2, 3], 'b': ['x', 'y', 'z']})\ndf.to_csv('data.csv')",
        cell_id="write",
    )
    session.run("back = pd.read_csv('data.csv')\nn = len(back)", cell_id="read")
    assert session.shell.user_ns["n"] == 3  # the user's code saw its file as usual
    records = session.records()
    content = (tmp_path / "data.csv").read_bytes()
    path = real(tmp_path / "data.csv")
    written = files_of(records[1])[path]
    read = files_of(records[2])[path]
    assert (written.mode, read.mode) == ("write", "read")
    assert written.size == read.size == len(content)
    assert written.digest == read.digest == file_digest(content)
    assert records[0].files == ()  # importing pandas opens only excluded files


def test_numpy_save_and_load(session: Session, tmp_path: Path) -> None:
    session.run("import numpy as np\na = np.arange(1000)\nnp.save('arr.npy', a)")
    session.run("b = np.load('arr.npy')\nok = bool((a == b).all())")
    assert session.shell.user_ns["ok"] is True
    first, second = session.records()
    path = real(tmp_path / "arr.npy")
    data = (tmp_path / "arr.npy").read_bytes()
    assert files_of(first)[path].mode == "write"
    assert files_of(second)[path].mode == "read"
    assert files_of(second)[path].digest == file_digest(data)
    assert files_of(second)[path].size == len(data)


def test_plain_open_os_open_and_pathlib(session: Session, tmp_path: Path) -> None:
    session.run(
        textwrap.dedent(
            """
            import os, pathlib
            with open('plain.txt', 'w') as f:
                f.write('hello')
            fd = os.open('raw.bin', os.O_WRONLY | os.O_CREAT)
            os.write(fd, b'12345')
            os.close(fd)
            pathlib.Path('sub').mkdir()
            pathlib.Path('sub/p.txt').write_text('via pathlib')
            """
        )
    )
    session.run(
        textwrap.dedent(
            """
            text = open('plain.txt').read()
            fd = os.open('raw.bin', os.O_RDONLY)
            raw = os.read(fd, 100)
            os.close(fd)
            with open('plain.txt', 'r+') as f:
                f.seek(0, 2)
                f.write('!')
            """
        )
    )
    writes, reads = session.records()
    w, r = files_of(writes), files_of(reads)
    assert {p: f.mode for p, f in w.items()} == {
        real(tmp_path / "plain.txt"): "write",
        real(tmp_path / "raw.bin"): "write",
        real(tmp_path / "sub" / "p.txt"): "write",
    }
    assert w[real(tmp_path / "raw.bin")].digest == file_digest(b"12345")
    assert w[real(tmp_path / "sub" / "p.txt")].size == len("via pathlib")
    # read with open(), then r+: one entry, and its digest is of the content after the cell
    assert {p: f.mode for p, f in r.items()} == {
        real(tmp_path / "plain.txt"): "update",
        real(tmp_path / "raw.bin"): "read",
    }
    assert r[real(tmp_path / "plain.txt")].digest == file_digest(b"hello!")
    assert session.shell.user_ns["raw"] == b"12345"


def test_symlinks_and_relative_spellings_are_one_resolved_path(
    session: Session, tmp_path: Path
) -> None:
    (tmp_path / "target.txt").write_text("x")
    (tmp_path / "link.txt").symlink_to(tmp_path / "target.txt")
    session.run("a = open('link.txt').read()\nb = open('./target.txt').read()")
    files = session.last().files
    assert [(f.path, f.mode) for f in files] == [(real(tmp_path / "target.txt"), "read")]


def test_store_history_interpreter_and_module_files_are_not_recorded(
    session: Session, tmp_path: Path
) -> None:
    (tmp_path / "mymod.py").write_text("VALUE = 1\n")
    site_file = Path(os.__file__)  # inside the interpreter's prefix
    session.run(
        textwrap.dedent(
            f"""
            import sys, importlib
            sys.path.insert(0, {str(tmp_path)!r})
            import mymod
            src = open({str(site_file)!r}).read(10)
            st = open({str(tmp_path / "runs.sqlite")!r}, 'rb').read(16)
            proc = open('/proc/self/status').read(10)
            os_listing = __import__('os').listdir('.')
            """
        )
    )
    session.run("with open('mine.txt', 'w') as f: f.write('1')")
    first, second = session.records()
    assert first.files == ()
    assert [f.path for f in second.files] == [real(tmp_path / "mine.txt")]


def test_nothing_is_recorded_between_cells_or_after_unload(
    session: Session, tmp_path: Path
) -> None:
    session.run("x = 1")
    (tmp_path / "outside.txt").write_text("not in a cell")  # the test itself, no cell running
    (tmp_path / "outside.txt").read_text()
    session.run("y = 2")
    assert all(r.files == () for r in session.records())
    recorder = session.recorder
    session.run("%unload_ext jupyter_ext")
    session.run("open('after.txt', 'w').write('x')")  # recording is off: nothing noted
    assert recorder.files is not None and recorder.files._opened is None
    with RunStore(session.store) as store:
        stored = [f for r in store.executions(recorder.run.run_id) for f in r.files]
    assert all("after.txt" not in f.path for f in stored)


def test_files_opened_by_threads_during_a_cell_are_recorded(
    session: Session, tmp_path: Path
) -> None:
    (tmp_path / "t.txt").write_text("thread data")
    session.run(
        textwrap.dedent(
            """
            import threading
            out = []
            t = threading.Thread(target=lambda: out.append(open('t.txt').read()))
            t.start(); t.join()
            """
        )
    )
    assert session.shell.user_ns["out"] == ["thread data"]
    assert [f.mode for f in session.last().files] == ["read"]


def test_deleted_unreadable_and_fifo_files_never_break_the_cell(
    session: Session, tmp_path: Path
) -> None:
    locked = tmp_path / "locked.txt"
    locked.write_text("secret")
    os.mkfifo(tmp_path / "pipe")
    code = textwrap.dedent(
        """
        import os, threading
        with open('tmp.txt', 'w') as f:
            f.write('temporary')
        os.remove('tmp.txt')
        try:
            open('missing.txt')
        except FileNotFoundError:
            missing = True
        # a FIFO with a writer on another thread: the cell reads it, we must not block
        def feed():
            with open('pipe', 'w') as w:
                w.write('through the pipe')
        t = threading.Thread(target=feed); t.start()
        with open('pipe') as r:
            piped = r.read()
        t.join()
        data = open('locked.txt').read()
        """
    )
    result = session.run(code)
    assert result.success
    assert session.shell.user_ns["piped"] == "through the pipe"
    locked.chmod(0)
    try:
        result = session.run(
            "try:\n    open('locked.txt').read()\nexcept OSError as e:\n    err = e"
        )
    finally:
        locked.chmod(0o600)
    assert result.success
    first, second = session.records()
    files = files_of(first)
    tmp = files[real(tmp_path / "tmp.txt")]
    assert (tmp.mode, tmp.size, tmp.digest, tmp.opaque) == ("write", None, None, OPAQUE_DELETED)
    assert real(tmp_path / "missing.txt") not in files  # a failed open read nothing
    pipe = files[real(tmp_path / "pipe")]
    assert (pipe.mode, pipe.size, pipe.digest, pipe.opaque) == (
        "update",
        None,
        None,
        OPAQUE_NOT_REGULAR,
    )
    assert files[real(locked)].digest == file_digest(b"secret")
    if os.geteuid() != 0:  # root reads any file: then the digest is simply there
        unreadable = files_of(second)[real(locked)]
        assert unreadable.digest is None and unreadable.opaque.startswith("unreadable")
        assert unreadable.size == len("secret")


def test_budget_and_deferred_digests(session: Session, tmp_path: Path) -> None:
    recorder = session.recorder
    recorder.settings.file_digest_bytes = 6 * 2**20
    big = os.urandom(5 * 2**20)  # above the inline allowance: digested by the finalizer
    (tmp_path / "big.bin").write_bytes(big)
    (tmp_path / "huge.bin").write_bytes(b"\0" * (7 * 2**20))
    session.run("a = open('big.bin', 'rb').read()\nb = open('huge.bin', 'rb').read(10)")
    files = files_of(session.last())
    assert files[real(tmp_path / "big.bin")].digest == file_digest(big)
    huge = files[real(tmp_path / "huge.bin")]
    assert (huge.size, huge.digest, huge.opaque) == (7 * 2**20, None, OPAQUE_BUDGET_BYTES)


def test_a_file_changed_before_its_deferred_digest_is_not_given_a_wrong_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"before")
    seen = FileStat.of(os.stat(path))
    assert digest_file(str(path), seen, 100) == (file_digest(b"before"), None)
    path.write_bytes(b"after, longer")
    assert digest_file(str(path), seen, 100) == (None, OPAQUE_CHANGED)


def test_run_record_and_store_carry_the_files(session: Session, tmp_path: Path) -> None:
    session.run("open('out.txt', 'w').write('result')", cell_id="c1")
    session.run("x = open('out.txt').read()", cell_id="c2")
    recorder = session.recorder
    assert recorder.flush(30)
    with RunStore(session.store) as store:
        record = store.run_record(recorder.run.run_id)
        rows = store._conn.execute(
            "SELECT seq, path, mode, size FROM files ORDER BY seq"
        ).fetchall()
    path = real(tmp_path / "out.txt")
    assert rows == [(1, path, "write", 6), (2, path, "read", 6)]
    assert record["files"] == [
        {"path": path, "mode": "write", "size": 6, "digest": file_digest(b"result"),
         "seq": 1, "cell_id": "c1"},
        {"path": path, "mode": "read", "size": 6, "digest": file_digest(b"result"),
         "seq": 2, "cell_id": "c2"},
    ]  # fmt: skip
    import jsonschema

    from jupyter_ext.schemas import __file__ as schemas_init

    schema = json.loads((Path(schemas_init).parent / "run.schema.json").read_text())
    jsonschema.validate(record, schema)
    assert extension.status(session.shell)["files_recorded"] == 2


def test_tracking_off_by_configuration(
    plain_shell: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    assert isinstance(plain_shell, InteractiveShell)
    plain_shell.config.JupyterExt.track_files = False
    plain_shell.run_cell("%load_ext jupyter_ext")
    plain_shell.run_cell("open('x.txt', 'w').write('1')")
    recorder = extension.recorder_of(plain_shell)
    assert recorder.flush(30)
    with RunStore(tmp_path / "runs.sqlite") as store:
        (record,) = store.executions(recorder.run.run_id)
    assert record.files == () and (tmp_path / "x.txt").read_text() == "1"


def test_hook_never_converts_paths_itself(session: Session, tmp_path: Path) -> None:
    """A PathLike's ``__fspath__`` (user code) runs once, by open() itself; a bad file
    descriptor fails exactly as it would without the hook."""
    session.run(
        textwrap.dedent(
            """
            class Custom:
                calls = 0
                def __fspath__(self):
                    Custom.calls += 1
                    return 'custom.txt'
            with open(Custom(), 'w') as f:
                f.write('x')
            calls = Custom.calls
            try:
                open(12345678)
            except OSError as e:
                bad_fd = type(e).__name__
            """
        )
    )
    ns = session.shell.user_ns
    assert ns["calls"] == 1
    assert ns["bad_fd"] == "OSError"
    assert [(f.path, f.mode) for f in session.last().files] == [
        (real(tmp_path / "custom.txt"), "write")
    ]


def test_lineage_of_a_name_crosses_files_and_lineage_of_a_path_lists_its_users(
    session: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session.run("import pandas as pd", cell_id="imp")
    session.run("raw = pd.DataFrame({'v': [1, 2, 3]})", cell_id="make")
    session.run("raw.to_csv('stage.csv', index=False)", cell_id="save")
    session.run("total = pd.read_csv('stage.csv')['v'].sum()", cell_id="load")
    session.run("pd.DataFrame({'v': [9]}).to_csv('stage.csv', index=False)", cell_id="redo")
    capsys.readouterr()
    session.run("%lineage total --json")
    report = json.loads(capsys.readouterr().out)
    path = real(tmp_path / "stage.csv")
    # `total` was made by "load" from a file "save" wrote from `raw`, made by "make"
    assert [u["cell_id"] for u in report["upstream"]] == ["imp", "make", "save"]
    (entry,) = report["files"]
    (read,) = entry["reads"]
    assert entry["path"] == path
    assert read["cell_id"] == "load" and read["written_by"]["cell_id"] == "save"
    assert read["changed_by"]["cell_id"] == "redo"  # the file has since been rewritten
    session.run("%lineage total")
    text = capsys.readouterr().out
    assert "files read on the way" in text and path in text and "changed since" in text

    session.run("%lineage stage.csv --json")
    by_path = json.loads(capsys.readouterr().out)
    assert by_path["path"] == path
    assert [(e["cell_id"], e["mode"]) for e in by_path["events"]] == [
        ("save", "write"),
        ("load", "read"),
        ("redo", "write"),
    ]
    assert by_path["current"]["digest"] == file_digest((tmp_path / "stage.csv").read_bytes())
    session.run(f"%lineage {path}")
    text = capsys.readouterr().out
    assert text.startswith(f"{path}: 2 writes, 1 reads")
    session.run("%lineage nowhere.csv")
    assert "no recorded execution read or wrote" in capsys.readouterr().out

    # the panel's request answers with the same data
    from jupyter_ext.capture.requests import request_handlers

    handlers = request_handlers(session.recorder)
    answer = handlers["lineage"]({"path": "stage.csv"})["lineage"]
    assert answer["writers"] == [3, 5] and answer["readers"] == [4]
    assert handlers["lineage"]({"name": "total"})["lineage"]["files"][0]["path"] == path
    edges = handlers["graph"]({})["graph"]["edges"]
    assert {"from": "save", "to": "load", "name": "stage.csv", "file": path} in [
        {k: e[k] for k in ("from", "to", "name", "file") if k in e} for e in edges
    ]


def test_default_exclusions_cover_history_runtime_caches_and_user_prefixes(
    tmp_path: Path,
) -> None:
    from jupyter_core.paths import jupyter_runtime_dir

    from jupyter_ext.capture.file_state import default_excludes

    history = tmp_path / "profile" / "history.sqlite"
    excludes = default_excludes(tmp_path / "runs.sqlite", str(history), [str(tmp_path / "scratch")])
    for path in (
        history,
        Path(f"{history}-wal"),
        tmp_path / "runs.sqlite-shm",
        Path(jupyter_runtime_dir()) / "kernel-1234.json",
        Path(sys.prefix) / "share" / "thing.json",
        tmp_path / "scratch" / "tmp.bin",
        tmp_path / "pkg" / "__pycache__" / "m.cpython-311.pyc",
        Path("/proc/self/status"),
    ):
        assert excludes.excluded(os.path.realpath(path)), path
    for path in (tmp_path / "data.csv", tmp_path / "scratchpad.txt", tmp_path / "runs.sqlite.bak"):
        assert not excludes.excluded(os.path.realpath(path)), path


def test_relative_paths_follow_a_chdir_inside_the_cell(session: Session, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "inner.txt").write_text("in")
    (tmp_path / "top.txt").write_text("top")
    session.run(
        "import os\na = open('top.txt').read()\nos.chdir('sub')\nb = open('inner.txt').read()"
        "\nos.chdir('..')\nc = open('top.txt').read()"
    )
    assert sorted(f.path for f in session.last().files) == [
        real(tmp_path / "sub" / "inner.txt"),
        real(tmp_path / "top.txt"),
    ]


def test_track_counts_file_uses(session: Session, capsys: pytest.CaptureFixture[str]) -> None:
    session.run("open('a.txt', 'w').write('1')\nopen('b.txt', 'w').write('2')")
    session.run("x = open('a.txt').read()")
    capsys.readouterr()
    session.run("%track")
    assert "files:      3 file uses recorded" in capsys.readouterr().out


def test_files_beyond_the_per_execution_limit_are_left_out_with_one_notice(
    session: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session.recorder.settings.file_max_per_execution = 3
    code = "for i in range(5):\n    open(f'f{i}.txt', 'w').write(str(i))"
    session.run(code)
    session.run(code)
    err = capsys.readouterr().err
    assert err.count("jupyter-ext: a cell opened 5 files; only the first 3") == 1
    for record in session.records():
        assert [Path(f.path).name for f in record.files] == ["f0.txt", "f1.txt", "f2.txt"]
    assert all((tmp_path / f"f{i}.txt").read_text() == str(i) for i in range(5))


def test_a_deleted_working_directory_changes_nothing_the_user_sees(
    session: Session, tmp_path: Path
) -> None:
    (tmp_path / "gone").mkdir()
    code = textwrap.dedent(
        f"""
        import os
        os.chdir({str(tmp_path / "gone")!r})
        os.rmdir({str(tmp_path / "gone")!r})
        try:
            open('x.txt', 'w')
        except OSError as e:
            seen = type(e).__name__
        os.chdir({str(tmp_path)!r})
        open('back.txt', 'w').write('ok')
        """
    )
    result = session.run(code)
    assert result.success and session.shell.user_ns["seen"] == "FileNotFoundError"
    assert [Path(f.path).name for f in session.last().files] == ["back.txt"]
    assert session.recorder.failures == 0


def test_an_interpreter_installed_at_the_root_does_not_hide_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jupyter_ext.capture.file_state import default_excludes

    monkeypatch.setattr(sys, "prefix", "/")  # as in some minimal container images
    monkeypatch.setattr(sys, "exec_prefix", os.path.expanduser("~"))
    excludes = default_excludes(None, None)
    assert not excludes.excluded(os.path.realpath(tmp_path / "data.csv"))
    assert not excludes.excluded(os.path.realpath(os.path.expanduser("~/project/data.csv")))
    assert excludes.excluded("/proc/self/status")
