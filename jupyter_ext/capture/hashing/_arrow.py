"""Arrow columns (pyarrow arrays, chunked arrays, tables; pandas ``str`` and
``ArrowDtype`` columns), hashed from their buffers.

A column digest is independent of how it is chunked and sliced: it covers the canonical
type, the length, the positions of nulls, and the values of valid slots as three streams
(fixed-width values, or lengths and bytes of variable-width values). Bytes behind null
slots are zeroed or skipped, since Arrow leaves them undefined. Strings are read straight
from the offsets and data buffers (no per-element Python objects), which is what makes
pandas' default string columns cheap to digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._walk import Walker, buffer, hash16, new_hasher, tag, u64

_I64 = np.dtype("<i8")


class Streams:
    """The canonical streams of one column, fed chunk after chunk."""

    __slots__ = ("data", "lengths", "n", "nulls")

    def __init__(self) -> None:
        self.nulls = new_hasher()
        self.lengths = new_hasher()
        self.data = new_hasher()
        self.n = 0

    def add_nulls(self, positions: Any) -> None:
        """Record null positions (relative to the current chunk)."""
        if len(positions):
            self.nulls.update(buffer(np.ascontiguousarray(positions, dtype=_I64) + self.n))

    def digest(self, canonical_type: str) -> bytes:
        return hash16(
            b"column"
            + tag(canonical_type)
            + u64(self.n)
            + self.nulls.digest()
            + self.lengths.digest()
            + self.data.digest()
        )


def strings_content(w: Walker, values: Any) -> bytes:
    """Python-stored strings (an object array of ``str`` and missing markers) in the
    same canonical form as an Arrow string column, so the storage does not matter."""
    s = Streams()
    n = len(values)
    w.add_elements(n)
    lengths = np.zeros(n, dtype=_I64)
    nulls: list[int] = []
    buf: list[bytes] = []
    size = 0
    for i, x in enumerate(values):
        if type(x) is str:
            raw = x.encode("utf-8", "surrogatepass")
            lengths[i] = len(raw)
            buf.append(raw)
            size += len(raw)
            if size >= 1 << 20:
                w.add_bytes(size)
                s.data.update(b"".join(buf))
                buf.clear()
                size = 0
        else:
            nulls.append(i)
    w.add_bytes(size + 8 * n)
    s.data.update(b"".join(buf))
    s.add_nulls(np.array(nulls, dtype=_I64))
    s.lengths.update(buffer(lengths))
    s.n = n
    return s.digest("string")


def _kind(pa: Any, t: Any) -> str:
    types = pa.types
    if types.is_dictionary(t):
        return "dictionary"
    if types.is_string(t) or types.is_large_string(t):
        return "utf8"
    if types.is_binary(t) or types.is_large_binary(t):
        return "binary"
    if getattr(types, "is_string_view", None) and types.is_string_view(t):
        return "utf8-view"
    if getattr(types, "is_binary_view", None) and types.is_binary_view(t):
        return "binary-view"
    if types.is_boolean(t):
        return "bool"
    if types.is_null(t):
        return "null"
    try:
        width = int(t.bit_width)
    except ValueError:
        return "other"
    return "fixed" if width % 8 == 0 and t.num_buffers == 2 else "other"


def canonical_type(pa: Any, t: Any) -> str:
    kind = _kind(pa, t)
    if kind == "dictionary":
        return canonical_type(pa, t.value_type)
    if kind.startswith("utf8"):
        return "string"
    if kind.startswith("binary"):
        return "binary"
    return str(t)


def _validity(chunk: Any, n: int) -> Any:
    """Boolean validity of the chunk's slots, or ``None`` when it has no nulls."""
    if chunk.null_count == 0:
        return None
    buf = chunk.buffers()[0]
    if buf is None:
        return np.zeros(n, dtype=bool)
    bits = np.unpackbits(np.frombuffer(buf, dtype=np.uint8), bitorder="little")
    return bits[chunk.offset : chunk.offset + n].astype(bool)


def _feed_chunk(pa: Any, w: Walker, s: Streams, chunk: Any, depth: int) -> None:
    kind = _kind(pa, chunk.type)
    if kind == "dictionary":
        chunk = chunk.dictionary_decode()
        kind = _kind(pa, chunk.type)
    if kind == "utf8-view":
        chunk = chunk.cast(pa.large_string())
        kind = "utf8"
    elif kind == "binary-view":
        chunk = chunk.cast(pa.large_binary())
        kind = "binary"
    n = len(chunk)
    valid = _validity(chunk, n)
    if kind == "null":
        s.add_nulls(np.arange(n, dtype=_I64))
    elif valid is not None:
        s.add_nulls(np.flatnonzero(~valid))
    bufs = chunk.buffers()
    if kind == "fixed":
        width = int(chunk.type.bit_width) // 8
        w.add_bytes(n * width)
        if n:
            vals = np.frombuffer(
                bufs[1], dtype=np.uint8, count=n * width, offset=chunk.offset * width
            )
            if valid is not None:
                vals = vals.reshape(n, width).copy()
                vals[~valid] = 0
            s.data.update(buffer(np.ascontiguousarray(vals)))
    elif kind == "bool":
        w.add_bytes(n)
        if n:
            bits = np.unpackbits(np.frombuffer(bufs[1], dtype=np.uint8), bitorder="little")
            vals = bits[chunk.offset : chunk.offset + n]
            if valid is not None:
                vals = vals & valid
            s.data.update(buffer(np.ascontiguousarray(vals)))
    elif kind in ("utf8", "binary"):
        _feed_varwidth(pa, w, s, chunk, bufs, n, valid)
    elif kind != "null":
        values = chunk.to_pylist()
        w.add_elements(n)
        token = w.token
        s.data.update(b"".join(token(v, depth + 1) for v in values))
    s.n += n


def _feed_varwidth(
    pa: Any, w: Walker, s: Streams, chunk: Any, bufs: Sequence[Any], n: int, valid: Any
) -> None:
    large = pa.types.is_large_string(chunk.type) or pa.types.is_large_binary(chunk.type)
    odt = np.dtype("<i8") if large else np.dtype("<i4")
    offsets = np.frombuffer(bufs[1], dtype=odt, count=n + 1, offset=chunk.offset * odt.itemsize)
    lengths = np.diff(offsets).astype(_I64)
    first, last = int(offsets[0]), int(offsets[-1])
    w.add_bytes(last - first + 8 * n)
    data = bufs[2]
    raw: Any = buffer(data)[first:last] if data is not None and last > first else b""
    if valid is not None and lengths[~valid].any():
        # null slots that still cover bytes: keep the bytes of valid slots only
        keep = np.repeat(valid, lengths)
        raw = np.frombuffer(data, dtype=np.uint8, count=last - first, offset=first)[keep]
        lengths[~valid] = 0
    s.lengths.update(buffer(lengths))
    s.data.update(raw)


def column_content(w: Walker, chunks: Sequence[Any], arrow_type: Any, depth: int) -> bytes:
    """Digest of a column given as a sequence of Arrow arrays of one type."""
    import pyarrow as pa

    s = Streams()
    for chunk in chunks:
        _feed_chunk(pa, w, s, chunk, depth)
    return s.digest(canonical_type(pa, arrow_type))


def chunked_content(w: Walker, x: Any, depth: int) -> bytes:
    """A ``pyarrow.ChunkedArray``: its column digest (chunking does not matter)."""
    return hash16(b"arrow" + column_content(w, x.chunks, x.type, depth))


def array_content(w: Walker, x: Any, depth: int) -> bytes:
    """A ``pyarrow.Array``: the same digest as a one-chunk ``ChunkedArray``."""
    return hash16(b"arrow" + column_content(w, [x], x.type, depth))


def table_content(w: Walker, x: Any, depth: int) -> bytes:
    """A ``pyarrow.Table`` or ``RecordBatch``: column names and column digests."""
    names = [str(n) for n in x.schema.names]
    w.add_elements(len(names))
    parts = [b"table" + u64(x.num_rows) + u64(len(names))]
    for i, name in enumerate(names):
        col = x.column(i)
        chunks = col.chunks if hasattr(col, "chunks") else [col]
        parts.append(tag(name) + column_content(w, chunks, col.type, depth))
    return hash16(b"".join(parts))


def datatype_content(w: Walker, x: Any, depth: int) -> bytes:
    """An Arrow data type: its text form (names, widths, units, time zones)."""
    return hash16(b"arrowtype" + tag(str(x)))


def register() -> None:
    import pyarrow as pa

    from ._walk import register_cost, register_exact, register_semantic

    register_exact(pa.ChunkedArray, chunked_content)
    register_semantic(pa.Array, array_content, 30, state=False, trusted="pyarrow", exact=False)
    register_semantic(pa.DataType, datatype_content, 31, state=False, trusted="pyarrow")
    register_exact(pa.Table, table_content)
    register_exact(pa.RecordBatch, table_content)
    for cls in (pa.ChunkedArray, pa.Table, pa.RecordBatch):
        register_cost(cls, lambda x: int(x.nbytes))
