"""Reading types without running user code.

Everything here reads a type through the descriptors that ``type`` itself defines
(``type.__dict__["__mro__"]`` and friends). Those are C-level getters on the type object,
so a metaclass that overrides ``__getattribute__``, ``__eq__`` or ``__hash__``, or a class
that fakes ``__class__``, never gets a say. Types are compared by identity only (never
``==``, ``in`` over a tuple, ``isinstance`` or ``issubclass``, which may call a
metaclass's ``__eq__``, ``__instancecheck__`` or ``__subclasscheck__``).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

_TYPE_DICT = type.__dict__
_mro_get: Callable[[type], Any] = _TYPE_DICT["__mro__"].__get__
_dict_get: Callable[[type], Any] = _TYPE_DICT["__dict__"].__get__
_qualname_get: Callable[[type], Any] = _TYPE_DICT["__qualname__"].__get__
_module_get: Callable[[type], Any] = _TYPE_DICT["__module__"].__get__
_base_get: Callable[[type], Any] = _TYPE_DICT["__base__"].__get__
_bases_get: Callable[[type], Any] = _TYPE_DICT["__bases__"].__get__
_flags_get: Callable[[type], Any] = _TYPE_DICT["__flags__"].__get__
_basicsize_get: Callable[[type], Any] = _TYPE_DICT["__basicsize__"].__get__
_module_dict_get: Callable[[object], Any] = cast(Any, types.ModuleType.__dict__)["__dict__"].__get__

HEAPTYPE = 1 << 9
MEMBER_DESCRIPTOR = types.MemberDescriptorType
GETSET_DESCRIPTOR = types.GetSetDescriptorType
_WORD = 8


def mro(cls: type) -> tuple[type, ...]:
    """The method resolution order as stored on the type (no ``mro()`` override runs)."""
    value = _mro_get(cls)
    if type(value) is not tuple:
        return (cls, object)
    return cast("tuple[type, ...]", value)


def class_dict(cls: type) -> dict[str, Any]:
    """The type's own namespace (a read-only proxy over a real dict)."""
    return cast("dict[str, Any]", _dict_get(cls))


def own(cls: type, name: str) -> Any:
    """``cls.__dict__.get(name)`` through the C-level proxy; ``None`` when absent."""
    return class_dict(cls).get(name)


def qualname(cls: type) -> str:
    value = _qualname_get(cls)
    return value if type(value) is str else "?"


def module(cls: type) -> str:
    value = _module_get(cls)
    return value if type(value) is str else "?"


def base(cls: type) -> type | None:
    value = _base_get(cls)
    return value if value is None or type(value) is type or is_type(value) else None


def bases(cls: type) -> tuple[type, ...]:
    value = _bases_get(cls)
    return cast("tuple[type, ...]", value) if type(value) is tuple else ()


def is_heap(cls: type) -> bool:
    """Heap types are created at run time (``class`` statements, most extension types)."""
    return bool(_flags_get(cls) & HEAPTYPE)


def basicsize(cls: type) -> int:
    return int(_basicsize_get(cls))


def is_type(obj: object) -> bool:
    """True if ``obj`` is a class: ``type`` appears in the MRO of its exact type."""
    return any(k is type for k in mro(type(obj)))


def has_base(cls: type, target: type) -> bool:
    """Identity scan of the MRO (``issubclass`` could run a metaclass hook)."""
    return any(k is target for k in mro(cls))


def label(cls: type) -> str:
    """``module.qualname`` as written into digests (``builtins`` elided)."""
    mod = module(cls)
    name = qualname(cls)
    return name if mod == "builtins" else f"{mod}.{name}"


_SHORT_ROOTS = ("numpy", "pandas", "pyarrow")


def display_name(cls: type) -> str:
    """The ``type_name`` shown to users: ``pandas.DataFrame`` rather than the defining
    submodule, when the package's top level exports the very same class object."""
    mod = module(cls)
    name = qualname(cls)
    if mod == "builtins":
        return name
    if mod.partition(".")[0] in _SHORT_ROOTS:
        # the shortest public package path exporting this very class
        parts = mod.split(".")
        for i in range(1, len(parts)):
            prefix = ".".join(parts[:i])
            if parts[i - 1].startswith("_"):
                break
            package = sys.modules.get(prefix)
            if type(package) is types.ModuleType and _module_dict_get(package).get(name) is cls:
                return f"{prefix}.{name}"
    return f"{mod}.{name}"


def module_dict(mod: object) -> dict[str, Any]:
    """A module's namespace via the C-level member (module ``__getattr__`` never runs)."""
    return cast("dict[str, Any]", _module_dict_get(mod))


@dataclass(frozen=True, slots=True)
class Layout:
    """Where an instance of a Python-level class keeps its state.

    ``dict_descr`` is the ``__dict__`` getset of the class that introduced the instance
    dict; ``slots`` are the member descriptors of every ``__slots__`` entry along the MRO.
    Both are C-level descriptors, so reading them runs no user code.
    """

    label: str
    dict_descr: Any
    slots: tuple[tuple[str, Any], ...]


def python_level(cls: type, stop: type | None, trusted: str | None = None) -> bool:
    """True if every class from ``cls`` down its layout chain (``__base__``) to ``stop``
    (or ``object``) adds nothing to the C struct but slots, ``__dict__`` and
    ``__weakref__``, i.e. all its state is reachable through descriptors we can read.
    The walk also ends at a class of the ``trusted`` package, whose reader knows it.

    A Python ``class`` statement only adds one pointer per slot plus the dict and weakref
    pointers; an extension type adds hidden C fields, which makes its instance size
    larger than those pointers account for. A C type of the same size as its base is
    transparent (built-in exception classes, for instance).
    """
    k: type | None = cls
    while k is not None and k is not stop and k is not object:
        if trusted is not None and module(k).partition(".")[0] == trusted:
            return True
        parent = base(k)
        if parent is None:
            return False
        delta = basicsize(k) - basicsize(parent)
        if delta != 0:
            if not is_heap(k):
                return False
            ns = class_dict(k)
            allowed = _WORD * sum(
                1 for v in ns.values() if type(v) is MEMBER_DESCRIPTOR and v.__objclass__ is k
            )
            if "__dict__" in ns:
                allowed += _WORD
            if "__weakref__" in ns:
                allowed += _WORD
            if delta > allowed:
                return False
        k = parent
    return k is stop or (stop is None and k is object)


def layout(cls: type) -> Layout | None:
    """The state layout of instances of ``cls``; ``None`` if ``__dict__`` was replaced by
    something other than the interpreter's own getset (a user property, say)."""
    dict_descr: Any = None
    slots: list[tuple[str, Any]] = []
    seen_dict = False
    for k in mro(cls):
        ns = class_dict(k)
        if not seen_dict and "__dict__" in ns:
            seen_dict = True
            candidate = ns["__dict__"]
            if (
                type(candidate) is not GETSET_DESCRIPTOR
                and type(candidate) is not MEMBER_DESCRIPTOR
            ):
                return None
            dict_descr = candidate
        if k is object or not is_heap(k):
            continue
        for name, value in ns.items():
            if type(value) is MEMBER_DESCRIPTOR and value.__objclass__ is k and type(name) is str:
                slots.append((name, value))
    return Layout(label(cls), dict_descr, tuple(slots))


def has_next(cls: type) -> bool:
    """The class implements the iterator protocol (``__next__`` in some namespace)."""
    return any("__next__" in class_dict(k) for k in mro(cls) if k is not object)
