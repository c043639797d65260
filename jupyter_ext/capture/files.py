"""Which files a cell opens: one process-wide audit hook, open only while a cell runs.

Python raises the ``open`` audit event for ``open``/``io.open``/``pathlib`` and for
``os.open``, from any thread, including inside pandas and numpy, so one hook sees the
files a notebook reads and writes without patching anything.  Audit hooks cannot be
removed, and Python calls them for every audited event (``id()``, ``compile``, imports,
...), so the hook is built to cost next to nothing when it has nothing to do: one global
read and one comparison between cells, two comparisons for other events during a cell.
It never raises into the caller, never re-enters itself, and never opens, stats or
resolves a file: it only notes ``(path, mode)`` in a set.  Turning paths into lineage
(resolving, excluding, digesting) happens after the cell, in :mod:`.file_state`.

Threads of our own (the finalizer that digests files, environment capture) mark
themselves with :func:`quiet_thread` so their reads never count as the notebook's.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import PurePath
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

_thread_state = threading.local()
_installed = False
_install_lock = threading.Lock()

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


def _path_text(path: object) -> str | None:
    # Only types whose conversion is the standard library's own: a user-defined
    # PathLike's ``__fspath__`` is user code, which the hook must not run.
    kind = type(path)
    if kind is str:
        return path  # type: ignore[return-value]
    if kind is bytes:
        return os.fsdecode(path)  # type: ignore[arg-type]
    if isinstance(path, PurePath):
        return str(path)
    return None  # file descriptors, custom path objects


def _audit(event: str, args: tuple[Any, ...]) -> None:
    global _cwd
    sink = _sink
    if sink is None:
        return
    if event != "open":
        if event == "os.chdir":
            _cwd = None  # raised before the change: the next relative open asks again
        return
    state = _thread_state
    if getattr(state, "busy", False):
        return
    state.busy = True
    try:
        path = _path_text(args[0])
        mode = mode_of(args[1], args[2]) if path else None
        if path and mode is not None:
            ambiguous = False
            if (path[:1] != "/") if _POSIX else not os.path.isabs(path):
                ambiguous = args[1] is None  # os.open(name, dir_fd=...) looks the same
                cwd = _cwd
                if cwd is None:
                    cwd = _cwd = os.getcwd().rstrip(os.sep) + os.sep
                path = cwd + path  # normalised after the cell, with the symlinks
            sink.add((path, mode, ambiguous))
    except Exception:  # the user's open() must behave exactly as without us
        pass
    finally:
        state.busy = False


def quiet_thread() -> None:
    """Mark the calling thread as ours: files it opens are never recorded."""
    _thread_state.busy = True


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
