"""The whole live path in a real kernel, driven exactly as JupyterLab drives it.

Execute requests carry ``metadata.cellId``; the notebook arrives as ``notebook``
snapshots on the ``jupyter_ext`` comm; warnings come back as ``state`` pushes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .kernels import Kernel

pytestmark = pytest.mark.integration


def snapshot(seq: int, *cells: tuple[str, str]) -> dict[str, Any]:
    return {
        "type": "notebook",
        "seq": seq,
        "path": "analysis.ipynb",
        "cells": [{"id": cid, "cell_type": "code", "source": src} for cid, src in cells],
    }


class Lab:
    """A minimal JupyterLab stand-in: one notebook, one comm, cells run by id."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.comm = kernel.open_comm("jupyter_ext", {"protocol": 1})
        self.hello = kernel.wait_comm(self.comm, lambda d: d.get("type") == "hello")
        self.cells: dict[str, str] = {}
        self.order: list[str] = []
        self.seq = 0

    def set_notebook(self, *cells: tuple[str, str]) -> None:
        self.seq += 1
        self.cells = dict(cells)
        self.order = [cid for cid, _ in cells]
        self.kernel.send_comm(self.comm, snapshot(self.seq, *cells))

    def run(self, cell_id: str) -> None:
        result = self.kernel.execute(self.cells[cell_id], cell_id=cell_id)
        assert result.ok, result.errors

    def state(self, check: Any = lambda s: True) -> dict[str, Any]:
        """The newest state push that satisfies ``check`` (waiting for it if needed)."""
        return self.kernel.wait_comm(
            self.comm,
            lambda d: d.get("type") == "state" and check(d),
            after=self.kernel.comm_cursor,
        )

    def request(self, **data: Any) -> dict[str, Any]:
        request_id = f"r{len(self.kernel.comm_inbox)}"
        self.kernel.send_comm(self.comm, {"type": "request", "request_id": request_id, **data})
        return self.kernel.wait_comm(
            self.comm, lambda d: d.get("type") == "response" and d["request_id"] == request_id
        )


def ran(cell_id: str) -> Any:
    """A state predicate: the cell has executed (cells that never ran have no seq)."""
    return lambda s: (s["cells"].get(cell_id) or {}).get("seq") is not None


def kinds(state: dict[str, Any]) -> set[tuple[str, str | None, tuple[str, ...]]]:
    return {(w["kind"], w["cell_id"], tuple(w["names"])) for w in state["warnings"]}


@pytest.fixture
def lab(tmp_path: Path) -> Lab:
    kernel = Kernel(extension=True, store=tmp_path / "runs.sqlite", cwd=tmp_path)
    yield Lab(kernel)  # type: ignore[misc]
    kernel.shutdown()


def test_hello_then_live_warnings_follow_the_user(lab: Lab) -> None:
    assert lab.hello["protocol"] == 1 and lab.hello["version"]
    lab.set_notebook(("load", "x = [1, 2, 3]"), ("use", "total = sum(x)"), ("grow", "x.append(4)"))
    lab.state(lambda s: s["notebook_seq"] == 1)
    for cell in ("load", "use"):
        lab.run(cell)
    clean = lab.state(ran("use"))
    assert clean["warnings"] == []

    lab.run("grow")  # mutates x after `use` read it
    stale = lab.state(lambda s: any(w["kind"] == "stale" for w in s["warnings"]))
    assert kinds(stale) == {("stale", "use", ("x",))}
    message = stale["warnings"][0]["message"]
    assert "`x`" in message and "[3]" in message

    lab.run("use")  # re-running the stale cell resolves staleness...
    rerun = lab.state(lambda s: s["cells"]["use"]["execution_count"] == 4)
    # ...but it now reads a value made by a cell below it: top to bottom would differ.
    assert kinds(rerun) == {("out_of_order", "use", ("x",))}

    lab.set_notebook(
        ("load", "x = [1, 2, 3]"), ("use", "total = sum(x) * 2"), ("grow", "x.append(4)")
    )
    edited = lab.state(lambda s: s["notebook_seq"] == 2)
    assert ("edited", "use", ()) in kinds(edited)


def test_out_of_order_and_hidden_state(lab: Lab) -> None:
    lab.set_notebook(("report", "print(rate)"), ("define", "rate = 0.05"))
    lab.run("define")
    lab.run("report")
    state = lab.state(ran("report"))
    assert ("out_of_order", "report", ("rate",)) in kinds(state)
    assert ("undefined_in_order", "report", ("rate",)) in kinds(state)

    lab.set_notebook(("report", "print(rate)"))  # the defining cell is deleted
    state = lab.state(lambda s: s["notebook_seq"] == 2)
    assert ("hidden_state", None, ("rate",)) in kinds(state)


def test_equal_rebinding_and_unrelated_changes_do_not_flag(lab: Lab) -> None:
    lab.set_notebook(
        ("imp", "import math"),
        ("a", "a = 10"),
        ("use", "b = a * math.pi"),
        ("again", "a = 10\nimport math"),
        ("other", "c = 99"),
        ("comp", "squares = [a for a in range(3)]"),
    )
    for cell in ("imp", "a", "use", "again", "other", "comp"):
        lab.run(cell)
    state = lab.state(ran("comp"))
    assert state["warnings"] == []


def test_bad_messages_are_dropped_and_the_kernel_keeps_working(lab: Lab) -> None:
    lab.set_notebook(("one", "v = 1"))
    lab.state(lambda s: s["notebook_seq"] == 1)
    bad: list[Any] = [
        {"type": "notebook", "seq": "two", "path": None, "cells": []},
        {"type": "notebook", "seq": 5, "path": None, "cells": [{"id": 1}]},
        {"type": "notebook", "seq": 0, "path": None, "cells": []},  # outdated
        {"type": "unheard-of"},
        "not an object",
        {
            "type": "notebook",
            "seq": 9,
            "path": None,
            "cells": [
                {"id": f"c{i}", "cell_type": "code", "source": "x" * 2_000} for i in range(12_000)
            ],
        },
    ]
    for data in bad:
        lab.kernel.send_comm(lab.comm, data)  # type: ignore[arg-type]
    lab.run("one")
    state = lab.state(ran("one"))
    assert state["notebook_seq"] == 1
    status = json.loads(lab.kernel.execute("%track --json").stdout)
    assert status["recording"] is True


def test_requests_graph_lineage_history(lab: Lab) -> None:
    lab.set_notebook(("src", "base = 2"), ("dst", "power = base ** 10"))
    lab.run("src")
    lab.run("dst")
    lab.state(ran("dst"))
    graph = lab.request(what="graph")
    assert graph["error"] is None
    edges = {(e["from"], e["to"], e["name"]) for e in graph["graph"]["edges"]}
    assert ("src", "dst", "base") in edges
    lineage = lab.request(what="lineage", name="power")
    assert lineage["lineage"]["produced_by"]["cell_id"] == "dst"
    assert [i["name"] for i in lineage["lineage"]["inputs"]] == ["base"]
    history = lab.request(what="history")
    assert history["current_run"] in {r["run_id"] for r in history["runs"]}
    unknown = lab.request(what="teleport")
    assert "unknown request" in unknown["error"]
    missing = lab.request(what="lineage", name="nope")
    assert "never recorded" in missing["error"]


def test_hygiene_magic_matches_the_pushed_state(lab: Lab) -> None:
    lab.set_notebook(("p", "print(k)"), ("q", "k = 1"))
    lab.run("q")
    lab.run("p")
    pushed = lab.state(ran("p"))
    printed = json.loads(lab.kernel.execute("%hygiene --json").stdout)
    assert printed["protocol"] == 1
    assert printed["warnings"] == pushed["warnings"]
    text = lab.kernel.execute("%hygiene").stdout
    assert "out_of_order" in text and "`k`" in text


def test_requests_variables_timeline_run(lab: Lab) -> None:
    lab.set_notebook(("first", "items = [1]"), ("second", "items.append(2)\nlabel = 'x'"))
    lab.run("first")
    lab.run("second")
    lab.state(ran("second"))
    variables = {v["name"]: v for v in lab.request(what="variables")["variables"]}
    assert variables["items"]["type"] == "list" and variables["items"]["mutated"] is True
    assert variables["items"]["writer"]["cell_id"] == "first"
    assert variables["label"]["writer"]["cell_id"] == "second"
    timeline = lab.request(what="timeline")["executions"]
    assert [(e["cell_id"], e["position"]) for e in timeline] == [("first", 0), ("second", 1)]
    assert all(e["duration"] >= 0 for e in timeline)
    run = lab.request(what="run")
    assert run["error"] is None
    assert run["run"]["python"]["version"] and run["run"]["previous"]["run_id"] is None


def test_a_reconnecting_frontend_starts_its_snapshots_again(lab: Lab) -> None:
    lab.set_notebook(("a", "a = 1"))
    lab.set_notebook(("a", "a = 1"), ("b", "b = a"))
    lab.state(lambda s: s["notebook_seq"] == 2)
    # A reloaded page opens a new comm and numbers its snapshots from 1 again.
    second = lab.kernel.open_comm("jupyter_ext", {"protocol": 1})
    lab.kernel.wait_comm(second, lambda d: d.get("type") == "hello")
    lab.kernel.send_comm(second, snapshot(1, ("b", "b = a"), ("a", "a = 1")))
    state = lab.kernel.wait_comm(second, lambda d: d.get("notebook_seq") == 1)
    assert state["type"] == "state"


def test_a_cell_holding_a_secret_is_not_edited_until_its_code_changes(
    lab: Lab, tmp_path: Path
) -> None:
    """The frontend sends sources as typed; the store keeps them redacted. The kernel
    compares the two the same way, so a secret alone never makes a cell look edited."""
    from jupyter_ext.core.ids import source_hash
    from jupyter_ext.store.sqlite import RunStore

    secret = (
        "password = 'hunter2'\n"
        "conn = 'postgresql://analyst:s3cret@db.internal/prod'\n"
        "!echo --token=abc123"
    )
    cells = (("creds", secret), ("use", "n = len(password) + len(conn)"))
    lab.set_notebook(*cells)
    lab.state(lambda s: s["notebook_seq"] == 1)
    for cell in ("creds", "use"):
        lab.run(cell)
    assert lab.state(ran("use"))["warnings"] == []
    lab.set_notebook(*cells)  # a new snapshot, same sources
    again = lab.state(lambda s: s["notebook_seq"] == 2)
    assert kinds(again) == set()
    assert again["cells"]["creds"]["kinds"] == []

    lab.set_notebook(("creds", secret + "\nport = 5432"), cells[1])  # a real edit
    edited = lab.state(lambda s: s["notebook_seq"] == 3)
    assert ("edited", "creds", ()) in kinds(edited)

    flushed = lab.kernel.execute(
        "from jupyter_ext.capture import extension\nprint(extension.flush(get_ipython(), 30))"
    )
    assert flushed.stdout.strip() == "True"
    with RunStore(tmp_path / "runs.sqlite") as store:
        (run,) = store.list_runs()
        stored = store.executions(run.run_id)[0]
    assert "hunter2" not in stored.source and "s3cret" not in stored.source
    assert stored.source_hash == source_hash(secret)
