"""numpy arrays, scalars, dtypes, ufuncs and random generators.

Imported only once a numpy object has been met, so numpy is already loaded.

An array digest covers its dtype, its shape and its elements in logical C order; strides,
memory order and the base it views do not enter. A C-contiguous array is hashed straight
from its buffer (no copy; xxhash releases the GIL); any other layout (views, negative or
zero strides, Fortran order) is copied through ``CHUNK``-sized C-ordered blocks, so memory
stays bounded. Object arrays, numpy ``StringDType`` arrays and structured dtypes holding
objects go element by element through the generic walk, within the element budget.
Structured dtypes with padding are hashed field by field, because padding bytes are
undefined memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from . import _types as T
from ._walk import (
    CHUNK,
    FLUSH,
    NO_STATE,
    Opaque,
    Walker,
    buffer,
    hash16,
    new_hasher,
    register_cost,
    register_exact,
    register_semantic,
    tag,
    u64,
)

_ndarray = np.ndarray
_nbytes = np.ndarray.__dict__["nbytes"].__get__
_as_base = np.ndarray.view  # np.ndarray.view(sub, np.ndarray): the same memory as a base array


def dtype_text(dt: Any) -> str:
    """A canonical text of a dtype: ``'<f8'``, ``'<M8[ns]'``, or the field list of a
    structured dtype (names, formats, offsets through padding entries)."""
    if dt.names is None and dt.subdtype is None:
        return str(dt.str) if dt.kind != "T" else repr(dt)
    return str(dt.descr)


def header(dt: Any, shape: tuple[int, ...]) -> bytes:
    return b"ndarray" + tag(dtype_text(dt)) + u64(len(shape)) + b"".join(u64(n) for n in shape)


def _dense(dt: Any) -> bool:
    """No padding anywhere in the dtype (so its buffer bytes are all defined)."""
    if dt.subdtype is not None:
        return _dense(dt.subdtype[0])
    if dt.names is None:
        return True
    spans: list[tuple[int, Any]] = sorted(
        ((dt.fields[n][1], dt.fields[n][0]) for n in dt.names), key=lambda s: s[0]
    )
    cursor = 0
    for offset, fdt in spans:
        if offset != cursor or not _dense(fdt):
            return False
        cursor = offset + int(fdt.itemsize)
    return cursor == int(dt.itemsize)


def c_order_blocks(a: Any) -> Iterator[Any]:
    """C-contiguous blocks of at most ``CHUNK`` bytes (one row when a row is larger),
    whose concatenation is ``a`` in C order; ``a`` itself when already contiguous."""
    if a.flags.c_contiguous:
        yield a
        return
    if a.ndim == 1:
        step = max(1, CHUNK // max(1, a.itemsize))
        for i in range(0, a.shape[0], step):
            yield np.ascontiguousarray(a[i : i + step])
        return
    row = a.itemsize
    for n in a.shape[1:]:
        row *= n
    if row == 0:
        return
    if row <= CHUNK:
        step = CHUNK // row
        for i in range(0, a.shape[0], step):
            yield np.ascontiguousarray(a[i : i + step])
        return
    for i in range(a.shape[0]):
        yield from c_order_blocks(a[i])


def feed_buffer(h: Any, a: Any) -> None:
    """Stream ``a``'s elements' bytes in C order into ``h``."""
    for block in c_order_blocks(a):
        if block.size:
            h.update(buffer(block.reshape(-1).view(np.uint8)))


def feed_values(w: Walker, h: Any, a: Any, depth: int) -> None:
    """Stream the elements of base-class array ``a`` into ``h``."""
    dt = a.dtype
    if dt.names is not None and (dt.hasobject or not _dense(dt)):
        for name in dt.names:
            h.update(tag(name))
            field = a[name]
            h.update(header(field.dtype, field.shape))
            feed_values(w, h, field, depth)
        return
    if dt.hasobject or dt.kind == "T":
        _feed_elements(w, h, a, depth)
        return
    w.add_bytes(int(_nbytes(a)))
    feed_buffer(h, a)


def _feed_elements(w: Walker, h: Any, a: Any, depth: int) -> None:
    n = int(a.size)
    w.add_elements(n)
    token = w.token
    child = depth + 1
    parts: list[bytes] = []
    i = 0
    try:
        for i, x in enumerate(a.flat):  # noqa: B007 - i is read on the error path
            parts.append(token(x, child))
            if len(parts) >= FLUSH:
                h.update(b"".join(parts))
                parts.clear()
    except Opaque as e:
        where = np.unravel_index(i, a.shape) if a.ndim > 1 else (i,)
        e.where.append(f"[{', '.join(str(int(k)) for k in where)}]")
        raise
    h.update(b"".join(parts))


def array_content(w: Walker, x: Any, depth: int) -> bytes:
    """An ndarray (or the array part of a subclass): dtype, shape and elements in logical
    C order."""
    a = x if type(x) is _ndarray else _as_base(x, _ndarray)
    h = new_hasher(header(a.dtype, a.shape))
    feed_values(w, h, a, depth)
    return h.digest()


def masked_content(w: Walker, x: Any, depth: int) -> bytes:
    """A ``numpy.ma`` masked array: its data (masked slots included: ``.data`` shows
    them) and its mask. Fill value and hardness are presentation, and ``_sharedmask``
    bookkeeping, so they are left out."""
    from ._walk import instance_dict

    d = instance_dict(x)
    mask = d.get("_mask") if d is not None else None
    mask_token = array_content(w, mask, depth) if T.has_base(type(mask), _ndarray) else b"N"
    return hash16(b"masked" + array_content(w, x, depth) + mask_token)


def memmap_content(w: Walker, x: Any, depth: int) -> bytes:
    """A ``np.memmap``: like the array it shows (file name, offset and mode are where the
    data lives, not what it is)."""
    return hash16(b"memmap" + array_content(w, x, depth))


_scalar_dtype = np.generic.__dict__["dtype"].__get__
_scalar_bytes = np.generic.tobytes


def scalar_content(w: Walker, x: Any, depth: int) -> bytes:
    """A numpy scalar: dtype and value bytes (``np.float64(1)`` differs from ``1.0``).
    Read through ``np.generic``'s own accessors, which a subclass cannot override."""
    dt = _scalar_dtype(x)
    if dt.hasobject:
        raise Opaque(f"{NO_STATE}: {T.label(type(x))}")
    raw = _scalar_bytes(x)
    w.add_bytes(len(raw))
    return hash16(b"npscalar" + tag(dtype_text(dt)) + u64(len(raw)) + raw)


def dtype_content(w: Walker, x: Any, depth: int) -> bytes:
    """A dtype object: its canonical text."""
    return hash16(b"dtype" + tag(dtype_text(x)))


def ufunc_content(w: Walker, x: Any, depth: int) -> bytes:
    """A ufunc: its name (ufuncs are compiled; their identity is their name)."""
    return hash16(b"ufunc" + tag(str(x.__name__)))


def generator_content(w: Walker, x: Any, depth: int) -> bytes:
    """``np.random.Generator``: its bit generator's state (changes with every draw)."""
    return hash16(b"npgenerator" + w.token(x.bit_generator.state, depth + 1))


def bitgen_content(w: Walker, x: Any, depth: int) -> bytes:
    """A bit generator (PCG64, MT19937, ...): its state dict."""
    return hash16(b"bitgen" + tag(T.label(type(x))) + w.token(x.state, depth + 1))


def randomstate_content(w: Walker, x: Any, depth: int) -> bytes:
    """The legacy ``RandomState``: its state dict."""
    return hash16(b"randomstate" + w.token(x.get_state(legacy=False), depth + 1))


def register_masked() -> None:
    import numpy.ma

    register_semantic(numpy.ma.MaskedArray, masked_content, 19, state=False, trusted="numpy")


def register() -> None:
    register_semantic(np.ndarray, array_content, 20, trusted="numpy")
    register_exact(np.memmap, memmap_content)
    register_semantic(np.generic, scalar_content, 21, state=False, trusted="numpy", exact=False)
    register_semantic(np.dtype, dtype_content, 22, state=False, trusted="numpy")
    register_exact(np.ufunc, ufunc_content)
    register_cost(np.ndarray, lambda a: int(_nbytes(a)))
    register_cost(np.memmap, lambda a: int(_nbytes(a)))
    random = getattr(np, "random", None)
    if random is not None:
        register_exact(random.Generator, generator_content)
        register_exact(random.RandomState, randomstate_content)
        register_semantic(
            random.BitGenerator, bitgen_content, 23, state=False, trusted="numpy", exact=False
        )
