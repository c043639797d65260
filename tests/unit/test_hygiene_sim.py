"""Two ways of feeding the rules engine what the recorder would feed it, and their checks.

* :class:`Sim` writes records by hand: each step names what a cell read, bound (with a
  digest string the test chooses), mutated and deleted.  Records are assembled by the
  recorder's own :func:`build_record`, so "mutated" and "unchanged" are decided exactly
  as in the kernel (a digest equal to the last known one is no mutation).
* :class:`MiniKernel` runs real code in a dict namespace: names come from the real AST
  analysis plus the called functions' globals, digests from the real hashing.  It digests
  every user name after each cell (the recorder digests only the touched names and their
  aliases; for these small namespaces the outcome is the same).

The other ``test_hygiene_*`` modules import these helpers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pytest

from jupyter_ext.analysis.hygiene import Finding, HygieneEngine
from jupyter_ext.analysis.names import analyse
from jupyter_ext.analysis.snapshot import CellSnapshot, NotebookSnapshot
from jupyter_ext.capture.finalizer import FinalizeJob, build_record
from jupyter_ext.capture.functions import called_global_refs
from jupyter_ext.capture.hashing import Digest, digest
from jupyter_ext.core.ids import source_hash
from jupyter_ext.core.records import ExecutionRecord

OUTSIDE = None
"""Cell id of an execution from outside the notebook (console, ``%run``, a client)."""


def split(text: str | Iterable[str]) -> list[str]:
    return text.split() if isinstance(text, str) else list(text)


def pairs(text: str | Mapping[str, str | None] | None) -> dict[str, str | None]:
    """``"x=1 y=2 z=?"`` -> ``{"x": "1", "y": "2", "z": None}`` (``?``: opaque)."""
    if text is None:
        return {}
    if not isinstance(text, str):
        return dict(text)
    out: dict[str, str | None] = {}
    for item in text.split():
        name, _, value = item.partition("=")
        out[name] = None if value == "?" else value
    return out


class Sim:
    """A notebook's cells plus a hand-driven recorder feeding one engine."""

    def __init__(self, engine: HygieneEngine | None = None) -> None:
        self.engine = engine or HygieneEngine()
        self.known: dict[str, Digest] = {}
        self.seq = 0
        self.count = 0
        self.sources: dict[str, str] = {}
        self.types: dict[str, str] = {}
        self.order: list[str] = []
        self.snapshot_seq = 0
        self.records: list[ExecutionRecord] = []

    def cells(self, *ids: str) -> Sim:
        """Declare cells in document order (sources default to a per-cell comment)."""
        for cell in ids:
            if cell not in self.order:
                self.order.append(cell)
                self.sources.setdefault(cell, f"# cell {cell}\n")
                self.types.setdefault(cell, "code")
        return self

    def edit(self, cell: str, source: str) -> Sim:
        self.cells(cell)
        self.sources[cell] = source
        return self

    def snapshot(self, *order: str, seq: int | None = None) -> bool:
        """Send the document (in ``order`` if given, else all declared cells)."""
        ids = list(order) if order else list(self.order)
        self.cells(*ids)
        if seq is None:
            self.snapshot_seq += 1
            seq = self.snapshot_seq
        else:
            self.snapshot_seq = max(self.snapshot_seq, seq)
        cells = tuple(CellSnapshot(c, self.types[c], self.sources[c]) for c in ids)
        return self.engine.set_notebook(NotebookSnapshot(seq=seq, path="n.ipynb", cells=cells))

    def run(
        self,
        cell: str | None,
        *,
        reads: str | Iterable[str] = (),
        writes: str | Mapping[str, str | None] | None = None,
        mutated: str | Mapping[str, str | None] | None = None,
        deleted: str | Iterable[str] = (),
        source: str | None = None,
        status: str = "ok",
        count: int | None = None,
    ) -> ExecutionRecord:
        """One execution.  ``writes``/``mutated``: name -> digest after the cell; a mutated
        digest equal to the last known one is (as in the recorder) no mutation."""
        if cell is not None:
            self.cells(cell)
            if source is None:
                source = self.sources[cell]
        source = source if source is not None else "pass\n"
        bound = pairs(writes)
        changed = pairs(mutated)
        read_names = split(reads)
        computed: dict[str, Digest] = {}
        for name, value in {**changed, **bound}.items():
            computed[name] = Digest(value, "object", None if value is not None else "opaque")
        for name in read_names:  # first read of a name bound before recording started
            if name not in self.known and name not in computed:
                computed[name] = Digest(f"pre:{name}", "object")
        self.seq += 1
        self.count += 1
        job = FinalizeJob(
            run_id="run",
            seq=self.seq,
            cell_id=cell,
            execution_count=self.count if count is None else count,
            source=source,
            source_hash=source_hash(source),
            started_at=0.0,
            duration=0.0,
            status="error" if status == "error" else "ok",
            error_type="NameError" if status == "error" else None,
            reads=frozenset(read_names),
            written=frozenset(bound),
            deleted=frozenset(split(deleted)),
            notes=(),
            computed=computed,
        )
        record = build_record(job, computed, self.known)
        self.records.append(record)
        self.engine.add_execution(record)
        return record

    def found(self) -> list[tuple[str, str | None, str]]:
        return triples(self.engine.warnings())


def triples(findings: Iterable[Finding]) -> list[tuple[str, str | None, str]]:
    """(kind, cell id, space-joined names), in the engine's order."""
    return [(f.kind, f.cell_id, " ".join(f.names)) for f in findings]


def _user(name: str) -> bool:
    return not name.startswith("_")


class MiniKernel:
    """Runs real cells in a dict namespace and records them like the recorder does."""

    def __init__(self, engine: HygieneEngine | None = None) -> None:
        self.engine = engine or HygieneEngine()
        self.ns: dict[str, Any] = {"__name__": "__main__"}
        self.known: dict[str, Digest] = {}
        self.seq = 0
        self.count = 0

    def run(self, cell: str | None, code: str, count: int | None = None) -> ExecutionRecord:
        names = analyse(code)
        ns = self.ns
        before = {name: id(value) for name, value in ns.items()}
        status = "ok"
        try:
            exec(compile(code, f"<cell {cell}>", "exec"), ns)
        except Exception:
            status = "error"
        refs = called_global_refs(names.calls, ns)
        live = {n for n in ns if _user(n)}
        rebound = {n for n in live if before.get(n) != id(ns[n])}
        written = rebound | (names.writes & live) if status == "ok" else rebound
        deleted = {n for n in before if _user(n) and n not in ns}
        reads = {n for n in names.reads | refs.loads if _user(n) and (n in ns or n in deleted)}
        computed = {n: digest(ns[n]) for n in live}
        self.seq += 1
        self.count = count if count is not None else self.count + 1
        job = FinalizeJob(
            run_id="run",
            seq=self.seq,
            cell_id=cell,
            execution_count=self.count,
            source=code,
            source_hash=source_hash(code),
            started_at=0.0,
            duration=0.0,
            status="ok" if status == "ok" else "error",
            error_type=None,
            reads=frozenset(reads),
            written=frozenset(written),
            deleted=frozenset(deleted),
            notes=(),
            computed=computed,
        )
        record = build_record(job, computed, self.known)
        self.engine.add_execution(record)
        return record


Step = Callable[[Sim], object]


def run(cell: str | None, **kwargs: Any) -> Step:
    return lambda sim: sim.run(cell, **kwargs)


def edit(cell: str, source: str) -> Step:
    return lambda sim: sim.edit(cell, source)


def snap(*order: str, seq: int | None = None) -> Step:
    return lambda sim: sim.snapshot(*order, seq=seq)


def cells(*ids: str) -> Step:
    return lambda sim: sim.cells(*ids)


def play(steps: Iterable[Step], engine: HygieneEngine | None = None) -> Sim:
    sim = Sim(engine)
    for step in steps:
        step(sim)
    return sim


# ------------------------------------------------------------------- the helpers' checks


def test_sim_reports_mutation_only_when_the_digest_changes() -> None:
    sim = Sim()
    sim.run("a", writes="xs=1")
    same = sim.run("b", reads="xs", mutated="xs=1")
    changed = sim.run("b", reads="xs", mutated="xs=2")
    assert same.mutated == () and changed.mutated == ("xs",)


def test_sim_gives_names_bound_before_recording_a_digest_at_first_read() -> None:
    record = Sim().run("a", reads="old")
    assert [(v.name, v.digest) for v in record.variables] == [("old", "pre:old")]


def test_minikernel_records_reads_writes_and_in_place_mutation() -> None:
    kernel = MiniKernel()
    kernel.run("a", "xs = [1]")
    record = kernel.run("b", "xs.append(2)")
    assert record.reads == ("xs",) and record.mutated == ("xs",) and record.writes == ()


def test_minikernel_records_reads_through_called_functions() -> None:
    kernel = MiniKernel()
    kernel.run("a", "k = 2\ndef f():\n    return k")
    assert kernel.run("b", "y = f()").reads == ("f", "k")


@pytest.mark.parametrize(("code", "name"), [("x = 1", "x"), ("import math", "math")])
def test_minikernel_rebinding_an_equal_value_makes_no_new_version(code: str, name: str) -> None:
    kernel = MiniKernel()
    kernel.run("a", code)
    kernel.run("b", code)
    node = kernel.engine.graph.last_execution_of("b")
    assert node is not None and dict(node.outputs) == {} and node.rebinds == {name}
