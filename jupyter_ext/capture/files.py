"""Which files a cell opens: one process-wide audit hook, open only while a cell runs.

Python raises the ``open`` audit event for ``open``/``io.open``/``pathlib`` and for
``os.open``, from any thread, including inside pandas and numpy, so one hook sees the
files a notebook reads and writes without patching anything.  Audit hooks cannot be
removed, and Python calls them for every audited event (``id()``, ``compile``, imports,
...), so the hook is built to cost next to nothing when it has nothing to do: one global
read and one comparison between cells, two comparisons for other events during a cell.
It never raises into the caller, never triggers an audit event itself (so it cannot
re-enter), and never opens, stats or resolves a file: it only notes ``(path, mode)`` in
a set.  Turning paths into lineage (resolving, excluding, digesting) happens after the
cell, in :mod:`.file_state`.

Threads of our own (the finalizer that digests files, environment capture) mark
themselves with :func:`quiet_thread` so their reads never count as the notebook's.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from threading import get_ident
from typing import Any

from ..core.records import FileMode

__all__ = ["FileWatch", "Opened", "mode_of", "quiet_thread"]

Opened = tuple[str, FileMode, bool]
"""``(absolute path, mode, ambiguous)``; ``ambiguous`` marks a relative ``os.open``
path, which may have been relative to a directory descriptor rather than the cwd."""

_sink: set[Opened] | None = None
"""The set of the cell running now; ``None`` between cells (the hook returns at once)."""

_cwd: str | None = None
"""The working directory relative paths are resolved against, cached while a cell runs
(``os.getcwd`` would double the cost of an open) and dropped on every ``os.chdir``."""

_quiet: set[int] = set()
"""Ids of our own threads."""
_installed = False
_install_lock = threading.Lock()

MAX_NOTED = 100_000
"""Distinct (path, mode) pairs noted per cell: bounds the memory of a cell that walks a
huge directory tree; far above what a run record keeps (``file_max_per_execution``)."""

_POSIX = os.name == "posix"
_ACCMODE = getattr(os, "O_ACCMODE", 3)
_SKIP_FLAGS = getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_PATH", 0)


def mode_of(mode: object, flags: object) -> FileMode | None:
    """The lineage mode of an ``open`` event: from the mode string of ``open()``, else
    from ``os.open`` flags.  ``None`` for opens that read no content (directories,
    ``O_PATH``)."""
    if isinstance(mode, str):
        if "+" in mode:
            return "update"
        if "r" in mode:
            return "read"
        return "write"  # "w", "a", "x"
    if not isinstance(flags, int):
        return None
    if flags & _SKIP_FLAGS:
        return None
    access = flags & _ACCMODE
    if access == os.O_RDONLY:
        return "read"
    if access == os.O_WRONLY:
        return "write"
    return "update"


def _audit(event: str, args: tuple[Any, ...]) -> None:
    # Inlined on purpose: this runs for every open during a cell, so each function call
    # saved is a measurable share of an open().  Nothing in here raises an audit event,
    # so the hook cannot re-enter itself.
    global _cwd
    sink = _sink
    if sink is None:
        return
    if event != "open":
        if event == "os.chdir":
            _cwd = None  # raised before the change: the next relative open asks again
        return
    try:
        if _quiet and get_ident() in _quiet:
            return
        path, mode, flags = args
        # open() has converted path objects already (their __fspath__ is user code,
        # never called here); ints are file descriptors: nothing to follow.
        kind = type(path)
        if kind is bytes:
            path = os.fsdecode(path)
        elif kind is not str:
            return
        if mode is None:  # os.open
            lineage_mode = mode_of(None, flags)
            if lineage_mode is None:
                return
        elif "+" in mode:
            lineage_mode = "update"
        elif "r" in mode:
            lineage_mode = "read"
        else:
            lineage_mode = "write"
        ambiguous = False
        if (path[:1] != "/") if _POSIX else not os.path.isabs(path):
            ambiguous = mode is None  # os.open(name, dir_fd=...) looks the same
            cwd = _cwd
            if cwd is None:
                cwd = _cwd = os.getcwd().rstrip(os.sep) + os.sep
            path = cwd + path  # normalised after the cell, with the symlinks
        if len(sink) < MAX_NOTED:
            sink.add((path, lineage_mode, ambiguous))
    except Exception:  # the user's open() must behave exactly as without us
        pass


@contextlib.contextmanager
def quiet_thread() -> Iterator[None]:
    """While inside, the calling thread is ours: files it opens are never recorded.

    By thread id (a set lookup): reading a missing ``threading.local`` attribute costs
    a caught AttributeError, about a microsecond, on every open of every other thread.
    The id is released on the way out, since a finished thread's id can be reused.
    """
    ident = get_ident()
    _quiet.add(ident)
    try:
        yield
    finally:
        _quiet.discard(ident)


def install() -> bool:
    """Add the audit hook once per process; False when the interpreter refuses."""
    global _installed
    with _install_lock:
        if not _installed:
            try:
                sys.addaudithook(_audit)
            except Exception:
                return False
            _installed = True
    return True


class FileWatch:
    """The collection window of one recorder: opened by ``start`` when a cell begins,
    closed by ``stop`` when it ends.  Several shells in one process (tests) each own a
    watch; only the one whose cell is running has its set installed."""

    def __init__(self) -> None:
        self.enabled = install()
        self._opened: set[Opened] | None = None

    def start(self) -> None:
        global _sink, _cwd
        if not self.enabled:
            return
        self._opened = set()
        _cwd = None
        _sink = self._opened

    def stop(self) -> set[Opened]:
        """Close the window and return what the cell opened (empty if none was open)."""
        global _sink
        opened, self._opened = self._opened, None
        if opened is None:
            return set()
        if _sink is opened:
            _sink = None
        return set(opened)  # a copy: a straggling thread may still be adding
