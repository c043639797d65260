"""Identifiers and source hashes.

Run ids sort by creation time (a millisecond timestamp prefix) so that ``ORDER BY run_id``
and a directory listing agree with history, and carry random bits so that two kernels
started in the same millisecond never collide.
"""

from __future__ import annotations

import os
import time

import xxhash


def new_run_id(now: float | None = None) -> str:
    millis = int((time.time() if now is None else now) * 1000)
    return f"{millis:012x}-{os.urandom(5).hex()}"


def source_hash(source: str) -> str:
    """Digest of a cell's source, ignoring trailing whitespace on each line and at the end.

    Trailing whitespace is what editors and formatters change without changing meaning;
    hashing it would make every reformatted cell look edited.
    """
    normalised = "\n".join(line.rstrip() for line in source.rstrip().splitlines())
    return xxhash.xxh3_128_hexdigest(normalised.encode("utf-8", "surrogatepass"))
