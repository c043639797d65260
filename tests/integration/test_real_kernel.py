"""The extension in a real ipykernel, fed like JupyterLab feeds it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyter_ext.store.sqlite import RunStore

from .kernels import Kernel

pytestmark = pytest.mark.integration


def _track(kernel: Kernel) -> dict[str, object]:
    out = kernel.execute("%track --json").stdout
    return json.loads(out)  # type: ignore[no-any-return]


def test_cell_ids_from_execute_request_metadata_are_recorded(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    with Kernel(extension=True, store=store, cwd=tmp_path) as kernel:
        assert kernel.execute("data = [3, 1, 2]", cell_id="cell-load").ok
        assert kernel.execute("data.sort()", cell_id="cell-sort").ok
        assert kernel.execute("total = sum(data)", cell_id="cell-sum").ok
        assert not kernel.execute("undefined_name", cell_id="cell-bad").ok
        kernel.execute("print('no cell id')")
        status = _track(kernel)
        run_id = str(status["run_id"])
        assert status["recording"] is True and status["store"] == str(store)
    with RunStore(store) as runs:
        records = runs.executions(run_id)
        run = runs.get_run(run_id)
    by_cell = {r.cell_id: r for r in records}
    assert list(by_cell)[:4] == ["cell-load", "cell-sort", "cell-sum", "cell-bad"]
    assert by_cell["cell-sort"].mutated == ("data",)
    assert by_cell["cell-sum"].reads == ("data",) and by_cell["cell-sum"].writes == ("total",)
    assert by_cell["cell-bad"].error_type == "NameError"
    assert (records[4].cell_id, records[4].source) == (None, "print('no cell id')")
    assert [r.execution_count for r in records[:4]] == [1, 2, 3, 4]
    assert run is not None and run.pid is not None and run.kernel.startswith("ipykernel")


def test_each_kernel_session_is_its_own_run(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    run_ids = []
    for _ in range(2):
        with Kernel(extension=True, store=store, cwd=tmp_path) as kernel:
            kernel.execute("x = 1", cell_id="a")
            run_ids.append(_track(kernel)["run_id"])
    assert run_ids[0] != run_ids[1]
    with RunStore(store) as runs:
        listed = {s.run_id for s in runs.list_runs()}
        assert set(run_ids) <= listed
        # Every run keeps its own record; nothing was lost at shutdown.
        assert all(runs.count_executions(str(r)) >= 1 for r in run_ids)


def test_environment_is_captured_without_secrets(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    canary = "canary-secret-value-7f3a9"
    env = {"MY_SERVICE_TOKEN": canary, "UNLISTED_SETTING": "canary-unlisted-1b2c"}
    with Kernel(extension=True, store=store, cwd=tmp_path, env=env) as kernel:
        kernel.execute("import numpy", cell_id="imp")
        # The environment is captured on a thread: wait until it and the records are
        # written, rather than hoping the capture is done before the kernel stops.
        flushed = kernel.execute(
            "from jupyter_ext.capture import extension as _jx\nprint(_jx.flush(get_ipython(), 60))"
        )
        assert flushed.stdout.strip() == "True", flushed.stdout + flushed.stderr
        run_id = str(_track(kernel)["run_id"])
    with RunStore(store) as runs:
        environment = runs.get_environment(run_id)
    assert environment is not None
    assert environment["python"]["version"]
    assert "numpy" in environment["packages"]
    assert environment["imported"]["numpy"] == environment["packages"]["numpy"]
    assert "ipykernel" in environment["kernel_imported"]
    dumped = store.read_bytes()
    assert canary.encode() not in dumped
    assert b"canary-unlisted-1b2c" not in dumped


def test_extension_loaded_by_configuration_file(tmp_path: Path) -> None:
    """The README shows loading at kernel start through ipython_config.py."""
    profile = tmp_path / "ipython"
    (profile / "profile_default").mkdir(parents=True)
    (profile / "profile_default" / "ipython_config.py").write_text(
        "c.InteractiveShellApp.extensions = ['jupyter_ext']\n"
    )
    store = tmp_path / "runs.sqlite"
    env = {"IPYTHONDIR": str(profile)}
    with Kernel(extension=False, store=store, cwd=tmp_path, env=env) as kernel:
        kernel.execute("a = 1", cell_id="first")
        status = _track(kernel)
    assert status["recording"] is True
    with RunStore(store) as runs:
        assert next(r.cell_id for r in runs.executions(str(status["run_id"]))) == "first"
