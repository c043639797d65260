"""An in-process IPython shell with the extension loaded, one per test.

A fresh ``InteractiveShell`` per test (not the singleton) keeps tests independent; the
history database is in memory so nothing is written to the user's profile.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from jupyter_ext.capture import extension
from jupyter_ext.core.records import ExecutionRecord
from jupyter_ext.store.sqlite import RunStore


class Session:
    def __init__(self, shell: InteractiveShell, store: Path) -> None:
        self.shell = shell
        self.store = store

    def run(self, code: str, cell_id: str | None = None) -> Any:
        return self.shell.run_cell(code, store_history=True, cell_id=cell_id)

    @property
    def recorder(self) -> Any:
        return extension.recorder_of(self.shell)

    def records(self) -> list[ExecutionRecord]:
        recorder = self.recorder
        assert recorder.flush(30), "recorder did not flush"
        with RunStore(self.store) as store:
            return store.executions(recorder.run.run_id)

    def last(self) -> ExecutionRecord:
        return self.records()[-1]

    def variable(self, record: ExecutionRecord, name: str) -> Any:
        for v in record.variables:
            if v.name == name:
                return v
        raise AssertionError(f"{name} not among {[v.name for v in record.variables]}")


def make_shell() -> InteractiveShell:
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell(config=config)
    return shell


@pytest.fixture
def plain_shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    monkeypatch.setenv("JUPYTER_EXT_STORE", str(tmp_path / "runs.sqlite"))
    monkeypatch.delenv("JUPYTER_EXT_DISABLE", raising=False)
    monkeypatch.delenv("JUPYTER_EXT_RUN_ID", raising=False)
    monkeypatch.chdir(tmp_path)
    shell = make_shell()
    yield shell
    extension.unload(shell)
    shell.history_manager.end_session()
    InteractiveShell.clear_instance()


@pytest.fixture
def session(plain_shell: InteractiveShell, tmp_path: Path) -> Session:
    plain_shell.run_cell("%load_ext jupyter_ext")
    return Session(plain_shell, tmp_path / "runs.sqlite")
