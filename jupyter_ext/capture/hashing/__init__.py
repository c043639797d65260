"""Content digests of Python values, for change tracking.

``digest(obj)`` returns a ``Digest``: 32 hex characters of xxh3-128 over a canonical
encoding of the value's *content*, or ``value=None`` with the reason (``opaque``) when the
value cannot be digested honestly. Guarantees:

- **Deterministic**: equal content gives equal digests in any process (no ``id``, no
  ``hash()``, no hash seed, no file names or line numbers). Set elements are sorted by
  digest; dicts keep their insertion order, which Python makes observable.
- **No user code runs**: dispatch is on ``type(obj)``; instance state is read from
  ``__dict__`` and slots through the interpreter's C-level descriptors; builtin
  subclasses through the builtin's own slots. No ``__eq__``, ``__hash__``, ``__repr__``,
  ``__len__``, ``__iter__``, ``__getattr__``, ``__reduce__``, property or metaclass hook
  is called; iterators and generators are never advanced. (numpy, pandas and pyarrow
  objects are read with those libraries' own accessors; for a subclass of a pandas or
  pyarrow class defined elsewhere, e.g. a GeoDataFrame, that may reach its overrides.)
- **Honest**: a value that does not fit its ``Budget`` (bytes, elements, depth), or that
  contains something without readable content (generator, file, socket, mock, ...), is
  opaque as a whole: there is no partial or placeholder digest. The one exception is a
  lock (or other ``threading`` primitive) *inside* another value: its lock state is not
  content, so it contributes a fixed token; alone it is opaque.
- **Never raises**, and is safe to call from any thread: each call has its own state.
  Large buffers are hashed by xxhash with the GIL released. The caller must make sure
  the value is not mutated while it is being digested (the digest is otherwise of a
  torn state, though never a crash).
- **Light**: importing this package imports neither numpy nor pandas nor pyarrow; their
  handlers load the first time one of their objects is met (the library is then already
  imported).

What a digest covers, in short (each handler's docstring says exactly):

- scalars carry a type tag (``1``, ``1.0``, ``True``, ``"1"`` differ); floats are digested
  bit for bit (``-0.0`` differs from ``0.0``; a NaN equals itself when its bits match),
  the same rule as numpy buffers;
- an instance: its exact class's ``module.qualname`` and its attributes (sorted by name:
  assignment order is not content), never its class's code;
- functions and classes: code, constants, defaults, closures, namespace, but no file
  names, line numbers or ``__module__``, so the same definition in two cells is equal;
  those of installed packages (with a ``__version__``) by name and version; modules by
  name and version;
- arrays: dtype, shape, elements in logical C order, so views, Fortran-ordered arrays and
  contiguous copies with equal content digest equal; frames: labels, index, dtypes and
  values column by column, independent of how the frame was built.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass

import xxhash

from . import _builtins as _builtins
from . import _code as _code
from . import _types as _T
from . import _walk as _W
from ._walk import COSTS, Exceeded, Opaque, Walker, load_lazy

__all__ = [
    "DEFAULT_BUDGET",
    "DIGEST_VERSION",
    "OPAQUE_ASYNC_GENERATOR",
    "OPAQUE_BUDGET_BYTES",
    "OPAQUE_BUDGET_DEPTH",
    "OPAQUE_BUDGET_ELEMENTS",
    "OPAQUE_BUDGET_RECURSION",
    "OPAQUE_COROUTINE",
    "OPAQUE_ERROR",
    "OPAQUE_FILE",
    "OPAQUE_FRAME",
    "OPAQUE_GENERATOR",
    "OPAQUE_INTERRUPTED",
    "OPAQUE_ITERATOR",
    "OPAQUE_LOCK",
    "OPAQUE_MOCK",
    "OPAQUE_NO_STATE",
    "OPAQUE_QUEUE",
    "OPAQUE_SOCKET",
    "OPAQUE_THREAD",
    "OPAQUE_TRACEBACK",
    "OPAQUE_UNSUPPORTED",
    "OPAQUE_WEAKREF",
    "Budget",
    "Digest",
    "digest",
    "estimated_cost",
    "is_large",
]

OPAQUE_ASYNC_GENERATOR = _W.ASYNC_GENERATOR
OPAQUE_BUDGET_BYTES = _W.BUDGET_BYTES
OPAQUE_BUDGET_DEPTH = _W.BUDGET_DEPTH
OPAQUE_BUDGET_ELEMENTS = _W.BUDGET_ELEMENTS
OPAQUE_BUDGET_RECURSION = _W.BUDGET_RECURSION
OPAQUE_COROUTINE = _W.COROUTINE
OPAQUE_ERROR = _W.ERROR
OPAQUE_FILE = _W.FILE
OPAQUE_FRAME = _W.FRAME
OPAQUE_GENERATOR = _W.GENERATOR
OPAQUE_INTERRUPTED = _W.INTERRUPTED
OPAQUE_ITERATOR = _W.ITERATOR
OPAQUE_LOCK = _W.LOCK
OPAQUE_MOCK = _W.MOCK
OPAQUE_NO_STATE = _W.NO_STATE
OPAQUE_QUEUE = _W.QUEUE
OPAQUE_SOCKET = _W.SOCKET
OPAQUE_THREAD = _W.THREAD
OPAQUE_TRACEBACK = _W.TRACEBACK
OPAQUE_UNSUPPORTED = _W.UNSUPPORTED
OPAQUE_WEAKREF = _W.WEAKREF

DIGEST_VERSION = 1
"""Bumped whenever the encoding changes, so stored digests are never compared across it."""

_PREFIX = b"jupyter-ext digest 1\0"


@dataclass(frozen=True, slots=True)
class Digest:
    """The digest of one value.

    ``value`` is 32 hex characters of xxh3-128, or ``None`` if the value is opaque, in
    which case ``opaque`` says why (it starts with one of the ``OPAQUE_*`` reasons and
    may end with the path of the offending part, e.g. ``"generator: not consumed (at
    [2].source)"``). ``type_name`` is the exact type (``"int"``, ``"numpy.ndarray"``,
    ``"pandas.DataFrame"``, ``"function"``, ``"module"``, ``"mymod.MyClass"``).
    """

    value: str | None
    type_name: str
    opaque: str | None = None


@dataclass(frozen=True, slots=True)
class Budget:
    """Size limits for one digest. Sizes, not time, so the outcome is deterministic.

    ``max_bytes`` counts bytes streamed through xxh3 (buffers, strings), ``max_elements``
    Python-level items visited (container items, attributes, object-array elements),
    ``max_depth`` nesting of containers and objects.
    """

    max_bytes: int = 4 * 2**30
    max_elements: int = 1_000_000
    max_depth: int = 64


DEFAULT_BUDGET = Budget()


def _family(module: str) -> Callable[[], None]:
    def registrar() -> None:
        importlib.import_module(f"{__name__}.{module}").register()

    return registrar


_W.register_lazy("numpy", _family("_numpy"))
_W.register_lazy(
    "numpy.ma", lambda: importlib.import_module(f"{__name__}._numpy").register_masked()
)
_W.register_lazy("pandas", _family("_pandas"))
_W.register_lazy("pyarrow", _family("_arrow"))


def digest(obj: object, budget: Budget = DEFAULT_BUDGET) -> Digest:
    """Digest ``obj``'s content. Never raises; runs no code of ``obj``'s classes."""
    try:
        name = _T.display_name(type(obj))
    except BaseException:
        name = "?"
    try:
        walker = Walker(budget.max_bytes, budget.max_elements, budget.max_depth)
        token = walker.token(obj, 0)
        return Digest(xxhash.xxh3_128_hexdigest(_PREFIX + token), name)
    except Opaque as e:
        return Digest(None, name, e.describe())
    except Exceeded as e:
        return Digest(None, name, e.reason)
    except RecursionError:
        return Digest(None, name, OPAQUE_BUDGET_RECURSION)
    except MemoryError:
        return Digest(None, name, "budget exceeded: memory")
    except KeyboardInterrupt:
        return Digest(None, name, OPAQUE_INTERRUPTED)
    except BaseException as e:
        return Digest(None, name, f"{OPAQUE_ERROR}: {_safe_label(e)}")


def _safe_label(e: BaseException) -> str:
    try:
        return _T.label(type(e))
    except BaseException:
        return "?"


def estimated_cost(obj: object) -> int:
    """A cheap estimate of the bytes ``digest(obj)`` would stream: array and frame
    buffer sizes, string lengths, 16 bytes per item of a builtin container (not
    recursive). Runs no user code; 0 when unknown."""
    try:
        cls = type(obj)
        entry = COSTS.get(id(cls))
        if entry is None or entry[0] is not cls:
            load_lazy(_T.mro(cls))
            entry = COSTS.get(id(cls))
        if entry is not None and entry[0] is cls:
            return int(entry[1](obj))
        np = sys.modules.get("numpy")
        if np is not None and _T.has_base(cls, np.ndarray):
            return int(np.ndarray.__dict__["nbytes"].__get__(obj))
        return 0
    except BaseException:
        return 0


def is_large(obj: object, threshold: int = 1 << 20) -> bool:
    """``estimated_cost(obj) >= threshold``: worth digesting off the main thread."""
    return estimated_cost(obj) >= threshold
