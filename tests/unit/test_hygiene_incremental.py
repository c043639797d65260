"""Incremental upkeep must never change an answer: after every event, an engine that has
been asked all along agrees with a fresh engine that saw the same events and is asked
once.  Random histories mix re-runs, equal rebinds, mutations, deletions, opaque values,
code run outside the notebook, executed sources newer than the document, snapshots that
reorder, delete, edit and retype cells, late snapshots and a frontend that goes away.
"""

from __future__ import annotations

import random
import time
from typing import Any

import pytest

from jupyter_ext.analysis.hygiene import HygieneEngine
from jupyter_ext.analysis.snapshot import NotebookSnapshot
from jupyter_ext.core.records import ExecutionRecord

from .test_hygiene_sim import Sim

CELLS = [f"c{i}" for i in range(6)]
NAMES = [f"n{i}" for i in range(5)]
SOURCES = [
    "n0 = 1",
    "n1 = n0 + 1",
    "print(n2, n3)",
    "n4 = [n1]",
    "from m import *",
    "x = (",
    "def f():\n    global n3\n    n3 = 1\n",
    "exec(code)",
]


class Logged(HygieneEngine):
    """An engine that keeps the events it was given, for a replay."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[Any] = []

    def add_execution(self, record: ExecutionRecord) -> Any:
        node = super().add_execution(record)
        self.events.append(record)
        return node

    def set_notebook(self, snapshot: NotebookSnapshot) -> bool:
        applied = super().set_notebook(snapshot)
        self.events.append(snapshot)
        return applied

    def clear_notebook(self) -> None:
        super().clear_notebook()
        self.events.append(None)


def replay(events: list[Any]) -> HygieneEngine:
    engine = HygieneEngine()
    for event in events:
        if event is None:
            engine.clear_notebook()
        elif isinstance(event, NotebookSnapshot):
            engine.set_notebook(event)
        else:
            engine.add_execution(event)
    return engine


def state(engine: HygieneEngine) -> tuple[list[dict[str, object]], dict[str, Any]]:
    return [f.to_json() for f in engine.warnings()], engine.cell_status()


def random_step(sim: Sim, rng: random.Random) -> None:
    roll = rng.random()
    if roll < 0.6:
        cell = rng.choice([*CELLS, None]) if rng.random() < 0.9 else None
        reads = rng.sample(NAMES, rng.randint(0, 2))
        digests: list[str | None] = ["1", "2", "3", None]  # None: an opaque value
        writes = {n: rng.choice(digests) for n in rng.sample(NAMES, rng.randint(0, 2))}
        mutated = {n: rng.choice(["1", "2", "3"]) for n in reads if rng.random() < 0.3}
        deleted = [n for n in NAMES if n not in writes and rng.random() < 0.05]
        source = rng.choice(SOURCES) if rng.random() < 0.2 else None
        status = "error" if rng.random() < 0.1 else "ok"
        sim.run(
            cell,
            reads=reads,
            writes=writes,
            mutated=mutated,
            deleted=deleted,
            source=source,
            status=status,
        )
    elif roll < 0.9:
        for cell in CELLS:
            if rng.random() < 0.2:
                sim.edit(cell, rng.choice(SOURCES))
            if rng.random() < 0.03:
                sim.types[cell] = rng.choice(["code", "markdown"])
        # half the snapshots keep the layout (only sources change), half restructure
        order = rng.sample(CELLS, rng.randint(2, len(CELLS))) if rng.random() < 0.5 else []
        late = rng.random() < 0.1
        sim.snapshot(*order, seq=max(sim.snapshot_seq - 1, 0) if late else None)
    elif roll < 0.95:
        sim.engine.clear_notebook()
        sim.snapshot_seq = 0
    else:
        sim.engine.warnings()  # an extra query in between must not matter either


@pytest.mark.parametrize("seed", range(25))
def test_incremental_answers_equal_a_fresh_replay(seed: int) -> None:
    rng = random.Random(seed)
    sim = Sim(Logged())
    engine = sim.engine
    assert isinstance(engine, Logged)
    for c in CELLS:
        sim.edit(c, rng.choice(SOURCES))
    for _ in range(60):
        random_step(sim, rng)
        assert state(engine) == state(replay(engine.events)), engine.events[-1]


def test_random_histories_reach_every_kind() -> None:
    """The random histories above are worth something only if they reach every rule."""
    seen: set[str] = set()
    for seed in range(25):
        rng = random.Random(seed)
        sim = Sim()
        for c in CELLS:
            sim.edit(c, rng.choice(SOURCES))
        for _ in range(60):
            random_step(sim, rng)
            seen |= {f.kind for f in sim.engine.warnings()}
    assert seen == {"stale", "out_of_order", "hidden_state", "edited", "undefined_in_order"}


def test_an_execution_costs_the_cells_it_affects_not_the_notebook() -> None:
    """1,000 chained cells; re-running one of them re-judges its own reader only."""

    def chain(n: int) -> tuple[Sim, float]:
        sim = Sim()
        ids = [f"c{i}" for i in range(n)]
        for i, cell in enumerate(ids):
            sim.edit(cell, f"x{i} = x{i - 1} + 1" if i else "x0 = 0")
        sim.snapshot()
        for i, cell in enumerate(ids):
            sim.run(cell, reads=[f"x{i - 1}"] if i else [], writes={f"x{i}": "0"})
        sim.engine.warnings()
        sim.engine.cell_status()
        times = []
        for k in range(41):
            t0 = time.perf_counter()
            sim.run(ids[n // 2], reads=[f"x{n // 2 - 1}"], writes={f"x{n // 2}": str(k + 1)})
            sim.engine.warnings()
            sim.engine.cell_status()
            times.append(time.perf_counter() - t0)
        return sim, sorted(times)[len(times) // 2]

    _, t_small = chain(100)
    large, t_large = chain(1000)
    assert large.found() == [("stale", "c501", "x500")]
    assert t_large < 10 * t_small + 0.001  # would be ~10x (plus) if it walked every cell
