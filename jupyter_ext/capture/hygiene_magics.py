"""``%hygiene``, ``%lineage NAME|PATH`` and ``%gather NAME``: the rules, inside a cell.

Each waits for the recorder to finish the previous executions first (their digests
may still be computing on the background thread), so what it prints includes the
cell that ran just before.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from ..analysis.hygiene_report import hygiene_text
from ..core.records import ExecutionRecord
from . import extension
from .magics import MagicParser, register_line_magic


def _recorder_or_say_why(shell: Any) -> Any:
    recorder = extension.recorder_of(shell)
    if recorder is None:
        status = extension.status(shell)
        print(f"jupyter-ext is not recording: {status.get('reason')}. Run %load_ext jupyter_ext.")
        return None
    recorder.finalizer.wait_idle(30.0)
    return recorder


def _hygiene_parser() -> MagicParser:
    parser = MagicParser(
        "%hygiene",
        "Show stale cells, out-of-order executions, hidden state, edited cells and names "
        "no cell above defines.",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object instead of text")
    return parser


def _lineage_parser() -> MagicParser:
    parser = MagicParser(
        "%lineage",
        "Where NAME's current value came from (variables and files read on the way), and "
        "what depends on it; or, for a file PATH, every execution that read or wrote it.",
    )
    parser.add_argument("name", metavar="NAME|PATH")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of text")
    return parser


def _gather_parser() -> MagicParser:
    parser = MagicParser(
        "%gather",
        "The minimal code, in execution order, that recreates NAME in a fresh kernel.",
    )
    parser.add_argument("name", metavar="NAME")
    parser.add_argument(
        "-o", "--output", metavar="FILE", help="write a notebook (.ipynb) or script (.py)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object instead of text")
    return parser


def _history_source(shell: Any) -> Callable[[ExecutionRecord], str | None]:
    """The source IPython's history holds for a record's execution count: what really
    ran, secrets included, where the store keeps it redacted (``%gather`` compares its
    hash with the record's before using it)."""

    def source(record: ExecutionRecord) -> str | None:
        count = record.execution_count
        history = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None)
        if not isinstance(count, int) or not isinstance(history, list):
            return None
        if 0 < count < len(history) and isinstance(history[count], str):
            return str(history[count])
        return None

    return source


def register_hygiene_magics(shell: Any) -> None:
    def hygiene(args: argparse.Namespace) -> None:
        recorder = _recorder_or_say_why(shell)
        if recorder is None:
            return
        state = recorder.live.state()
        if args.json:
            payload = {
                "protocol": state["protocol"],
                "run_id": recorder.run.run_id,
                "notebook_seq": state["notebook_seq"],
                "warnings": state["warnings"],
                "cells": state["cells"],
            }
            print(json.dumps(payload, sort_keys=True, default=str))
        else:
            print(hygiene_text(state["warnings"], state["cells"]))

    def lineage(args: argparse.Namespace) -> None:
        from ..analysis.file_lineage_report import format_file_lineage
        from ..analysis.lineage_report import format_lineage
        from .lineage_query import lineage_of

        recorder = _recorder_or_say_why(shell)
        if recorder is None:
            return
        try:
            report = lineage_of(recorder.live, args.name)
        except KeyError as exc:
            print(str(exc).strip("'\""))
            return
        if args.json:
            print(json.dumps(report, sort_keys=True))
        elif "path" in report:
            print(format_file_lineage(report))
        else:
            print(format_lineage(report))

    def gather_(args: argparse.Namespace) -> None:
        from ..analysis.gather import GatherError, gather, write_gathered

        recorder = _recorder_or_say_why(shell)
        if recorder is None:
            return
        try:
            live = recorder.live
            with live.locked():
                records, horizon = live.records(), live.horizon()
            result = gather(records, args.name, horizon, _history_source(shell))
            written = write_gathered(result, args.output) if args.output else None
        except (GatherError, OSError) as exc:
            print(f"%gather: {exc}")
            return
        if args.json:
            payload = {
                "name": result.name,
                "steps": [
                    {
                        "seq": s.seq,
                        "cell_id": s.cell_id,
                        "execution_count": s.execution_count,
                        "source": s.source,
                        "produces": list(s.produces),
                        "redacted_lines": list(s.redacted_lines),
                    }
                    for s in result.steps
                ],
                "notes": list(result.notes),
                "output": str(written) if written else None,
            }
            print(json.dumps(payload, sort_keys=True))
            return
        if written:
            print(f"wrote {len(result.steps)} steps that recreate `{result.name}` to {written}")
            for note in result.notes:
                print(f"note: {note}")
        else:
            print(result.as_script())

    register_line_magic(shell, "hygiene", _hygiene_parser, hygiene)
    register_line_magic(shell, "lineage", _lineage_parser, lineage)
    register_line_magic(shell, "gather", _gather_parser, gather_)
