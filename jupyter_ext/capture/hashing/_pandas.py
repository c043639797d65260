"""pandas DataFrame, Series, Index, extension arrays and scalars.

Imported only once a pandas object has been met. Every column is digested from its
backing buffers: numpy columns through the array path, masked (``Int64``, ``boolean``)
columns as mask plus data with masked slots zeroed, categoricals as codes plus
categories, datetimes as their int64 epoch values (unit and time zone are in the dtype
text), Arrow-backed columns (pandas' default ``str``) from their Arrow buffers. Nothing
goes through ``hash_pandas_object`` or an object conversion of a numeric column.

A DataFrame digest covers shape, column labels, index and, per column, dtype text and
values. It does not depend on block layout, on how the frame was built, or on whether the
row index is a ``RangeIndex`` or an equal ``Index``: index digests depend on dtype, names
and values, not on the Index class. ``attrs`` and ``flags`` are not content; neither are
the extra attributes a subclass declares in ``_metadata`` (a subclass adds its label).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import _arrow
from . import _numpy as N
from . import _types as T
from ._walk import (
    CHUNK,
    UNSUPPORTED,
    Opaque,
    Walker,
    buffer,
    hash16,
    key_text,
    new_hasher,
    register_cost,
    register_exact,
    register_semantic,
    tag,
    u64,
)

_arrays = pd.arrays
_I64 = np.dtype(np.int64)
try:
    from pandas.core.arrays.masked import BaseMaskedArray as _Masked
except ImportError:  # pragma: no cover - layout of older pandas
    _Masked = None


def _is(v: Any, cls: Any) -> bool:
    return cls is not None and T.has_base(type(v), cls)


def _ndarray_values(w: Walker, a: Any, depth: int) -> bytes:
    return hash16(b"values" + tag(str(a.dtype)) + N.array_content(w, a, depth))


def values_content(w: Walker, v: Any, depth: int) -> bytes:
    """The values of a column or index: dtype text and canonical content."""
    if type(v) is np.ndarray:
        return _ndarray_values(w, v, depth)
    head = b"values" + tag(str(v.dtype))
    if _is(v, _arrays.StringArray):  # before its base, NumpyExtensionArray
        return hash16(head + _arrow.strings_content(w, np.asarray(v)))
    if _is(v, _arrays.NumpyExtensionArray):
        return _ndarray_values(w, np.asarray(v), depth)
    if _is(v, _arrays.ArrowExtensionArray):
        chunked = v._pa_array
        return hash16(head + _arrow.column_content(w, chunked.chunks, chunked.type, depth))
    if _is(v, _Masked):
        data, mask = v._data, v._mask
        if mask.any():
            data = np.where(mask, np.zeros(1, dtype=data.dtype), data)
        return hash16(head + N.array_content(w, mask, depth) + N.array_content(w, data, depth))
    if _is(v, _arrays.Categorical):
        return hash16(
            head
            + (b"T" if v.ordered else b"F")
            + index_content(w, v.categories, depth)
            + N.array_content(w, v.codes, depth)
        )
    if (
        _is(v, _arrays.DatetimeArray)
        or _is(v, _arrays.TimedeltaArray)
        or _is(v, _arrays.PeriodArray)
    ):
        return hash16(head + N.array_content(w, np.asarray(v.asi8), depth))
    if _is(v, _arrays.IntervalArray):
        return hash16(
            head
            + tag(str(v.closed))
            + index_content(w, v.left, depth)
            + index_content(w, v.right, depth)
        )
    if _is(v, _arrays.SparseArray):
        return hash16(
            head
            + u64(len(v))
            + w.token(v.fill_value, depth + 1)
            + N.array_content(w, np.asarray(v.sp_index.indices), depth)
            + N.array_content(w, np.asarray(v.sp_values), depth)
        )
    raise Opaque(f"{UNSUPPORTED}: pandas array {T.label(type(v))}")


def _names(w: Walker, idx: Any, depth: int) -> bytes:
    return w.token(list(idx.names), depth + 1)


def index_content(w: Walker, idx: Any, depth: int) -> bytes:
    """An Index of any class: names and values (a ``RangeIndex`` digests like the equal
    int64 ``Index``; a ``MultiIndex`` as the values of each level, not its codes)."""
    cls = type(idx)
    if T.has_base(cls, pd.MultiIndex):
        n = idx.nlevels
        w.add_elements(n)
        parts = [b"multiindex" + u64(n) + _names(w, idx, depth)]
        parts.extend(values_content(w, idx.get_level_values(i).array, depth) for i in range(n))
        return hash16(b"".join(parts))
    if T.has_base(cls, pd.RangeIndex):
        start, step, n = int(idx.start), int(idx.step), len(idx)
        w.add_bytes(8 * n)
        h = new_hasher(N.header(_I64, (n,)))
        block = CHUNK // 8
        for i in range(0, n, block):
            k = min(block, n - i)
            h.update(buffer(np.arange(k, dtype=_I64) * step + (start + i * step)))
        values = hash16(b"values" + tag("int64") + h.digest())
        return hash16(b"index" + _names(w, idx, depth) + values)
    return hash16(b"index" + _names(w, idx, depth) + values_content(w, idx.array, depth))


def index_node(w: Walker, idx: Any, depth: int) -> bytes:
    """An Index as a value of its own."""
    return index_content(w, idx, depth)


def series_content(w: Walker, s: Any, depth: int) -> bytes:
    """A Series: name, index and values."""
    return hash16(
        b"series"
        + w.token(s.name, depth + 1)
        + index_content(w, s.index, depth)
        + values_content(w, s.array, depth)
    )


def frame_content(w: Walker, df: Any, depth: int) -> bytes:
    """A DataFrame: shape, column labels, row index, then each column's values."""
    columns = df.columns
    ncols = len(columns)
    w.add_elements(ncols)
    h = new_hasher(b"dataframe" + u64(len(df.index)) + u64(ncols))
    h.update(index_content(w, columns, depth))
    h.update(index_content(w, df.index, depth))
    arrays = getattr(df, "_iter_column_arrays", None)
    it = arrays() if arrays is not None else (s.array for _, s in df.items())
    i = 0
    try:
        for i, values in enumerate(it):  # noqa: B007 - i is read on the error path
            h.update(values_content(w, values, depth))
    except Opaque as e:
        e.where.append(f"[{key_text(columns[i])}]")
        raise
    return h.digest()


def timestamp_content(w: Walker, x: Any, depth: int) -> bytes:
    """A Timestamp: its datetime64 value with unit, and its time zone."""
    return hash16(b"timestamp" + N.scalar_content(w, x.asm8, depth) + w.token(x.tz, depth + 1))


def timedelta_content(w: Walker, x: Any, depth: int) -> bytes:
    """A Timedelta: its timedelta64 value with unit."""
    return hash16(b"pdtimedelta" + N.scalar_content(w, x.asm8, depth))


def period_content(w: Walker, x: Any, depth: int) -> bytes:
    """A Period: ordinal and frequency."""
    return hash16(b"period" + w.token(int(x.ordinal), depth + 1) + tag(str(x.freqstr)))


def interval_content(w: Walker, x: Any, depth: int) -> bytes:
    """An Interval: bounds and closed side."""
    t = w.token
    return hash16(b"interval" + t(x.left, depth + 1) + t(x.right, depth + 1) + tag(str(x.closed)))


def offset_content(w: Walker, x: Any, depth: int) -> bytes:
    """A DateOffset: its class and frequency string."""
    return hash16(b"offset" + tag(T.label(type(x))) + tag(str(x.freqstr)))


def dtype_content(w: Walker, x: Any, depth: int) -> bytes:
    """A pandas dtype: its text, plus categories and order for a categorical dtype."""
    text = tag(str(x))
    if T.has_base(type(x), pd.CategoricalDtype):
        cats = x.categories
        extra = (b"T" if x.ordered else b"F") + (
            index_content(w, cats, depth) if cats is not None else b"N"
        )
        return hash16(b"pddtype" + text + extra)
    return hash16(b"pddtype" + text)


def _singleton(name: bytes) -> Any:
    def content(w: Walker, x: Any, depth: int) -> bytes:
        return hash16(name)

    return content


def _frame_cost(df: Any) -> int:
    return 8 * len(df.index) * max(1, len(df.columns))


def _len_cost(x: Any) -> int:
    return 8 * len(x)


def register() -> None:
    trusted = "pandas"
    register_semantic(pd.DataFrame, frame_content, 10, state=False, trusted=trusted)
    register_semantic(pd.Series, series_content, 11, state=False, trusted=trusted)
    register_semantic(pd.Index, index_node, 12, state=False, trusted=trusted)
    register_semantic(pd.Timestamp, timestamp_content, 13, state=False, trusted=trusted)
    register_semantic(pd.Timedelta, timedelta_content, 14, state=False, trusted=trusted)
    register_semantic(pd.Period, period_content, 15, state=False, trusted=trusted)
    register_semantic(pd.Interval, interval_content, 16, state=False, trusted=trusted)
    register_exact(type(pd.NaT), _singleton(b"NaT"))
    register_exact(type(pd.NA), _singleton(b"NA"))
    base_offset = next((k for k in T.mro(pd.offsets.Day) if T.qualname(k) == "BaseOffset"), None)
    if base_offset is not None:
        register_semantic(
            base_offset, offset_content, 17, state=False, trusted=trusted, exact=False
        )
    register_semantic(
        pd.api.extensions.ExtensionDtype, dtype_content, 18, state=False, trusted=trusted
    )
    register_cost(pd.DataFrame, _frame_cost)
    register_cost(pd.Series, _len_cost)
    for cls in (pd.Index, pd.RangeIndex, pd.MultiIndex, pd.DatetimeIndex, pd.CategoricalIndex):
        register_cost(cls, _len_cost)
