"""Versioned SQLite schema of the run store, and its migrations.

The store outlives the package version that created it: a user upgrades jupyter-ext and
keeps years of runs.  ``PRAGMA user_version`` holds the schema version; each entry of
:data:`MIGRATIONS` takes the store from version ``i`` to ``i + 1``.  Migrations only ever
append: a released step is never edited, a change is a new step.

An older package must not write into a store a newer one has reshaped, so a store whose
version is above :data:`SCHEMA_VERSION` is refused with :class:`StoreVersionError`
instead of being guessed at.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

_V1: tuple[str, ...] = (
    """
    CREATE TABLE runs (
        run_id        TEXT PRIMARY KEY,
        started_at    REAL NOT NULL,
        ended_at      REAL,
        notebook_path TEXT,
        notebook_hash TEXT,
        kernel        TEXT,
        pid           INTEGER,
        parameters    TEXT NOT NULL DEFAULT '{}',
        environment   TEXT,
        complete      INTEGER NOT NULL DEFAULT 1
    )
    """,
    # ``complete = 0`` marks a row created by an execution whose run was not begun (yet):
    # the execution is kept, and a later ``begin_run`` fills the row in.
    "CREATE INDEX runs_by_notebook ON runs (notebook_path, started_at)",
    "CREATE INDEX runs_by_start ON runs (started_at)",
    """
    CREATE TABLE executions (
        run_id          TEXT NOT NULL,
        seq             INTEGER NOT NULL,
        cell_id         TEXT,
        execution_count INTEGER,
        source_hash     TEXT NOT NULL,
        source          TEXT NOT NULL,
        started_at      REAL NOT NULL,
        duration        REAL NOT NULL,
        status          TEXT NOT NULL,
        error_type      TEXT,
        reads           TEXT NOT NULL DEFAULT '[]',
        writes          TEXT NOT NULL DEFAULT '[]',
        mutated         TEXT NOT NULL DEFAULT '[]',
        deleted         TEXT NOT NULL DEFAULT '[]',
        notes           TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (run_id, seq)
    )
    """,
    """
    CREATE TABLE variables (
        run_id    TEXT NOT NULL,
        seq       INTEGER NOT NULL,
        name      TEXT NOT NULL,
        position  INTEGER NOT NULL,
        type_name TEXT NOT NULL,
        digest    TEXT,
        opaque    TEXT,
        written   INTEGER NOT NULL DEFAULT 0,
        mutated   INTEGER NOT NULL DEFAULT 0,
        deleted   INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, seq, name)
    )
    """,
    # Lineage questions ("which executions touched `df` in this run?") go by name.
    "CREATE INDEX variables_by_name ON variables (run_id, name)",
)

_V2: tuple[str, ...] = (
    # Data lineage: one row per file an execution opened (read, write or update), with
    # the file's size and content digest right after that execution.
    """
    CREATE TABLE files (
        run_id  TEXT NOT NULL,
        seq     INTEGER NOT NULL,
        path    TEXT NOT NULL,
        mode    TEXT NOT NULL,
        size    INTEGER,
        digest  TEXT,
        opaque  TEXT,
        PRIMARY KEY (run_id, seq, path, mode)
    )
    """,
    # "Which runs read or wrote this file?" goes by path, across runs.
    "CREATE INDEX files_by_path ON files (path, run_id)",
)

_V3: tuple[str, ...] = (
    # Durability: an execution is committed before the kernel replies, possibly before
    # its large digests are known; ``pending`` (JSON, NULL when complete) says what the
    # row does not know yet, so a crash leaves "unknown", never a wrong answer.
    "ALTER TABLE executions ADD COLUMN pending TEXT",
    # Which process records the run (host, and an identity that survives pid reuse), so
    # readers can tell a run still being recorded from one whose kernel died.
    "ALTER TABLE runs ADD COLUMN host TEXT",
    "ALTER TABLE runs ADD COLUMN process TEXT",
    # The execution that began last: after a crash, the cell that was running.
    "ALTER TABLE runs ADD COLUMN running_seq INTEGER",
    "ALTER TABLE runs ADD COLUMN running_cell_id TEXT",
    "ALTER TABLE runs ADD COLUMN running_execution_count INTEGER",
    "ALTER TABLE runs ADD COLUMN running_started_at REAL",
)

MIGRATIONS: tuple[Sequence[str], ...] = (_V1, _V2, _V3)
"""``MIGRATIONS[i]`` holds the statements taking a store from version ``i`` to ``i + 1``."""

SCHEMA_VERSION = len(MIGRATIONS)
"""The version this package reads and writes."""


class StoreVersionError(RuntimeError):
    """The store was written by a newer jupyter-ext whose schema this one does not know."""

    def __init__(self, found: int, supported: int = SCHEMA_VERSION) -> None:
        self.found = found
        self.supported = supported
        super().__init__(
            f"the run store has schema version {found}, but this jupyter-ext understands "
            f"versions up to {supported}; upgrade jupyter-ext or use another store "
            f"(JUPYTER_EXT_STORE)"
        )


def schema_version(conn: sqlite3.Connection) -> int:
    """Return the version recorded in the store (0 for a new, empty file)."""
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def migrate(
    conn: sqlite3.Connection, migrations: Sequence[Sequence[str]] = MIGRATIONS
) -> tuple[int, int]:
    """Bring the store up to ``len(migrations)``; return ``(version_before, version_after)``.

    The connection must be in autocommit mode (``isolation_level=None``) and outside a
    transaction.  All pending steps run in one ``BEGIN IMMEDIATE`` transaction: the write
    lock is taken before the version is read, so two processes opening a new store at
    the same moment cannot both migrate it, and a crash mid-way leaves the old version
    intact.  A current store costs one read and no write lock.
    """
    target = len(migrations)
    current = schema_version(conn)
    if current > target:
        raise StoreVersionError(current, target)
    if current == target:
        return current, current
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Re-read under the lock: another process may have migrated in between.
        before = schema_version(conn)
        if before > target:
            raise StoreVersionError(before, target)
        for step in migrations[before:target]:
            for statement in step:
                conn.execute(statement)
        # PRAGMA does not take parameters; ``target`` is an int we computed.
        conn.execute(f"PRAGMA user_version = {int(target)}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return before, target
