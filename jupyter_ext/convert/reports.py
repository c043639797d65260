"""What the conversion tells the user about cells it could not carry over as they are.

Nothing is dropped silently: every cell or statement the module leaves out, keeps in an
unusual place or may run differently from the notebook gets one of these, printed by
the CLI and marked by a comment in the module where the code would have been.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal[
    "left_out",
    "dropped",
    "kept_in_run",
    "global",
    "dynamic",
    "unparsed",
    "out_of_order",
    "undefined_in_order",
]

BLOCKING: frozenset[str] = frozenset(
    {"left_out", "global", "dynamic", "unparsed", "out_of_order", "undefined_in_order"}
)
"""Kinds after which the module may not compute what the notebook did (``--strict``)."""


@dataclass(frozen=True, slots=True)
class Report:
    cell: int
    """Index of the notebook cell (0-based, among all cells)."""
    cell_id: str | None
    kind: Kind
    code: str
    """The code concerned, as the user wrote it (first line)."""
    reason: str

    @property
    def blocking(self) -> bool:
        return self.kind in BLOCKING

    def message(self) -> str:
        shown = f"`{self.code}`: " if self.code else ""
        return f"cell {self.cell + 1}: {self.kind.replace('_', ' ')}: {shown}{self.reason}"


def first_line(text: str, limit: int = 60) -> str:
    """The first non-empty line of ``text``, shortened for a one-line message."""
    for line in text.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= limit else line[: limit - 3] + "..."
    return ""
