"""``runs`` and ``show``: the recorded history in the run store."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from .common import EXIT_FAILED, EXIT_OK, UsageError, add_store_option, open_store, store_path


def cmd_runs(args: argparse.Namespace) -> int:
    from .summary import format_time

    store = store_path(args.store)
    with open_store(store) as runs:
        notebook = str(Path(args.notebook).resolve()) if args.notebook else None
        summaries = runs.list_runs(notebook_path=notebook, limit=args.limit)
    if args.json:
        print(json.dumps([dataclasses.asdict(s) for s in summaries], indent=2, sort_keys=True))
        return EXIT_OK
    if not summaries:
        print(f"no runs recorded in {store}")
        return EXIT_OK
    print(f"{'run':<26} {'started':<19} {'cells':>5} {'errors':>6} {'state':<8} notebook")
    for s in summaries:
        print(
            f"{s.run_id:<26} {format_time(s.started_at):<19} {s.executions:>5} {s.errors:>6} "
            f"{s.state.status:<8} {s.notebook_path or '-'}"
        )
    print(f"({len(summaries)} shown, store {store})")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    from ..store.sqlite import RunLookupError
    from .summary import run_summary

    store = store_path(args.store)
    with open_store(store) as runs:
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


def _load_side(spec: str, store: Path) -> tuple[dict[str, Any], Any]:
    """A run record and, for output notebooks, the notebook itself (for outputs)."""
    path = Path(spec)
    if spec.endswith(".ipynb") or path.is_file():
        import nbformat

        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as exc:
            raise UsageError(f"{spec}: not a readable notebook ({exc})") from exc
        record = nb.metadata.get("jupyter_ext")
        if not isinstance(record, dict) or record.get("schema") != "jupyter_ext.run/1":
            raise UsageError(
                f"{spec}: carries no run record; write one with `jupyter-ext run NB -o OUT`"
            )
        return dict(record), nb
    from ..store.sqlite import RunLookupError

    with open_store(store) as runs:
        try:
            run_id = runs.resolve_run_id(spec)
        except RunLookupError as exc:
            raise UsageError(str(exc)) from exc
        return runs.run_record(run_id), None


def cmd_diff(args: argparse.Namespace) -> int:
    from ..bridge.rundiff import diff_outputs, diff_records, format_diff, is_same

    store = store_path(args.store)
    record_a, nb_a = _load_side(args.a, store)
    record_b, nb_b = _load_side(args.b, store)
    diff = diff_records(record_a, record_b)
    outputs = diff_outputs(nb_a, nb_b) if nb_a is not None and nb_b is not None else None
    if args.json:
        print(json.dumps({**diff, "outputs": outputs}, indent=2, sort_keys=True, default=str))
    else:
        print(format_diff(diff, outputs))
    return EXIT_OK if is_same(diff, outputs) else EXIT_FAILED


def add_parsers(sub: Any) -> None:
    runs = sub.add_parser("runs", help="list recorded runs, newest first")
    runs.add_argument("notebook", metavar="NB", nargs="?", help="only runs of this notebook")
    runs.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    runs.add_argument("--json", action="store_true")
    add_store_option(runs)
    runs.set_defaults(func=cmd_runs)

    show = sub.add_parser("show", help="show one run: environment and every execution")
    show.add_argument("run", metavar="RUN", help="run id, a unique prefix of one, or 'latest'")
    show.add_argument("--json", action="store_true", help="the jupyter_ext.run/1 record")
    show.add_argument("--source", action="store_true", help="include cell sources in --json")
    add_store_option(show)
    show.set_defaults(func=cmd_show)

    diff = sub.add_parser(
        "diff",
        help="compare two runs: parameters, environment, values cell by cell, outputs",
        description="Compare two runs, given as run ids (or unique prefixes, or 'latest') "
        "from the store, or as output notebooks written by `jupyter-ext run -o` (then "
        "outputs are compared too, with nbdime). Exit code 0 when nothing differs, 1 "
        "when something does.",
    )
    diff.add_argument("a", metavar="RUN_A")
    diff.add_argument("b", metavar="RUN_B")
    diff.add_argument("--json", action="store_true", help="one JSON object")
    add_store_option(diff)
    diff.set_defaults(func=cmd_diff)
