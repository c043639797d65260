"""What every command shares: exit codes, one-line usage errors, the store, progress."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad input: reported as one line, exit code 2."""


def store_path(arg: str | None) -> Path:
    if arg:
        return Path(arg).expanduser()
    from ..store.location import default_store_path

    return default_store_path()


def open_store(path: Path) -> Any:
    from ..store.sqlite import RunStore

    if not path.exists():
        raise UsageError(f"no run store at {path}: run a notebook with `jupyter-ext run` first")
    return RunStore(path)


def progress(total_label: str) -> Any:
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


def add_store_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--store",
        metavar="PATH",
        help="run store (default: $JUPYTER_EXT_STORE, else jupyter_ext/runs.sqlite "
        "under the Jupyter data directory)",
    )
