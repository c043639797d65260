"""Read-only views of file lineage for ``%lineage``, the panel and the CLI (pure).

``%lineage NAME`` lists the files NAME's value was made from (read by its producer or by
any execution upstream of it); ``%lineage PATH`` lists every execution that read or wrote
one file.  Both are computed here once and only formatted differently.
"""

from __future__ import annotations

from typing import Any

from .file_lineage import FileEvent, FileLineage, upstream
from .horizon import Horizon
from .lineage import LineageGraph
from .snapshot import NotebookSnapshot


def _event(event: FileEvent, snapshot: NotebookSnapshot | None) -> dict[str, Any]:
    position = snapshot.position(event.cell_id) if snapshot and event.cell_id else None
    out: dict[str, Any] = {
        "seq": event.seq,
        "cell_id": event.cell_id,
        "execution_count": event.execution_count,
        "position": position,
        "mode": event.mode,
        "size": event.size,
        "digest": event.digest,
    }
    if event.opaque is not None:
        out["opaque"] = event.opaque
    return out


def _read(files: FileLineage, event: FileEvent, snap: NotebookSnapshot | None) -> dict[str, Any]:
    writer = files.writer_before(event.path, event.seq)
    later = files.overtaken(event)
    entry = _event(event, snap)
    entry["written_by"] = _event(writer, snap) if writer else None
    entry["changed_by"] = _event(later, snap) if later else None
    if not (
        files.writer_known(event.path, event.seq) and files.changes_known(event.path, event.seq)
    ):
        entry["not_kept"] = True  # a write no longer held in memory may be the answer
    return entry


def files_upstream(
    graph: LineageGraph,
    files: FileLineage,
    seq: int,
    snapshot: NotebookSnapshot | None = None,
) -> list[dict[str, Any]]:
    """The files execution ``seq`` and everything upstream of it read, by path."""
    by_path: dict[str, dict[str, Any]] = {}
    for step in [*upstream(graph, files, seq), seq]:
        for event in files.of_execution(step):
            if event.reads:
                entry = by_path.setdefault(event.path, {"path": event.path, "reads": []})
                entry["reads"].append(_read(files, event, snapshot))
    return [by_path[path] for path in sorted(by_path)]


def file_report(
    files: FileLineage,
    path: str,
    snapshot: NotebookSnapshot | None = None,
    horizon: Horizon | None = None,
) -> dict[str, Any]:
    """Every execution that read or wrote ``path``, oldest first; KeyError if none did.

    ``horizon``: where the kernel's memory begins; when executions before it used the
    file, ``not_kept`` says so (and the events are those still held).
    """
    events = files.events(path)
    forgotten = horizon is not None and files.has_forgotten_uses(path)
    if not events and not forgotten:
        raise KeyError(f"no recorded execution read or wrote {path}")
    rows = [_read(files, e, snapshot) if e.reads else _event(e, snapshot) for e in events]
    last = events[-1] if events else None
    report: dict[str, Any] = {
        "path": path,
        "current": {"size": last.size, "digest": last.digest, "seq": last.seq} if last else None,
        "events": rows,
        "writers": [e.seq for e in events if e.writes],
        "readers": [e.seq for e in events if e.reads],
    }
    if forgotten and horizon is not None:
        report["not_kept"] = horizon.to_json("lineage of this file")
    return report


def _writer_label(read: dict[str, Any]) -> str:
    if read["written_by"] is None and read.get("not_kept"):
        return "no write held in memory (earlier executions are not kept)"
    return _label(read["written_by"])


def _label(ref: dict[str, Any] | None) -> str:
    if ref is None:
        return "outside this run"
    count = ref.get("execution_count")
    prompt = f"[{count}]" if count is not None else f"execution {ref['seq']}"
    cell = ref.get("cell_id")
    return f"{prompt} cell {cell}" if cell else f"{prompt} (no cell id)"


def _content(ref: dict[str, Any]) -> str:
    size = ref.get("size")
    digest = ref.get("digest")
    shown = f"{size} B" if size is not None else "size unknown"
    if digest:
        return f"{shown}, digest {digest[:12]}"
    return f"{shown}, {ref.get('opaque') or 'no digest'}"


def format_files(entries: list[dict[str, Any]], indent: str = "  ") -> list[str]:
    """Text lines for :func:`files_upstream` (under ``%lineage NAME``)."""
    lines: list[str] = []
    for entry in entries:
        for read in entry["reads"]:
            line = (
                f"{indent}  {entry['path']}  read by {_label(read)} ({_content(read)}), "
                f"written by {_writer_label(read)}"
            )
            if read["changed_by"]:
                line += f"; changed since by {_label(read['changed_by'])}"
            lines.append(line)
    return lines


def format_file_lineage(report: dict[str, Any]) -> str:
    """Text for ``%lineage PATH``."""
    lines = [f"{report['path']}: {len(report['writers'])} writes, {len(report['readers'])} reads"]
    for event in report["events"]:
        line = f"  {_label(event):<28} {event['mode']:<6} {_content(event)}"
        if event["mode"] != "write":
            line += f"  <- {_writer_label(event)}"
            if event.get("changed_by"):
                line += f"; changed since by {_label(event['changed_by'])}"
        lines.append(line)
    if report.get("not_kept"):
        lines.append(f"  {report['not_kept']['message']}")
    return "\n".join(lines)
