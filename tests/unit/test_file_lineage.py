"""File lineage (pure): who wrote the file a cell read, whether it changed since, and how
file dependencies join variable dependencies in the walks up and down."""

from __future__ import annotations

import pytest

from jupyter_ext.analysis.file_lineage import FileLineage, downstream, upstream
from jupyter_ext.analysis.file_lineage_report import (
    file_report,
    files_upstream,
    format_file_lineage,
)
from jupyter_ext.analysis.lineage import LineageGraph
from jupyter_ext.analysis.lineage_report import format_lineage, lineage_report
from jupyter_ext.core.records import ExecutionRecord, FileAccess, FileMode

from .test_lineage import record as var_record


def record(
    seq: int,
    cell: str,
    files: list[tuple[str, FileMode, str | None]] = (),  # type: ignore[assignment]
    **names: str,
) -> ExecutionRecord:
    """An execution with variables (as in test_lineage) and ``(path, mode, digest)`` files."""
    base = var_record(seq, cell, **names)
    accesses = tuple(FileAccess(p, m, 10 if d else None, d) for p, m, d in files)
    return ExecutionRecord(
        **{k: getattr(base, k) for k in base.__slots__ if k != "files"}, files=accesses
    )


def build(*records: ExecutionRecord) -> tuple[LineageGraph, FileLineage]:
    graph = LineageGraph()
    for r in records:
        graph.add(r)
    return graph, FileLineage(records)


PIPELINE = (
    record(1, "load", writes="raw=r1"),
    record(2, "save", [("/d/stage.csv", "write", "s1")], reads="raw"),
    record(3, "other", writes="unrelated=u"),
    record(4, "read", [("/d/stage.csv", "read", "s1")], writes="total=t1"),
    record(5, "report", reads="total", writes="text=x"),
)


def test_a_read_depends_on_the_last_write_before_it() -> None:
    graph, files = build(*PIPELINE)
    assert files.file_inputs(4) == {"/d/stage.csv": files.events("/d/stage.csv")[0]}
    assert files.writer_before("/d/stage.csv", 2) is None  # nothing wrote it before seq 2
    # variables alone see no link from `total` back to `raw`; files supply it
    assert graph.upstream(4) == []
    assert upstream(graph, files, 4) == [1, 2]
    assert upstream(graph, files, 5) == [1, 2, 4]
    assert downstream(graph, files, 1) == [2, 4, 5]
    assert 3 not in downstream(graph, files, 1)


def test_a_file_from_outside_the_run_has_no_writer() -> None:
    graph, files = build(record(1, "a", [("/in.csv", "read", "x")], writes="df=1"))
    assert files.file_inputs(1) == {"/in.csv": None}
    assert upstream(graph, files, 1) == []
    (entry,) = files_upstream(graph, files, 1)
    assert entry["reads"][0]["written_by"] is None
    report = lineage_report(graph, "df", None, files)
    assert "outside this run" in format_lineage(report)


def test_reads_overtaken_by_a_later_different_write_only() -> None:
    _, files = build(
        record(1, "w", [("/f", "write", "v1")]),
        record(2, "r", [("/f", "read", "v1")]),
        record(3, "same", [("/f", "write", "v1")]),  # rewrote the same bytes
        record(4, "r2", [("/f", "read", "v1")]),
        record(5, "new", [("/f", "write", "v2")]),
    )
    reads = [e for e in files.events("/f") if e.reads]
    assert [files.overtaken(e).seq if files.overtaken(e) else None for e in reads] == [5, 5]
    _, files = build(
        record(1, "w", [("/f", "write", "v1")]),
        record(2, "r", [("/f", "read", "v1")]),
        record(3, "same", [("/f", "write", "v1")]),
    )
    assert files.overtaken(files.events("/f")[1]) is None
    # unknown content (deleted, over budget) is never assumed unchanged
    files = FileLineage(
        [record(1, "r", [("/f", "read", "v1")]), record(2, "w", [("/f", "write", None)])]
    )
    assert files.overtaken(files.events("/f")[0]) is not None


def test_update_reads_the_old_content_and_writes_the_new() -> None:
    graph, files = build(
        record(1, "w", [("/log", "write", "a")]),
        record(2, "append", [("/log", "update", "ab")]),
        record(3, "r", [("/log", "read", "ab")]),
    )
    assert upstream(graph, files, 3) == [1, 2]
    assert files.readers_after("/log", 1) == [files.events("/log")[1]]
    assert downstream(graph, files, 1) == [2, 3]


def test_path_report_lists_every_use_and_raises_for_unknown_paths() -> None:
    files = FileLineage([*PIPELINE, record(6, "rewrite", [("/d/stage.csv", "write", "s2")])])
    report = file_report(files, "/d/stage.csv")
    assert report["writers"] == [2, 6] and report["readers"] == [4]
    assert report["current"] == {"size": 10, "digest": "s2", "seq": 6}
    read = report["events"][1]
    assert read["written_by"]["cell_id"] == "save" and read["changed_by"]["cell_id"] == "rewrite"
    text = format_file_lineage(report)
    assert text.splitlines()[0] == "/d/stage.csv: 2 writes, 1 reads"
    assert "changed since by [6] cell rewrite" in text
    with pytest.raises(KeyError, match="no recorded execution"):
        file_report(files, "/nowhere")


def test_name_report_without_files_is_unchanged() -> None:
    graph, files = build(*PIPELINE)
    plain = lineage_report(graph, "total")
    assert "files" not in plain and plain["upstream"] == []
    with_files = lineage_report(graph, "total", None, files)
    assert [u["seq"] for u in with_files["upstream"]] == [1, 2]
    assert [f["path"] for f in with_files["files"]] == ["/d/stage.csv"]


def test_variables_only_records_have_no_file_events() -> None:
    files = FileLineage([var_record(1, "a", writes="x=1")])
    assert files.paths() == [] and files.of_execution(1) == ()


def test_graph_payload_links_cells_through_files() -> None:
    from jupyter_ext.analysis.lineage_report import graph_payload

    graph, files = build(*PIPELINE)
    plain = graph_payload(graph, None)
    assert all("file" not in e for e in plain["edges"])
    edges = graph_payload(graph, None, files)["edges"]
    file_edges = [e for e in edges if "file" in e]
    assert file_edges == [
        {
            "from": "save",
            "to": "read",
            "name": "stage.csv",
            "file": "/d/stage.csv",
            "out_of_order": False,
        }
    ]
    assert [e for e in edges if "file" not in e] == plain["edges"]
