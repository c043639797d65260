"""Cost of keeping the hygiene rules current, per execution, as notebooks grow.

    python benchmarks/rules.py [--repeats N] [--sizes 10,100,1000]

Synthetic notebooks of 10, 100 and 1,000 code cells, in two shapes:

- chain: cell i reads ``x{i-1}`` and writes ``x{i}``;
- fan-out: cell 0 writes ``data``; every other cell reads it and writes ``y{i}``.

Every cell runs once (with the frontend's snapshot applied), then the benchmark measures
the median cost of ONE more execution: the middle cell re-runs and its output gets a new
digest, followed by ``warnings()`` and ``cell_status()`` -- what the kernel does before it
pushes a ``state`` message.  The growth ratio 1,000 vs 100 cells shows whether that cost
follows the notebook (ratio ~10) or the execution (ratio ~1).

Also reported: the size of the ``state`` payload (``json.dumps``), the cost of building
it, the cost of a snapshot with one edited cell (O(cells) by design: snapshots are
debounced), and the worst case for one execution: re-running the fan-out's source cell,
which makes every other cell stale (its cost is the number of affected cells).

Results go to stdout and to ``benchmarks/results/rules.txt`` with a machine description.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from _machine import machine_lines  # noqa: E402

from jupyter_ext.analysis.hygiene import HygieneEngine  # noqa: E402
from jupyter_ext.analysis.snapshot import parse_notebook_message  # noqa: E402
from jupyter_ext.core.ids import source_hash  # noqa: E402
from jupyter_ext.core.records import ExecutionRecord, VariableState  # noqa: E402


class Notebook:
    """A synthetic notebook and a recorder stand-in producing its execution records."""

    def __init__(self, shape: str, n: int) -> None:
        self.shape = shape
        self.n = n
        self.ids = [f"cell-{i:04d}" for i in range(n)]
        self.sources = [self._source(i) for i in range(n)]
        self.engine = HygieneEngine()
        self.seq = 0
        self.snapshot_seq = 0

    def _source(self, i: int) -> str:
        if self.shape == "chain":
            return f"x{i} = x{i - 1} + 1" if i else "x0 = 0"
        return f"y{i} = len(data) + {i}" if i else "data = list(range(100))"

    def _names(self, i: int) -> tuple[tuple[str, ...], str]:
        if self.shape == "chain":
            return ((f"x{i - 1}",) if i else ()), f"x{i}"
        return (("data",) if i else ()), (f"y{i}" if i else "data")

    def message(self) -> dict[str, Any]:
        """The frontend's ``notebook`` message for the current sources."""
        self.snapshot_seq += 1
        cells = [
            {"id": c, "cell_type": "code", "source": src}
            for c, src in zip(self.ids, self.sources, strict=True)
        ]
        return {"type": "notebook", "seq": self.snapshot_seq, "path": "nb.ipynb", "cells": cells}

    def snapshot(self) -> None:
        self.engine.set_notebook(parse_notebook_message(self.message()))

    def record(self, i: int, content: int = 0) -> ExecutionRecord:
        """What the recorder would hand over for cell ``i`` producing ``content``."""
        reads, written = self._names(i)
        self.seq += 1
        source = self.sources[i]
        variables = [VariableState(written, "int", f"{written}:{content}", written=True)]
        variables += [VariableState(name, "int", f"{name}:0") for name in reads]
        return ExecutionRecord(
            run_id="bench",
            seq=self.seq,
            cell_id=self.ids[i],
            execution_count=self.seq,
            source_hash=source_hash(source),
            source=source,
            started_at=0.0,
            duration=0.0,
            status="ok",
            reads=reads,
            writes=(written,),
            variables=tuple(variables),
        )

    def execute(self, i: int, content: int = 0) -> None:
        self.engine.add_execution(self.record(i, content))

    def state(self) -> dict[str, Any]:
        return {
            "type": "state",
            "protocol": 1,
            "notebook_seq": self.engine.notebook_seq,
            "warnings": [f.to_json() for f in self.engine.warnings()],
            "cells": self.engine.cell_status(),
        }


def median_of(
    fn: Callable[[Any], object], repeats: int, prepare: Callable[[int], Any] = lambda k: k
) -> float:
    """Median seconds of ``fn(prepare(k))``; ``prepare`` (building the input) is not timed."""
    fn(prepare(0))  # warm up
    times = []
    for k in range(1, repeats + 1):
        arg = prepare(k)
        t0 = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(shape: str, n: int, repeats: int) -> dict[str, Any]:
    nb = Notebook(shape, n)
    nb.snapshot()
    for i in range(n):
        nb.execute(i)
    engine = nb.engine
    engine.warnings()
    engine.cell_status()
    middle = n // 2

    def judged(thing: Callable[[Any], object]) -> Callable[[Any], None]:
        def run(arg: Any) -> None:
            thing(arg)
            engine.warnings()
            engine.cell_status()

        return run

    update = median_of(
        judged(engine.add_execution), repeats, lambda k: nb.record(middle, content=k + 1)
    )
    payload = json.dumps(nb.state())
    flagged = len(engine.warnings())
    build = median_of(lambda _: json.dumps(nb.state()), repeats)

    def edited_message(k: int) -> dict[str, Any]:
        nb.sources[middle] = f"{nb._source(middle)}  # edit {k}"
        return nb.message()

    few = max(5, repeats // 20)
    parse = median_of(parse_notebook_message, few, edited_message)
    snapshot = median_of(
        judged(engine.set_notebook), few, lambda k: parse_notebook_message(edited_message(k))
    )
    worst = None
    if shape == "fan-out":
        fresh = Notebook(shape, n)
        fresh.snapshot()
        for i in range(n):
            fresh.execute(i)
        fresh_engine = fresh.engine

        def rerun_source(record: ExecutionRecord) -> None:
            fresh_engine.add_execution(record)
            fresh_engine.warnings()
            fresh_engine.cell_status()

        worst = median_of(rerun_source, few, lambda k: fresh.record(0, content=k + 1))
    return {
        "update": update,
        "bytes": len(payload.encode()),
        "warnings": flagged,
        "build": build,
        "parse": parse,
        "snapshot": snapshot,
        "worst": worst,
    }


def report(sizes: list[int], repeats: int) -> list[str]:
    lines = [
        f"one more execution = add_execution + warnings() + cell_status() "
        f"(median of {repeats}; the middle cell re-runs with new output)",
        "",
        f"{'shape':8} {'cells':>6} {'execution':>11} {'state JSON':>11} {'warnings':>9} "
        f"{'build+dumps':>12} {'parse':>10} {'snapshot':>10} {'all stale':>10}",
    ]
    results: dict[tuple[str, int], dict[str, Any]] = {}
    for shape in ("chain", "fan-out"):
        for n in sizes:
            r = measure(shape, n, repeats)
            results[shape, n] = r
            worst = f"{r['worst'] * 1e3:8.3f} ms" if r["worst"] is not None else f"{'-':>11}"
            line = (
                f"{shape:8} {n:6,} {r['update'] * 1e3:8.3f} ms {r['bytes']:>9,} B "
                f"{r['warnings']:>9} {r['build'] * 1e3:9.3f} ms {r['parse'] * 1e3:7.2f} ms "
                f"{r['snapshot'] * 1e3:7.2f} ms "
                f"{worst}"
            )
            lines.append(line)
            print(line, flush=True)
    lines.append("")
    if 100 in sizes and 1000 in sizes:
        for shape in ("chain", "fan-out"):
            ratio = results[shape, 1000]["update"] / results[shape, 100]["update"]
            lines.append(f"growth of one execution, 1,000 vs 100 cells, {shape}: x{ratio:.2f}")
        lines.append("")
    lines += [
        "columns: execution = one more execution (the number the 5 ms budget applies to);",
        "state JSON = size of the state message after it, which holds `warnings` findings;",
        "build+dumps = to_json of every finding, cell_status() and json.dumps of the state;",
        "parse = parse_notebook_message of the frontend's message with one cell edited;",
        "snapshot = set_notebook of it, warnings() and cell_status() (O(cells) by design:",
        "snapshots are debounced); all stale = re-running the fan-out's source cell, which",
        "makes every other cell stale (its cost follows the cells affected).",
        "Records and messages are built outside the timed sections (that is the recorder's",
        "and the comm's work).",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=1001)
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "rules.txt")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    head = [
        "jupyter-ext rules benchmark",
        time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        *machine_lines(),
        "",
    ]
    print("\n".join(head), flush=True)
    lines = head + report(sizes, args.repeats)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n")
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
