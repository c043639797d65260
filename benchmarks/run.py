"""Wall time of ``jupyter-ext run`` against bare ``papermill`` on the same notebooks.

What a user pays for recording a headless run: the commands run as subprocesses on
the same notebook, alternately (order shuffled per round) so machine noise hits all
alike; we report medians and their ratios. ``jupyter-ext`` skips an optional import of
jsonschema's that bare papermill pays on every start (``jupyter_ext/cli/startup.py``,
1.3 to 1.6 s here), so papermill is also run with that same start-up: the ratio to it
is the cost of recording itself, the one the 5 % target is about. Also the CLI's own
start-up cost, which every command pays: ``jupyter-ext --help`` against a bare
``python -c pass``, and the import time of ``jupyter_ext.cli.main`` from
``python -X importtime``.

    python benchmarks/run.py [--quick] [--rounds N] [--out benchmarks/results/run.txt]
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from _machine import cpu_model
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [ROOT / "examples" / "messy_analysis.ipynb", ROOT / "examples" / "clean_pipeline.ipynb"]


def machine() -> str:
    model = cpu_model()
    import papermill

    return (
        f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}, papermill {papermill.__version__}"
    )


def generated_notebook(path: Path, cells: int = 50) -> Path:
    """A 50-cell notebook of small, ordinary steps: lists, dicts, strings, a function."""
    sources = ["import statistics\nvalues = list(range(100))"]
    for i in range(1, cells):
        sources.append(
            f"step_{i} = [v * {i} for v in values[:50]]\n"
            f"summary_{i} = {{'mean': statistics.mean(step_{i}), 'n': len(step_{i})}}"
        )
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


SAME_STARTUP = (
    "import sys\n"
    "from jupyter_ext.cli.startup import skip_slow_optional_imports\n"
    "skip_slow_optional_imports()\n"
    "from papermill.cli import papermill\n"
    "sys.argv[0] = 'papermill'\n"
    "papermill()\n"
)
"""Bare papermill's command, with the start-up ``jupyter-ext`` has."""


def wall(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    return elapsed


def compare_runs(nb: Path, rounds: int, tmp: Path) -> tuple[float, float, float]:
    env = dict(os.environ, JUPYTER_EXT_STORE=str(tmp / "runs.sqlite"))
    commands = {
        "papermill": ["papermill", "--no-progress-bar", str(nb), str(tmp / "pm.ipynb")],
        "papermill, same start-up": [
            *(sys.executable, "-c", SAME_STARTUP, "--no-progress-bar"),
            *(str(nb), str(tmp / "pm2.ipynb")),
        ],
        "jupyter-ext": [
            *(sys.executable, "-m", "jupyter_ext.cli.main", "run", str(nb)),
            *("-o", str(tmp / "jx.ipynb")),
        ],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for cmd in commands.values():  # warm caches once, unmeasured
        wall(cmd, env)
    for _ in range(rounds):
        order = list(commands)
        random.shuffle(order)
        for name in order:
            times[name].append(wall(commands[name], env))
    return (
        statistics.median(times["papermill"]),
        statistics.median(times["papermill, same start-up"]),
        statistics.median(times["jupyter-ext"]),
    )


def startup(rounds: int) -> tuple[float, float, float]:
    """Median wall of ``jupyter-ext --help`` and ``python -c pass``; import time (s)."""
    env = dict(os.environ)
    help_cmd = [sys.executable, "-m", "jupyter_ext.cli.main", "--help"]
    bare = [sys.executable, "-c", "pass"]
    helps, bares = [], []
    for _ in range(rounds):
        helps.append(wall(help_cmd, env))
        bares.append(wall(bare, env))
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import jupyter_ext.cli.main"],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    imports = []
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| jupyter_ext\.cli\.main$", line)
        if match:
            imports.append(int(match.group(1)) / 1e6)
    return statistics.median(helps), statistics.median(bares), max(imports, default=float("nan"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds instead of 7")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "run.txt")
    args = parser.parse_args()
    rounds = args.rounds or (3 if args.quick else 7)
    lines = [
        "jupyter-ext run vs bare papermill (median wall time per run, subprocesses alternated)",
        f"machine: {machine()}",
        f"date: {datetime.date.today().isoformat()}, rounds: {rounds}",
        "",
        "papermill*: papermill with jupyter-ext's start-up (see the docstring); "
        "ratio* = jx run / papermill*",
        "",
        f"{'notebook':<28} {'papermill s':>11} {'papermill* s':>12} {'jx run s':>9} "
        f"{'ratio':>6} {'ratio*':>7}",
    ]
    # Installing a wheel compiles its bytecode; an editable checkout on a machine that sets
    # PYTHONDONTWRITEBYTECODE never gets any, and every process (the CLI, each kernel)
    # would compile the package from source, which no user's install does.
    compileall.compile_dir(ROOT / "jupyter_ext", quiet=1)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        notebooks = [*EXAMPLES, generated_notebook(tmp / "generated_50_cells.ipynb")]
        for nb in notebooks:
            base, same, ours = compare_runs(nb, rounds, tmp)
            lines.append(
                f"{nb.name:<28} {base:>11.2f} {same:>12.2f} {ours:>9.2f} "
                f"{ours / base:>6.3f} {ours / same:>7.3f}"
            )
            print(lines[-1], flush=True)
    help_s, bare_s, import_s = startup(max(rounds, 5))
    lines += [
        "",
        f"jupyter-ext --help: {help_s:.3f} s wall (python -c pass: {bare_s:.3f} s; "
        f"difference {help_s - bare_s:.3f} s)",
        f"import jupyter_ext.cli.main: {import_s:.3f} s cumulative (python -X importtime)",
    ]
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
