"""``run`` and ``demo``: execute notebooks headless with recording on.

``run`` goes through papermill with the recording engine, so parameters, error cells
and output notebooks behave as papermill users expect. ``demo`` (and ``run --order
recorded``) replays cells in the order their saved execution counts record, which
papermill cannot do: that goes through the plain headless runner.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..bridge.error_text import last_line
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
    _print_report(record, args, store, result.state)
    if result.error:
        print(f"jupyter-ext: the run stopped: {result.error}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _print_report(
    record: dict[str, Any], args: argparse.Namespace, store: Path, state: Any
) -> None:
    from .summary import run_summary

    if args.json:
        print(json.dumps(record, indent=2, sort_keys=True))
        return
    print(run_summary(record, store=str(store)))
    if args.output:
        print(f"  output     {args.output}")
    if state is not None:
        from ..analysis.hygiene_report import hygiene_text

        print()
        print(hygiene_text(state.get("warnings", []), state.get("cells", {})))


def _parameters(args: argparse.Namespace) -> dict[str, Any]:
    from ..bridge.params import ParameterError, merge_parameters

    try:
        return merge_parameters(args.parameters_file or (), args.parameters or ())
    except ParameterError as exc:
        raise UsageError(str(exc)) from exc


def typed_parameters(args: argparse.Namespace, path: Path) -> dict[str, Any]:
    """The -f/-p parameters checked against the types NB's parameters cell declares.

    Runs before any kernel starts. ``-p`` text reaches the declared type directly
    (``-p name 3.10`` stays ``"3.10"`` for a str parameter, where papermill would give
    3.1); parameters with no declared type are typed as papermill's ``-p`` types them.
    """
    from ..bridge.params import ParameterError, merge_parameters
    from ..pipeline.typed_params import check_parameters

    try:
        merged = merge_parameters(args.parameters_file or ())
        for name, value in args.parameters or ():
            if not name.isidentifier():
                raise ParameterError(f"parameter name {name!r} is not a Python identifier")
            merged[name] = value
        return check_parameters(path, merged)
    except ParameterError as exc:
        raise UsageError(str(exc)) from exc


def vet_notebook(path: Path) -> None:
    """A one-line :class:`UsageError` unless ``path`` holds a notebook's JSON and cells.

    The static checker's reader: plain ``json``, milliseconds, and no nbformat, whose
    import (jsonschema and its format checkers) costs more than a second -- a price
    commands that only hand the file to worker processes should not pay first.
    """
    from ..bridge.static_notebook import NotebookError, load_notebook, notebook_cells

    if not path.is_file():
        raise UsageError(f"{path}: no such notebook")
    try:
        notebook_cells(load_notebook(path))
    except NotebookError as exc:
        raise UsageError(f"{path}: not a readable notebook ({exc})") from exc


def read_notebook(path: Path) -> Any:
    """The notebook at ``path``, or a one-line :class:`UsageError`.

    nbformat reads any JSON (``null``, a list, cells that are numbers) and fails later
    with a traceback deep in the command, so the file is first vetted
    (:func:`vet_notebook`), which names what is wrong in one phrase.
    """
    vet_notebook(path)
    import nbformat

    try:
        return nbformat.read(path, as_version=4)
    except (
        OSError,
        ValueError,
        nbformat.ValidationError,
        AttributeError,
        TypeError,
        KeyError,
    ) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UsageError(f"{path}: not a readable notebook ({first[:200]})") from exc


def execute_with_engine(path: Path, parameters: dict[str, Any], **options: Any) -> Any:
    """Run through papermill with the recording engine; input problems become UsageErrors."""
    from jupyter_client.kernelspec import NoSuchKernel
    from papermill.exceptions import PapermillException

    from ..bridge.engine import execute_recorded

    try:
        return execute_recorded(path, parameters=parameters, **options)
    except NoSuchKernel as exc:
        raise UsageError(f"no such kernel: {exc.name}") from exc
    except PapermillException as exc:
        raise UsageError(f"{path}: {str(exc).strip().splitlines()[0]}") from exc


def _run_papermill(args: argparse.Namespace) -> int:
    path = Path(args.notebook)
    read_notebook(path)
    parameters = typed_parameters(args, path)
    store = store_path(args.store)
    run = execute_with_engine(
        path,
        parameters,
        output=args.output,
        kernel_name=args.kernel,
        timeout=args.timeout,
        store=store,
        allow_errors=args.allow_errors,
        progress_bar={"desc": path.name, "disable": None, "leave": False, "file": sys.stderr},
    )
    record = run.notebook.metadata.get("jupyter_ext") if run.notebook is not None else None
    if isinstance(record, dict) and "schema" in record:
        _print_report(record, args, store, run.state)
    else:
        print(f"jupyter-ext: run {run.run_id} left no record in {store}", file=sys.stderr)
    if run.error:
        print(run.error, file=sys.stderr)
        if args.allow_errors and run.notebook is not None:
            return EXIT_OK
        first = last_line(run.error) or "a cell failed"
        print(f"jupyter-ext: the run stopped: {first}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    if args.order == "recorded":
        if args.parameters or args.parameters_file:
            raise UsageError("parameters need --order document (papermill injects them)")
        return _run(args)
    return _run_papermill(args)


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


def add_parameter_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-p",
        "--parameters",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="a notebook parameter; the value is typed as papermill's -p types it "
        "(True/False/None, int, float, else text); repeatable, wins over -f",
    )
    p.add_argument(
        "-f",
        "--parameters-file",
        action="append",
        metavar="FILE",
        help="parameters from a YAML file; repeatable, later files win",
    )


def add_parsers(sub: Any) -> None:
    run = sub.add_parser(
        "run",
        help="execute a notebook headless with recording on",
        description="Execute NB in a fresh kernel with the recorder loaded, through papermill "
        "with the jupyter_ext engine; every cell is recorded with its cell id, timing, names "
        "read and written and variable digests, and the output notebook carries the run "
        "record in metadata.jupyter_ext. Exit codes: 0 ok, 1 a cell failed, 2 bad input.",
    )
    run.add_argument("notebook", metavar="NB")
    run.add_argument(
        "--order",
        choices=("document", "recorded"),
        default="document",
        help="document: top to bottom; recorded: replay executed cells in the order of "
        "their saved execution counts",
    )
    add_parameter_options(run)
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
