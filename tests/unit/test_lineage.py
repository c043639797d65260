"""The lineage graph: versions are content changes, inputs are the versions read, and the
walks up and down follow recorded reads only."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_ext.analysis.lineage import LineageGraph, Version
from jupyter_ext.core.records import ExecutionRecord, VariableState


def record(
    seq: int,
    cell: str | None = None,
    *,
    reads: str = "",
    writes: str = "",
    mutated: str = "",
    deleted: str = "",
) -> ExecutionRecord:
    """``writes``/``mutated``: ``"x=1 y=?"`` (digest after the execution; ``?``: opaque)."""
    variables = []
    bound, changed = _pairs(writes), _pairs(mutated)
    for name, value in {**bound, **changed}.items():
        variables.append(
            VariableState(name, "object", value, written=name in bound, mutated=name in changed)
        )
    for name in deleted.split():
        variables.append(VariableState(name, "", None, deleted=True))
    return ExecutionRecord(
        run_id="run",
        seq=seq,
        cell_id=cell,
        execution_count=seq,
        source_hash="h",
        source="",
        started_at=0.0,
        duration=0.0,
        status="ok",
        reads=tuple(reads.split()),
        writes=tuple(bound),
        mutated=tuple(changed),
        deleted=tuple(deleted.split()),
        variables=tuple(variables),
    )


def _pairs(text: str) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for item in text.split():
        name, _, value = item.partition("=")
        out[name] = None if value == "?" else value
    return out


def build(*records: ExecutionRecord) -> LineageGraph:
    graph = LineageGraph()
    for r in records:
        graph.add(r)
    return graph


def kinds(graph: LineageGraph, name: str) -> list[tuple[int, str, str | None]]:
    return [(v.seq, v.kind, v.digest) for v in graph.history(name)]


@pytest.mark.parametrize(
    ("records", "name", "history"),
    [
        pytest.param([record(1, "a", writes="x=1")], "x", [(1, "written", "1")], id="first-write"),
        pytest.param(
            [record(1, "a", writes="x=1"), record(2, "b", writes="x=1")],
            "x",
            [(1, "written", "1")],
            id="equal-rebind-is-no-version",
        ),
        pytest.param(
            [record(1, "a", writes="x=1"), record(2, "b", writes="x=2")],
            "x",
            [(1, "written", "1"), (2, "written", "2")],
            id="new-content-is-a-version",
        ),
        pytest.param(
            [record(1, "a", writes="x=?"), record(2, "b", writes="x=?")],
            "x",
            [(1, "written", None), (2, "written", None)],
            id="opaque-is-assumed-changed",
        ),
        pytest.param(
            [record(1, "a", writes="x=1"), record(2, "b", writes="x=?")],
            "x",
            [(1, "written", "1"), (2, "written", None)],
            id="unknown-digest-is-assumed-changed",
        ),
        pytest.param(
            [record(1, "a", writes="xs=1"), record(2, "b", reads="xs", mutated="xs=2")],
            "xs",
            [(1, "written", "1"), (2, "mutated", "2")],
            id="mutation",
        ),
        pytest.param(
            [
                record(1, "a", writes="x=1"),
                record(2, "b", deleted="x"),
                record(3, "c", writes="x=1"),
            ],
            "x",
            [(1, "written", "1"), (2, "deleted", None), (3, "written", "1")],
            id="deleted-then-rebound-equal-is-a-version",
        ),
        pytest.param(
            [record(1, "a", deleted="x"), record(2, "b", deleted="x")],
            "x",
            [(1, "deleted", None)],
            id="deleting-twice-is-one-deletion",
        ),
        pytest.param(
            [record(1, "a", writes="x=1", deleted="x")],
            "x",
            [(1, "deleted", None)],
            id="bound-and-deleted-in-one-execution",
        ),
    ],
)
def test_versions_are_content_changes(
    records: list[ExecutionRecord], name: str, history: list[tuple[Any, ...]]
) -> None:
    assert kinds(build(*records), name) == history


def test_node_inputs_outputs_and_rebinds() -> None:
    graph = build(
        record(1, "a", writes="x=1 y=1"),
        record(2, "b", reads="x y old", writes="x=2 y=1"),
    )
    node = graph.node(2)
    assert node is not None
    assert node.inputs == {"x": graph.history("x")[0], "y": graph.history("y")[0], "old": None}
    assert dict(node.outputs) == {"x": graph.current("x")}
    assert node.rebinds == {"y"}


def test_a_name_read_and_written_has_the_old_version_as_input_and_the_new_as_output() -> None:
    graph = build(record(1, "a", writes="x=1"), record(2, "a", reads="x", writes="x=2"))
    node = graph.node(2)
    assert node is not None
    assert node.inputs["x"] == Version("x", 1, "a", 1, "1", "written")
    assert node.outputs["x"] == Version("x", 2, "a", 2, "2", "written")


def test_current_last_writer_and_last_execution() -> None:
    graph = build(
        record(1, "a", writes="x=1"),
        record(2, "b", writes="x=1"),  # rebinds: last writer, no new version
        record(3, "c", reads="x", mutated="x=2"),  # mutation: new version, not a writer
        record(4, "a", reads="x"),
    )
    current = graph.current("x")
    assert current is not None and (current.seq, current.kind) == (3, "mutated")
    writer = graph.last_writer("x")
    assert writer is not None and writer.seq == 2
    last_a = graph.last_execution_of("a")
    assert last_a is not None and last_a.seq == 4
    assert graph.last_execution_of("zz") is None and graph.current("zz") is None
    assert graph.binder_cells(graph.history("x")[0]) == ("a", "b")
    assert list(graph.executed_cells()) == ["a", "b", "c"]


def test_a_deleted_name_reports_its_deletion_and_keeps_its_last_writer() -> None:
    graph = build(record(1, "a", writes="x=1"), record(2, "b", deleted="x"))
    current = graph.current("x")
    assert current is not None and current.kind == "deleted" and current.cell_id == "b"
    writer = graph.last_writer("x")
    assert writer is not None and writer.seq == 1


def test_upstream_and_downstream_follow_reads_transitively() -> None:
    graph = build(
        record(1, "load", writes="raw=1"),
        record(2, "clean", reads="raw", writes="df=1"),
        record(3, "other", writes="cfg=1"),
        record(4, "model", reads="df cfg", writes="m=1"),
        record(5, "plot", reads="m"),
        record(6, "unrelated", reads="cfg"),
    )
    assert graph.upstream(5) == [1, 2, 3, 4]
    assert graph.upstream(4) == [1, 2, 3]
    assert graph.upstream(1) == []
    assert graph.downstream(1) == [2, 4, 5]
    assert graph.downstream(3) == [4, 5, 6]
    assert graph.downstream(5) == []
    assert graph.upstream(99) == [] and graph.downstream(99) == []


def test_a_rebind_creates_no_dependency_and_a_self_update_is_no_cycle() -> None:
    graph = build(
        record(1, "a", writes="x=1"),
        record(2, "b", writes="x=1"),
        record(3, "c", reads="x"),
        record(4, "c", reads="x", writes="x=2"),
    )
    assert graph.upstream(3) == [1]
    assert graph.downstream(2) == []
    assert graph.downstream(1) == [3, 4]


def test_nodes_come_in_seq_order_and_seq_must_increase() -> None:
    graph = build(record(1, "a"), record(5, None), record(7, "b"))
    assert [n.seq for n in graph.nodes()] == [1, 5, 7]
    assert len(graph) == 3
    with pytest.raises(ValueError, match="not after"):
        graph.add(record(7, "c"))
    assert [n.seq for n in graph.nodes()] == [1, 5, 7]


def test_adding_costs_the_size_of_the_record_not_of_the_history() -> None:
    graph = LineageGraph()
    for seq in range(1, 20_001):
        graph.add(record(seq, f"c{seq % 50}", reads="x", writes=f"x={seq}"))
    import time

    t0 = time.perf_counter()
    for seq in range(20_001, 21_001):
        graph.add(record(seq, "z", reads="x", writes=f"x={seq}"))
    assert time.perf_counter() - t0 < 1.0  # ~20 us each; a scan of history would be far slower
