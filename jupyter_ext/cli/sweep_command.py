"""``sweep``: run a notebook once per point of a parameter grid, in parallel, recorded.

Every point is checked against the notebook's declared parameters before any kernel
starts; each point then runs exactly as ``jupyter-ext run`` runs a notebook (papermill
with the recording engine), on local processes or on a Dask cluster.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .common import EXIT_FAILED, EXIT_OK, UsageError, add_store_option, store_path


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _grid(args: argparse.Namespace, notebook: Path) -> Any:
    from ..sweep.grid import GridError, check_grid, load_grid

    try:
        return check_grid(load_grid(args.grid), notebook, args.grid)
    except GridError as exc:
        raise UsageError(str(exc)) from exc


def _tasks(args: argparse.Namespace, notebook: Path, grid: Any, outdir: Path) -> list[Any]:
    from ..sweep.grid import output_name
    from ..sweep.point import PointTask

    store = store_path(args.store).absolute()
    total = len(grid.points)
    return [
        PointTask(
            index=index,
            notebook=str(notebook),
            parameters=dict(point),
            output=str(outdir / output_name(notebook.stem, index, total, point, grid.varied)),
            store=str(store),
            collect=tuple(args.collect or ()),
            kernel_name=args.kernel,
            timeout=args.timeout,
        )
        for index, point in enumerate(grid.points, start=1)
    ]


def _executor(args: argparse.Namespace) -> Any:
    from ..sweep.executors import default_workers, local_processes

    if args.scheduler:
        from ..sweep.executors import dask_cluster

        return dask_cluster(args.scheduler, args.connect_timeout)
    return local_processes(args.workers or default_workers())


def cmd_sweep(args: argparse.Namespace) -> int:
    from .run_commands import vet_notebook

    notebook = Path(args.notebook).resolve()
    vet_notebook(notebook)  # each point reads it with papermill, in its worker
    if not Path(args.grid).is_file():
        raise UsageError(f"{args.grid}: no such grid file")
    bad = [name for name in args.collect or () if not name.isidentifier()]
    if bad:
        raise UsageError(f"--collect {bad[0]!r}: not a Python name")
    if args.scheduler and args.workers:
        raise UsageError("--workers sets local processes; a Dask cluster brings its own workers")
    if args.scheduler:
        _require_dask()
    grid = _grid(args, notebook)
    outdir = Path(args.output_dir or f"{notebook.stem}-sweep").absolute()
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{outdir}: cannot create the output directory ({exc.strerror})") from exc
    tasks = _tasks(args, notebook, grid, outdir)
    outcome, label = _run(args, tasks)
    return _report(args, notebook, grid, outcome, label, outdir)


def _require_dask() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise UsageError(
            '--scheduler needs Dask distributed: pip install "jupyter-ext[dask]"'
        ) from None


def _run(args: argparse.Namespace, tasks: list[Any]) -> tuple[Any, str]:
    from tqdm import tqdm

    from ..sweep.executors import SchedulerUnreachable
    from ..sweep.runner import run_points

    try:
        with _executor(args) as handle:
            _clear_previous_outputs(tasks)
            print(
                f"Sweeping {Path(args.notebook).name}: {len(tasks)} points on {handle.label}",
                file=sys.stderr,
            )
            bar = tqdm(total=len(tasks), unit="point", file=sys.stderr, disable=None, leave=False)
            try:

                def on_result(result: Any) -> None:
                    bar.update(1)
                    bar.set_postfix_str(f"point {result.index}: {result.status}", refresh=True)

                outcome = run_points(handle.executor, tasks, on_result, handle.health)
            finally:
                bar.close()
            if outcome.interrupted and handle.abort is not None:
                handle.abort()
            return outcome, handle.label
    except SchedulerUnreachable as exc:
        raise UsageError(str(exc)) from exc


def _clear_previous_outputs(tasks: list[Any]) -> None:
    """Remove this sweep's own output files left by an earlier sweep into the same folder.

    Each point overwrites its file anyway; removing them first means a file present
    afterwards was written by this sweep, never a stale result next to a point that did
    not run this time.
    """
    for task in tasks:
        try:
            Path(task.output).unlink(missing_ok=True)
        except OSError as exc:
            raise UsageError(f"{task.output}: cannot replace the output ({exc.strerror})") from exc


def _report(
    args: argparse.Namespace, notebook: Path, grid: Any, outcome: Any, label: str, outdir: Path
) -> int:
    from ..sweep.summary import counts, summary_csv, summary_json, summary_rows, summary_table

    collect = list(args.collect or ())
    rows = summary_rows(grid, outcome.results, collect)
    print(summary_table(rows, grid.varied, collect))
    tally = counts(rows)
    print(
        f"{tally['ok']} ok, {tally['failed']} failed, {tally['not run']} not run; "
        f"outputs in {outdir}; records in {store_path(args.store)}"
    )
    outputs: list[tuple[str, str]] = []
    if args.summary_json:
        document = summary_json(
            rows, notebook=str(notebook), grid_file=str(Path(args.grid).resolve()), executor=label
        )
        outputs.append((args.summary_json, document))
    if args.summary_csv:
        outputs.append((args.summary_csv, summary_csv(rows, grid.varied, collect)))
    for target, text in outputs:
        try:
            Path(target).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"jupyter-ext: {target}: cannot write the summary ({exc.strerror})",
                  file=sys.stderr)  # fmt: skip
            return EXIT_FAILED
    if outcome.interrupted:
        print(
            "jupyter-ext: interrupted; unfinished points were stopped or cancelled", file=sys.stderr
        )
    if outcome.lost:
        print(
            f"jupyter-ext: {tally['not run']} point(s) did not run: {outcome.lost}; "
            "completed points are kept",
            file=sys.stderr,
        )
    return EXIT_OK if tally["ok"] == len(rows) else EXIT_FAILED


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "sweep",
        help="run a notebook over a parameter grid, in parallel, every point recorded",
        description="Run NB once per point of the grid in FILE (YAML: name: [values] axes "
        "whose cartesian product gives the points, plus optional `fixed:` values and "
        "explicit `points:`). Every point is checked against the notebook's parameters "
        "cell before anything runs. Each point runs like `jupyter-ext run`: one output "
        "notebook (OUTDIR/<stem>-<index>-<params>.ipynb, carrying its run record) and one "
        "recorded run per point. Points run on local processes, or on a Dask cluster with "
        "--scheduler. A failing point does not stop the others. Exit codes: 0 every point "
        "ok, 1 a point failed or did not run, 2 bad input or unreachable scheduler.",
    )
    p.add_argument("notebook", metavar="NB")
    p.add_argument("-f", "--grid", required=True, metavar="FILE", help="the grid (YAML or JSON)")
    p.add_argument("-o", "--output-dir", metavar="OUTDIR",
                   help="where output notebooks go (default: ./<stem>-sweep)")  # fmt: skip
    p.add_argument("--workers", type=_positive_int, metavar="N",
                   help="local worker processes (default: the number of CPUs)")  # fmt: skip
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on the Dask distributed scheduler at ADDRESS "
                   "(e.g. tcp://10.0.0.5:8786); needs jupyter-ext[dask]")  # fmt: skip
    p.add_argument("--connect-timeout", type=float, default=10.0, metavar="S",
                   help="give up on a silent scheduler after S seconds (default 10)")  # fmt: skip
    p.add_argument("--collect", action="append", metavar="NAME",
                   help="show NAME's final value per point (int, float, bool, short text); "
                   "repeatable")  # fmt: skip
    p.add_argument("--summary-json", metavar="PATH", help="write the summary as JSON")
    p.add_argument("--summary-csv", metavar="PATH", help="write the summary as CSV")
    p.add_argument("--kernel", metavar="NAME", help="kernel name (default: the notebook's)")
    p.add_argument("--timeout", type=float, default=600, metavar="S", help="per-cell timeout")
    add_store_option(p)
    p.set_defaults(func=cmd_sweep)
