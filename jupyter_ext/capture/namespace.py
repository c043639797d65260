"""Identity bookkeeping of the user namespace: which names were (re)bound or deleted.

The AST of a cell misses bindings made through ``globals()``, ``exec``, ``%run``,
``%time x = 1`` or functions that declare ``global``. Comparing object identities
before and after the cell catches them without touching any value: only ``id()`` is
taken, so no user code runs and nothing is kept alive (the tracker holds ints, not
references, so objects the user deletes are freed exactly as without tracking).

A full sweep is O(names). The recorder asks for one after cells that can bind names
invisibly and always for small namespaces; otherwise it updates just the names the
AST shows, which keeps huge namespaces cheap. Identity reuse (an object freed and a new
one allocated at the same address within one cell) can hide a rebinding from the
sweep; content digests of the names the cell touched still see every change that
matters to lineage.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

_IPYTHON_NAME = re.compile(r"^_(?:|_|__|i|ii|iii|i\d+|\d+|ih|oh|dh)$")
_MODULE_DUNDERS = frozenset(
    {
        "__name__",
        "__doc__",
        "__package__",
        "__loader__",
        "__spec__",
        "__builtin__",
        "__builtins__",
        "__session__",
        "__file__",
        "__cached__",
        "__annotations__",
    }
)


@functools.lru_cache(maxsize=65536)
def _not_machinery(name: str) -> bool:
    return name not in _MODULE_DUNDERS and _IPYTHON_NAME.match(name) is None


@dataclass(slots=True)
class NamespaceChange:
    bound: set[str] = field(default_factory=set)
    """Names that are new or now refer to a different object."""
    deleted: set[str] = field(default_factory=set)


class NamespaceTracker:
    """Keeps ``name -> id(value)`` for the user's names, plus the reverse index."""

    def __init__(self, namespace: Mapping[str, object], hidden: Mapping[str, object]) -> None:
        self._ns = namespace
        self._hidden = hidden
        self._ids: dict[str, int] = {}
        self._names_by_id: dict[int, set[str]] = {}
        self._other: set[str] = set()
        self.sweep()

    def is_user_name(self, name: str) -> bool:
        """Whether ``name`` belongs to the user, not to IPython or the module machinery."""
        if not _not_machinery(name):
            return False
        if name in self._hidden:
            # IPython's own bindings (In, Out, exit, get_ipython, ...) stay hidden until
            # the user rebinds them to something else.
            return name not in self._ns or self._ns[name] is not self._hidden[name]
        return True

    def __len__(self) -> int:
        return len(self._ids)

    def _set(self, name: str, ident: int | None) -> None:
        old = self._ids.get(name)
        if old is not None:
            names = self._names_by_id.get(old)
            if names is not None:
                names.discard(name)
                if not names:
                    del self._names_by_id[old]
        if ident is None:
            self._ids.pop(name, None)
        else:
            self._ids[name] = ident
            self._names_by_id.setdefault(ident, set()).add(name)

    def sweep(self) -> NamespaceChange:
        """Compare every user name's identity with the last update; O(names)."""
        ns = self._ns
        snapshot = dict(zip(list(ns), map(id, list(ns.values())), strict=True))
        old = self._ids
        change = NamespaceChange()
        other: set[str] = set()
        for name, ident in snapshot.items():
            if old.get(name) == ident:
                continue
            if self.is_user_name(name):
                change.bound.add(name)
            else:
                other.add(name)
        change.deleted.update(name for name in old if name not in snapshot)
        for name in change.bound:
            self._set(name, snapshot[name])
        for name in change.deleted:
            self._set(name, None)
        # Names neither bound nor changed keep their class; refresh the non-user set.
        self._other = {n for n in self._other if n in snapshot and n not in self._ids} | other
        return change

    def update(self, names: Iterable[str], machinery: Iterable[str] = ()) -> NamespaceChange:
        """Re-check only ``names`` (those the cell's AST binds or deletes); O(len(names)).

        ``machinery`` lists the non-user names IPython adds after each cell (``_i7``,
        ``_7``, ``_``...), so that they do not make the size check below fail.
        """
        change = NamespaceChange()
        ns = self._ns
        for name in machinery:
            if name in ns and not self.is_user_name(name):
                self._other.add(name)
        for name in names:
            if not self.is_user_name(name):
                continue
            if name in ns:
                ident = id(ns[name])
                if self._ids.get(name) != ident:
                    change.bound.add(name)
                    self._set(name, ident)
            elif name in self._ids:
                change.deleted.add(name)
                self._set(name, None)
        return change

    @property
    def consistent(self) -> bool:
        """Cheap O(1) check that no name appeared or vanished behind the tracker's back.

        After :meth:`update`, every name in the namespace is either a tracked user name
        or a known non-user name; a size mismatch means something bound or deleted a
        name the AST did not show, and a full :meth:`sweep` is needed.
        """
        return len(self._ns) == len(self._ids) + len(self._other)

    def aliases(self, names: Iterable[str]) -> set[str]:
        """Other user names bound to the same objects as ``names``."""
        out: set[str] = set()
        for name in names:
            ident = self._ids.get(name)
            if ident is not None:
                out |= self._names_by_id.get(ident, set())
        return out.difference(names)

    def known(self, name: str) -> bool:
        return name in self._ids

    def names(self) -> list[str]:
        return list(self._ids)
