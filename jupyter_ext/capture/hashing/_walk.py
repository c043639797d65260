"""The walk: per-call state, token encoding and type dispatch.

A digest is xxh3-128 over a stream of self-delimiting *tokens*. Scalars (``None``,
``bool``, ``int``, ``float``, ``complex``, short ``str``/``bytes``) are encoded inline.
Everything else is a *node*: it gets its own 128-bit digest, embedded in its parent as
``b"@" + digest`` (a Merkle tree). Nodes let one walk

- hash a shared sub-object once (memo by identity; the memo keeps the object alive for
  the call, so an ``id`` is never reused while it is a key),
- digest set elements independently and sort them, so set digests depend on neither
  iteration order nor hash seeds,
- encode a reference cycle as ``b"^" + distance`` to the ancestor on the current path.
  Distances are relative, so a self-contained cyclic structure digests the same wherever
  it sits; a node whose subtree points above itself is not memoised (its digest depends on
  the path it was reached by).

Dispatch uses ``type(obj)`` (never ``obj.__class__``) and identity-keyed tables, so no
user ``__eq__``/``__hash__`` (not even a metaclass's) runs during lookup. Handlers are
pure functions of the object's content; all mutable state lives in one ``Walker`` per
call, which makes ``digest`` safe to call from several threads.
"""

from __future__ import annotations

import contextlib
import struct
import sys
import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import xxhash

from . import _types as T

# ---------------------------------------------------------------------------- reasons

BUDGET_BYTES = "budget exceeded: bytes"
BUDGET_ELEMENTS = "budget exceeded: elements"
BUDGET_DEPTH = "budget exceeded: depth"
BUDGET_RECURSION = "budget exceeded: recursion limit"
GENERATOR = "generator: not consumed"
COROUTINE = "coroutine: not awaited"
ASYNC_GENERATOR = "async generator: not consumed"
ITERATOR = "iterator: not consumed"
FILE = "open file"
SOCKET = "socket"
LOCK = "lock"
THREAD = "thread"
QUEUE = "queue"
WEAKREF = "weakref"
FRAME = "frame"
TRACEBACK = "traceback"
MOCK = "mock"
NO_STATE = "no readable state"
UNSUPPORTED = "unsupported"
ERROR = "error"
INTERRUPTED = "interrupted"

# ---------------------------------------------------------------------------- encoding

u64 = struct.Struct("<Q").pack
f64 = struct.Struct("<d").pack
c128 = struct.Struct("<dd").pack
new_hasher = xxhash.xxh3_128
hash16 = xxhash.xxh3_128_digest

INLINE_CHARS = 4096  # longer str/bytes become nodes (hashed once, memoised, streamed)
FLUSH = 4096  # tokens buffered before they are fed to the hasher
CHUNK = 1 << 20  # bytes per chunk when a buffer must be copied to be hashed


def buffer(obj: Any) -> memoryview:
    """A zero-copy view of any buffer exporter (numpy arrays, Arrow buffers)."""
    return memoryview(obj)


def tag(text: str) -> bytes:
    """A length-prefixed string: labels, attribute names, dtype descriptions."""
    raw = text.encode("utf-8", "surrogatepass")
    return u64(len(raw)) + raw


class Opaque(Exception):
    """The value cannot be digested honestly; ``where`` collects the path on unwinding."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.where: list[str] = []

    def describe(self) -> str:
        if not self.where:
            return self.reason
        return f"{self.reason} (at {''.join(reversed(self.where))})"


class Exceeded(Exception):
    """A size budget ran out: the whole digest is abandoned, never truncated."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


Handler = Callable[["Walker", Any, int], bytes]  # -> 16-byte node digest
Scalar = Callable[["Walker", Any], bytes]  # -> inline token

_INF = sys.maxsize


class Walker:
    """State of one ``digest`` call: budgets used so far, ancestors, memo."""

    __slots__ = (
        "elements",
        "low",
        "max_bytes",
        "max_depth",
        "max_elements",
        "memo",
        "nbytes",
        "stack",
    )

    def __init__(self, max_bytes: int, max_elements: int, max_depth: int) -> None:
        self.max_bytes = max_bytes
        self.max_elements = max_elements
        self.max_depth = max_depth
        self.nbytes = 0
        self.elements = 0
        self.stack: dict[int, int] = {}
        self.memo: dict[int, tuple[object, bytes]] = {}
        self.low = _INF

    def add_bytes(self, n: int) -> None:
        self.nbytes += n
        if self.nbytes > self.max_bytes:
            raise Exceeded(BUDGET_BYTES)

    def add_elements(self, n: int) -> None:
        self.elements += n
        if self.elements > self.max_elements:
            raise Exceeded(BUDGET_ELEMENTS)

    def token(self, obj: object, depth: int) -> bytes:
        """The token of ``obj`` found at ``depth`` (root is 0)."""
        cls = type(obj)
        enc = SCALARS.get(id(cls))
        if enc is not None:
            return enc(self, obj)
        return self.node(obj, cls, depth)

    def node(self, obj: object, cls: type, depth: int) -> bytes:
        key = id(obj)
        hit = self.memo.get(key)
        if hit is not None:
            return hit[1]
        pos = self.stack.get(key)
        if pos is not None:
            if pos < self.low:
                self.low = pos
            return b"^" + u64(depth - pos)
        if depth >= self.max_depth:
            raise Exceeded(BUDGET_DEPTH)
        handler = resolve(cls)
        stack = self.stack
        stack[key] = depth
        outer = self.low
        self.low = _INF
        try:
            tok = b"@" + handler(self, obj, depth)
        finally:
            del stack[key]
        low = self.low
        if low >= depth:
            self.memo[key] = (obj, tok)
        self.low = low if low < outer else outer
        return tok

    def leaf(self, obj: object, compute: Callable[[], bytes]) -> bytes:
        """A node without children (long strings): memoised, never on the stack."""
        key = id(obj)
        hit = self.memo.get(key)
        if hit is not None:
            return hit[1]
        tok = b"@" + compute()
        self.memo[key] = (obj, tok)
        return tok

    def sequence(self, head: bytes, items: Iterable[object], n: int, depth: int) -> bytes:
        """Digest of an ordered run of ``n`` values (list, tuple, deque, object arrays)."""
        self.add_elements(n)
        h = new_hasher(head + u64(n))
        parts: list[bytes] = []
        scalars = SCALARS.get
        node = self.node
        child = depth + 1
        i = 0
        try:
            for i, x in enumerate(items):  # noqa: B007 - i is read on the error path
                c = type(x)
                enc = scalars(id(c))
                parts.append(enc(self, x) if enc is not None else node(x, c, child))
                if len(parts) >= FLUSH:
                    h.update(b"".join(parts))
                    parts.clear()
        except Opaque as e:
            e.where.append(f"[{i}]")
            raise
        h.update(b"".join(parts))
        return h.digest()

    def mapping(self, head: bytes, items: list[tuple[Any, Any]], depth: int) -> bytes:
        """Digest of ordered key/value pairs (dicts keep insertion order: it is observable)."""
        self.add_elements(len(items))
        h = new_hasher(head + u64(len(items)))
        parts: list[bytes] = []
        token = self.token
        child = depth + 1
        for k, v in items:
            parts.append(token(k, child))
            try:
                parts.append(token(v, child))
            except Opaque as e:
                e.where.append(f"[{key_text(k)}]")
                raise
            if len(parts) >= FLUSH:
                h.update(b"".join(parts))
                parts.clear()
        h.update(b"".join(parts))
        return h.digest()

    def unordered(self, head: bytes, items: list[Any], depth: int) -> bytes:
        """Digest of a set: element tokens sorted, so no hash seed or insertion order leaks."""
        self.add_elements(len(items))
        token = self.token
        child = depth + 1
        toks = sorted(token(x, child) for x in items)
        return hash16(head + u64(len(toks)) + b"".join(toks))

    def attributes(self, items: Iterable[tuple[str, Any]], depth: int) -> bytes:
        """Tokens of named attributes (already in a canonical order)."""
        parts: list[bytes] = []
        token = self.token
        child = depth + 1
        for name, value in items:
            self.add_elements(1)
            try:
                parts.append(tag(name) + (b"u" if value is UNSET else token(value, child)))
            except Opaque as e:
                e.where.append(f".{name}")
                raise
        return u64(len(parts)) + b"".join(parts)


class _Unset:
    """Marker for an empty slot or cell (distinct from any value, ``None`` included)."""


UNSET: Any = _Unset()


def key_text(k: object) -> str:
    """A short, user-code-free rendering of a dict key for opaque paths."""
    if type(k) is str:
        return repr(k[:40])
    if type(k) is int or type(k) is bool or k is None:
        return repr(k)
    return "…"


def instance_state(w: Walker, obj: object, lay: T.Layout, depth: int) -> bytes:
    """Slots (in MRO order) and ``__dict__`` entries (sorted by name when all names are
    plain ``str``: attribute assignment order is not content) of a Python-level object."""
    items: list[tuple[str, Any]] = []
    for name, descr in lay.slots:
        try:
            value = descr.__get__(obj, None)
        except AttributeError:
            value = UNSET
        items.append((name, value))
    d = lay.dict_descr.__get__(obj, None) if lay.dict_descr is not None else None
    entries: list[tuple[Any, Any]] = []
    if d is not None:
        if not T.has_base(type(d), dict):
            raise Opaque(f"{NO_STATE}: __dict__ is not a dict")
        entries = list(dict.items(d))
        if all(type(k) is str for k, _ in entries):
            entries.sort(key=_first)
            items.extend(entries)
            entries = []
    out = b"S" + w.attributes(items, depth)
    if entries:  # non-str keys: keep insertion order
        out += b"D" + w.mapping(b"dict", entries, depth)
    return out


def _first(kv: tuple[Any, Any]) -> Any:
    return kv[0]


# ---------------------------------------------------------------------------- registries


@dataclass(frozen=True, slots=True)
class Semantic:
    """A base class whose content reader also serves subclasses.

    ``content`` reads the base part through the base's own C-level accessors; for a
    subclass the digest adds the subclass label and, if ``state``, its instance
    ``__dict__``/slots. ``trusted`` names a package whose own subclasses are read by
    ``content`` alone (their extra C state is the base's concern, e.g. numpy scalars).
    ``complete`` marks a reader that captures a subclass instance whole by itself (enum
    members, classes, modules), so the subclass layout need not be Python-level.
    """

    base: type
    content: Handler
    priority: int
    state: bool
    trusted: str | None
    complete: bool


SCALARS: dict[int, Scalar] = {}
EXACT: dict[int, tuple[type, Handler]] = {}
COSTS: dict[int, tuple[type, Callable[[Any], int]]] = {}
_SEMANTIC: tuple[Semantic, ...] = ()  # replaced, never mutated: readers need no lock
_OPAQUE_NAMES: dict[tuple[str, str], str] = {}
_NEUTRAL_NESTED = {LOCK}
_NAMED: dict[str, Handler] = {}
_LAZY: dict[str, Callable[[], None]] = {}
_LAZY_LOCK = threading.RLock()
_CACHE: dict[int, tuple[weakref.ref[type], tuple[type, ...], Handler]] = {}
_CACHE_MAX = 4096
_KEEP: list[type] = []  # scalar types stay alive while their ids are keys


def register_scalar(cls: type, enc: Scalar) -> None:
    _KEEP.append(cls)
    SCALARS[id(cls)] = enc


def register_exact(cls: type, handler: Handler) -> None:
    EXACT[id(cls)] = (cls, handler)


def register_cost(cls: type, cost: Callable[[Any], int]) -> None:
    COSTS[id(cls)] = (cls, cost)


def register_semantic(
    base: type,
    content: Handler,
    priority: int,
    *,
    state: bool = True,
    trusted: str | None = None,
    exact: bool = True,
    complete: bool = False,
) -> None:
    if exact:
        register_exact(base, content)
    global _SEMANTIC
    added = Semantic(base, content, priority, state, trusted, complete)
    _SEMANTIC = tuple(sorted((*_SEMANTIC, added), key=lambda s: s.priority))
    _CACHE.clear()


def register_opaque(module: str, qualname: str, reason: str) -> None:
    _OPAQUE_NAMES[(module, qualname)] = reason


def register_named(qualname: str, handler: Handler) -> None:
    """Extension types recognised by class name alone (their module varies by build)."""
    _NAMED[qualname] = handler


def register_lazy(root: str, registrar: Callable[[], None]) -> None:
    """Handlers for ``root``'s types are registered the first time a type defined in
    that package (or, for a dotted name, that exact module) is met, so importing this
    module never imports numpy or pandas."""
    _LAZY[root] = registrar


def opaque_handler(reason: str) -> Handler:
    def handler(w: Walker, obj: Any, depth: int) -> bytes:
        if depth > 0 and reason in _NEUTRAL_NESTED:
            # A lock inside another object: its locked/unlocked state is transient, not
            # content, so it contributes a fixed, identity-free token.
            return hash16(b"neutral" + tag(reason))
        raise Opaque(reason)

    return handler


def load_lazy(m: tuple[type, ...]) -> None:
    """Run the pending registrars of the packages (or exact modules) defining ``m``."""
    for k in m:
        mod = T.module(k)
        for key in (mod.partition(".")[0], mod):
            # only once that module is really imported: a class merely claiming
            # ``__module__ = "numpy"`` must not make us import numpy
            if key in _LAZY and key in sys.modules:
                # Another thread seeing ``key`` still pending waits here; once it is gone
                # from the table its handlers are all registered.
                with _LAZY_LOCK:
                    registrar = _LAZY.get(key)
                    if registrar is not None:
                        try:
                            registrar()
                        finally:
                            _LAZY.pop(key, None)


def resolve(cls: type) -> Handler:
    """The handler for instances of exactly ``cls``."""
    entry = EXACT.get(id(cls))
    if entry is not None and entry[0] is cls:
        return entry[1]
    m = T.mro(cls)
    cached = _CACHE.get(id(cls))
    if cached is not None and cached[0]() is cls and cached[1] is m:
        return cached[2]
    handler = _resolve_slow(cls, m)
    if len(_CACHE) >= _CACHE_MAX:
        for key, (ref, _m, _h) in list(_CACHE.items()):
            if ref() is None:
                _CACHE.pop(key, None)
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
    with contextlib.suppress(TypeError):  # a class that cannot be weakly referenced
        _CACHE[id(cls)] = (weakref.ref(cls), m, handler)
    return handler


def _resolve_slow(cls: type, m: tuple[type, ...]) -> Handler:
    if _LAZY:
        load_lazy(m)
        entry = EXACT.get(id(cls))
        if entry is not None and entry[0] is cls:
            return entry[1]
    for k in m:
        reason = _OPAQUE_NAMES.get((T.module(k), T.qualname(k)))
        if reason is not None:
            return opaque_handler(reason)
    named = _NAMED.get(T.qualname(cls))
    if named is not None and not T.python_level(cls, None):  # a compiled type, not a user class
        return named
    root = T.module(cls).partition(".")[0]
    for sem in _SEMANTIC:
        if not T.has_base(cls, sem.base):
            continue
        if sem.trusted is not None and root == sem.trusted and not sem.state:
            return sem.content
        if sem.complete:
            return _subclass_handler(sem, T.Layout(T.label(cls), None, ()))
        if not T.python_level(cls, sem.base, sem.trusted):
            break
        lay = T.layout(cls)
        if lay is None:
            break
        return _subclass_handler(sem, lay)
    if T.python_level(cls, None, None):
        lay = T.layout(cls)
        if lay is not None:
            return _object_handler(lay)
    if T.has_next(cls):
        return opaque_handler(ITERATOR)
    return opaque_handler(f"{NO_STATE}: {T.label(cls)}")


def _subclass_handler(sem: Semantic, lay: T.Layout) -> Handler:
    head = b"sub" + tag(lay.label)
    content = sem.content

    def handler(w: Walker, obj: Any, depth: int) -> bytes:
        body = content(w, obj, depth)
        if not sem.state:
            return hash16(head + body)
        return hash16(head + body + instance_state(w, obj, lay, depth))

    return handler


def _object_handler(lay: T.Layout) -> Handler:
    """A Python-level instance: exact type label plus its slots and ``__dict__``.
    No method of the object runs: both are read through C-level descriptors."""
    head = b"obj" + tag(lay.label)

    def handler(w: Walker, obj: Any, depth: int) -> bytes:
        return hash16(head + instance_state(w, obj, lay, depth))

    return handler


def instance_dict(obj: object) -> dict[str, Any] | None:
    """The instance ``__dict__`` through the interpreter's own descriptor, or ``None``."""
    lay = T.layout(type(obj))
    if lay is None or lay.dict_descr is None:
        return None
    d = lay.dict_descr.__get__(obj, None)
    return d if d is not None and T.has_base(type(d), dict) else None
