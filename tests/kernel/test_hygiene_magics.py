"""``%hygiene``, ``%lineage`` and ``%gather`` as a user types them in a cell."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from .conftest import Session


def _out(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().out


def test_hygiene_reports_a_stale_cell_in_text_and_json(
    session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    session.run("rate = 0.1", cell_id="set")
    session.run("price = 100 * (1 + rate)", cell_id="use")
    session.run("rate = 0.2", cell_id="change")
    _out(capsys)
    session.run("%hygiene")
    text = _out(capsys)
    assert "stale" in text and "cell use" in text and "`rate`" in text
    session.run("%hygiene --json")
    payload = json.loads(_out(capsys))
    assert payload["protocol"] == 1
    found = [(w["kind"], w["cell_id"], w["names"]) for w in payload["warnings"]]
    assert found == [("stale", "use", ["rate"])]


def test_hygiene_is_quiet_when_nothing_changed(
    session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    session.run("import math", cell_id="a")
    session.run("r = math.sqrt(4)", cell_id="b")
    session.run("import math", cell_id="c")  # the same module again: no change
    _out(capsys)
    session.run("%hygiene --json")
    assert json.loads(_out(capsys))["warnings"] == []


def test_lineage_names_producer_inputs_and_downstream(
    session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    session.run("base = [1, 2]", cell_id="load")
    session.run("base.append(3)", cell_id="grow")
    session.run("total = sum(base)", cell_id="sum")
    _out(capsys)
    session.run("%lineage base --json")
    report = json.loads(_out(capsys))
    assert report["current"]["kind"] == "mutated"
    assert report["produced_by"]["cell_id"] == "grow"
    assert [d["cell_id"] for d in report["downstream"]] == ["sum"]
    session.run("%lineage base")
    text = _out(capsys)
    assert "mutated" in text and "cell grow" in text and "cell sum" in text
    session.run("%lineage nothing_here")
    assert "never recorded" in _out(capsys)


def test_gather_prints_and_writes_the_minimal_code(
    session: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session.run("xs = [3, 1, 2]", cell_id="a")
    session.run("unrelated = 'noise'", cell_id="b")
    session.run("xs.sort()", cell_id="c")
    session.run("top = xs[-1]", cell_id="d")
    _out(capsys)
    session.run("%gather top")
    script = _out(capsys)
    assert "xs = [3, 1, 2]" in script and "xs.sort()" in script and "top = xs[-1]" in script
    assert "unrelated" not in script
    target = tmp_path / "top.ipynb"
    session.run(f"%gather top -o {target}")
    assert "wrote 3 steps" in _out(capsys)
    nb = nbformat.read(target, as_version=4)
    assert [c.source for c in nb.cells if c.cell_type == "code"] == [
        "xs = [3, 1, 2]",
        "xs.sort()",
        "top = xs[-1]",
    ]
    session.run("%gather top -o out.txt")
    assert _out(capsys).startswith("%gather:")


def test_track_counts_warnings(session: Session, capsys: pytest.CaptureFixture[str]) -> None:
    session.run("a = 1", cell_id="x")
    session.run("b = a", cell_id="y")
    session.run("a = 2", cell_id="z")
    session.recorder.flush(10)
    _out(capsys)
    session.run("%track --json")
    assert json.loads(_out(capsys))["warnings"] == 1


def test_hygiene_says_which_cells_it_cannot_judge(
    session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    from jupyter_ext.analysis.snapshot import parse_notebook_message

    snapshot = parse_notebook_message(
        {
            "type": "notebook",
            "seq": 1,
            "path": None,
            "cells": [
                {"id": "star", "cell_type": "code", "source": "from os.path import *"},
                {"id": "after", "cell_type": "code", "source": "print(join('a', 'b'))"},
            ],
        }
    )
    session.recorder.live.on_notebook(snapshot)
    session.run("from os.path import *", cell_id="star")
    session.run("print(join('a', 'b'))", cell_id="after")
    _out(capsys)
    session.run("%hygiene")
    text = _out(capsys)
    assert "undefined_in_order" not in text
    assert "cannot judge" in text and "cell after" in text


def test_gather_replays_the_secret_it_ran_from_the_history(
    session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    session.run("token = 'tok-123456'", cell_id="a")
    session.run("header = {'Authorization': 'Bearer ' + token}", cell_id="b")
    assert session.records()[0].source == "token = '<redacted>'"
    _out(capsys)
    session.run("%gather header --json")
    payload = json.loads(_out(capsys))
    sources = [s["source"] for s in payload["steps"]]
    assert sources == ["token = 'tok-123456'", "header = {'Authorization': 'Bearer ' + token}"]
    assert [s["redacted_lines"] for s in payload["steps"]] == [[], []]
    assert not any("redacted" in note for note in payload["notes"])

    # Where the history no longer holds what ran, the recipe says which line is missing.
    session.shell.history_manager.input_hist_raw[1] = "token = 'tok-123456'  # changed"
    session.run("%gather header")
    script = _out(capsys)
    assert "token = '<redacted>'" in script
    assert "line 1 below had a secret replaced by <redacted>" in script
