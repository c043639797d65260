"""``jupyter-ext pipeline run`` with nothing to do, against running the notebooks again.

    python benchmarks/pipeline.py [--rounds 7] [--papermill-rounds 3] [--ploomber PATH]
                                  [--out benchmarks/results/pipeline.txt]

The pipeline is ``examples/pipeline`` (three notebooks: readings -> cleaned -> report,
passing CSV files), converted with ``jupyter-ext to-pipeline`` and run once. Measured,
each as a fresh subprocess (what a user or a CI job pays), median of the rounds:

- ``jupyter-ext pipeline run pipeline.yaml`` when every step is up to date (the target
  is under 1 s for three steps: no kernel starts, every step says why it skipped);
- ``papermill`` running the same three notebooks one after the other, which is what a
  papermill user does without a skipping layer;
- optionally ``ploomber build`` of the same three notebooks, written the way ploomber
  wants them (``upstream``/``product`` in the parameters cell), after one full build:
  its no-op rebuild. ``--ploomber`` is its executable, installed in a separate
  environment (it is not a dependency of this package).

For scale on a shared machine: ``python -c pass`` (interpreter start-up alone) and the
no-op run called in this process (no start-up). Results go to stdout and ``--out`` with
a machine description and the load average.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _machine import machine_lines  # noqa: E402

EXAMPLE = ROOT / "examples" / "pipeline"
NOTEBOOKS = ["make_data.ipynb", "clean.ipynb", "report.ipynb"]


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return took


def jupyter_ext(*args: str) -> list[str]:
    return [sys.executable, "-m", "jupyter_ext.cli.main", *args]


def noop_in_process(work: Path) -> float:
    """The no-op run without interpreter start-up (imports are warm after the first)."""
    import contextlib
    import io

    from jupyter_ext.cli.main import main

    here = Path.cwd()
    os.chdir(work)
    try:
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            code = main(["pipeline", "run", "pipeline.yaml"])
        took = time.perf_counter() - start
    finally:
        os.chdir(here)
    if code != 0:
        raise SystemExit("the in-process no-op run failed")
    return took


def ploomber_project(work: Path) -> None:
    """The same notebooks with ploomber's ``upstream``/``product`` declarations."""
    import nbformat

    upstream = {"make_data.ipynb": None, "clean.ipynb": ["make_data"], "report.ipynb": ["clean"]}
    products = {
        "make_data.ipynb": "data/raw.csv",
        "clean.ipynb": "data/clean.csv",
        "report.ipynb": "report.md",
    }
    tasks = []
    for name in NOTEBOOKS:
        nb = nbformat.read(EXAMPLE / name, as_version=4)
        nb.cells.insert(
            1,
            nbformat.v4.new_code_cell(
                f"upstream = {upstream[name]!r}\nproduct = None", metadata={"tags": ["parameters"]}
            ),
        )
        nbformat.write(nb, work / name)
        stem = name.removesuffix(".ipynb")
        tasks.append(
            {
                "source": name,
                "name": stem,
                "product": {"nb": f"ploomber-out/{name}", "data": products[name]},
            }
        )
    (work / "pipeline.yaml").write_text(json.dumps({"tasks": tasks}, indent=1))
    shutil.copy(EXAMPLE / "stations.csv", work / "stations.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--papermill-rounds", type=int, default=3)
    parser.add_argument("--ploomber", metavar="PATH", help="ploomber executable")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "pipeline.txt")
    args = parser.parse_args()

    lines = [
        "jupyter-ext pipeline run (nothing changed) vs running the notebooks again",
        *machine_lines(),
        f"date: {datetime.date.today()}, pipeline: examples/pipeline (3 notebooks, CSV files)",
        "",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "jx"
        shutil.copytree(EXAMPLE, work)
        os.environ["JUPYTER_EXT_STORE"] = str(Path(tmp) / "runs.sqlite")  # never the user's
        env = dict(os.environ)
        convert = timed(jupyter_ext("to-pipeline", *NOTEBOOKS), work, env)
        first = timed(jupyter_ext("pipeline", "run", "pipeline.yaml"), work, env)
        noop = [
            timed(jupyter_ext("pipeline", "run", "pipeline.yaml"), work, env)
            for _ in range(args.rounds)
        ]
        startup = [timed([sys.executable, "-c", "pass"], work) for _ in range(args.rounds)]
        in_process = [noop_in_process(work) for _ in range(args.rounds)]
        papermill = []
        for _ in range(args.papermill_rounds):
            start = time.perf_counter()
            for name in NOTEBOOKS:
                timed(["papermill", "-k", "python3", name, "/dev/null"], work)
            papermill.append(time.perf_counter() - start)
        noop_median, pm_median = statistics.median(noop), statistics.median(papermill)
        lines += [
            f"to-pipeline (converts, runs each notebook once for lineage): {convert:.2f} s",
            f"first pipeline run (3 steps ran): {first:.2f} s",
            "",
            f"{'what':<48} {'median s':>9} {'rounds':>7}",
            f"{'jupyter-ext pipeline run, nothing changed':<48} {noop_median:>9.3f} {len(noop):>7}",
            f"{'papermill, the 3 notebooks again':<48} {pm_median:>9.3f} {len(papermill):>7}",
            f"{'  (python -c pass, for scale)':<48} {statistics.median(startup):>9.3f} "
            f"{len(startup):>7}",
            f"{'  (no-op pipeline run in this process)':<48} "
            f"{statistics.median(in_process):>9.3f} {len(in_process):>7}",
        ]
        ratio = [f"papermill / no-op pipeline run: {pm_median / noop_median:.1f}x"]
        if args.ploomber:
            pwork = Path(tmp) / "ploomber"
            pwork.mkdir()
            ploomber_project(pwork)
            build = [args.ploomber, "build", "--entry-point", "pipeline.yaml"]
            pfirst = timed(build, pwork)
            pnoop = [timed(build, pwork) for _ in range(args.rounds)]
            pl_median = statistics.median(pnoop)
            lines.append(
                f"{'ploomber build, nothing changed':<48} {pl_median:>9.3f} {len(pnoop):>7}"
            )
            ratio.append(f"ploomber no-op / jupyter-ext no-op: {pl_median / noop_median:.1f}x")
            ratio.append(f"(ploomber's first build: {pfirst:.2f} s)")
        lines += ["", *ratio]
        lines.append("no-op rounds (s): " + ", ".join(f"{t:.3f}" for t in noop))
        lines.append(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)


if __name__ == "__main__":
    main()
