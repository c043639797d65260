"""``jupyter-ext``: record, list and show notebook runs from the command line.

Exit codes: 0 success, 1 a notebook failed (or findings, for checking commands),
2 usage or input error (bad arguments, unreadable notebook, unknown run).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad input: reported as one line, exit code 2."""


def _store_path(arg: str | None) -> Path:
    if arg:
        return Path(arg).expanduser()
    from ..store.location import default_store_path

    return default_store_path()


def _open_store(path: Path) -> Any:
    from ..store.sqlite import RunStore

    if not path.exists():
        raise UsageError(f"no run store at {path}: run a notebook with `jupyter-ext run` first")
    return RunStore(path)


def _bundled_example() -> Path:
    here = Path.cwd() / "examples" / "messy_analysis.ipynb"
    if here.exists():
        return here
    packaged = Path(__file__).resolve().parent.parent / "_examples" / "messy_analysis.ipynb"
    if packaged.exists():
        return packaged
    raise UsageError("the example notebook is missing; pass a notebook path")


def _progress(total_label: str) -> Any:
    """A per-cell progress bar on stderr (quiet when stderr is not a terminal)."""
    from tqdm import tqdm

    state: dict[str, Any] = {}

    def on_cell(position: int, total: int, cell: Any) -> None:
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = tqdm(
                total=total,
                desc=total_label,
                unit="cell",
                file=sys.stderr,
                leave=False,
                disable=None,
            )
        bar.update(1 if position > 1 else 0)
        first = (cell.source.strip().splitlines() or [""])[0]
        bar.set_postfix_str(first[:40], refresh=True)

    def close() -> None:
        bar = state.get("bar")
        if bar is not None:
            bar.update(bar.total - bar.n)
            bar.close()

    on_cell.close = close  # type: ignore[attr-defined]
    return on_cell


def _run(args: argparse.Namespace, *, title: str | None = None) -> int:
    import nbformat

    from ..bridge.headless import run_notebook
    from .summary import run_summary

    path = Path(args.notebook)
    if not path.is_file():
        raise UsageError(f"{path}: no such notebook")
    store = _store_path(args.store)
    if title:
        print(title, file=sys.stderr)
    progress = _progress(path.name)
    try:
        result = run_notebook(
            path,
            order=args.order,
            kernel_name=args.kernel,
            timeout=args.timeout,
            store=store,
            allow_errors=args.allow_errors,
            on_cell=progress,
        )
    except (nbformat.reader.NotJSONError, nbformat.ValidationError, ValueError) as exc:
        raise UsageError(f"{path}: not a readable notebook ({exc})") from exc
    finally:
        progress.close()
    with _open_store(store) as runs:
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


def cmd_runs(args: argparse.Namespace) -> int:
    from .summary import _when

    store = _store_path(args.store)
    with _open_store(store) as runs:
        notebook = str(Path(args.notebook).resolve()) if args.notebook else None
        summaries = runs.list_runs(notebook_path=notebook, limit=args.limit)
    if args.json:
        print(json.dumps([dataclasses.asdict(s) for s in summaries], indent=2, sort_keys=True))
        return EXIT_OK
    if not summaries:
        print(f"no runs recorded in {store}")
        return EXIT_OK
    print(f"{'run':<26} {'started':<19} {'cells':>5} {'errors':>6}  notebook")
    for s in summaries:
        print(
            f"{s.run_id:<26} {_when(s.started_at):<19} {s.executions:>5} {s.errors:>6}  "
            f"{s.notebook_path or '-'}"
        )
    print(f"({len(summaries)} shown, store {store})")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    from ..store.sqlite import RunLookupError
    from .summary import run_summary

    store = _store_path(args.store)
    with _open_store(store) as runs:
        try:
            run_id = runs.resolve_run_id(args.run)
        except RunLookupError as exc:
            raise UsageError(str(exc)) from exc
        record = runs.run_record(run_id, include_source=args.source)
    if args.json:
        print(json.dumps(record, indent=2, sort_keys=True))
    else:
        print(run_summary(record, store=str(store)))
    return EXIT_OK


def _add_store(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--store",
        metavar="PATH",
        help="run store (default: $JUPYTER_EXT_STORE, else jupyter_ext/runs.sqlite "
        "under the Jupyter data directory)",
    )


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", metavar="OUT", help="write the executed notebook here")
    p.add_argument("--kernel", metavar="NAME", help="kernel name (default: the notebook's)")
    p.add_argument("--timeout", type=float, default=600, metavar="S", help="per-cell timeout")
    p.add_argument("--allow-errors", action="store_true", help="keep going after a failing cell")
    p.add_argument("--json", action="store_true", help="print the run record as JSON")
    _add_store(p)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jupyter-ext",
        description="Notebook hygiene and tracking for Jupyter: run notebooks with every "
        "execution recorded, and inspect the recorded runs.",
        epilog="Exit codes: 0 success, 1 failure, 2 usage or input error.",
    )
    parser.add_argument("--version", action="version", version=f"jupyter-ext {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

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

    runs = sub.add_parser("runs", help="list recorded runs, newest first")
    runs.add_argument("notebook", metavar="NB", nargs="?", help="only runs of this notebook")
    runs.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    runs.add_argument("--json", action="store_true")
    _add_store(runs)
    runs.set_defaults(func=cmd_runs)

    show = sub.add_parser("show", help="show one run: environment and every execution")
    show.add_argument("run", metavar="RUN", help="run id, a unique prefix of one, or 'latest'")
    show.add_argument("--json", action="store_true", help="the jupyter_ext.run/1 record")
    show.add_argument("--source", action="store_true", help="include cell sources in --json")
    _add_store(show)
    show.set_defaults(func=cmd_show)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    try:
        code: int = args.func(args)
        return code
    except UsageError as exc:
        print(f"jupyter-ext: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("jupyter-ext: interrupted", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
