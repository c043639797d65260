"""Definite-binding facts for a namespace that code fills as it runs.

Whether a load reads a value from before the cell depends on whether the cell has bound
the name on *every* path reaching the load.  :class:`Flow` is that must/may state at one
program point of the module (or a class body); the statement walkers copy it at branches,
join it where paths meet and mark it dead after jumps.
"""

from __future__ import annotations

from collections.abc import Iterable


class Flow:
    """Facts about one namespace (the module's or a class body's) at one program point.

    ``bound``: names this cell has definitely bound on every path reaching here (must).
    ``written``/``deleted``: names whose last effect on some path was a binding/deletion
    (may).  ``dead``: no path reaches here (after ``raise``, ``break``, ``continue``).
    """

    __slots__ = ("bound", "dead", "deleted", "written")

    def __init__(
        self,
        bound: set[str] | None = None,
        written: set[str] | None = None,
        deleted: set[str] | None = None,
        dead: bool = False,
    ) -> None:
        self.bound: set[str] = bound if bound is not None else set()
        self.written: set[str] = written if written is not None else set()
        self.deleted: set[str] = deleted if deleted is not None else set()
        self.dead = dead

    def copy(self) -> Flow:
        return Flow(set(self.bound), set(self.written), set(self.deleted), self.dead)

    def dead_copy(self) -> Flow:
        """The state after a jump: unreachable, but loads there still see ``bound``."""
        return Flow(set(self.bound), set(), set(), True)

    def absorb(self, other: Flow) -> None:
        """Join ``other`` into this state (paths meet)."""
        if other.dead:
            return
        if self.dead:
            self.bound = set(other.bound)
            self.written = set(other.written)
            self.deleted = set(other.deleted)
            self.dead = False
        else:
            self.bound &= other.bound
            self.written |= other.written
            self.deleted |= other.deleted

    def bind(self, name: str) -> None:
        self.bound.add(name)
        self.written.add(name)
        self.deleted.discard(name)

    def unbind(self, name: str) -> None:
        self.bound.discard(name)
        self.written.discard(name)
        self.deleted.add(name)


def dead() -> Flow:
    return Flow(dead=True)


def join(flows: Iterable[Flow]) -> Flow:
    out = dead()
    for flow in flows:
        out.absorb(flow)
    return out
