"""Redact the cell sources of a store written before sources were redacted.

Stores written by earlier versions (or with ``c.JupyterExt.redact_sources = False``)
hold every cell's source verbatim, secrets included.  :func:`scrub_store` rewrites
``executions.source`` and ``executions.source_hash`` the way the recorder now writes
them (:func:`~jupyter_ext.core.source_redaction.redact_source` and
:func:`~jupyter_ext.core.ids.source_hash`), in one transaction, so a kernel writing at
the same moment sees either the old rows or the new ones.

Rewriting rows is not enough: SQLite keeps the old versions of pages in the
write-ahead log until a checkpoint, and free pages keep their bytes.  So the file is
rebuilt afterwards (``VACUUM``, with ``secure_delete`` on) and the log is checkpointed
and truncated; when another process holds the store open the log may not be emptied,
which :attr:`ScrubResult.wal_note` says.

Idempotent: redaction is, so a second scrub changes nothing.  Sources without secrets
keep their hash (it is computed as before), so comparisons with earlier runs and lock
files still match for them.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from ..core.ids import source_hash
from ..core.source_redaction import redact_source
from .connection import open_connection
from .schema import migrate

__all__ = ["ScrubResult", "scrub_store"]

_BATCH = 500
"""Rows read per query: bounds memory on stores with hundreds of thousands of cells."""

Progress = Callable[[int, int], None]
"""Called with (executions examined, executions in the store) after each batch."""


@dataclass(frozen=True, slots=True)
class ScrubResult:
    executions: int
    """Executions in the store."""
    changed: int
    """Executions whose source (and so hash) held a secret: rewritten, or with
    ``dry_run`` would be."""
    dry_run: bool
    compacted: bool
    """The file was rebuilt (VACUUM) and its write-ahead log emptied."""
    wal_note: str | None = None
    """Why the write-ahead log could not be emptied, if it could not."""


def scrub_store(
    path: str | os.PathLike[str], *, dry_run: bool = False, progress: Progress | None = None
) -> ScrubResult:
    """Redact the secrets in every stored cell source of the store at ``path``.

    Raises ``FileNotFoundError`` when there is no store, and the store's own errors
    (``StoreVersionError``, ``sqlite3.Error``) when it cannot be read or written.
    """
    conn, _mode = open_connection(path, create=False)
    try:
        migrate(conn)
        conn.execute("PRAGMA secure_delete = ON")
        total = int(conn.execute("SELECT COUNT(*) FROM executions").fetchone()[0])
        changed = _rewrite(conn, total, dry_run, progress)
        if dry_run:
            return ScrubResult(total, changed, dry_run=True, compacted=False)
        return _compact(conn, total, changed)
    finally:
        conn.close()


def _rewrite(conn: sqlite3.Connection, total: int, dry_run: bool, progress: Progress | None) -> int:
    """Rewrite the rows whose source redacts differently; return how many."""
    if not dry_run:
        conn.execute("BEGIN IMMEDIATE")  # one transaction: all rows or none
    try:
        changed = examined = 0
        last = -(2**63)
        while True:
            rows = conn.execute(
                "SELECT rowid, source, source_hash FROM executions WHERE rowid > ? "
                "ORDER BY rowid LIMIT ?",
                (last, _BATCH),
            ).fetchall()
            if not rows:
                break
            updates = []
            for rowid, source, stored_hash in rows:
                text = source if isinstance(source, str) else ""
                redacted = redact_source(text)
                digest = source_hash(text)
                if redacted != source or digest != stored_hash:
                    updates.append((redacted, digest, rowid))
            if updates and not dry_run:
                conn.executemany(
                    "UPDATE executions SET source = ?, source_hash = ? WHERE rowid = ?", updates
                )
            changed += len(updates)
            examined += len(rows)
            last = rows[-1][0]
            if progress is not None:
                progress(examined, max(total, examined))
        if not dry_run:
            conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return changed


def _compact(conn: sqlite3.Connection, total: int, changed: int) -> ScrubResult:
    """Rebuild the file and empty the log, so no old page keeps a rewritten source."""
    try:
        conn.execute("VACUUM")
    except sqlite3.OperationalError as exc:
        note = (
            f"the sources are redacted, but the file could not be rebuilt ({exc}): old "
            "pages may still hold them; close the kernels using the store and run "
            "`jupyter-ext store scrub` again"
        )
        return ScrubResult(total, changed, dry_run=False, compacted=False, wal_note=note)
    busy = 0
    row = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if row is not None:
        busy = int(row[0])
    if busy:
        note = (
            "another process has the store open: its write-ahead log may keep old pages "
            "until that process closes the store; run `jupyter-ext store scrub` again then"
        )
        return ScrubResult(total, changed, dry_run=False, compacted=False, wal_note=note)
    return ScrubResult(total, changed, dry_run=False, compacted=True)
