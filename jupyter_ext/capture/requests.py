"""Answers to the panel's ``request`` messages (graph, lineage, history).

History comes from the store, which only the kernel knows the location of, so the panel
asks the kernel rather than reading files itself.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..analysis.lineage_report import graph_payload, lineage_report
from .comm import RequestHandler


def request_handlers(recorder: Any) -> dict[str, RequestHandler]:
    live = recorder.live

    def graph(data: dict[str, Any]) -> dict[str, Any]:
        with live.locked():
            files = live.file_lineage()
            return {"graph": graph_payload(live.engine.graph, live.engine.notebook, files)}

    def lineage(data: dict[str, Any]) -> dict[str, Any]:
        from .lineage_query import lineage_of

        name, path = data.get("name"), data.get("path")
        if isinstance(path, str) and path:
            try:
                return {"lineage": lineage_of(live, path, as_path=True)}
            except KeyError as exc:
                raise ValueError(str(exc).strip("'\"")) from None
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError("lineage needs `name`, a Python identifier, or `path`, a file")
        with live.locked():
            files = live.file_lineage()
            graph = live.engine.graph
            return {"lineage": lineage_report(graph, name, live.engine.notebook, files)}

    def history(data: dict[str, Any]) -> dict[str, Any]:
        from ..store.sqlite import RunStore

        limit = data.get("limit", 20)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 0 < limit <= 500:
            raise ValueError("limit must be an integer between 1 and 500")
        recorder.writer.flush(5.0)
        notebook = recorder.run.notebook_path
        with RunStore(recorder.store_path, create=False) as store:
            runs = store.list_runs(notebook_path=notebook, limit=limit)
        return {
            "notebook": notebook,
            "current_run": recorder.run.run_id,
            "runs": [dataclasses.asdict(r) for r in runs],
        }

    def variables(data: dict[str, Any]) -> dict[str, Any]:
        types: dict[str, str] = {}
        for record in live.records():
            for state in record.variables:
                if state.type_name:
                    types[state.name] = state.type_name
        rows = []
        with live.locked():
            graph_ = live.engine.graph
            for name in sorted(types):
                current = graph_.current(name)
                if current is None or current.kind == "deleted":
                    continue
                writer = graph_.last_writer(name)
                rows.append(
                    {
                        "name": name,
                        "type": types[name],
                        "digest": current.digest,
                        "opaque": current.digest is None,
                        "writer": _execution_ref(writer.record if writer else None),
                        "changed_seq": current.seq,
                        "mutated": current.kind == "mutated",
                    }
                )
        return {"variables": rows}

    def timeline(data: dict[str, Any]) -> dict[str, Any]:
        with live.locked():
            notebook = live.engine.notebook
            records, horizon = live.records(), live.horizon()
        rows = []
        for record in records:
            position = notebook.position(record.cell_id) if notebook and record.cell_id else None
            rows.append(
                {
                    "seq": record.seq,
                    "cell_id": record.cell_id,
                    "execution_count": record.execution_count,
                    "position": position,
                    "start": record.started_at,
                    "duration": record.duration,
                    "status": record.status,
                }
            )
        if horizon is None:
            return {"executions": rows}
        return {"executions": rows, "not_kept": horizon.to_json("the timeline")}

    def run(data: dict[str, Any]) -> dict[str, Any]:
        from ..store.sqlite import RunStore

        recorder.flush(5.0)
        info = recorder.run
        environment = recorder.environment() or {}
        previous: dict[str, Any] = {"run_id": None}
        with RunStore(recorder.store_path, create=False) as store:
            earlier = [
                r
                for r in store.list_runs(notebook_path=info.notebook_path, limit=20)
                if r.run_id != info.run_id and r.started_at <= info.started_at
            ]
            if earlier:
                before = store.get_environment(earlier[0].run_id) or {}
                previous = {"run_id": earlier[0].run_id, **package_diff(before, environment)}
        return {
            "run": {
                "run_id": info.run_id,
                "started_at": info.started_at,
                "kernel": info.kernel,
                "notebook": info.notebook_path,
                "python": environment.get("python"),
                "platform": environment.get("platform"),
                "git": environment.get("git"),
                "packages": environment.get("imported", {}),
                "previous": previous,
            }
        }

    return {
        "graph": graph,
        "lineage": lineage,
        "history": history,
        "variables": variables,
        "timeline": timeline,
        "run": run,
    }


def _execution_ref(record: Any) -> dict[str, Any] | None:
    if record is None:
        return None
    return {"seq": record.seq, "cell_id": record.cell_id, "execution_count": record.execution_count}


def package_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Installed distributions added, removed and changed between two environments."""
    old_packages, new_packages = before.get("packages"), after.get("packages")
    old: dict[str, Any] = old_packages if isinstance(old_packages, dict) else {}
    new: dict[str, Any] = new_packages if isinstance(new_packages, dict) else {}
    return {
        "packages_added": {k: new[k] for k in sorted(new.keys() - old.keys())},
        "packages_removed": {k: old[k] for k in sorted(old.keys() - new.keys())},
        "packages_changed": {
            k: [old[k], new[k]] for k in sorted(old.keys() & new.keys()) if old[k] != new[k]
        },
    }
