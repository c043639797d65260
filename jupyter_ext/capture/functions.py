"""Which module-level names a user function touches when it is called.

A cell that calls ``f()`` reads whatever globals ``f`` reads, and whatever the
functions it calls read, transitively; it may also rebind the globals they declare
``global``. The AST of the cell cannot see this, the function's bytecode can:
``LOAD_GLOBAL``/``STORE_GLOBAL``/``DELETE_GLOBAL`` name exactly the module-level names
used, unlike ``co_names``, which mixes in attribute names. Results are cached per code
object, so the scan is paid once per definition, not once per call.
"""

from __future__ import annotations

import dis
import types
from collections.abc import Mapping
from dataclasses import dataclass

_LOADS = frozenset({"LOAD_GLOBAL", "LOAD_NAME"})
_STORES = frozenset({"STORE_GLOBAL", "DELETE_GLOBAL"})
_DYNAMIC = frozenset({"globals", "exec", "eval", "get_ipython", "vars", "__import__"})
_CLASS_ENTRY_POINTS = ("__init__", "__new__", "__post_init__", "__call__")
_TYPE_DICT = type.__dict__["__dict__"]
_TYPE_MRO = type.__dict__["__mro__"]


@dataclass(frozen=True, slots=True)
class GlobalRefs:
    loads: frozenset[str]
    stores: frozenset[str]
    dynamic: bool
    """The code calls ``globals``/``exec``/``eval``/... and may bind any name."""


_cache: dict[types.CodeType, GlobalRefs] = {}
_CACHE_LIMIT = 4096


def code_refs(code: types.CodeType) -> GlobalRefs:
    """Global names loaded and stored by ``code`` and the code objects nested in it."""
    cached = _cache.get(code)
    if cached is not None:
        return cached
    loads: set[str] = set()
    stores: set[str] = set()
    stack = [code]
    while stack:
        current = stack.pop()
        for ins in dis.get_instructions(current):
            if ins.opname in _LOADS and isinstance(ins.argval, str):
                loads.add(ins.argval)
            elif ins.opname in _STORES and isinstance(ins.argval, str):
                stores.add(ins.argval)
        stack.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
    refs = GlobalRefs(frozenset(loads), frozenset(stores), bool(loads & _DYNAMIC))
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()
    _cache[code] = refs
    return refs


def _user_code_of(obj: object, module_name: str) -> list[types.CodeType]:
    """Code objects that run when ``obj`` is called, if ``obj`` is user-defined.

    Only functions and classes defined in the user's module count: library code does not
    read the notebook's globals. Everything is read with ``type()`` and ``__dict__``
    lookups on the type, so no user descriptor or ``__getattr__`` runs.
    """
    kind = type(obj)
    if kind is types.FunctionType:
        func: types.FunctionType = obj  # type: ignore[assignment]
        if func.__globals__.get("__name__") == module_name:
            return [func.__code__]
        return []
    if kind is types.MethodType:
        return _user_code_of(obj.__func__, module_name)  # type: ignore[attr-defined]
    if issubclass(kind, type):
        # The slot descriptors of ``type`` itself: a metaclass property cannot intercept.
        if _TYPE_DICT.__get__(obj).get("__module__") != module_name:
            return []
        codes: list[types.CodeType] = []
        for klass in _TYPE_MRO.__get__(obj):
            namespace = _TYPE_DICT.__get__(klass)
            for entry in _CLASS_ENTRY_POINTS:
                member = namespace.get(entry)
                if type(member) in (staticmethod, classmethod):
                    member = member.__func__
                if type(member) is types.FunctionType:
                    codes.extend(_user_code_of(member, module_name))
        return codes
    return []


def called_global_refs(
    called: frozenset[str] | set[str],
    namespace: Mapping[str, object],
    module_name: str = "__main__",
) -> GlobalRefs:
    """Transitive global loads/stores of the user callables named in ``called``.

    Walks from each called name through the globals its code loads that are themselves
    user callables, so ``f`` calling ``g`` which reads ``k`` makes a call of ``f`` read
    ``k``. Bounded by the number of distinct names, so recursion and cycles terminate.
    """
    loads: set[str] = set()
    stores: set[str] = set()
    dynamic = False
    seen: set[str] = set()
    todo = [name for name in called if name in namespace]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for code in _user_code_of(namespace.get(name), module_name):
            refs = code_refs(code)
            loads |= refs.loads
            stores |= refs.stores
            dynamic = dynamic or refs.dynamic
            todo.extend(n for n in refs.loads if n not in seen and n in namespace)
    return GlobalRefs(frozenset(loads), frozenset(stores), dynamic)
