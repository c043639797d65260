"""``c.JupyterExt.history_limit`` in a real IPython shell: memory held by the recorder
stays bounded, findings match the whole history (read back from the store), and the
magics say where what they show stops."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_ext.analysis.hygiene import HygieneEngine

from .conftest import Session

LIMIT = 100


def _out(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().out


def _limited(shell: InteractiveShell, store: Path, limit: int) -> Session:
    shell.config.JupyterExt.history_limit = limit
    shell.run_cell("%load_ext jupyter_ext")
    return Session(shell, store)


@pytest.fixture
def limited(plain_shell: InteractiveShell, tmp_path: Path) -> Iterator[Session]:
    yield _limited(plain_shell, tmp_path / "runs.sqlite", LIMIT)


def test_long_session_holds_a_window_and_findings_match_the_store(
    limited: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    run = limited.run
    run("rate = 0.1", cell_id="set")
    run("price = 100 * (1 + rate)", cell_id="use")
    run("counter = 0", cell_id="init")
    for i in range(400):
        run("counter = counter + 1", cell_id="inc")
        if i % 3 == 0:
            run(f"data = [counter] * {i % 5}", cell_id="data")
        if i % 50 == 0:
            run("total = sum(data) + len(str(price))", cell_id=f"sum{i % 4}")
    run("rate = 0.2", cell_id="change")
    run("fresh = 41", cell_id="fresh")
    run("answer = fresh + 1", cell_id="answer")
    live = limited.recorder.live
    records = limited.records()  # flushes: every record is in the store and in `live`
    graph = live.engine.graph

    assert graph.history_limit == LIMIT and graph.horizon > len(records) - LIMIT - 11
    cells = {r.cell_id for r in records if r.cell_id}
    names = {n for r in records for n in (*r.writes, *r.mutated, *r.deleted)}
    assert len(graph) <= LIMIT + LIMIT // 10 + len(cells) + 2 * len(names)
    assert len(live.records()) == len(graph) < len(records) // 3

    whole = HygieneEngine()
    for record in records:
        whole.add_execution(record)
    assert [f.to_json() for f in live.warnings()] == [f.to_json() for f in whole.warnings()]
    assert live.state()["cells"] == whole.cell_status()
    found = {(f.kind, f.cell_id) for f in live.warnings()}
    assert ("stale", "use") in found  # its last run is hundreds of executions old

    _out(capsys)
    run_id = limited.recorder.run.run_id
    run("%lineage counter")
    text = _out(capsys)
    assert text.count("not kept in memory") == 1
    where = f"the full run is in the store: `jupyter-ext show {run_id}`"
    assert f"(history_limit={LIMIT}); {where}" in text
    run("%lineage answer --json")
    report = json.loads(_out(capsys))
    assert "not_kept" not in report and [u["cell_id"] for u in report["upstream"]] == ["fresh"]
    run("%gather counter")
    text = _out(capsys)
    assert text.startswith("%gather: cannot produce a complete recipe for `counter`")
    assert "counter = counter + 1" not in text
    run("%gather rate")
    assert _out(capsys).strip().endswith("rate = 0.2")


def test_a_limit_below_the_minimum_counts_as_the_minimum(
    plain_shell: InteractiveShell, tmp_path: Path
) -> None:
    session = _limited(plain_shell, tmp_path / "runs.sqlite", 0)
    for _ in range(150):
        session.run("x = 1", cell_id="a")
    assert session.recorder.flush(30)
    graph = session.recorder.live.engine.graph
    assert graph.history_limit == 100 and graph.horizon > 0
