"""``runs`` and ``show``: the recorded history in the run store."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from .common import EXIT_OK, UsageError, add_store_option, open_store, store_path


def cmd_runs(args: argparse.Namespace) -> int:
    from .summary import _when

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
