"""``%track``: what the recorder is doing, for people (text) and programs (``--json``)."""

from __future__ import annotations

import argparse
import json
import shlex
from typing import Any

from . import extension


def _status_text(status: dict[str, Any]) -> str:
    if not status.get("recording"):
        return f"jupyter-ext is not recording: {status.get('reason', 'not loaded')}."
    store = status.get("store_status") or {}
    lines = [
        f"jupyter-ext is recording run {status['run_id']}",
        f"  notebook:   {status.get('notebook') or '(unknown: the frontend sent no path)'}",
        f"  store:      {status['store']} ({store.get('journal_mode') or 'not open yet'})",
        f"  executions: {status['executions']} recorded this run, "
        f"{store.get('written', 0)} written to the store, {store.get('pending', 0)} pending",
        f"  names:      {status['tracked_names']} user names tracked",
    ]
    if store.get("dropped"):
        lines.append(f"  lost:       {store['dropped']} records could not be written")
    if store.get("last_error"):
        lines.append(f"  problem:    {store['last_error']}")
    if status.get("internal_errors"):
        lines.append(f"  internal:   {status['internal_errors']} executions partly unrecorded")
    return "\n".join(lines)


class _Parser(argparse.ArgumentParser):
    """Argument errors become one line of text, not a SystemExit in the user's cell."""

    def error(self, message: str) -> Any:
        raise ValueError(f"{self.prog}: {message}")


def _track_parser() -> _Parser:
    parser = _Parser(
        prog="%track",
        description="Show whether this kernel is recording, the run id, the store and counts.",
        add_help=False,
    )
    parser.add_argument("--json", action="store_true", help="one JSON object instead of text")
    parser.add_argument("-h", "--help", action="store_true", help="show this help")
    return parser


def register(shell: Any) -> None:
    """Register the line magics on ``shell`` (plain functions: no untyped decorators)."""

    def track(line: str) -> None:
        parser = _track_parser()
        try:
            args = parser.parse_args(shlex.split(line))
        except ValueError as exc:
            print(exc)
            return
        if args.help:
            print(parser.format_help())
            return
        status = extension.status(shell)
        if args.json:
            print(json.dumps(status, sort_keys=True, default=str))
        else:
            print(_status_text(status))

    track.__doc__ = _track_parser().format_help()
    shell.register_magic_function(track, "line", "track")
