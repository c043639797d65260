"""What differs between two runs: parameters, environment, and values cell by cell.

Works on two ``jupyter_ext.run/1`` records (pure), so the same comparison serves run ids
from the store and output notebooks carrying their record. Output differences need the
notebooks themselves (the store keeps no outputs); those come from nbdime, which matches
cells the way people read notebook diffs.
"""

from __future__ import annotations

from typing import Any


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def diff_mappings(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Added, removed and changed keys between two flat mappings."""
    return {
        "added": {k: b[k] for k in sorted(b.keys() - a.keys())},
        "removed": {k: a[k] for k in sorted(a.keys() - b.keys())},
        "changed": {k: [a[k], b[k]] for k in sorted(a.keys() & b.keys()) if a[k] != b[k]},
    }


def _execution_key(execution: dict[str, Any], index: int) -> str:
    # Cells are matched by id; executions without one (consoles, old notebooks) by order.
    cell = execution.get("cell_id")
    return f"cell:{cell}" if cell else f"exec:{index}"


def _last_per_cell(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for index, execution in enumerate(record.get("executions") or []):
        out[_execution_key(execution, index)] = execution
    return out


def _digests(execution: dict[str, Any]) -> dict[str, str | None]:
    return {
        v["name"]: v.get("digest")
        for v in execution.get("variables") or []
        if isinstance(v, dict) and "name" in v and not v.get("deleted")
    }


def diff_records(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """The differences a person asks about first, in the order they matter."""
    env_a, env_b = _mapping(a.get("environment")), _mapping(b.get("environment"))
    python_a = _mapping(env_a.get("python")).get("version")
    python_b = _mapping(env_b.get("python")).get("version")
    git_a, git_b = _mapping(env_a.get("git")), _mapping(env_b.get("git"))
    cells_a, cells_b = _last_per_cell(a), _last_per_cell(b)
    cells: list[dict[str, Any]] = []
    for key in list(cells_a) + [k for k in cells_b if k not in cells_a]:
        ea, eb = cells_a.get(key), cells_b.get(key)
        if ea is None or eb is None:
            cells.append({"cell": key, "only_in": "b" if ea is None else "a"})
            continue
        da, db = _digests(ea), _digests(eb)
        values = {
            name: [da.get(name), db.get(name)]
            for name in sorted(da.keys() | db.keys())
            if da.get(name) != db.get(name)
        }
        entry: dict[str, Any] = {"cell": key}
        if ea.get("source_hash") != eb.get("source_hash"):
            entry["source_changed"] = True
        if ea.get("status") != eb.get("status"):
            entry["status"] = [ea.get("status"), eb.get("status")]
        if values:
            entry["values"] = values
        if len(entry) > 1:
            cells.append(entry)
    first = next((c for c in cells if "values" in c or "status" in c or "only_in" in c), None)
    return {
        "a": a.get("run_id"),
        "b": b.get("run_id"),
        "parameters": diff_mappings(_mapping(a.get("parameters")), _mapping(b.get("parameters"))),
        "python": [python_a, python_b] if python_a != python_b else None,
        "git": [git_a.get("commit"), git_b.get("commit")]
        if git_a.get("commit") != git_b.get("commit")
        else None,
        "packages": diff_mappings(_mapping(env_a.get("packages")), _mapping(env_b.get("packages"))),
        "cells": cells,
        "first_divergence": first,
    }


def diff_outputs(nb_a: Any, nb_b: Any) -> list[dict[str, Any]]:
    """Cells whose outputs differ, by nbdime's cell matching (ids of notebook ``a``)."""
    from nbdime.diffing.notebooks import diff_notebooks

    changed: list[dict[str, Any]] = []
    for top in diff_notebooks(nb_a, nb_b):
        if top.get("key") != "cells" or top.get("op") != "patch":
            continue
        for cell_diff in top.get("diff", []):
            index = cell_diff.get("key")
            if cell_diff.get("op") != "patch" or not isinstance(index, int):
                continue
            if any(d.get("key") == "outputs" for d in cell_diff.get("diff", [])):
                cell = nb_a.cells[index] if index < len(nb_a.cells) else {}
                changed.append({"index": index, "cell_id": cell.get("id")})
    return changed


def is_same(diff: dict[str, Any], outputs: list[dict[str, Any]] | None = None) -> bool:
    packages = diff["packages"]
    params = diff["parameters"]
    return not (
        diff["cells"] or diff["python"] or any(packages.values()) or any(params.values()) or outputs
    )


def _short(value: Any) -> str:
    return str(value)[:12] if value is not None else "opaque"


def format_diff(diff: dict[str, Any], outputs: list[dict[str, Any]] | None) -> str:
    lines = [f"run {diff['a']}  vs  run {diff['b']}"]
    params = diff["parameters"]
    for name, value in params["added"].items():
        lines.append(f"  parameter {name}: (unset) -> {value!r}")
    for name, value in params["removed"].items():
        lines.append(f"  parameter {name}: {value!r} -> (unset)")
    for name, (old, new) in params["changed"].items():
        lines.append(f"  parameter {name}: {old!r} -> {new!r}")
    if diff["python"]:
        lines.append(f"  python {diff['python'][0]} -> {diff['python'][1]}")
    if diff["git"]:
        lines.append(f"  git commit {_short(diff['git'][0])} -> {_short(diff['git'][1])}")
    packages = diff["packages"]
    for name, version in packages["added"].items():
        lines.append(f"  package added   {name} {version}")
    for name, version in packages["removed"].items():
        lines.append(f"  package removed {name} {version}")
    for name, (old, new) in packages["changed"].items():
        lines.append(f"  package changed {name} {old} -> {new}")
    for cell in diff["cells"]:
        if "only_in" in cell:
            lines.append(f"  {cell['cell']}: only in run {diff[cell['only_in']]}")
            continue
        parts = []
        if cell.get("source_changed"):
            parts.append("source changed")
        if "status" in cell:
            parts.append(f"status {cell['status'][0]} -> {cell['status'][1]}")
        for name, (old, new) in cell.get("values", {}).items():
            parts.append(f"`{name}` {_short(old)} -> {_short(new)}")
        lines.append(f"  {cell['cell']}: " + "; ".join(parts))
    if outputs is not None:
        if outputs:
            where = ", ".join(str(o["cell_id"] or f"#{o['index']}") for o in outputs)
            lines.append(f"  outputs differ in cells: {where}")
        else:
            lines.append("  outputs: identical")
    else:
        lines.append("  outputs: not compared (pass the output notebooks to compare them)")
    if is_same(diff, outputs):
        lines.append("  no differences: same parameters, environment and values")
    elif diff["first_divergence"]:
        lines.append(f"  first divergence: {diff['first_divergence']['cell']}")
    return "\n".join(lines)
