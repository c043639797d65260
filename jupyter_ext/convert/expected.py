"""The digests the module's values must have: those the recorder took in the notebook.

Each returned name's expected digest is the one its final value had in a recorded
top-to-bottom run: the digest in the last execution that touched it. A value is not
compared, and the generated test says why, when no honest comparison exists: the
recorder could not digest it (open files, sockets...), it differs between two runs of
the notebook (unseeded randomness, the clock, outside state), or it is an instance of
a class the notebook defines (its digest names the defining module, ``__main__`` in
the notebook and the module's name once imported).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

NOT_RECORDED = "no digest recorded in the notebook run"


@dataclass(frozen=True, slots=True)
class FinalValue:
    digest: str | None
    type_name: str
    opaque: str | None


@dataclass(frozen=True, slots=True)
class ExpectedDigests:
    run_id: str
    digests: dict[str, str]
    excluded: dict[str, str]
    """Name -> why it is not compared."""


def final_values(record: Mapping[str, Any]) -> dict[str, FinalValue]:
    """Name -> its value's digest after the last execution that touched it."""
    out: dict[str, FinalValue] = {}
    for execution in record.get("executions") or []:
        for var in execution.get("variables") or []:
            name = var.get("name")
            if not isinstance(name, str):
                continue
            if var.get("deleted"):
                out.pop(name, None)
                continue
            digest = var.get("digest")
            out[name] = FinalValue(
                digest if isinstance(digest, str) else None,
                str(var.get("type") or ""),
                var.get("opaque") if isinstance(var.get("opaque"), str) else None,
            )
    return out


def expected_digests(names: Sequence[str], records: Sequence[Mapping[str, Any]]) -> ExpectedDigests:
    """Expected digests of ``names`` from the first of ``records``; any further record
    (another run of the same notebook) rules out values that differ between runs."""
    first = final_values(records[0])
    others = [final_values(r) for r in records[1:]]
    digests: dict[str, str] = {}
    excluded: dict[str, str] = {}
    for name in names:
        value = first.get(name)
        if value is None:
            excluded[name] = NOT_RECORDED
        elif value.digest is None:
            excluded[name] = f"opaque ({value.opaque or 'no readable content'})"
        elif value.type_name.startswith("__main__."):
            excluded[name] = (
                f"instance of {value.type_name[9:]}, a class the notebook defines: its "
                "digest names the defining module"
            )
        elif any(o.get(name) is None or o[name].digest != value.digest for o in others):
            excluded[name] = (
                "differs between two runs of the notebook (unseeded randomness, the clock, "
                "or state outside the notebook)"
            )
        else:
            digests[name] = value.digest
    return ExpectedDigests(str(records[0].get("run_id") or ""), digests, excluded)
