"""``jupyter-ext``: run, check and compare notebooks with every execution recorded.

Exit codes: 0 success, 1 a notebook failed (or findings, for checking commands),
2 usage or input error (bad arguments, unreadable notebook, unknown run). Output cut
short by its reader (``jupyter-ext runs | head -5``) ends quietly with exit code 0, as
ruff and ripgrep do: the reader had what it wanted.

Each command lives in its own module with an ``add_parsers(subparsers)`` function;
heavy imports (nbclient, papermill, nbdime) happen inside the commands, so
``jupyter-ext --help`` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence

from .. import __version__
from . import (
    check_command,
    convert_commands,
    export_commands,
    file_command,
    history_commands,
    pipeline_commands,
    repro_commands,
    run_commands,
    store_commands,
    sweep_command,
)
from .common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError

COMMAND_MODULES = (
    run_commands,
    repro_commands,
    history_commands,
    store_commands,
    file_command,
    check_command,
    sweep_command,
    export_commands,
    convert_commands,
    pipeline_commands,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jupyter-ext",
        description="Notebook hygiene and tracking for Jupyter: run notebooks with every "
        "execution recorded, and inspect the recorded runs.",
        epilog="Exit codes: 0 success, 1 failure (a failed notebook, findings at or above "
        "--fail-on, a divergence), 2 usage or input error. Output cut short by its reader "
        "(| head) ends quietly with 0.",
    )
    parser.add_argument("--version", action="version", version=f"jupyter-ext {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.add_parsers(sub)
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


def console() -> None:
    """The ``jupyter-ext`` command: :func:`main` in a process of its own."""
    from .startup import skip_slow_optional_imports

    skip_slow_optional_imports()
    try:
        code = main()
        sys.stdout.flush()  # here, not at exit, so that a closed pipe is caught below
    except BrokenPipeError:
        code = _reader_went_away()
    sys.exit(code)


def _reader_went_away() -> int:
    """The process reading our output closed it (``| head``): stop without a traceback.

    Python's documented recipe: point stdout (and stderr, which ``2>&1`` sends down the
    same pipe) at devnull, so that the flush at exit cannot raise again.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a stream already closed
            os.dup2(devnull, stream.fileno())
    os.close(devnull)
    return EXIT_OK


if __name__ == "__main__":
    console()
