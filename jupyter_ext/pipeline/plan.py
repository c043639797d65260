"""Whether a step must run, and the reason a person can check: pure comparison.

A step is up to date when its fingerprint (code, parameters, environment, input digests)
equals the one of its last successful run *and* every output that run left is still
there with the digest it had. Anything else runs it, and every difference is named:
"parameters changed: n 3→4", "output missing: data/clean.csv", so that a rerun is never
a mystery and a skip is never a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .fingerprint import Fingerprint, environment_changes, parameters_changes
from .state import StepState

_MAX_LISTED = 3


@dataclass(frozen=True)
class Decision:
    """Run or skip, and why (empty reasons when skipped)."""

    run: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)


def decide(
    current: Fingerprint,
    last: StepState | None,
    outputs_now: Mapping[str, str | None],
    *,
    environments: Mapping[str, Mapping[str, str]] | None = None,
    packages_now: Mapping[str, str] | None = None,
    force: bool = False,
) -> Decision:
    """Compare a step's current fingerprint and outputs with its last successful run.

    ``outputs_now`` maps each output the spec lists to its current digest (None:
    missing). ``environments``/``packages_now`` only improve the wording of an
    environment change.
    """
    if force:
        return Decision(True, ("--force",))
    if last is None:
        return Decision(True, ("no successful run recorded",))
    before = last.fingerprint
    reasons: list[str] = []
    if before.code != current.code:
        reasons.append("code changed")
    changed = parameters_changes(before.parameters, current.parameters)
    if changed:
        reasons.append(f"parameters changed: {_listed(changed)}")
    if before.environment != current.environment:
        old = (environments or {}).get(before.environment)
        detail = environment_changes(old, packages_now or {}) if old is not None else []
        reasons.append(
            f"environment changed: {_listed(detail)}" if detail else "environment changed"
        )
    for path in sorted(set(before.inputs) | set(current.inputs)):
        if path not in before.inputs:
            reasons.append(f"new input: {path}")
        elif path not in current.inputs:
            reasons.append(f"input dropped: {path}")
        elif before.inputs[path] != current.inputs[path]:
            reasons.append(f"input changed: {path}")
    for path in sorted(outputs_now):
        recorded = last.outputs.get(path, "<none>")
        if outputs_now[path] is None:
            reasons.append(f"output missing: {path}")
        elif recorded == "<none>":
            reasons.append(f"new output: {path}")
        elif recorded != outputs_now[path]:
            reasons.append(f"output changed since its run: {path}")
    return Decision(bool(reasons), tuple(reasons))


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:_MAX_LISTED])
    more = len(items) - _MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")
