"""Wall time of an 8-point ``jupyter-ext sweep``: one after another, a local pool, Dask.

Each point runs a notebook whose cells do about 1.5 s of pure-Python CPU work, through
the same machinery a user's sweep uses (papermill with the recording engine, one output
notebook and one stored run per point). Three ways, as subprocesses of the real CLI:

* sequential: ``sweep --workers 1`` (the points one after another);
* local pool: ``sweep --workers 2`` (``ProcessPoolExecutor``);
* Dask: ``sweep --scheduler ADDRESS`` on a ``LocalCluster(n_workers=2,
  threads_per_worker=1, processes=True)`` started once by this script (its start-up is
  reported apart: a user's cluster is usually already running).

Rounds alternate the three (shuffled) so machine noise hits all alike; medians and
ratios are reported. Target: the local pool at least 1.7x faster than sequential.

    python benchmarks/sweep.py [--rounds N] [--points 8] [--out benchmarks/results/sweep.txt]
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from _machine import machine_lines
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent

WORK = (
    "def burn(n):\n"
    "    total = 0\n"
    "    for i in range(n):\n"
    "        total += (i * seed) % 7\n"
    "    return total\n"
    "result = burn(work)"
)


def calibrate(seconds: float) -> int:
    """Loop iterations of ``burn`` taking about ``seconds`` here, measured once."""
    n = 200_000
    namespace: dict[str, object] = {"seed": 3}
    exec(WORK.replace("result = burn(work)", ""), namespace)
    burn = namespace["burn"]
    start = time.perf_counter()
    burn(n)  # type: ignore[operator]
    elapsed = time.perf_counter() - start
    return int(n * seconds / elapsed)


def _spin(n: int) -> float:
    start = time.perf_counter()
    total = 0
    for i in range(n):
        total += i % 7
    return time.perf_counter() - start


def parallel_capacity(n: int = 10_000_000) -> float:
    """How many cores two CPU-bound processes actually get right now (2.0 on an idle
    2-core machine): the ceiling of any speed-up measured in the same minutes."""
    import multiprocessing

    one = _spin(n)
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(_spin, [1, 1])  # both workers started and warm
        start = time.perf_counter()
        pool.map(_spin, [n, n])
        two = time.perf_counter() - start
    return 2 * one / two


def notebook(path: Path, work: int) -> Path:
    nb = new_notebook(
        cells=[
            new_code_cell(f"seed = 1\nwork = {work}"),
            new_code_cell(WORK),
            new_code_cell("summary = {'seed': seed, 'result': result}"),
        ]
    )
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def wall(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, the CLI and everything it started)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=1800)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--points", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=1.5, help="CPU work per point")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "sweep.txt")
    args = parser.parse_args()

    from distributed import LocalCluster

    load_before = os.getloadavg()
    capacity_before = parallel_capacity()
    work = calibrate(args.seconds)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        nb = notebook(tmp / "burn.ipynb", work)
        (tmp / "grid.yaml").write_text(f"seed: {list(range(1, args.points + 1))}\n")
        env = dict(os.environ, JUPYTER_EXT_STORE=str(tmp / "runs.sqlite"))
        base = [sys.executable, "-m", "jupyter_ext.cli.main", "sweep", str(nb), "-f", "grid.yaml"]
        started = time.perf_counter()
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        cluster_start = time.perf_counter() - started
        commands = {
            "sequential (--workers 1)": [*base, "--workers", "1", "-o", "seq"],
            "local pool (--workers 2)": [*base, "--workers", "2", "-o", "pool"],
            "dask LocalCluster (2 workers)": [
                *base, "--scheduler", cluster.scheduler_address, "-o", "dask",
            ],
        }  # fmt: skip
        times: dict[str, list[float]] = {label: [] for label in commands}
        cpus: dict[str, list[float]] = {label: [] for label in commands}
        try:
            for _ in range(args.rounds):
                order = list(commands)
                random.shuffle(order)
                for label in order:
                    elapsed, cpu = wall(commands[label], env, tmp)
                    times[label].append(elapsed)
                    cpus[label].append(cpu)
                    print(f"{label}: {elapsed:.1f} s wall, {cpu:.1f} s CPU", flush=True)
        finally:
            cluster.close()
    capacity_after = parallel_capacity()
    medians = {label: statistics.median(values) for label, values in times.items()}
    sequential = medians["sequential (--workers 1)"]
    pool = medians["local pool (--workers 2)"]
    dask = medians["dask LocalCluster (2 workers)"]
    lines = [
        f"jupyter-ext sweep: {args.points} points of ~{args.seconds:g} s CPU work each "
        "(median wall time of the CLI, subprocesses alternated)",
        *machine_lines(),
        f"date: {datetime.date.today().isoformat()}, rounds: {args.rounds}",
        "load average (1, 5, 15 min) before: {:.1f} {:.1f} {:.1f}, after: {:.1f} {:.1f} {:.1f} "
        "(other work on the machine competes for the same cores)".format(
            *load_before, *os.getloadavg()
        ),
        f"parallel capacity (two CPU-bound processes, in cores; 2.0 when idle): "
        f"{capacity_before:.2f} before, {capacity_after:.2f} after",
        "",
        f"{'executor':<32} {'median s':>9} {'speed-up':>9} {'CPU s':>6}  runs (wall s)",
    ]
    for label, value in medians.items():
        runs = ", ".join(f"{t:.1f}" for t in times[label])
        cpu = statistics.median(cpus[label])
        lines.append(f"{label:<32} {value:>9.1f} {sequential / value:>8.2f}x {cpu:>6.1f}  {runs}")
    lines += [
        "",
        f"local pool vs sequential: {sequential / pool:.2f}x (target >= 1.7x; ceiling "
        f"now ~{min(capacity_before, capacity_after):.2f}x from the capacity above)",
        f"dask vs local pool: {dask - pool:+.1f} s ({dask / pool:.2f}x the pool's time)",
        f"LocalCluster start-up (not in the times above): {cluster_start:.1f} s",
        "CPU s: user + system time of the CLI and its workers and kernels (Dask workers run "
        "in the cluster, outside this count); on an idle machine the pool's wall time "
        "approaches its CPU time / 2",
    ]
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
