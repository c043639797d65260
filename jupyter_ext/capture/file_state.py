"""From "the cell opened these paths" to lineage entries: resolve, exclude, digest.

Runs after the cell, never inside the audit hook.  The rules:

- A path that no longer exists is kept only if the cell wrote it (a temporary file):
  opened for reading only, it is indistinguishable from a failed ``open``.
- Paths are made absolute with symlinks resolved, and the modes a cell used on one file
  merge into one entry (read and write, or ``r+``, make ``update``).
- What is not the notebook's data is left out: the run store and its journals, IPython's
  history, the interpreter and its packages, module sources and bytecode, system
  directories, font and config caches of plotting libraries, Jupyter's runtime files and
  IPython's profile, directories, plus prefixes the user configures
  (``JupyterExt.file_exclude``).
- Only regular files are read, through a non-blocking descriptor checked to be the file
  that was stat'ed, so a FIFO, a device or a file swapped under us is never read or
  waited on.  Content is streamed through xxh3 up to a byte budget; beyond it the digest
  is opaque as a whole, as for variables (no partial digests).
- Small files are digested at once (the cell just wrote them; they are in the page
  cache); big ones on the finalizer thread, and a digest is kept only if the file still
  has the size, mtime and inode it had when the cell ended.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import xxhash

from ..core.records import FileAccess, FileMode
from .files import Opened
from .hashing import OPAQUE_BUDGET_BYTES

OPAQUE_DELETED = "deleted before the execution ended"
OPAQUE_NOT_REGULAR = "not a regular file"
OPAQUE_CHANGED = "changed before it could be digested"
OPAQUE_UNREADABLE = "unreadable"

_PREFIX = b"jupyter-ext file 1\0"
_CHUNK = 1 << 20
_SUFFIXES = (".py", ".pyc", ".pyo", ".pyi", ".pth")
_SYSTEM = ("/proc", "/dev", "/sys", "/run", "/etc", "/usr", "/lib", "/lib64", "/bin", "/sbin")


@dataclass(frozen=True, slots=True)
class Excludes:
    """Paths never recorded: exact files, directory prefixes and suffixes."""

    files: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = _SUFFIXES

    def excluded(self, path: str) -> bool:
        if path in self.files or path.endswith(self.suffixes) or "/__pycache__/" in path:
            return True
        return any(path == p or path.startswith(p + os.sep) for p in self.prefixes)


def _both(path: str | os.PathLike[str]) -> set[str]:
    """A path as given (absolute) and with symlinks resolved: either may be what is met."""
    text = os.path.abspath(os.fspath(path))
    return {text, os.path.realpath(text)}


def default_excludes(
    store: Path | None, history: str | None, extra: Iterable[str] = ()
) -> Excludes:
    """The standard exclusions for a kernel whose store and history live where given."""
    files: set[str] = set()
    for database in (store, history if history != ":memory:" else None):
        if database:  # SQLite files: the database and its journals
            for suffix in ("", "-wal", "-shm", "-journal"):
                files |= _both(f"{database}{suffix}")
    prefixes: set[str] = set()
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}:
        prefixes |= _both(prefix)
    try:
        import site

        for directory in [*site.getsitepackages(), site.getusersitepackages()]:
            prefixes |= _both(directory)
    except Exception:  # some embedded interpreters lack parts of ``site``
        pass
    if os.name == "posix":
        prefixes |= set(_SYSTEM)
    home = os.path.expanduser("~")
    # Plotting libraries' font and config caches, read on import; data caches under the
    # same directory (downloaded datasets, model weights) are inputs and stay recorded.
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache")
    for tool in ("matplotlib", "fontconfig"):
        prefixes |= _both(os.path.join(cache, tool))
    for config in (os.environ.get("MPLCONFIGDIR"), os.path.join(home, ".matplotlib")):
        if config:
            prefixes |= _both(config)
    for directory in _jupyter_dirs():
        prefixes |= _both(directory)
    for directory in extra:
        if directory:
            prefixes |= _both(os.path.expanduser(directory))
    # An interpreter installed at / (some containers) or in $HOME must not hide every file.
    prefixes -= {os.sep, os.path.realpath(os.sep), home, os.path.realpath(home)}
    return Excludes(files=frozenset(files), prefixes=tuple(sorted(prefixes)))


def _jupyter_dirs() -> list[str]:
    out: list[str] = []
    try:
        from jupyter_core.paths import jupyter_runtime_dir

        out.append(jupyter_runtime_dir())
    except Exception:
        pass
    try:
        from IPython.paths import get_ipython_dir

        out.append(get_ipython_dir())
    except Exception:
        pass
    return out


def merge_modes(modes: Iterable[FileMode]) -> FileMode:
    """One mode for all the ways an execution opened a file."""
    kinds = set(modes)
    if len(kinds) == 1:
        return next(iter(kinds))
    return "update"


@dataclass(frozen=True, slots=True)
class FileStat:
    dev: int
    ino: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileStat:
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


@dataclass(slots=True)
class PendingFile:
    """A regular file too big to digest on the reply path; done by the finalizer."""

    path: str
    mode: FileMode
    seen: FileStat


@dataclass(slots=True)
class FileBatch:
    """One execution's files: finished entries and those still to digest."""

    budget: int
    """Bytes read at most per file (beyond it the digest is opaque)."""
    done: list[FileAccess] = field(default_factory=list)
    pending: list[PendingFile] = field(default_factory=list)
    left_out: int = 0
    """Files beyond the per-execution limit, not recorded."""

    def finish(self) -> tuple[FileAccess, ...]:
        """Digest what is pending (any thread) and return every entry, sorted by path."""
        entries = list(self.done)
        for item in self.pending:
            entries.append(_digest_entry(item.path, item.mode, item.seen, self.budget))
        self.pending.clear()
        return tuple(sorted(entries, key=lambda f: (f.path, f.mode)))


def resolve(opened: Iterable[Opened], excludes: Excludes) -> dict[str, FileMode]:
    """Absolute, symlink-resolved paths the execution opened, with their merged mode."""
    modes: dict[str, set[FileMode]] = {}
    for path, mode, ambiguous in opened:
        if excludes.excluded(path):
            continue
        real = os.path.realpath(path)
        if real != path and excludes.excluded(real):
            continue
        if ambiguous and not os.path.isfile(real):
            continue  # probably relative to a dir_fd (shutil.rmtree, os.fwalk): unknown
        modes.setdefault(real, set()).add(mode)
    return {path: merge_modes(kinds) for path, kinds in modes.items()}


def collect(
    opened: Iterable[Opened],
    excludes: Excludes,
    *,
    budget: int,
    inline_bytes: int,
    max_files: int,
) -> FileBatch:
    """Stat every file the execution opened; digest small ones now, defer big ones.

    ``inline_bytes`` caps the total bytes read here, on the cell's reply path;
    ``max_files`` the entries kept (the first by path; a cell reading a folder of 100,000
    images would otherwise put them all in every output notebook).
    """
    resolved = sorted(resolve(opened, excludes).items())
    batch = FileBatch(budget, left_out=max(0, len(resolved) - max(0, max_files)))
    spent = 0
    for path, mode in resolved[: max(0, max_files)]:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            # Only opened for reading and gone: most likely an open() that failed (a
            # probe, a try/except), which read nothing.  Written and gone: a temp file.
            if mode != "read" and not _tempdir_probe(path, mode):
                batch.done.append(FileAccess(path, mode, None, None, OPAQUE_DELETED))
            continue
        except OSError as exc:
            batch.done.append(FileAccess(path, mode, None, None, _unreadable(exc)))
            continue
        if stat.S_ISDIR(st.st_mode):
            continue
        if not stat.S_ISREG(st.st_mode):
            batch.done.append(FileAccess(path, mode, None, None, OPAQUE_NOT_REGULAR))
            continue
        seen = FileStat.of(st)
        if st.st_size > budget:
            batch.done.append(FileAccess(path, mode, st.st_size, None, OPAQUE_BUDGET_BYTES))
        elif spent + st.st_size <= inline_bytes:
            spent += st.st_size
            batch.done.append(_digest_entry(path, mode, seen, budget))
        else:
            batch.pending.append(PendingFile(path, mode, seen))
    return batch


_PROBE_NAME = re.compile(r"[a-z0-9_]{8}")


def _tempdir_probe(path: str, mode: FileMode) -> bool:
    """The file ``tempfile.gettempdir()`` creates and deletes once per process to test
    a candidate directory (an 8-character random name): the library's, not the cell's."""
    directory, name = os.path.split(path)
    if mode != "update" or not _PROBE_NAME.fullmatch(name):
        return False
    candidates = {os.environ.get(v) for v in ("TMPDIR", "TEMP", "TMP")}
    candidates |= {"/tmp", "/var/tmp", "/usr/tmp", os.getcwd()}
    return any(c and os.path.realpath(c) == directory for c in candidates)


def _unreadable(exc: OSError) -> str:
    return f"{OPAQUE_UNREADABLE}: {type(exc).__name__}"


def _digest_entry(path: str, mode: FileMode, seen: FileStat, budget: int) -> FileAccess:
    digest, opaque = digest_file(path, seen, budget)
    return FileAccess(path, mode, seen.size, digest, opaque)


def digest_file(path: str, seen: FileStat, budget: int) -> tuple[str | None, str | None]:
    """``(digest, None)`` or ``(None, reason)`` for the regular file ``seen`` described.

    Opened non-blocking and checked with ``fstat`` before reading: if the path now names
    something else (replaced, a FIFO), nothing is read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None, OPAQUE_DELETED
    except OSError as exc:
        return None, _unreadable(exc)
    try:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            return None, OPAQUE_NOT_REGULAR
        if FileStat.of(before) != seen:
            return None, OPAQUE_CHANGED
        hasher = xxhash.xxh3_128(_PREFIX)
        read = 0
        while True:
            chunk = os.read(fd, _CHUNK)
            if not chunk:
                break
            read += len(chunk)
            if read > budget:
                return None, OPAQUE_BUDGET_BYTES
            hasher.update(chunk)
        if read != seen.size or FileStat.of(os.fstat(fd)) != seen:
            return None, OPAQUE_CHANGED
        return hasher.hexdigest(), None
    except OSError as exc:
        return None, _unreadable(exc)
    finally:
        os.close(fd)
