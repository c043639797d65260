"""Fingerprints, the run-or-skip decision, the state file and file lineage of a step."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import xxhash

from jupyter_ext.capture.distributions import installed_versions as installed_distributions
from jupyter_ext.pipeline.fingerprint import (
    Fingerprint,
    code_digest,
    environment_digest,
    file_digest,
)
from jupyter_ext.pipeline.lineage import step_files
from jupyter_ext.pipeline.plan import decide
from jupyter_ext.pipeline.state import (
    PipelineState,
    StateError,
    StepState,
    load_state,
    save_state,
    state_path,
)


def nb(*cells: tuple[str, str], **meta: object) -> dict[str, object]:
    return {
        "cells": [
            {"cell_type": kind, "source": src, "metadata": dict(meta), "outputs": []}
            for kind, src in cells
        ]
    }


def test_code_digest_covers_code_cells_only() -> None:
    base = code_digest(nb(("code", "x = 1"), ("markdown", "# hi"), ("code", "y = x")))
    resaved = nb(("code", "x = 1  \n"), ("markdown", "# changed"), ("code", "y = x"))
    assert base == code_digest(resaved)
    assert base == code_digest(nb(("code", "x = 1"), ("code", "y = x"), tags=["t"]))
    assert base != code_digest(nb(("code", "x = 2"), ("code", "y = x")))
    assert base != code_digest(nb(("code", "x = 1\ny = x")))  # cell boundaries count


def test_file_digest_is_xxh3_of_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    data = bytes(range(256)) * 9000  # crosses the read block size
    path.write_bytes(data)
    assert file_digest(path) == xxhash.xxh3_128_hexdigest(data)
    assert file_digest(tmp_path / "missing") is None


def test_installed_distributions_agree_with_importlib_metadata() -> None:
    from importlib.metadata import distributions

    expected: dict[str, str] = {}
    for dist in distributions():
        name = re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower()
        expected.setdefault(name, dist.version)
    assert installed_distributions() == expected


def test_environment_digest_follows_versions() -> None:
    packages = installed_distributions()
    assert packages["xxhash"] and packages["papermill"]  # what this package runs on
    assert environment_digest(packages) == environment_digest(dict(reversed(packages.items())))
    assert environment_digest(packages) != environment_digest({**packages, "xxhash": "0.0"})


def fingerprint(**changes: object) -> Fingerprint:
    base = {"code": "c1", "parameters": {"n": 3}, "environment": "e1", "inputs": {"in.csv": "d1"}}
    return Fingerprint(**{**base, **changes})  # type: ignore[arg-type]


def last(**outputs: str | None) -> StepState:
    return StepState(fingerprint(), "run-1", 0.0, dict(outputs or {"out.csv": "o1"}))


def test_unchanged_step_is_skipped() -> None:
    assert not decide(fingerprint(), last(), {"out.csv": "o1"}).run


@pytest.mark.parametrize(
    ("current", "outputs", "reason"),
    [
        (fingerprint(code="c2"), {"out.csv": "o1"}, "code changed"),
        (fingerprint(parameters={"n": 4}), {"out.csv": "o1"}, "parameters changed: n 3→4"),
        (fingerprint(parameters={}), {"out.csv": "o1"}, "parameters changed: -n"),
        (fingerprint(inputs={"in.csv": "d2"}), {"out.csv": "o1"}, "input changed: in.csv"),
        (fingerprint(inputs={}), {"out.csv": "o1"}, "input dropped: in.csv"),
        (fingerprint(), {"out.csv": None}, "output missing: out.csv"),
        (fingerprint(), {"out.csv": "o2"}, "output changed since its run: out.csv"),
        (fingerprint(), {"out.csv": "o1", "more.csv": "m"}, "new output: more.csv"),
    ],
)
def test_each_difference_runs_the_step_and_is_named(
    current: Fingerprint, outputs: dict[str, str | None], reason: str
) -> None:
    decision = decide(current, last(), outputs)
    assert decision.run and decision.reasons == (reason,)


def test_environment_change_names_the_package() -> None:
    decision = decide(
        fingerprint(environment="e2"),
        last(),
        {"out.csv": "o1"},
        environments={"e1": {"numpy": "1.26.4", "pandas": "2.2"}},
        packages_now={"numpy": "2.0.0", "pandas": "2.2", "polars": "1.0"},
    )
    assert decision.reasons == ("environment changed: numpy 1.26.4→2.0.0, +polars 1.0",)


def test_never_ran_and_forced() -> None:
    assert decide(fingerprint(), None, {}).reasons == ("no successful run recorded",)
    assert decide(fingerprint(), last(), {"out.csv": "o1"}, force=True).reasons == ("--force",)


def test_state_round_trips_atomically_and_bad_files_are_reported(tmp_path: Path) -> None:
    path = state_path(tmp_path / "pipeline.yaml")
    assert path.name == "pipeline.state.json"
    assert load_state(path).steps == {}
    state = PipelineState(environments={"e1": {"x": "1"}, "unused": {"y": "2"}})
    state.steps["a"] = last(**{"out.csv": "o9"})
    save_state(path, state)
    loaded = load_state(path)
    assert loaded.steps["a"] == state.steps["a"]
    assert loaded.environments == {"e1": {"x": "1"}}  # only what a step refers to
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left
    path.write_text(json.dumps({"schema": "something else"}))
    with pytest.raises(StateError, match="delete it to rerun every step"):
        load_state(path)


def test_a_state_write_that_fails_midway_leaves_the_previous_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash or a full disk while saving must not leave a state that lies about what
    ran: readers see the old file, and no temporary is left behind."""
    import jupyter_ext.pipeline.state as state_module

    path = state_path(tmp_path / "pipeline.yaml")
    before = PipelineState()
    before.steps["a"] = last(**{"out.csv": "o1"})
    save_state(path, before)
    old_text = path.read_text()
    after = PipelineState()
    after.steps["a"] = last(**{"out.csv": "o2"})

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(state_module.os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        save_state(path, after)
    assert path.read_text() == old_text
    assert load_state(path).steps["a"] == before.steps["a"]
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_lineage_splits_inputs_outputs_and_outside(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    files = [
        {"path": str(root / "data" / "raw.csv"), "mode": "read", "seq": 2},
        {"path": str(root / "tmp.csv"), "mode": "write", "seq": 3},
        {"path": str(root / "tmp.csv"), "mode": "read", "seq": 4},
        {"path": str(root / "log.txt"), "mode": "update", "seq": 1},
        {"path": str(root / "out" / "clean.csv"), "mode": "write", "seq": 5},
        {"path": str(root / "other.ipynb"), "mode": "read", "seq": 5},
        {"path": str(root / "pipeline.yaml"), "mode": "read", "seq": 5},
        {"path": "/etc/hosts", "mode": "read", "seq": 1},
    ]
    found = step_files({"files": files}, root, ignore=[root / "pipeline.yaml"])
    assert found.inputs == ["data/raw.csv"]
    assert found.outputs == ["log.txt", "out/clean.csv", "tmp.csv"]
    assert found.outside == ["/etc/hosts"]
