"""Identifiers and source hashes.

Run ids sort by creation time (a millisecond timestamp prefix) so that ``ORDER BY run_id``
and a directory listing agree with history, and carry random bits so that two kernels
started in the same millisecond never collide.

:func:`source_hash` is the one way a cell's source is hashed for comparison: by the
recorder (the hash it stores), the live rules engine (the frontend's current sources),
the static checker, ``lock``, ``repro``, ``to-module`` and the pytest plugin (through
the records).  It hashes the *redacted* source, so a stored hash never lets anyone test
guesses of a secret, and a source hashes the same before and after redaction.
"""

from __future__ import annotations

import os
import time

import xxhash

from .source_redaction import redact_source


def new_run_id(now: float | None = None) -> str:
    millis = int((time.time() if now is None else now) * 1000)
    return f"{millis:012x}-{os.urandom(5).hex()}"


def source_hash(source: str) -> str:
    """Digest of a cell's source with its secrets redacted, ignoring trailing whitespace
    on each line and at the end.

    Trailing whitespace is what editors and formatters change without changing meaning;
    hashing it would make every reformatted cell look edited.  Secrets go first
    (:func:`~.source_redaction.redact_source`, cached by source, so the recorder's
    second call for the same cell is free); redaction is idempotent, so the raw source
    and the stored, redacted one hash the same.  A source without secrets hashes as it
    always did.
    """
    redacted = redact_source(source)
    normalised = "\n".join(line.rstrip() for line in redacted.rstrip().splitlines())
    return text_hash(normalised)


def text_hash(text: str) -> str:
    """xxh3-128 of ``text`` as it is (no normalisation, no redaction): for values, such
    as the literals the static checker digests, whose every character counts."""
    return xxhash.xxh3_128_hexdigest(text.encode("utf-8", "surrogatepass"))
