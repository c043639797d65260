"""Where the kernel's in-memory history begins, and how a report says it stops there.

A kernel keeps only its latest executions in full (``JupyterExt.history_limit``); older
ones live on in the run store.  A walk over lineage that reaches back past that point is
not wrong, only incomplete, and a report that printed it as if it were whole would
mislead: these types carry the fact so every report can state it in the same words.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Horizon", "Walk"]


@dataclass(frozen=True, slots=True)
class Walk:
    """The executions a lineage walk reached, and whether it reached all of them."""

    seqs: tuple[int, ...]
    """Executions still held in memory, in ``seq`` order."""
    complete: bool
    """False when the walk needed executions no longer held in memory."""


@dataclass(frozen=True, slots=True)
class Horizon:
    """The oldest execution still held in full, and what a user can do to see further."""

    seq: int
    execution_count: int | None
    history_limit: int
    run_id: str | None

    @property
    def label(self) -> str:
        """How people saw that execution: its prompt number when it had one."""
        if self.execution_count is not None:
            return f"[{self.execution_count}]"
        return f"#{self.seq}"

    def _where(self, json_source: bool = False) -> str:
        if self.run_id is None:
            return "the full run is in the store: `jupyter-ext runs`"
        tail = " --json --source" if json_source else ""
        return f"the full run is in the store: `jupyter-ext show {self.run_id}{tail}`"

    def message(self, subject: str = "lineage") -> str:
        """One line for a report that stops here."""
        return (
            f"{subject} before execution {self.label} is not kept in memory "
            f"(history_limit={self.history_limit}); {self._where()}"
        )

    def gather_message(self, name: str) -> str:
        """Why no recipe is given rather than an incomplete one."""
        return (
            f"cannot produce a complete recipe for `{name}`: it depends on executions "
            f"before {self.label}, which are not kept in memory "
            f"(history_limit={self.history_limit}); {self._where(json_source=True)}"
        )

    def to_json(self, subject: str = "lineage") -> dict[str, object]:
        return {
            "seq": self.seq,
            "execution_count": self.execution_count,
            "history_limit": self.history_limit,
            "run_id": self.run_id,
            "message": self.message(subject),
        }
