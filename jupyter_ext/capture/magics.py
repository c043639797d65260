"""``%track``: what the recorder is doing, for people (text) and programs (``--json``)."""

from __future__ import annotations

import json
from typing import Any

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from . import extension


def _status_text(status: dict[str, Any]) -> str:
    if not status.get("recording"):
        return f"jupyter-ext is not recording: {status.get('reason', 'not loaded')}."
    store = status.get("store_status") or {}
    lines = [
        f"jupyter-ext is recording run {status['run_id']}",
        f"  notebook:   {status.get('notebook') or '(unknown: no notebook path from the frontend)'}",
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


@magics_class
class TrackMagics(Magics):  # type: ignore[misc]
    @magic_arguments()  # type: ignore[misc]
    @argument("--json", action="store_true", help="Print one JSON object instead of text.")  # type: ignore[misc]
    @line_magic  # type: ignore[misc]
    def track(self, line: str) -> None:
        """Show whether this kernel is recording, the run id, the store and counts."""
        args = parse_argstring(self.track, line)
        status = extension.status(self.shell)
        if args.json:
            print(json.dumps(status, sort_keys=True, default=str))
        else:
            print(_status_text(status))
