"""A bounded history: the graph holds its latest executions plus the anchors the rules need.

Records come from :class:`MiniKernel` (real code, real digests, the recorder's own record
assembly).  Each scripted session is fed to an engine with a small ``history_limit`` and to
one with the whole history; the findings and cell status must be identical at every
check, while the small one's memory stays bounded by its window and the anchors, and its
reports say where what they show stops.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from jupyter_ext.analysis.file_lineage import FileLineage, ForgottenUses
from jupyter_ext.analysis.file_lineage_report import file_report, format_file_lineage
from jupyter_ext.analysis.gather import GatherError, gather
from jupyter_ext.analysis.horizon import Horizon
from jupyter_ext.analysis.hygiene import HygieneEngine
from jupyter_ext.analysis.lineage import LineageGraph
from jupyter_ext.analysis.lineage_report import format_lineage, graph_payload, lineage_report
from jupyter_ext.analysis.snapshot import CellSnapshot, NotebookSnapshot
from jupyter_ext.capture.config import JupyterExt, history_window
from jupyter_ext.capture.live import LiveHygiene
from jupyter_ext.core.records import ExecutionRecord, FileAccess

from .test_hygiene_sim import MiniKernel
from .test_lineage import record

LIMIT = 50
SLACK = LIMIT // 10

# -- a notebook, run the messy way ----------------------------------------------------

SOURCES: dict[str, tuple[str, ...]] = {
    # cell id -> the sources it takes over the session (edits cycle through them)
    "imp": ("import math",),
    "n": ("n = 10", "n = 20"),
    "init": ("counter = 0",),
    "inc": ("counter = counter + 1",),
    "load": ("data = list(range(n))",),
    "grow": ("data.append(counter)",),
    "total": ("total = sum(data) + counter",),
    "root": ("root = math.sqrt(total)",),
    "scale": ("scale = 3", "scale = 4"),
    "f": ("def f(x):\n    return x * scale",),
    "call": ("out = f(total)",),
    "tmp": ("tmp = total * 2",),
    "deltmp": ("del tmp",),
    "usetmp": ("res = tmp + 1",),
}
CONSOLE = ("counter = counter + 10", "scale = 5", "extra = counter * 2")


@dataclass
class Twin:
    """One session fed to a bounded and an unbounded engine alike."""

    bounded: LiveHygiene = field(default_factory=lambda: LiveHygiene(None, LIMIT))
    whole: HygieneEngine = field(default_factory=HygieneEngine)
    kernel: MiniKernel = field(default_factory=MiniKernel)
    records: list[ExecutionRecord] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    version: dict[str, int] = field(default_factory=dict)
    custom: dict[str, str] = field(default_factory=dict)
    snapshot_seq: int = 0

    def source(self, cell: str) -> str:
        if cell in self.custom:
            return self.custom[cell]
        variants = SOURCES[cell]
        return variants[self.version.get(cell, 0) % len(variants)]

    def run(self, cell: str | None, code: str | None = None) -> ExecutionRecord:
        assert cell is not None or code is not None
        if cell is not None and code is not None:
            self.custom[cell] = code
        record = self.kernel.run(cell, code if code is not None else self.source(cell or ""))
        self.records.append(record)
        self.bounded.on_record(record)
        self.whole.add_execution(record)
        return record

    def snapshot(self) -> None:
        self.snapshot_seq += 1
        cells = tuple(CellSnapshot(c, "code", self.source(c)) for c in self.order)
        snapshot = NotebookSnapshot(seq=self.snapshot_seq, path="n.ipynb", cells=cells)
        assert self.bounded.on_notebook(snapshot)
        assert self.whole.set_notebook(snapshot)

    def check(self) -> None:
        bounded = self.bounded.engine
        assert [f.to_json() for f in bounded.warnings()] == [
            f.to_json() for f in self.whole.warnings()
        ]
        assert bounded.cell_status() == self.whole.cell_status()


def messy_session(twin: Twin, steps: int, seed: int, *, snapshots: bool = True) -> Iterator[int]:
    """Re-runs, edits, moves, deletes, console code and ``counter = counter + 1`` chains."""
    rng = random.Random(seed)
    twin.order = list(SOURCES)
    for cell in ("imp", "n", "init", "load", "scale", "f"):
        twin.run(cell)
    if snapshots:
        twin.snapshot()
    for step in range(steps):
        roll = rng.random()
        if roll < 0.25:
            twin.run("inc")  # the chain whose upstream is as long as the session
        elif roll < 0.80:
            twin.run(rng.choice(twin.order))
        elif roll < 0.86:
            twin.run(None, rng.choice(CONSOLE))
        elif snapshots and roll < 0.91:
            cell = rng.choice([c for c in twin.order if len(SOURCES[c]) > 1] or twin.order)
            twin.version[cell] = twin.version.get(cell, 0) + 1
            twin.snapshot()
        elif snapshots and roll < 0.95:
            i, j = rng.randrange(len(twin.order)), rng.randrange(len(twin.order))
            twin.order[i], twin.order[j] = twin.order[j], twin.order[i]
            twin.snapshot()
        elif snapshots and roll < 0.98 and len(twin.order) > 8:
            twin.order.remove(rng.choice(twin.order))
            twin.snapshot()
        elif snapshots:
            missing = [c for c in SOURCES if c not in twin.order]
            if missing:
                twin.order.insert(rng.randrange(len(twin.order) + 1), rng.choice(missing))
                twin.snapshot()
        yield step


def bound(graph: LineageGraph, records: list[ExecutionRecord]) -> dict[str, int]:
    """What the bounded graph may hold: a full window plus one anchor per cell and two per
    name (last writer, producer of the current version), times what each record carries."""
    cells = {r.cell_id for r in records if r.cell_id is not None}
    names = {n for r in records for n in (*r.writes, *r.mutated, *r.deleted)}
    held = LIMIT + SLACK + len(cells) + 2 * len(names)
    most_inputs = max(len(r.reads) for r in records)
    most_outputs = max(len(set(r.writes) | set(r.mutated) | set(r.deleted)) for r in records)
    return {
        "nodes": held,
        "versions": len(names) + (LIMIT + SLACK) * most_outputs,
        "readers": held * most_inputs,
        "binders": len(names) + (LIMIT + SLACK) * most_outputs + held * most_inputs,
    }


# -- (a) memory is bounded ------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2])
def test_memory_stays_within_window_and_anchors(seed: int) -> None:
    twin = Twin()
    for _ in messy_session(twin, 600, seed):
        pass
    graph = twin.bounded.engine.graph
    assert graph.horizon > len(twin.records) - LIMIT - SLACK - 1  # it did forget
    sizes, limits = graph.footprint(), bound(graph, twin.records)
    for key, value in sizes.items():
        assert value <= limits[key], (key, value, limits[key])
    assert len(twin.bounded.records()) == len(graph) == sizes["nodes"]
    assert twin.whole.graph.footprint()["nodes"] == len(twin.records)
    assert sizes["nodes"] < len(twin.records) // 4


def test_memory_does_not_grow_with_more_executions() -> None:
    twin = Twin()
    sizes = []
    for step in messy_session(twin, 1200, 3):
        if step in (400, 1199):
            sizes.append(twin.bounded.engine.graph.footprint())
    early, late = sizes
    for key in early:
        assert late[key] <= early[key] * 1.5 + 20, (key, early, late)


def test_chains_and_reread_imports_keep_nothing_old() -> None:
    """``x = x + 1`` and a module every cell reads: the classic unbounded cases."""
    live = LiveHygiene(None, LIMIT)
    live.on_record(record(1, "imp", writes="np=1"))
    live.on_record(record(2, "init", writes="x=0"))
    for seq in range(3, 1003):
        live.on_record(record(seq, "inc", reads="x np", writes=f"x={seq}"))
    graph = live.engine.graph
    sizes = graph.footprint()
    assert sizes["nodes"] <= LIMIT + SLACK + 3
    assert sizes["versions"] <= LIMIT + SLACK + 2
    assert sizes["readers"] <= 2 * (LIMIT + SLACK)
    assert len(graph.history("x")) <= LIMIT + SLACK and not graph.history_complete("x")
    assert graph.history("np")[0].seq == 1 and graph.history_complete("np")
    assert {r.seq for r in live.records()} == {n.seq for n in graph.nodes()}
    assert graph.node(1) is not None and graph.node(2) is not None  # anchors
    assert graph.node(3) is None and graph.forgotten(3)


# -- (b) findings do not depend on the limit ------------------------------------------


@pytest.mark.parametrize("seed", [11, 12, 13, 14])
def test_findings_equal_an_unbounded_engine_fed_the_same_records(seed: int) -> None:
    twin = Twin()
    for step in messy_session(twin, 450, seed):
        if step % 9 == 0:
            twin.check()
    twin.check()
    assert twin.bounded.engine.graph.horizon > 0
    assert twin.whole.warnings(), "the session should leave something to report"


def test_findings_equal_without_a_document() -> None:
    """Console-style: no snapshots, so positions come from first executions."""
    twin = Twin()
    for step in messy_session(twin, 450, 21, snapshots=False):
        if step % 13 == 0:
            twin.check()
    twin.check()
    assert twin.bounded.engine.graph.horizon > 0


def test_findings_equal_with_more_cells_than_the_window() -> None:
    """Every cell's last run is an anchor, however long ago it ran."""
    twin = Twin()
    twin.order = [f"c{i}" for i in range(120)]
    twin.custom = {"c0": "base = 1", **{f"c{i}": f"v{i} = base + {i}" for i in range(1, 120)}}
    twin.snapshot()
    twin.run("c0", "base = 1")
    for i in range(1, 120):
        twin.run(f"c{i}", f"v{i} = base + {i}")
    twin.run("c0", "base = 2")  # every reader is stale now, most long forgotten
    for _ in range(3 * LIMIT):
        twin.run("c119", "v119 = base + 119")
    twin.snapshot()
    twin.check()
    stale = [f for f in twin.bounded.warnings() if f.kind == "stale"]
    assert len(stale) == 118


def test_findings_equal_when_a_cell_above_rebound_what_an_old_run_read() -> None:
    """The same ``import`` at the top and the bottom: the reader is in order only while
    the graph remembers that the top cell bound that content too (its binders)."""
    twin = Twin()
    twin.order = ["top", "mid", "bot", "later", "noise"]
    twin.custom = {
        "top": "import math",
        "mid": "r = math.sqrt(4)",
        "bot": "import math",
        "later": "math = 5",
        "noise": "n = 1",
    }
    twin.snapshot()
    for cell in ("bot", "top", "mid", "later"):
        twin.run(cell, twin.custom[cell])
    for _ in range(3 * LIMIT):
        twin.run("noise", "n = 1")
    twin.check()
    assert [f.kind for f in twin.bounded.warnings() if f.cell_id == "mid"] == ["stale"]


def test_the_limit_of_a_session_that_fits_changes_nothing() -> None:
    twin = Twin()
    for _ in messy_session(twin, LIMIT - 10, 5):
        pass
    assert twin.bounded.engine.graph.horizon == 0
    assert twin.bounded.horizon() is None
    twin.check()
    graph = twin.bounded.engine.graph
    report = lineage_report(graph, "counter", files=twin.bounded.file_lineage())
    assert "not_kept" not in report
    whole = lineage_report(twin.whole.graph, "counter", files=FileLineage(twin.records))
    assert report == whole
    assert graph_payload(graph, None) == graph_payload(twin.whole.graph, None)


# -- (c) reports say where they stop --------------------------------------------------


def chain_session() -> LiveHygiene:
    live = LiveHygiene(None, LIMIT)
    live.on_record(record(1, "init", writes="x=0"))
    for seq in range(2, 302):
        live.on_record(record(seq, "inc", reads="x", writes=f"x={seq}"))
    live.on_record(record(302, "y", writes="y=1"))
    live.on_record(record(303, "z", reads="y", writes="z=2"))
    return live


def test_lineage_reaching_forgotten_history_says_so_in_one_line() -> None:
    live = chain_session()
    graph = live.engine.graph
    horizon = live.horizon()
    assert horizon is not None and horizon.seq == graph.horizon > 1
    report = lineage_report(graph, "x", files=live.file_lineage())
    assert report["not_kept"]["seq"] == horizon.seq
    text = format_lineage(report)
    line = (
        f"  lineage before execution [{horizon.seq}] is not kept in memory "
        f"(history_limit={LIMIT}); the full run is in the store: `jupyter-ext show run`"
    )
    assert text.splitlines()[-1] == line
    assert text.count("not kept in memory") == 1
    # upstream lists only what is held; the producer read by the oldest held run is named
    assert all(graph.node(r["seq"]) is not None for r in report["upstream"])
    assert "before recording started" not in text


def test_long_lineage_lists_are_shortened_in_text_and_kept_whole_in_json() -> None:
    live = chain_session()
    report = lineage_report(live.engine.graph, "x", files=live.file_lineage())
    assert len(report["upstream"]) > 20 and len(report["history"]) > 20  # the JSON: all
    lines = format_lineage(report).splitlines()
    upstream = next(line for line in lines if line.startswith("  upstream: "))
    history = next(line for line in lines if line.startswith("  history: "))
    assert f"... {len(report['upstream']) - 10} more" in upstream
    assert upstream.count(", ") == 10  # five, the gap, five
    assert f"... {len(report['history']) - 10} more" in history
    first, last = report["upstream"][0], report["upstream"][-1]
    head, tail = upstream.split(" more, ")
    assert f"[{first['execution_count']}]" in head and f"[{last['execution_count']}]" in tail


def test_a_long_downstream_list_is_shortened_in_text() -> None:
    live = LiveHygiene(None, LIMIT)
    live.on_record(record(1, "src", writes="x=1"))
    for seq in range(2, 22):
        live.on_record(record(seq, f"use{seq}", reads="x", writes=f"y{seq}={seq}"))
    report = lineage_report(live.engine.graph, "x", files=live.file_lineage())
    assert len(report["downstream"]) == 20  # the JSON: all
    lines = format_lineage(report).splitlines()
    start = lines.index("  downstream:")
    shown = lines[start + 1 : start + 12]
    assert shown[5] == "    ... 10 more" and len(shown) == 11
    assert all(line.startswith("    ") and " -> " in line for line in shown[:5] + shown[6:])


def test_lineage_within_the_window_is_complete() -> None:
    live = chain_session()
    report = lineage_report(live.engine.graph, "z", files=live.file_lineage())
    assert "not_kept" not in report
    assert "not kept" not in format_lineage(report)
    assert [r["seq"] for r in report["upstream"]] == [302]


def test_downstream_of_an_old_anchor_says_readers_were_forgotten() -> None:
    live = LiveHygiene(None, LIMIT)
    live.on_record(record(1, "imp", writes="np=1"))
    for seq in range(2, 200):
        live.on_record(record(seq, f"c{seq % 7}", reads="np", writes=f"v{seq % 7}={seq}"))
    graph = live.engine.graph
    walk = graph.downstream_walk(1)
    assert not walk.complete and walk.seqs and min(walk.seqs) >= graph.horizon
    assert "not_kept" in lineage_report(graph, "np")


def test_gather_refuses_an_incomplete_recipe() -> None:
    live = chain_session()
    with pytest.raises(GatherError, match="cannot produce a complete recipe for `x`") as err:
        gather(live.records(), "x", live.horizon())
    assert "history_limit=50" in str(err.value)
    assert "`jupyter-ext show run --json --source`" in str(err.value)


def test_gather_within_the_window_equals_the_whole_history() -> None:
    live = chain_session()
    everything = [record(1, "init", writes="x=0")]
    everything += [record(s, "inc", reads="x", writes=f"x={s}") for s in range(2, 302)]
    everything += [record(302, "y", writes="y=1"), record(303, "z", reads="y", writes="z=2")]
    assert gather(live.records(), "z", live.horizon()) == gather(everything, "z")


def test_gather_of_an_unknown_name_is_still_unknown() -> None:
    live = chain_session()
    with pytest.raises(GatherError, match="never recorded"):
        gather(live.records(), "nothing", live.horizon())


def with_files(r: ExecutionRecord, *files: tuple[str, str]) -> ExecutionRecord:
    accesses = tuple(FileAccess(path, mode, 10, f"d{r.seq}") for path, mode in files)  # type: ignore[arg-type]
    fields = {k: getattr(r, k) for k in r.__slots__ if k != "files"}
    return ExecutionRecord(**fields, files=accesses)


def test_file_lineage_says_when_the_writer_was_forgotten() -> None:
    live = LiveHygiene(None, LIMIT)
    live.on_record(with_files(record(1, "save", writes="a=1"), ("/d/f.csv", "write")))
    for seq in range(2, 200):
        live.on_record(record(seq, "noise", writes=f"b={seq}"))
    live.on_record(with_files(record(200, "load", writes="df=1"), ("/d/f.csv", "read")))
    live.on_record(with_files(record(201, "ext", writes="e=1"), ("/d/ext.csv", "read")))
    files, graph = live.file_lineage(), live.engine.graph
    assert files.has_forgotten_uses("/d/f.csv") is False  # seq 1 wrote `a`: an anchor
    report = lineage_report(graph, "df", files=files)
    assert "not_kept" not in report  # the writer is held: complete
    # once the writer is forgotten too (`a` rebound elsewhere), the read's source is unknown
    live.on_record(record(202, "save", writes="a=2"))
    for seq in range(203, 300):
        live.on_record(record(seq, "noise", writes=f"b={seq}"))
    live.on_record(with_files(record(300, "load", writes="df=2"), ("/d/f.csv", "read")))
    files = live.file_lineage()
    assert files.has_forgotten_uses("/d/f.csv")
    report = lineage_report(graph, "df", files=files)
    assert report["not_kept"]["history_limit"] == LIMIT
    text = format_lineage(report)
    assert "no write held in memory" in text and "outside this run" not in text
    path_report = file_report(files, "/d/f.csv", None, live.horizon())
    assert "not kept in memory" in format_file_lineage(path_report).splitlines()[-1]
    # a file only ever read from outside the run stays complete
    assert "not_kept" not in file_report(files, "/d/ext.csv", None, live.horizon())


def test_downstream_through_a_file_says_when_its_readers_were_forgotten() -> None:
    live = LiveHygiene(None, LIMIT)
    live.on_record(with_files(record(1, "save", writes="a=1"), ("/d/g.csv", "write")))
    live.on_record(with_files(record(2, "load", writes="z=1"), ("/d/g.csv", "read")))
    for seq in range(3, 200):
        live.on_record(record(seq, "noise", writes=f"b={seq}"))
    live.on_record(record(200, "load", writes="w=1"))  # seq 2 is no longer its cell's last
    live.on_record(record(201, "zz", writes="z=2"))  # nor the last writer of z
    for seq in range(202, 202 + LIMIT):  # the next batch of forgetting takes it
        live.on_record(record(seq, "noise", writes=f"b={seq}"))
    graph, files = live.engine.graph, live.file_lineage()
    assert graph.node(1) is not None and graph.node(2) is None
    report = lineage_report(graph, "a", files=files)
    assert report["downstream"] == []  # the reader of the file is not held...
    assert report["not_kept"]["history_limit"] == LIMIT  # ...and the report says so


def test_forgotten_uses_keep_the_latest_per_path() -> None:
    uses = ForgottenUses()
    uses.note(with_files(record(3, "a"), ("/p", "write")))
    uses.note(with_files(record(5, "a"), ("/p", "read")))
    uses.note(with_files(record(4, "a"), ("/p", "update")))
    assert uses.writes == {"/p": 4} and uses.reads == {"/p": 5} and uses.last_use("/p") == 5


def test_horizon_labels_by_prompt_number_when_there_is_one() -> None:
    assert Horizon(7, 3, 100, "r").label == "[3]"
    assert Horizon(7, None, 100, None).message("the timeline") == (
        "the timeline before execution #7 is not kept in memory (history_limit=100); "
        "the full run is in the store: `jupyter-ext runs`"
    )


# -- the setting ----------------------------------------------------------------------


@pytest.mark.parametrize(("value", "effective"), [(2000, 2000), (100, 100), (0, 100), (-5, 100)])
def test_history_limit_is_clamped_to_a_useful_minimum(value: int, effective: int) -> None:
    assert history_window(JupyterExt(history_limit=value)) == effective


def test_default_history_limit_is_2000() -> None:
    assert history_window(JupyterExt()) == 2000


def test_the_graph_refuses_a_limit_below_one() -> None:
    with pytest.raises(ValueError, match="positive"):
        LineageGraph(history_limit=0)
