"""Findings: the record every consumer of the rules receives, and how each kind is built.

A finding is what the rules *concluded*; the engine (:mod:`.hygiene`) decides *when* to
conclude it.  Keeping the shape and its construction here means the kernel's panel, the
``%hygiene`` magic and the static checker all get byte-identical findings for the same
facts, and the public codes live in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from . import wording
from .lineage import DELETED, ExecutionNode, Version

__all__ = [
    "CODES",
    "EDITED",
    "HIDDEN_STATE",
    "KINDS",
    "KIND_RANK",
    "OUT_OF_ORDER",
    "SEVERITIES",
    "STALE",
    "UNDEFINED_IN_ORDER",
    "Finding",
    "edited_finding",
    "hidden_finding",
    "order_finding",
    "stale_finding",
    "undefined_finding",
]

STALE = "stale"
OUT_OF_ORDER = "out_of_order"
HIDDEN_STATE = "hidden_state"
EDITED = "edited"
UNDEFINED_IN_ORDER = "undefined_in_order"

KINDS = (STALE, OUT_OF_ORDER, HIDDEN_STATE, EDITED, UNDEFINED_IN_ORDER)
"""Every kind the engine reports, in the order findings on one cell are listed."""
CODES = {
    STALE: "JX101",
    OUT_OF_ORDER: "JX102",
    HIDDEN_STATE: "JX103",
    EDITED: "JX104",
    UNDEFINED_IN_ORDER: "JX105",
}
"""Stable public codes: never reused, never renumbered."""
SEVERITIES = {
    STALE: "warning",
    OUT_OF_ORDER: "warning",
    HIDDEN_STATE: "warning",
    EDITED: "info",
    UNDEFINED_IN_ORDER: "warning",
}
"""``edited`` is only ``info``: editing is the normal way of working, and what an edit
breaks (stale readers, hidden state) is reported as warnings of its own."""
KIND_RANK = {kind: i for i, kind in enumerate(KINDS)}

ActorOf = Callable[[Version], wording.Actor]


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong with the notebook, as every consumer receives it."""

    kind: str
    code: str
    severity: str
    """``"warning"`` or ``"info"``."""
    cell_id: str | None
    names: tuple[str, ...]
    message: str
    extra: Mapping[str, object] = field(default_factory=dict, hash=False)
    """JSON-ready details (``changed_by``, ``written_by``, ``reason``, ``writers``...)."""

    def to_json(self) -> dict[str, object]:
        """``{"kind", "code", "severity", "cell_id", "names", "message", **extra}``; the
        contract's keys win over an extra of the same name."""
        out: dict[str, object] = {
            "kind": self.kind,
            "code": self.code,
            "severity": self.severity,
            "cell_id": self.cell_id,
            "names": list(self.names),
            "message": self.message,
        }
        for key, value in self.extra.items():
            out.setdefault(key, value)
        return out


def make_finding(
    kind: str,
    cell_id: str | None,
    names: Iterable[str],
    message: str,
    extra: Mapping[str, object] | None = None,
) -> Finding:
    return Finding(
        kind=kind,
        code=CODES[kind],
        severity=SEVERITIES[kind],
        cell_id=cell_id,
        names=tuple(names),
        message=message,
        extra=dict(extra or {}),
    )


def _by_execution(versions: Mapping[str, Version]) -> list[tuple[Version, list[str]]]:
    """Group names by the execution that produced their version, oldest first."""
    groups: dict[int, tuple[Version, list[str]]] = {}
    for name, version in versions.items():
        groups.setdefault(version.seq, (version, []))[1].append(name)
    return [(v, sorted(names)) for _, (v, names) in sorted(groups.items())]


def _ref(version: Version, names: Sequence[str]) -> dict[str, object]:
    return {
        "cell_id": version.cell_id,
        "execution_count": version.execution_count,
        "seq": version.seq,
        "names": list(names),
    }


def stale_finding(cell: str, stale: Mapping[str, Version], actor: ActorOf) -> Finding:
    """``stale``: name -> the version that changed it since the cell's last run."""
    groups = []
    changed_by = []
    for version, names in _by_execution(stale):
        deleted = version.kind == DELETED
        groups.append((actor(version), deleted, names))
        changed_by.append({**_ref(version, names), "change": "deleted" if deleted else "changed"})
    message = wording.stale_message(groups)
    return make_finding(STALE, cell, sorted(stale), message, {"changed_by": changed_by})


def order_finding(cell: str, disordered: Mapping[str, Version], actor: ActorOf) -> Finding:
    """``out_of_order``: name -> the version it read, written by a cell below."""
    grouped = _by_execution(disordered)
    message = wording.order_message([(actor(version), names) for version, names in grouped])
    extra = {"written_by": [_ref(version, names) for version, names in grouped]}
    return make_finding(OUT_OF_ORDER, cell, sorted(disordered), message, extra)


def hidden_finding(
    reason: str, cell: str | None, names: Sequence[str], writers: Sequence[ExecutionNode]
) -> Finding:
    """``hidden_state`` for names last bound by ``writers`` (oldest first), which the
    notebook no longer holds for ``reason`` (``"edited"``, ``"deleted"``, ``"outside"``).
    Anchored on the writer cell only while the document still holds it (edited)."""
    counts = [w.record.execution_count for w in writers]
    message = wording.hidden_message(reason, names, [c for c in counts if c is not None])
    extra = {
        "reason": reason,
        "writers": [
            {"cell_id": w.cell_id, "execution_count": w.record.execution_count, "seq": w.seq}
            for w in writers
        ],
    }
    owner = cell if reason == EDITED else None
    return make_finding(HIDDEN_STATE, owner, names, message, extra)


def edited_finding(cell: str, cell_type: str, node: ExecutionNode) -> Finding:
    executed = {"seq": node.seq, "execution_count": node.record.execution_count}
    message = wording.edited_message(cell_type)
    return make_finding(EDITED, cell, (), message, {"executed": executed})


def undefined_finding(cell: str, names: Sequence[str]) -> Finding:
    return make_finding(UNDEFINED_IN_ORDER, cell, names, wording.undefined_message(names))
