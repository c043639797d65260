"""Read-only views of the lineage graph for people and for the panel (pure).

``%lineage NAME`` and the panel's ``lineage``/``graph`` requests show the same data, so
it is computed once here and only formatted differently.
"""

from __future__ import annotations

import os
from typing import Any

from .file_lineage import FileLineage, downstream_walk, upstream_walk
from .lineage import ExecutionNode, LineageGraph, Version
from .snapshot import NotebookSnapshot


def _ref(node: ExecutionNode | None, snapshot: NotebookSnapshot | None) -> dict[str, Any]:
    if node is None:
        return {"seq": None, "cell_id": None, "execution_count": None, "position": None}
    record = node.record
    position = snapshot.position(record.cell_id) if snapshot and record.cell_id else None
    return {
        "seq": record.seq,
        "cell_id": record.cell_id,
        "execution_count": record.execution_count,
        "position": position,
    }


def _version(version: Version) -> dict[str, Any]:
    return {
        "seq": version.seq,
        "cell_id": version.cell_id,
        "execution_count": version.execution_count,
        "digest": version.digest,
        "kind": version.kind,
    }


def lineage_report(
    graph: LineageGraph,
    name: str,
    snapshot: NotebookSnapshot | None = None,
    files: FileLineage | None = None,
) -> dict[str, Any]:
    """Where ``name``'s current value came from and what depends on it.

    With ``files``, dependencies through files count too (a cell that reads a CSV
    another cell wrote depends on that cell), and ``files`` lists what was read.
    """
    current = graph.current(name)
    if current is None:
        raise KeyError(f"`{name}` was never recorded in this run")
    producer = graph.node(current.seq)
    inputs = []
    if producer is not None:
        for input_name, version in sorted(producer.inputs.items()):
            node = graph.node(version.seq) if version else None
            source = _ref(node, snapshot) if node or not version else _from(version, snapshot)
            inputs.append({"name": input_name, "from": source})
    if files is None:
        up, down = graph.upstream_walk(current.seq), graph.downstream_walk(current.seq)
    else:
        up = upstream_walk(graph, files, current.seq)
        down = downstream_walk(graph, files, current.seq)
    upstream = [_ref(graph.node(seq), snapshot) for seq in up.seqs]
    downstream = []
    for seq in down.seqs:
        node = graph.node(seq)
        if node is not None:
            entry = _ref(node, snapshot)
            entry["names"] = sorted(node.outputs)
            downstream.append(entry)
    report = {
        "name": name,
        "current": _version(current),
        "produced_by": _ref(producer, snapshot),
        "history": [_version(v) for v in graph.history(name)],
        "inputs": inputs,
        "upstream": upstream,
        "downstream": downstream,
    }
    if files is not None:
        from .file_lineage_report import files_upstream

        report["files"] = files_upstream(graph, files, current.seq, snapshot)
    horizon = graph.horizon_info()
    whole = up.complete and down.complete and graph.history_complete(name)
    if horizon is not None and not (whole and _files_whole(report.get("files", ()))):
        report["not_kept"] = horizon.to_json()
    return report


def _from(version: Version, snapshot: NotebookSnapshot | None) -> dict[str, Any]:
    """A producer no longer held in memory, as far as the version it made tells."""
    cell = version.cell_id
    return {
        "seq": version.seq,
        "cell_id": cell,
        "execution_count": version.execution_count,
        "position": snapshot.position(cell) if snapshot and cell else None,
    }


def _files_whole(entries: Any) -> bool:
    return not any(read.get("not_kept") for entry in entries for read in entry["reads"])


def _label(ref: dict[str, Any]) -> str:
    if ref.get("seq") is None:
        return "before recording started"
    count = ref.get("execution_count")
    prompt = f"[{count}]" if count is not None else f"execution {ref['seq']}"
    cell = ref.get("cell_id")
    return f"{prompt} cell {cell}" if cell else f"{prompt} (no cell id)"


_ENDS = 5
"""Entries shown at each end of a long list in text (``x = x + 1`` re-run a thousand
times has a thousand upstream executions); the JSON report keeps them all."""


def _shortened(items: list[str], gap: str = "... {} more") -> list[str]:
    """The first and last :data:`_ENDS` items, with ``gap`` saying how many are between."""
    if len(items) <= 2 * _ENDS:
        return items
    return [*items[:_ENDS], gap.format(len(items) - 2 * _ENDS), *items[-_ENDS:]]


def _listed(items: list[str]) -> str:
    return ", ".join(_shortened(items))


def format_lineage(report: dict[str, Any]) -> str:
    current = report["current"]
    lines = [f"`{report['name']}`: {current['kind']} by {_label(report['produced_by'])}"]
    if current["kind"] == "deleted":
        return lines[0]
    digest = current.get("digest")
    lines[0] += f", digest {digest[:12]}" if digest else ", opaque value"
    if report["inputs"]:
        lines.append("  made from:")
        lines.extend(f"    {i['name']:<16} <- {_label(i['from'])}" for i in report["inputs"])
    if report.get("files"):
        from .file_lineage_report import format_files

        lines.append("  files read on the way:")
        lines.extend(format_files(report["files"], indent="  "))
    if report["upstream"]:
        lines.append("  upstream: " + _listed([_label(r) for r in report["upstream"]]))
    if report["downstream"]:
        lines.append("  downstream:")
        shown = [
            f"    {_label(r)} -> {', '.join(r['names']) or '(reads only)'}"
            for r in report["downstream"]
        ]
        lines.extend(_shortened(shown, "    ... {} more"))
    if len(report["history"]) > 1:
        changes = _listed([f"{_label(v)} {v['kind']}" for v in report["history"]])
        lines.append(f"  history: {changes}")
    if report.get("not_kept"):
        lines.append(f"  {report['not_kept']['message']}")
    return "\n".join(lines)


def graph_payload(
    graph: LineageGraph, snapshot: NotebookSnapshot | None, files: FileLineage | None = None
) -> dict[str, Any]:
    """Cells and the variables flowing between them, for the panel's graph view.

    One node per cell (its last execution) or per execution without a cell id; one edge
    per (producer, consumer, name), flagged when the producer sits below the consumer.
    With ``files``, a file one execution wrote and another read is an edge too, named by
    the file's base name and carrying its full ``file`` path.
    """
    last: dict[str, ExecutionNode] = {}
    for node in graph.nodes():
        key = node.record.cell_id or f"exec:{node.record.seq}"
        last[key] = node
    nodes = []
    edges = []
    for key, node in last.items():
        ref = _ref(node, snapshot)
        ref["key"] = key
        ref["writes"] = sorted(node.outputs)
        ref["status"] = node.record.status
        nodes.append(ref)
        for name, version in sorted(node.inputs.items()):
            if version is None:
                continue
            if version.cell_id is None and graph.node(version.seq) is None:
                continue  # code outside the notebook, no longer held in memory
            source_key = version.cell_id or f"exec:{version.seq}"
            if source_key == key:
                continue
            src_pos = snapshot.position(source_key) if snapshot else None
            dst_pos = ref["position"]
            edges.append(
                {
                    "from": source_key,
                    "to": key,
                    "name": name,
                    "out_of_order": src_pos is not None
                    and dst_pos is not None
                    and src_pos > dst_pos,
                }
            )
    if files is not None:
        edges.extend(_file_edges(last, files, snapshot))
    nodes.sort(key=lambda n: (n["position"] is None, n["position"] or 0, n["seq"] or 0))
    return {"nodes": nodes, "edges": edges}


def _file_edges(
    last: dict[str, ExecutionNode], files: FileLineage, snapshot: NotebookSnapshot | None
) -> list[dict[str, Any]]:
    edges = []
    for key, node in last.items():
        for path, writer in sorted(files.file_inputs(node.seq).items()):
            if writer is None:
                continue
            source_key = writer.cell_id or f"exec:{writer.seq}"
            if source_key == key:
                continue
            src_pos = snapshot.position(source_key) if snapshot else None
            dst_pos = snapshot.position(key) if snapshot else None
            edges.append(
                {
                    "from": source_key,
                    "to": key,
                    "name": os.path.basename(path) or path,
                    "file": path,
                    "out_of_order": src_pos is not None
                    and dst_pos is not None
                    and src_pos > dst_pos,
                }
            )
    return edges
