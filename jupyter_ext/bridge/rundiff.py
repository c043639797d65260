"""What differs between two runs: parameters, environment, and values cell by cell.

Works on two ``jupyter_ext.run/1`` records (pure), so the same comparison serves run ids
from the store and output notebooks carrying their record. Output differences need the
notebooks themselves (the store keeps no outputs); those come from nbdime, which matches
cells the way people read notebook diffs.

Cells are paired the way ``lock`` and ``repro`` pair them. Each cell counts once, at
its last execution, in the order of those last executions. Cells with the same id pair
first. The cells left over pair by position: in the order they ran, between the same two
id-paired cells. That pairs every cell of two runs whose ids differ throughout (runs of a
notebook without cell ids recorded before its cells had stable ids, or executions without
a cell id), the parameters cell papermill injects with a fresh id each run, and a cell
edited where it stands; what is left after that is only in one run.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

Cell = tuple[str, dict[str, Any]]
"""A cell's key (``cell:<id>``, or ``exec:<n>`` for an execution without one) and its
last execution."""


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def diff_mappings(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Added, removed and changed keys between two flat mappings."""
    return {
        "added": {k: b[k] for k in sorted(b.keys() - a.keys())},
        "removed": {k: a[k] for k in sorted(a.keys() - b.keys())},
        "changed": {k: [a[k], b[k]] for k in sorted(a.keys() & b.keys()) if a[k] != b[k]},
    }


def _cells(record: dict[str, Any]) -> list[Cell]:
    """One entry per cell, its last execution, in the order of those last executions (a
    re-run cell moves to where it last ran, as in locks)."""
    out: dict[str, dict[str, Any]] = {}
    for index, execution in enumerate(record.get("executions") or []):
        if not isinstance(execution, dict):
            continue
        cell = execution.get("cell_id")
        key = f"cell:{cell}" if isinstance(cell, str) and cell else f"exec:{index}"
        out.pop(key, None)
        out[key] = execution
    return list(out.items())


def pair_cells(a: Sequence[Cell], b: Sequence[Cell]) -> dict[int, tuple[int, bool]]:
    """Index in ``a`` -> (index in ``b``, paired by position rather than by id)."""
    where_b = {key: j for j, (key, _) in enumerate(b) if key.startswith("cell:")}
    pairs = {
        i: (where_b[key], False)
        for i, (key, _) in enumerate(a)
        if key.startswith("cell:") and key in where_b
    }
    left_a = _gaps(a, pairs.keys())
    left_b = _gaps(b, {j for j, _ in pairs.values()})
    for anchor, waiting in left_a.items():
        for i, j in zip(waiting, left_b.get(anchor, ()), strict=False):
            pairs[i] = (j, True)
    return pairs


def _gaps(cells: Sequence[Cell], paired: Collection[int]) -> dict[str | None, list[int]]:
    """Unpaired cells by the key of the id-paired cell before them (None: at the start)."""
    out: dict[str | None, list[int]] = {}
    anchor: str | None = None
    for i, (key, _) in enumerate(cells):
        if i in paired:
            anchor = key
        else:
            out.setdefault(anchor, []).append(i)
    return out


def _merged_order(
    a: Sequence[Cell], b: Sequence[Cell], pairs: dict[int, tuple[int, bool]]
) -> list[tuple[int | None, int | None]]:
    """Every cell once, as (index in a, index in b): ``a``'s order, with each cell only in
    ``b`` placed after the cell it follows in ``b``."""
    partner = {j: i for i, (j, _) in pairs.items()}
    slots: list[tuple[float, int, int | None, int | None]] = [
        (float(i), 0, i, pairs[i][0] if i in pairs else None) for i in range(len(a))
    ]
    after = -1.0
    for j in range(len(b)):
        if j in partner:
            after = float(partner[j])
        else:
            slots.append((after + 0.5, j, None, j))
    return [(i, j) for _, _, i, j in sorted(slots, key=lambda s: (s[0], s[1]))]


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
    cells_a, cells_b = _cells(a), _cells(b)
    pairs = pair_cells(cells_a, cells_b)
    cells: list[dict[str, Any]] = []
    for i, j in _merged_order(cells_a, cells_b, pairs):
        if j is None and i is not None:
            cells.append({"cell": cells_a[i][0], "only_in": "a"})
            continue
        if i is None and j is not None:
            cells.append({"cell": cells_b[j][0], "only_in": "b"})
            continue
        if i is None or j is None:
            continue
        (key, ea), (key_b, eb) = cells_a[i], cells_b[j]
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
            if key_b != key:
                entry.update(cell_b=key_b, paired_by="position")
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
        label = cell["cell"]
        if "cell_b" in cell:
            label += f" (paired by position with {cell['cell_b']} of run {diff['b']})"
        if cell.get("source_changed"):
            parts.append("source changed")
        if "status" in cell:
            parts.append(f"status {cell['status'][0]} -> {cell['status'][1]}")
        for name, (old, new) in cell.get("values", {}).items():
            parts.append(f"`{name}` {_short(old)} -> {_short(new)}")
        lines.append(f"  {label}: " + "; ".join(parts))
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
