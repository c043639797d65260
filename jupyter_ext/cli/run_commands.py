"""``run`` and ``demo``: execute notebooks headless with recording on."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    add_store_option,
    open_store,
    progress,
    store_path,
)


def _bundled_example() -> Path:
    here = Path.cwd() / "examples" / "messy_analysis.ipynb"
    if here.exists():
        return here
    packaged = Path(__file__).resolve().parent.parent / "_examples" / "messy_analysis.ipynb"
    if packaged.exists():
        return packaged
    raise UsageError("the example notebook is missing; pass a notebook path")


def _run(args: argparse.Namespace, *, title: str | None = None) -> int:
    import nbformat

    from ..bridge.headless import run_notebook
    from .summary import run_summary

    path = Path(args.notebook)
    if not path.is_file():
        raise UsageError(f"{path}: no such notebook")
    store = store_path(args.store)
    if title:
        print(title, file=sys.stderr)
    bar = progress(path.name)
    try:
        result = run_notebook(
            path,
            order=args.order,
            kernel_name=args.kernel,
            timeout=args.timeout,
            store=store,
            allow_errors=args.allow_errors,
            on_cell=bar,
        )
    except (nbformat.reader.NotJSONError, nbformat.ValidationError, ValueError) as exc:
        raise UsageError(f"{path}: not a readable notebook ({exc})") from exc
    finally:
        bar.close()
    with open_store(store) as runs:
        record = runs.run_record(result.run_id)
    if args.output:
        result.notebook.metadata["jupyter_ext"] = record
        nbformat.write(result.notebook, args.output)
    if args.json:
        print(json.dumps(record, indent=2, sort_keys=True))
    else:
        print(run_summary(record, store=str(store)))
        if args.output:
            print(f"  output     {args.output}")
        if result.state is not None:
            from ..analysis.hygiene_report import hygiene_text

            print()
            print(hygiene_text(result.state.get("warnings", []), result.state.get("cells", {})))
    if result.error:
        print(f"jupyter-ext: the run stopped: {result.error}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    return _run(args)


def cmd_demo(args: argparse.Namespace) -> int:
    source = Path(args.notebook) if args.notebook else _bundled_example()
    args.notebook = str(source)
    args.order = "recorded"
    return _run(args, title=f"Replaying {source.name} in the order its execution counts record...")


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", metavar="OUT", help="write the executed notebook here")
    p.add_argument("--kernel", metavar="NAME", help="kernel name (default: the notebook's)")
    p.add_argument("--timeout", type=float, default=600, metavar="S", help="per-cell timeout")
    p.add_argument("--allow-errors", action="store_true", help="keep going after a failing cell")
    p.add_argument("--json", action="store_true", help="print the run record as JSON")
    add_store_option(p)


def add_parsers(sub: Any) -> None:
    run = sub.add_parser(
        "run",
        help="execute a notebook headless with recording on",
        description="Execute NB in a fresh kernel with the recorder loaded; every cell is "
        "recorded with its cell id, timing, names read and written and variable digests.",
    )
    run.add_argument("notebook", metavar="NB")
    run.add_argument(
        "--order",
        choices=("document", "recorded"),
        default="document",
        help="document: top to bottom; recorded: replay executed cells in the order of "
        "their saved execution counts",
    )
    _add_run_options(run)
    run.set_defaults(func=cmd_run)

    demo = sub.add_parser(
        "demo",
        help="replay the messy example notebook and show what was recorded",
        description="Replay a notebook (by default the bundled messy example) in the order "
        "its execution counts record, in a throw-away copy, and print the run record.",
    )
    demo.add_argument("notebook", metavar="NB", nargs="?")
    _add_run_options(demo)
    demo.set_defaults(func=cmd_demo, order="recorded")
