"""Throughput of the static checker (``jupyter-ext check``) on realistic notebooks.

    python benchmarks/check.py [--notebooks 200] [--cells 50] [--pynblint PATH]

Generates notebooks the way analyses look (imports, data loading, helper functions,
transformations, plots saved as ``display_data`` PNG outputs, printed tables, markdown
between steps, a few cells re-run out of order, gaps in the counts), each with its own
variable names and constants so that no cache is shared between notebooks, and measures:

- notebooks per second for ``check_paths`` (what ``jupyter-ext check`` runs) in one
  process, one thread (the target is 200/s for 50-cell notebooks), after one warm-up
  notebook (imports, IPython's transformer) that is reported separately; best and
  median of ``--repeats`` passes, each with cold caches, since a shared machine's
  load makes single passes noisy;
- the same for 10-, 100- and 500-cell notebooks (does the cost follow the cells?);
- one cold ``jupyter-ext check DIR`` process over all of them (start-up included);
- optionally, pynblint (``--pynblint``: its executable, installed in a separate
  environment, as it pins old dependencies) on the same files: one process over the
  directory and one process per notebook, side by side with ``jupyter-ext check``.

Results go to stdout and ``benchmarks/results/check.txt`` with a machine description.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from _machine import machine_lines, reference_loop  # noqa: E402

from jupyter_ext.bridge.static import check_notebook, check_paths  # noqa: E402

PNG = base64.b64encode(os.urandom(6_000)).decode()  # a small plot's worth of payload


def _cell_sources(rng: random.Random, n_code: int, tag: str) -> list[tuple[str, str]]:
    """(kind, source) for the code cells of one notebook; names carry ``tag``."""
    cells = [
        ("plain", "import numpy as np\nimport pandas as pd\nimport matplotlib.pyplot as plt\n"
         "%matplotlib inline"),
        ("table", f"df_{tag} = pd.read_csv('data/sales_{tag}.csv')\ndf_{tag}.head()"),
        ("plain", f"def clean_{tag}(frame, limit={rng.randint(1, 99)}):\n"
         "    frame = frame.dropna()\n    return frame[frame['qty'] < limit]"),
    ]  # fmt: skip
    frames = [f"df_{tag}"]
    while len(cells) < n_code:
        i = len(cells)
        src = rng.choice(frames)
        new = f"step{i}_{tag}"
        kind = rng.random()
        if kind < 0.25:
            cells.append(("plain", f"{new} = clean_{tag}({src})\n{new}['total'] = "
                          f"{new}['price'] * {new}['qty']"))  # fmt: skip
            frames.append(new)
        elif kind < 0.45:
            cells.append(("plot", f"fig, ax = plt.subplots(figsize=(6, 4))\n"
                          f"ax.hist({src}['price'], bins={rng.randint(5, 50)})\n"
                          f"ax.set_title('prices {i}')\nplt.show()"))  # fmt: skip
        elif kind < 0.65:
            cells.append(("table", f"{new} = {src}.groupby('region')['qty'].sum()\n{new}"))
            frames.append(new)
        elif kind < 0.75:
            cells.append(("plain", f"threshold_{tag} = {rng.randint(1, 500)}\n"
                          f"print(len({src}[{src}['price'] > threshold_{tag}]))"))  # fmt: skip
        elif kind < 0.85:
            cells.append(("plain", f"results_{tag} = []\nfor q in range({rng.randint(2, 9)}):\n"
                          f"    results_{tag}.append({src}['qty'].quantile(q / 10))\n"
                          f"print(results_{tag})"))  # fmt: skip
        else:
            cells.append(("table", f"{src}.describe()"))
    return cells


def make_notebook(seed: int, n_cells: int) -> dict[str, Any]:
    rng = random.Random(seed)
    tag = f"n{seed}"
    n_code = max(3, round(n_cells * 0.7))
    code = _cell_sources(rng, n_code, tag)
    counts = list(range(1, n_code + 1))
    for _ in range(max(1, n_code // 15)):  # a few cells re-run out of order, with gaps
        a, b = rng.randrange(n_code), rng.randrange(n_code)
        counts[a], counts[b] = counts[b], counts[a]
        counts[rng.randrange(n_code)] += n_code
    cells: list[dict[str, Any]] = []
    code_i = 0
    while len(cells) < n_cells:
        i = len(cells)
        if code_i >= n_code or (i > 0 and rng.random() < 0.3):
            cells.append({"cell_type": "markdown", "id": f"md-{i}", "metadata": {},
                          "source": f"## Step {i}\n\nWhat this step shows and why."})  # fmt: skip
            continue
        kind, source = code[code_i]
        count = counts[code_i]
        code_i += 1
        outputs: list[dict[str, Any]] = []
        if kind == "plot":
            outputs.append({"output_type": "display_data", "metadata": {},
                            "data": {"image/png": PNG, "text/plain": ["<Figure>"]}})  # fmt: skip
        elif kind == "table":
            outputs.append({"output_type": "execute_result", "execution_count": count,
                            "metadata": {}, "data": {"text/plain": ["  region  qty\n0 a 1"],
                            "text/html": ["<table><tr><td>a</td></tr></table>"]}})  # fmt: skip
        elif "print(" in source:
            outputs.append({"output_type": "stream", "name": "stdout", "text": ["42\n"]})
        cells.append({"cell_type": "code", "id": f"code-{i}", "metadata": {},
                      "execution_count": count, "outputs": outputs,
                      "source": source.splitlines(True)})  # fmt: skip
    meta = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": meta, "cells": cells}


def write_set(directory: Path, count: int, n_cells: int, first_seed: int) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(count):
        path = directory / f"nb{k:04d}.ipynb"
        path.write_text(json.dumps(make_notebook(first_seed + k, n_cells), indent=1))
        paths.append(path)
    return paths


def in_process(paths: list[Path]) -> tuple[float, int]:
    """Seconds to check every path in this process, as ``jupyter-ext check`` does (one
    ``check_paths`` call), and the number of findings."""
    started = time.perf_counter()
    results = check_paths(paths)
    elapsed = time.perf_counter() - started
    for result in results:
        assert result.error is None, (result.path, result.error)
    return elapsed, sum(len(result.findings) for result in results)


def timed_process(command: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    return time.perf_counter() - started, done.returncode


def load() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "load average unknown"
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def fresh_caches() -> None:
    from jupyter_ext.analysis.names import _analyse_cached
    from jupyter_ext.bridge.static_code import code_facts
    from jupyter_ext.core.source_redaction import _redact_cached

    code_facts.cache_clear()
    _analyse_cached.cache_clear()
    _redact_cached.cache_clear()


def compare_pynblint(
    pynblint: str, cli: list[str], paths: list[Path], directory: Path, ours_dir: float
) -> list[str]:
    """pynblint (``-y``: non-interactive) over the same directory, and per notebook."""
    theirs_dir, code = timed_process([pynblint, "-y", str(directory)])
    sample = paths[:10]
    theirs = sum(timed_process([pynblint, "-y", str(p)])[0] for p in sample)
    ours = sum(timed_process([*cli[:-1], str(p)])[0] for p in sample)
    n = len(paths)
    return [
        "",
        "side by side with pynblint (its own rules: it does not judge stale or out-of-order "
        "cells, so this compares cost, not findings):",
        f"  one process over the directory ({n} notebooks): jupyter-ext {ours_dir:.2f} s, "
        f"pynblint {theirs_dir:.2f} s (exit {code}): pynblint/jupyter-ext "
        f"{theirs_dir / ours_dir:.1f}x",
        f"  one process per notebook ({len(sample)} notebooks): jupyter-ext "
        f"{1000 * ours / len(sample):.0f} ms each, pynblint {1000 * theirs / len(sample):.0f} ms "
        f"each: pynblint/jupyter-ext {theirs / ours:.1f}x",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--notebooks", type=int, default=200)
    parser.add_argument("--cells", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pynblint", metavar="PATH", help="pynblint executable to compare")
    parser.add_argument("--pynblint-note", default="", help="said in the results instead")
    parser.add_argument("--out", default=str(HERE / "results" / "check.txt"))
    args = parser.parse_args()
    lines = ["jupyter-ext check benchmark", time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())]
    lines += [*machine_lines(), f"before: {load()}", reference_loop(), ""]

    work = Path(tempfile.mkdtemp(prefix="jx-check-bench-"))
    try:
        warm = write_set(work / "warm", 1, args.cells, 10_000)
        cold_start = time.perf_counter()
        check_notebook(warm[0])
        first = time.perf_counter() - cold_start
        typical = write_set(work / "typical", args.notebooks, args.cells, 0)
        size = sum(p.stat().st_size for p in typical) / len(typical)
        passes = []
        for _ in range(max(1, args.repeats)):
            fresh_caches()
            seconds, findings = in_process(typical)
            passes.append(seconds)
        best, median = min(passes), statistics.median(passes)
        lines.append(
            f"{len(typical)} notebooks of {args.cells} cells (~{size / 1024:.0f} KiB each, "
            f"with PNG outputs, {findings} findings), in process, one thread:"
        )
        lines.append(
            f"  best of {len(passes)}: {len(typical) / best:.0f} notebooks/s "
            f"({1000 * best / len(typical):.2f} ms each); median {len(typical) / median:.0f} "
            f"notebooks/s (target >= 200/s)"
        )
        lines.append(f"first notebook in a fresh process (imports, IPython): {first * 1000:.0f} ms")
        lines.append("")
        lines.append("by size (in process, 20 notebooks each):")
        for n_cells in (10, 100, 500):
            paths = write_set(work / f"size{n_cells}", 20, n_cells, 1000 * n_cells)
            fresh_caches()
            secs, _ = in_process(paths)
            per = 1000 * secs / len(paths)
            lines.append(
                f"  {n_cells:4d} cells: {per:7.2f} ms/notebook  {per / n_cells:.3f} ms/cell"
            )
        lines.append("")
        cli = [sys.executable, "-m", "jupyter_ext.cli.main", "check", str(work / "typical")]
        secs, code = timed_process(cli)
        lines.append(
            f"jupyter-ext check DIR (one cold process, {len(typical)} notebooks): {secs:.2f} s "
            f"= {len(typical) / secs:.0f} notebooks/s (exit {code})"
        )
        if args.pynblint:
            lines += compare_pynblint(args.pynblint, cli, typical, work / "typical", secs)
        lines.append(f"after: {load()}; {reference_loop()}")
        if args.pynblint_note:
            lines.append(f"pynblint: {args.pynblint_note}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = "\n".join(lines) + "\n"
    print(text, end="")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
