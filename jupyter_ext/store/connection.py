"""Opening an SQLite connection the way the run store needs it.

Kept apart from the store's queries because this is where file systems differ: WAL where
it works, a rollback journal where it cannot (network mounts, file systems without
usable locks), a busy timeout so that concurrent kernels wait for each other instead of
failing, and parent directories created on first use.
"""

from __future__ import annotations

import errno
import os
import re
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

DEFAULT_BUSY_TIMEOUT_MS = 5000
"""How long a write waits for another process's transaction before giving up."""

MEMORY = ":memory:"

_PRAGMA_NAME = re.compile(r"^[a-z_]+$")
_PRAGMA_VALUE = re.compile(r"^[A-Za-z0-9_]+$")
_ROLLBACK_MODES = ("delete", "truncate", "persist")


def is_memory(path: str | os.PathLike[str]) -> bool:
    return os.fspath(path) == MEMORY


def store_path(path: str | os.PathLike[str]) -> Path:
    """The absolute path of a store: the kernel may ``chdir`` before it reopens one."""
    return Path(MEMORY) if is_memory(path) else Path(path).absolute()


def file_identity(path: Path) -> tuple[int, int]:
    """``(device, inode)``: tells a file apart from one created later at the same path."""
    st = os.stat(path)
    return st.st_dev, st.st_ino


def open_connection(
    path: str | os.PathLike[str],
    *,
    pragmas: Mapping[str, int | str] | None = None,
    create: bool = True,
    vfs: str | None = None,
) -> tuple[sqlite3.Connection, str]:
    """Open ``path`` and return ``(connection, journal_mode)``.

    The connection is in autocommit mode (callers issue ``BEGIN``/``COMMIT``), may be
    used from several threads (callers must serialise its use), waits up to the busy
    timeout for locks, and runs with ``synchronous=NORMAL``: in WAL mode a committed
    transaction survives the process being killed.  ``pragmas`` are applied after the
    defaults; names and values are checked because PRAGMA takes no parameters.
    """
    pragmas = dict(pragmas or {})
    for name, value in pragmas.items():
        if not _PRAGMA_NAME.match(name):
            raise ValueError(f"not a pragma name: {name!r}")
        if not isinstance(value, int) and not _PRAGMA_VALUE.match(value):
            raise ValueError(f"unsupported value for pragma {name}: {value!r}")
    busy_ms = int(pragmas.get("busy_timeout", DEFAULT_BUSY_TIMEOUT_MS))
    if is_memory(path):
        target, uri = MEMORY, False
    else:
        file = store_path(path)
        if create:
            _make_parent(file)
        elif not file.exists():
            raise FileNotFoundError(f"no run store at {file}")
        if vfs is not None:
            # e.g. "unix-dotfile" for file systems whose POSIX locks cannot be trusted
            target, uri = f"{file.as_uri()}?vfs={quote(vfs)}", True
        else:
            target, uri = str(file), False
    conn = sqlite3.connect(
        target,
        timeout=busy_ms / 1000,
        isolation_level=None,
        check_same_thread=False,
        uri=uri,
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {DEFAULT_BUSY_TIMEOUT_MS}")
        for name, value in pragmas.items():
            conn.execute(f"PRAGMA {name} = {value}")
        mode = _enable_wal(conn, busy_ms)
        conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn, mode


def _make_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        # mkdir's own message ("File exists") hides the cause: a file where a directory
        # of the path should be.
        raise NotADirectoryError(errno.ENOTDIR, "a file is in the way", exc.filename) from exc


def _enable_wal(conn: sqlite3.Connection, busy_ms: int) -> str:
    """Switch to WAL, or stay with a rollback journal where WAL cannot work.

    WAL needs shared memory and POSIX locks between the processes using the file, which
    network file systems may not provide; SQLite then answers the pragma with the mode
    it kept.  The mode is persistent, so a store already in WAL is left alone, and a
    store another process is switching at this very moment is re-read rather than
    forced back to DELETE.
    """
    current = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
    if current in ("wal", "memory"):
        return current
    deadline = time.monotonic() + busy_ms / 1000
    while True:
        try:
            mode = str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
            break
        except sqlite3.OperationalError as exc:
            # Processes creating the store together can get SQLITE_BUSY here; wait as
            # long as the busy timeout would have.
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
    if mode != "wal":
        mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
    if mode not in _ROLLBACK_MODES and mode != "wal":
        # "off" would give up atomic commits: never run the store without a journal.
        mode = str(conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]).lower()
    return mode
