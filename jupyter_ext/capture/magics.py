"""``%track``: what the recorder is doing, for people (text) and programs (``--json``)."""

from __future__ import annotations

import argparse
import json
import shlex
from collections.abc import Callable
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
    if status.get("files_recorded") is not None:
        lines.append(
            f"  files:      {status['files_recorded']} file uses recorded (see %lineage PATH)"
        )
    if status.get("warnings") is not None:
        lines.append(f"  warnings:   {status['warnings']} (see %hygiene)")
    if store.get("dropped"):
        lines.append(f"  lost:       {store['dropped']} records could not be written")
    if store.get("last_error"):
        lines.append(f"  problem:    {store['last_error']}")
    if status.get("internal_errors"):
        lines.append(f"  internal:   {status['internal_errors']} executions partly unrecorded")
    return "\n".join(lines)


class MagicParser(argparse.ArgumentParser):
    """Argument errors become one line of text, not a SystemExit in the user's cell."""

    def __init__(self, prog: str, description: str) -> None:
        super().__init__(prog=prog, description=description, add_help=False)
        self.add_argument("-h", "--help", action="store_true", help="show this help")

    def error(self, message: str) -> Any:
        raise ValueError(f"{self.prog}: {message}")


def register_line_magic(
    shell: Any,
    name: str,
    make_parser: Callable[[], MagicParser],
    handler: Callable[[argparse.Namespace], None],
) -> None:
    """Register ``%name`` as a plain function: parse, show help or run ``handler``."""

    def magic(line: str) -> None:
        parser = make_parser()
        try:
            args = parser.parse_args(shlex.split(line))
        except ValueError as exc:
            print(exc)
            return
        if args.help:
            print(parser.format_help())
            return
        handler(args)

    magic.__doc__ = make_parser().format_help()
    magic.__name__ = name
    shell.register_magic_function(magic, "line", name)


def _track_parser() -> MagicParser:
    parser = MagicParser(
        "%track", "Show whether this kernel is recording, the run id, the store and counts."
    )
    parser.add_argument("--json", action="store_true", help="one JSON object instead of text")
    return parser


def register(shell: Any) -> None:
    """Register every line magic of the extension on ``shell``."""
    from .hygiene_magics import register_hygiene_magics

    def track(args: argparse.Namespace) -> None:
        status = extension.status(shell)
        if args.json:
            print(json.dumps(status, sort_keys=True, default=str))
        else:
            print(_status_text(status))

    register_line_magic(shell, "track", _track_parser, track)
    register_hygiene_magics(shell)
