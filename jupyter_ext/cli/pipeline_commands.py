"""``to-pipeline`` and ``pipeline run``: notebooks as steps that rerun only when needed.

``to-pipeline NB...`` gives each notebook a papermill ``parameters`` cell, runs it once
with recording on to learn which files it reads and writes, and writes ``pipeline.yaml``.
``pipeline run pipeline.yaml`` runs the steps in dependency order and skips each step
whose code, parameters, environment and input files are unchanged since its last
successful run, with its outputs still in place. Exit codes: 0 ok, 1 a step (or a
recording run) failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .common import EXIT_FAILED, EXIT_OK, UsageError, add_store_option, store_path


def _echo(line: str) -> None:
    print(line, flush=True)


def cmd_to_pipeline(args: argparse.Namespace) -> int:
    from ..pipeline.builder import BuildError, BuildOptions, build_pipeline_spec, write_spec
    from ..pipeline.parameters_cell import ConversionError
    from .run_commands import read_notebook

    spec = Path(args.output)
    if spec.suffix not in (".yaml", ".yml"):
        raise UsageError(f"{spec}: the pipeline spec must be a .yaml file")
    if spec.exists() and not args.force and not args.dry_run:
        raise UsageError(f"{spec} exists: pass --force to replace it, or -o another file")
    if not spec.resolve().parent.is_dir():
        raise UsageError(f"{spec}: its directory does not exist")
    paths = [Path(p) for p in args.notebooks]
    if len({p.resolve() for p in paths}) != len(paths):
        raise UsageError("a notebook is listed twice")
    notebooks = [(path, read_notebook(path)) for path in paths]
    options = BuildOptions(
        spec=spec,
        dry_run=args.dry_run,
        run=not args.no_run,
        store=store_path(args.store),
        kernel=args.kernel,
        timeout=args.timeout,
    )
    try:
        document = build_pipeline_spec(notebooks, options, _echo)
    except ConversionError as exc:
        raise UsageError(str(exc)) from None
    except BuildError as exc:
        print(f"jupyter-ext: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if args.dry_run:
        from ..pipeline.spec import dump_spec

        print(dump_spec(document), end="")
        return EXIT_OK
    write_spec(spec, document)
    print(f"wrote {spec}: {len(document['steps'])} step(s); run it with "
          f"`jupyter-ext pipeline run {spec}`")  # fmt: skip
    return EXIT_OK


def cmd_pipeline_run(args: argparse.Namespace) -> int:
    from ..pipeline.runner import RunOptions, run_pipeline
    from ..pipeline.spec import SpecError, load_spec
    from ..pipeline.state import StateError

    try:
        pipeline = load_spec(args.spec)
        if args.output_dir:
            pipeline = _with_output_dir(pipeline, Path(args.output_dir))
        options = RunOptions(
            store=store_path(args.store),
            force=args.force,
            only=frozenset(args.step or ()),
            dry_run=args.dry_run,
            timeout=args.timeout,
        )
        reports = run_pipeline(pipeline, options, _echo)
    except (SpecError, StateError) as exc:
        raise UsageError(str(exc)) from None
    failed = [r for r in reports if r.status in ("failed", "blocked")]
    counts: dict[str, int] = {}
    for report in reports:
        counts[report.status] = counts.get(report.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in counts.items())
    print(f"{pipeline.path}: {summary or 'no steps'}")
    return EXIT_FAILED if failed else EXIT_OK


def _with_output_dir(pipeline: Any, output_dir: Path) -> Any:
    from dataclasses import replace

    return replace(pipeline, output_dir=output_dir.resolve())


def add_parsers(sub: Any) -> None:
    to = sub.add_parser(
        "to-pipeline",
        help="turn notebooks into pipeline steps (parameters cells, pipeline.yaml)",
        description="For each NB: find the cell tagged 'parameters' or create one from the "
        "literal assignments at the top that later cells read (a cell mixing them with other "
        "code is split; cell ids are kept), and print each decision. Then run each notebook "
        "once with recording on, take the files it reads and writes from the recorded data "
        "lineage, and write the pipeline spec. A notebook with no parameters is left as it "
        "is and becomes a step without parameters (exit 0). Exit codes: 0 ok, 1 a recording "
        "run failed (no spec written), 2 bad input (conflicting parameter types, unreadable "
        "notebook, existing spec without --force).",
    )
    to.add_argument("notebooks", metavar="NB", nargs="+", help="notebooks, in step order")
    to.add_argument(
        "-o", "--output", default="pipeline.yaml", metavar="SPEC",
        help="pipeline spec to write; paths in it are relative to its directory "
        "(default: pipeline.yaml)",
    )  # fmt: skip
    to.add_argument("--dry-run", action="store_true", help="print the decisions and the spec; "
                    "write nothing, run nothing")  # fmt: skip
    to.add_argument("--no-run", action="store_true", help="do not run the notebooks: inputs "
                    "and outputs are left for you to fill in")  # fmt: skip
    to.add_argument("--force", action="store_true", help="replace an existing spec")
    to.add_argument("--kernel", metavar="NAME", help="kernel name (default: the notebook's)")
    to.add_argument("--timeout", type=float, default=600, metavar="S", help="per-cell timeout")
    add_store_option(to)
    to.set_defaults(func=cmd_to_pipeline)

    pipeline = sub.add_parser(
        "pipeline",
        help="run a pipeline spec, skipping steps that are up to date",
        description="Commands on a pipeline spec written by `jupyter-ext to-pipeline`.",
    )
    actions = pipeline.add_subparsers(dest="pipeline_command", metavar="ACTION")
    run = actions.add_parser(
        "run",
        help="run the steps that are out of date, in dependency order",
        description="Run each step in dependency order, or skip it when its code (code cell "
        "sources), parameters, environment (installed packages of this Python, which the "
        "kernel is assumed to share) and input-file digests equal those of its last "
        "successful run and its outputs are still there with their recorded digests. Each "
        "step says why it ran or was skipped. State is kept next to the spec "
        "(SPEC.state.json). A failing step stops the steps that depend on it. Exit codes: "
        "0 ok, 1 a step failed, 2 bad input (spec, parameters, missing input file).",
    )
    run.add_argument("spec", metavar="SPEC", help="the pipeline spec (pipeline.yaml)")
    run.add_argument("--force", action="store_true", help="run every selected step")
    run.add_argument(
        "--step", action="append", metavar="NAME",
        help="only this step (repeatable); its inputs must exist or come from another "
        "selected step",
    )  # fmt: skip
    run.add_argument("--dry-run", action="store_true", help="say what would run and why; "
                     "run nothing")  # fmt: skip
    run.add_argument("--output-dir", metavar="DIR", help="where executed notebooks go "
                     "(default: the spec's output_dir)")  # fmt: skip
    run.add_argument("--timeout", type=float, default=600, metavar="S", help="per-cell timeout")
    add_store_option(run)
    run.set_defaults(func=cmd_pipeline_run)
    pipeline.set_defaults(func=lambda args: _pipeline_help(pipeline))


def _pipeline_help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2
