"""Naming what went wrong with the store, in words a notebook user can act on.

The background writer reports each *kind* of problem once (a full disk is one problem,
however many records it refuses), so exceptions are sorted into a few kinds here.  An
exception that is not about the store at all (a record that cannot be serialised) is
told apart too: retrying it would never succeed, so the writer drops that one record
instead of stalling everything queued behind it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .schema import StoreVersionError

# Primary SQLite result codes (the low byte of an extended code).
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_NOMEM = 7
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_PROTOCOL = 15
_SQLITE_NOTADB = 26

_KIND_BY_CODE = {
    _SQLITE_BUSY: "locked",
    _SQLITE_LOCKED: "locked",
    _SQLITE_PROTOCOL: "locked",
    _SQLITE_NOMEM: "memory",
    _SQLITE_READONLY: "readonly",
    _SQLITE_IOERR: "io",
    _SQLITE_CORRUPT: "corrupt",
    _SQLITE_NOTADB: "corrupt",
    _SQLITE_FULL: "full",
    _SQLITE_CANTOPEN: "unopenable",
}

# Python 3.10 has no ``sqlite_errorcode``: fall back to SQLite's fixed messages.
_KIND_BY_MESSAGE = (
    ("database or disk is full", "full"),
    ("is locked", "locked"),
    ("readonly database", "readonly"),
    ("unable to open database", "unopenable"),
    ("disk i/o error", "io"),
    ("malformed", "corrupt"),
    ("not a database", "corrupt"),
    ("out of memory", "memory"),
)


@dataclass(frozen=True, slots=True)
class StoreProblem:
    """A failure sorted for reporting: ``kind`` groups repeats, ``reason`` is for people."""

    kind: str
    reason: str
    retryable: bool
    """False when the failure lies in the record itself, so retrying cannot help."""


def classify(exc: BaseException) -> StoreProblem:
    """Sort an exception raised while opening or writing the store."""
    if isinstance(exc, StoreVersionError):
        return StoreProblem("newer_schema", str(exc), True)
    if isinstance(exc, OSError):
        # Creating the parent directory failed: a path under a regular file, a
        # read-only mount, no permission.
        reason = exc.strerror or str(exc)
        if exc.filename:
            reason = f"{reason}: {exc.filename}"
        return StoreProblem("unopenable", f"cannot create its directory, {reason}", True)
    if isinstance(exc, MemoryError):
        return StoreProblem("memory", "out of memory", True)
    if isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError:
        return StoreProblem(_sqlite_kind(exc), str(exc), True)
    # IntegrityError, InterfaceError, TypeError, ValueError, OverflowError, ...: the record
    # (or a bug) is at fault, not the file.
    return StoreProblem("bad_record", f"{type(exc).__name__}: {exc}", False)


def _sqlite_kind(exc: BaseException) -> str:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int) and (code & 0xFF) in _KIND_BY_CODE:
        return _KIND_BY_CODE[code & 0xFF]
    message = str(exc).lower()
    for fragment, kind in _KIND_BY_MESSAGE:
        if fragment in message:
            return kind
    return "sqlite"
