"""Functions, code objects, methods, classes and modules.

The aim is "same definition, same digest": a function defined in two cells (or a cell and
a file) digests equal, so nothing positional enters: no file name, no line number, no
``__module__``. What does enter is everything that decides behaviour: bytecode, constants,
names, defaults, closure values and attributes. Global *values* are not digested here:
the recorder follows the global *names* (``co_names``) through its lineage graph.

Functions and classes of *installed packages* (a top-level package with a ``__version__``
string, importable under their ``module.qualname``) are identified by that name and the
package version instead: they change only when the package does, and walking a library
class (hundreds of methods, compiled descriptors) would be slow and often opaque.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from . import _types as T
from ._walk import (
    NO_STATE,
    Opaque,
    Walker,
    hash16,
    register_exact,
    register_named,
    register_semantic,
    tag,
    u64,
)

_CODE_INTS = ("co_argcount", "co_posonlyargcount", "co_kwonlyargcount")
_FLAGS_MASK = 0xFFFF  # generator/coroutine/varargs bits; not ``__future__`` compiler flags
_CODE_OBJECTS = tuple(
    name
    for name in (
        "co_consts",
        "co_names",
        "co_varnames",
        "co_freevars",
        "co_cellvars",
        "co_name",
        "co_exceptiontable",  # 3.11+: handler offsets into co_code, no line numbers
    )
    if hasattr(types.CodeType, name)
)


def code_content(w: Walker, c: Any, depth: int) -> bytes:
    """A code object: argument counts, flags, bytecode (``co_code`` is the un-specialised
    form), constants (nested code objects recursively), and local, free, cell and global
    names. Not ``co_filename``, ``co_firstlineno``, ``co_qualname``, the line tables or
    ``__future__`` flags (inherited from whatever compiled the cell)."""
    head = b"code" + b"".join(u64(getattr(c, name)) for name in _CODE_INTS)
    head += u64(c.co_flags & _FLAGS_MASK)
    raw = c.co_code
    w.add_bytes(len(raw))
    attrs = [(name, getattr(c, name)) for name in _CODE_OBJECTS]
    return hash16(head + u64(len(raw)) + raw + w.attributes(attrs, depth))


def library_identity(mod: object, qualname: object, obj: object) -> bytes | None:
    """``module.qualname`` plus the package version when ``obj`` is exactly what that
    name resolves to in an installed package; ``None`` otherwise (``__main__``, local
    classes, packages without a version: those are digested by content)."""
    if type(mod) is not str or type(qualname) is not str or mod == "__main__":
        return None
    package = sys.modules.get(mod.partition(".")[0])
    if package is None or not T.has_base(type(package), types.ModuleType):
        return None
    version = T.module_dict(package).get("__version__")
    owner = sys.modules.get(mod)
    if type(version) is not str or owner is None:
        return None
    if not T.has_base(type(owner), types.ModuleType):
        return None
    target: Any = owner
    for i, part in enumerate(qualname.split(".")):
        ns = T.module_dict(target) if i == 0 else T.class_dict(target)
        target = ns.get(part)
        if target is None or (target is not obj and not T.is_type(target)):
            return None
    if target is not obj:
        return None
    return b"library" + tag(mod) + tag(qualname) + tag(version)


_func_dict = types.FunctionType.__dict__["__dict__"].__get__


def function_content(w: Walker, f: Any, depth: int) -> bytes:
    """A Python function: name, qualified name, code, defaults, keyword defaults, closure
    cell contents and function attributes (``__wrapped__`` included). Not ``__module__``,
    ``__globals__`` (only the names it reads, via the code) or ``__annotations__``."""
    known = library_identity(f.__module__, f.__qualname__, f)
    if known is not None:
        return hash16(known)
    attrs: list[tuple[str, Any]] = [
        ("__code__", f.__code__),
        ("__defaults__", f.__defaults__),
        ("__kwdefaults__", f.__kwdefaults__),
        ("__closure__", f.__closure__),
    ]
    extra = _sorted_str_items(_func_dict(f), exclude=("__module__",))
    head = b"function" + tag(f.__name__) + tag(f.__qualname__)
    return hash16(head + w.attributes(attrs + extra, depth))


def method_content(w: Walker, m: Any, depth: int) -> bytes:
    """A bound method: the function and the receiver it is bound to (digested with the
    same budget: a method of a mutated object is a changed method)."""
    return hash16(
        b"method" + w.attributes((("__func__", m.__func__), ("__self__", m.__self__)), depth)
    )


def builtin_content(w: Walker, f: Any, depth: int) -> bytes:
    """A C function or bound C method: module and name, plus ``__self__`` (a module for
    plain functions, the receiver for bound methods such as ``[].append``, whose token
    carries its type). ``__qualname__`` is not read: for a bound method it asks the
    receiver's class, whose metaclass could run code."""
    mod = f.__module__
    head = b"builtin" + tag(mod if type(mod) is str else "") + tag(f.__name__)
    return hash16(head + w.attributes((("__self__", f.__self__),), depth))


def method_wrapper_content(w: Walker, f: Any, depth: int) -> bytes:
    """A bound slot wrapper such as ``(1).__add__``: its name and receiver."""
    return hash16(
        b"method-wrapper" + tag(f.__name__) + w.attributes((("__self__", f.__self__),), depth)
    )


def descriptor_content(w: Walker, d: Any, depth: int) -> bytes:
    """A C-level descriptor (``str.join``, a slot member): owner's qualified name and
    attribute name; the owner's module is left out like a function's."""
    owner = d.__objclass__
    return hash16(
        b"descriptor" + tag(T.qualname(owner) if T.is_type(owner) else "?") + tag(d.__name__)
    )


_sm_func = staticmethod.__dict__["__func__"].__get__
_cm_func = classmethod.__dict__["__func__"].__get__


def staticmethod_content(w: Walker, s: Any, depth: int) -> bytes:
    """A ``staticmethod``: the wrapped callable."""
    return hash16(b"staticmethod" + w.attributes((("__func__", _sm_func(s)),), depth))


def classmethod_content(w: Walker, s: Any, depth: int) -> bytes:
    """A ``classmethod``: the wrapped callable."""
    return hash16(b"classmethod" + w.attributes((("__func__", _cm_func(s)),), depth))


_PROPERTY_FIELDS = tuple(
    (name, property.__dict__[name].__get__) for name in ("fget", "fset", "fdel", "__doc__")
)


def property_content(w: Walker, p: Any, depth: int) -> bytes:
    """A ``property``: getter, setter, deleter and docstring."""
    return hash16(b"property" + w.attributes([(n, get(p)) for n, get in _PROPERTY_FIELDS], depth))


def generic_alias_content(w: Walker, a: Any, depth: int) -> bytes:
    """``list[int]``: origin and arguments."""
    return hash16(
        b"alias" + w.attributes((("__origin__", a.__origin__), ("__args__", a.__args__)), depth)
    )


def union_content(w: Walker, u: Any, depth: int) -> bytes:
    """``int | str``: its arguments."""
    return hash16(b"union" + w.attributes((("__args__", u.__args__),), depth))


_CLASS_EXCLUDED = frozenset(
    {
        "__module__",  # positional, like a function's: same class in two cells digests equal
        "__dict__",  # the interpreter's own descriptors
        "__weakref__",
        "_abc_impl",  # ABC registry caches: change on isinstance() calls
        "__firstlineno__",  # 3.13+: a line number
    }
)


def class_content(w: Walker, c: Any, depth: int) -> bytes:
    """A class. Built-in and other static types are identified by ``module.qualname``,
    installed packages' classes by name and version; other classes (notebook cells,
    local modules) by their qualified name, metaclass, bases (digested the same way) and
    namespace entries sorted by name, minus ``__module__`` and interpreter caches.
    Instances only carry their class's label, never this digest."""
    if not T.is_heap(c):
        return hash16(b"type" + tag(T.label(c)))
    known = library_identity(T.module(c), T.qualname(c), c)
    if known is not None:
        return hash16(known)
    meta = type(c)
    head = b"class" + tag(T.qualname(c)) + tag("" if meta is type else T.label(meta))
    items = _sorted_str_items(T.class_dict(c), exclude=_CLASS_EXCLUDED)
    return hash16(head + w.attributes([("__bases__", T.bases(c)), *items], depth))


def module_content(w: Walker, m: Any, depth: int) -> bytes:
    """A module: its ``__name__`` and ``__version__`` when that is a plain string in its
    namespace. Re-importing the same module is no change; its contents are not walked."""
    ns = T.module_dict(m)
    name = ns.get("__name__")
    version = ns.get("__version__")
    return hash16(
        b"module"
        + tag(name if type(name) is str else "?")
        + tag(version if type(version) is str else "")
    )


def partial_content(w: Walker, p: Any, depth: int) -> bytes:
    """A ``functools.partial``: the callable, its positional and keyword arguments and
    its attributes."""
    import functools

    cls = functools.partial
    attrs = [(n, cls.__dict__[n].__get__(p)) for n in ("func", "args", "keywords")]
    extra = _sorted_str_items(cls.__dict__["__dict__"].__get__(p), exclude=())
    return hash16(b"partial" + w.attributes(attrs + extra, depth))


def lru_content(w: Walker, f: Any, depth: int) -> bytes:
    """An ``lru_cache`` wrapper: the wrapped function and wrapper attributes. The cache
    contents are memoisation, not content."""
    import functools

    d = functools._lru_cache_wrapper.__dict__["__dict__"].__get__(f)
    return hash16(b"lru_cache" + w.attributes(_sorted_str_items(d, exclude=("__module__",)), depth))


def named_content(w: Walker, f: Any, depth: int) -> bytes:
    """Compiled callables of extension packages (Cython functions, numpy's array-function
    dispatchers): module and qualified name."""
    mod = getattr(f, "__module__", None)
    name = getattr(f, "__qualname__", None)
    if type(name) is not str:
        raise Opaque(f"{NO_STATE}: {T.label(type(f))}")
    return hash16(b"named" + tag(mod if type(mod) is str else "") + tag(name))


def _sorted_str_items(d: Any, exclude: Any) -> list[tuple[str, Any]]:
    """Namespace entries sorted by name (all names must be exact ``str``)."""
    if d is None:
        return []
    items: list[tuple[str, Any]] = []
    # a class namespace is a mappingproxy over a real dict: its items() is dict.items
    pairs = d.items() if type(d) is types.MappingProxyType else dict.items(d)
    for k, v in pairs:
        if type(k) is not str:
            raise Opaque(f"{NO_STATE}: non-string attribute name")
        if k not in exclude:
            items.append((k, v))
    items.sort(key=lambda kv: kv[0])
    return items


for _cls, _handler in (
    (types.CodeType, code_content),
    (types.FunctionType, function_content),
    (types.MethodType, method_content),
    (types.BuiltinFunctionType, builtin_content),
    (types.MethodWrapperType, method_wrapper_content),
    (types.WrapperDescriptorType, descriptor_content),
    (types.MethodDescriptorType, descriptor_content),
    (types.ClassMethodDescriptorType, descriptor_content),
    (types.GetSetDescriptorType, descriptor_content),
    (types.MemberDescriptorType, descriptor_content),
):
    register_exact(_cls, _handler)
register_semantic(types.GenericAlias, generic_alias_content, 74)

if hasattr(types, "UnionType"):
    register_exact(types.UnionType, union_content)

register_semantic(type, class_content, 6, state=False, complete=True)
register_semantic(types.ModuleType, module_content, 7, state=False, complete=True)
register_semantic(staticmethod, staticmethod_content, 71)
register_semantic(classmethod, classmethod_content, 72)
register_semantic(property, property_content, 73)

for _qualname in ("cython_function_or_method", "fused_cython_function", "_ArrayFunctionDispatcher"):
    register_named(_qualname, named_content)
