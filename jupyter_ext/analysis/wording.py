"""The sentences findings carry.

Kept apart from the rules so that the wording can be reviewed (and changed) in one place
without touching any decision.  Every message is one sentence a person understands
without knowing the tool: it names the variables in backticks and the cells by the prompt
number the user sees next to them (``[7]``), and says what would go wrong.  Cells without a
prompt number (never executed, or an execution that had none) are described in words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "Actor",
    "code_list",
    "edited_message",
    "hidden_message",
    "order_message",
    "stale_message",
    "undefined_message",
]

IN_NOTEBOOK = "cell"
DELETED_CELL = "deleted"
OUTSIDE = "outside"


@dataclass(frozen=True, slots=True)
class Actor:
    """An execution as a message refers to it."""

    where: str
    """``"cell"`` (a cell of the notebook), ``"deleted"`` (a cell since deleted) or
    ``"outside"`` (code without a cell id: console, ``%run``, a client)."""
    execution_count: int | None

    def describe(self) -> str:
        prompt = prompt_of(self.execution_count)
        if self.where == OUTSIDE:
            return "code run outside the notebook" + (f" {prompt}" if prompt else "")
        if self.where == DELETED_CELL:
            return f"a since-deleted cell {prompt}" if prompt else "a since-deleted cell"
        return f"cell {prompt}" if prompt else "another cell"


def prompt_of(count: int | None) -> str:
    return f"[{count}]" if count is not None else ""


def code_list(names: Iterable[str]) -> str:
    """```a```, ```a` and `b```, ```a`, `b` and `c```."""
    items = [f"`{name}`" for name in names]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _join_clauses(clauses: Sequence[str]) -> str:
    if len(clauses) <= 1:
        return "".join(clauses)
    return ", ".join(clauses[:-1]) + " and " + clauses[-1]


def stale_message(groups: Sequence[tuple[Actor, bool, Sequence[str]]]) -> str:
    """``groups``: (who changed them, whether they deleted them, names) per change."""
    clauses = [
        f"{code_list(names)}, which {actor.describe()} {'deleted' if deleted else 'changed'}"
        for actor, deleted, names in groups
    ]
    if len(clauses) == 1:
        return f"reads {clauses[0]} after this cell ran"
    return f"reads {_join_clauses(clauses)}, after this cell ran"


def order_message(groups: Sequence[tuple[Actor, Sequence[str]]]) -> str:
    """``groups``: (the writer below, names it supplied) per writer."""
    parts = [f"{code_list(names)} from {actor.describe()}" for actor, names in groups]
    verb = "sits" if len(groups) == 1 else "sit"
    return (
        f"reads {_join_clauses(parts)}, which {verb} below it: "
        "running top to bottom gives a different result"
    )


def hidden_message(reason: str, names: Sequence[str], counts: Sequence[int]) -> str:
    """``reason``: ``"deleted"``, ``"edited"`` or ``"outside"``; ``counts``: prompt numbers
    of the executions that set the names."""
    subject = code_list(names)
    verb = "was" if len(names) == 1 else "were"
    prompts = ", ".join(prompt_of(c) for c in counts)
    tail = "a fresh run of the notebook would not recreate " + ("it" if len(names) == 1 else "them")
    if reason == DELETED_CELL:
        who = f"cell {prompts}" if prompts else "a cell"
        return f"{subject} {verb} last set by {who}, which has since been deleted: {tail}"
    if reason == OUTSIDE:
        who = "code run outside the notebook" + (f" {prompts}" if prompts else "")
        return f"{subject} {verb} last set by {who}: {tail}"
    run = f" ({prompts})" if prompts else ""
    return f"{subject} {verb} last set by an earlier version of this cell{run}: {tail}"


def edited_message(cell_type: str) -> str:
    if cell_type != "code":
        return f"turned into a {cell_type} cell since it ran: its outputs no longer match its code"
    return "edited since it ran: its outputs no longer match its code"


def undefined_message(names: Sequence[str]) -> str:
    return (
        f"reads {code_list(names)}, which no cell above defines: "
        "Restart & Run All would raise NameError"
    )


def unjudgeable_above(reason: str) -> str:
    return f"a cell above {reason}"


def unjudgeable_self(reason: str) -> str:
    return f"this cell {reason}"


def blocking_reason(syntax_error: str | None, star_import: bool, dynamic: Sequence[str]) -> str:
    """Why a cell hides which names it defines (the verb phrase after "this cell")."""
    if syntax_error is not None:
        return "does not parse"
    if star_import:
        return "uses `from ... import *`, so the names it defines are unknown"
    listed = code_list(dynamic)
    return f"uses {listed}, so the names it defines are unknown"
