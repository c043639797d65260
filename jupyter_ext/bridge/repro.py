"""Is a notebook reproducible? Compare two runs' digests and say why they diverge.

Two fresh runs (or a fresh run and a stored run or a lock) are compared cell by cell
in execution order: the digest of every variable a cell touched, and the text the cell
showed (results and printed output, :mod:`.outputs`), since a value that is only
displayed, never assigned, is a result too. The first difference is the divergence a
person should look at, since later ones usually follow from it. Its likely cause is
read from what the cell and the cells it read from do: random numbers without a seed,
the clock, or a different environment. These are heuristics on source text and on the
recorded data flow, stated as "likely", never as proof.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .lockfile import CellDigests
from .outputs import first_difference

Kind = Literal["value", "status", "output", "added", "removed"]

_RANDOM = re.compile(
    r"\brandom\s*\.|\bfrom\s+random\s+import\b|\b(?:np|numpy)\.random\b|\btorch\.(?:rand|randn|"
    r"randint|randperm|normal|bernoulli|multinomial)\b|\bdefault_rng\b|\buuid\.uuid4\b|"
    r"\bsecrets\.|\bos\.urandom\b|\.sample\(\s*(?:n|frac)\s*="
)
_SEED = re.compile(
    r"\.seed\(\s*[^)\s]|\bmanual_seed\(|\bdefault_rng\(\s*[^)\s]|\bRandomState\(\s*[^)\s]|"
    r"\brandom\.Random\(\s*[^)\s]|\brandom_state\s*=\s*\d"
)
_TIME = re.compile(
    r"\btime\.(?:time|time_ns|perf_counter|monotonic|localtime|gmtime|ctime|strftime)\(|"
    r"\b(?:datetime|date)\.(?:now|today|utcnow)\(|\bTimestamp\.(?:now|today)\(|"
    r"\bpd\.to_datetime\(\s*['\"](?:now|today)"
)


@dataclass(frozen=True, slots=True)
class Divergence:
    """One difference between the reference and the new run."""

    kind: Kind
    cell: str
    """The cell as a person finds it (position and id or tag)."""
    variable: str | None
    expected: str | None
    """A digest, a status, or for ``output`` the first line of the shown text that
    differs (None when the reference, a lock, keeps only the text's digest)."""
    actual: str | None
    causes: tuple[str, ...] = ()

    def message(self) -> str:
        if self.kind == "value":
            what = (
                f"variable `{self.variable}` differs "
                f"({_short(self.expected)} then, {_short(self.actual)} now)"
            )
        elif self.kind == "status":
            what = f"the cell's status differs ({self.expected} then, {self.actual} now)"
        elif self.kind == "output":
            now = _quoted(self.actual)
            what = (
                f"its output differs ({_quoted(self.expected)} then, {now} now)"
                if self.expected is not None
                else f"its output differs from the reference's (now {now})"
            )
        elif self.kind == "added":
            what = "the cell is new: the reference has no such cell"
        else:
            what = "the cell did not run: the reference has it"
        return f"{self.cell}: {what}"


@dataclass(frozen=True, slots=True)
class Comparison:
    divergences: tuple[Divergence, ...]
    compared: int
    """Variables whose digests were compared."""
    opaque: int
    """Variables that could not be compared (no digest on one side)."""
    cells: int
    outputs: int = 0
    """Cells whose shown text was compared."""
    outputs_known: bool = True
    """Whether the reference keeps outputs (a stored run does not)."""

    @property
    def reproducible(self) -> bool:
        return not self.divergences

    @property
    def first(self) -> Divergence | None:
        return self.divergences[0] if self.divergences else None


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _short(digest: str | None) -> str:
    return digest[:12] if digest else "no digest"


def _quoted(line: str | None) -> str:
    return repr(line) if line else "nothing"


def upstream(cells: Sequence[CellDigests], position: int) -> list[CellDigests]:
    """The cell at ``position`` and the earlier cells it read from, transitively."""
    wanted = set(cells[position].reads)
    found = [cells[position]]
    for cell in reversed(cells[:position]):
        if wanted & set(cell.writes):
            found.append(cell)
            wanted |= set(cell.reads)
    return found


def _environment_changes(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    changes = []
    if a.get("python") and b.get("python") and a["python"] != b["python"]:
        changes.append(f"python {a['python']} -> {b['python']}")
    pa, pb = a.get("packages") or {}, b.get("packages") or {}
    for name in sorted(pa.keys() & pb.keys()):
        if pa[name] != pb[name]:
            changes.append(f"{name} {pa[name]} -> {pb[name]}")
    return changes


def likely_causes(
    cells: Sequence[CellDigests],
    position: int,
    source_changed: bool,
    env_changes: Sequence[str],
) -> tuple[str, ...]:
    """Why the cell at ``position`` may have computed something else this time."""
    causes: list[str] = []
    if source_changed:
        causes.append("the cell's source changed since the reference run")
    chain = upstream(cells, position)
    seeded = any(c.source and _SEED.search(c.source) for c in cells[: position + 1])
    random_users = [c for c in chain if c.source and _RANDOM.search(c.source)]
    if random_users and not seeded:
        causes.append(f"unseeded randomness: {random_users[-1].label} draws random numbers "
                      "and no cell before it sets a seed")  # fmt: skip
    clock_users = [c for c in chain if c.source and _TIME.search(c.source)]
    if clock_users:
        causes.append(f"time: {clock_users[-1].label} reads the clock")
    if env_changes:
        shown = ", ".join(env_changes[:5]) + (" ..." if len(env_changes) > 5 else "")
        causes.append(f"environment difference: {shown}")
    if not causes:
        causes.append(
            "unknown: the same code computed another value (files, network, or other "
            "state outside the notebook?)"
        )
    return tuple(causes)


def compare(
    reference: Sequence[CellDigests],
    current: Sequence[CellDigests],
    reference_env: Mapping[str, Any] | None = None,
    current_env: Mapping[str, Any] | None = None,
) -> Comparison:
    """Every divergence of ``current`` from ``reference``, in ``current``'s execution order.

    Environments are lock-style summaries (``python``, ``packages``); values that either
    side could not digest are counted, not compared.
    """
    env_changes = _environment_changes(reference_env or {}, current_env or {})
    by_key = {c.key: c for c in reference}
    found: list[Divergence] = []
    compared = opaque = outputs = 0
    for position, cell in enumerate(current):
        ref = by_key.get(cell.key)
        if ref is None:
            found.append(
                Divergence("added", cell.label, None, None, None, ("the notebook changed",))
            )
            continue
        changed = bool(ref.source_hash and cell.source_hash and ref.source_hash != cell.source_hash)
        if ref.status != cell.status:
            causes = likely_causes(current, position, changed, env_changes)
            found.append(Divergence("status", cell.label, None, ref.status, cell.status, causes))
        for name, digest in cell.variables.items():
            if name not in ref.variables:
                continue
            expected = ref.variables[name]
            if expected is None or digest is None:
                opaque += 1
                continue
            compared += 1
            if expected != digest:
                causes = likely_causes(current, position, changed, env_changes)
                found.append(Divergence("value", cell.label, name, expected, digest, causes))
        if ref.output is not None and cell.output is not None:
            outputs += 1
            if ref.output != cell.output:
                before, now = first_difference(ref.output_text or "", cell.output_text or "")
                causes = likely_causes(current, position, changed, env_changes)
                expected = before if ref.output_text is not None else None
                found.append(Divergence("output", cell.label, None, expected, now, causes))
    seen = {c.key for c in current}
    for ref in reference:
        if ref.key not in seen:
            found.append(
                Divergence("removed", ref.label, None, None, None, ("the notebook changed",))
            )
    known = any(c.output is not None for c in reference) or not reference
    return Comparison(tuple(found), compared, opaque, len(current), outputs, known)


def format_comparison(comparison: Comparison, reference: str, current: str) -> str:
    """The report: a verdict line, then the first divergence and its likely cause."""
    if comparison.reproducible:
        skipped = f"; {comparison.opaque} opaque values not compared" if comparison.opaque else ""
        if not comparison.outputs_known:
            skipped += f"; outputs not compared ({reference} keeps none)"
        shown = f" and {_count(comparison.outputs, 'output')}" if comparison.outputs_known else ""
        return (
            f"reproducible: {comparison.compared} variable digests{shown} in "
            f"{comparison.cells} cells match between {reference} and {current}{skipped}"
        )
    first = comparison.divergences[0]
    lines = [
        f"not reproducible: {current} diverges from {reference}",
        f"  first divergence  {first.message()}",
    ]
    for i, cause in enumerate(first.causes):
        lines.append(f"  {'likely cause' if i == 0 else '        also'}      {cause}")
    rest = comparison.divergences[1:]
    if rest:
        cells = len({d.cell for d in rest})
        lines.append(
            f"  then {_count(len(rest), 'more difference')} in {_count(cells, 'cell')} "
            "(they may follow from the first)"
        )
    return "\n".join(lines)
