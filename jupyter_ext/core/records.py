"""The records every layer agrees on.

Kernel hooks produce them, the store persists them, the rules and the CLI read them.
They are plain frozen dataclasses so that pure code (analysis, rules) can be tested
without IPython or SQLite, and so that a record handed to the background writer can
never be changed under its feet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

RUN_SCHEMA = "jupyter_ext.run/1"
"""Version tag of the public run-record JSON (DESIGN contract 6)."""

Status = Literal["ok", "error"]

FileMode = Literal["read", "write", "update"]
"""How an execution used a file: ``update`` when it both read and wrote it."""


@dataclass(frozen=True, slots=True)
class VariableState:
    """What one name looked like right after an execution that touched it.

    ``digest`` is ``None`` when the value could not be digested within its budget; the
    reason is then in ``opaque``.  An opaque value is never treated as "unchanged": rules
    must say they cannot judge it rather than guess.
    """

    name: str
    type_name: str
    digest: str | None
    opaque: str | None = None
    written: bool = False
    """The cell bound the name (assignment, import, def, namespace diff)."""
    mutated: bool = False
    """The digest changed although the cell did not bind the name."""
    deleted: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type_name, "digest": self.digest}
        if self.opaque is not None:
            out["opaque"] = self.opaque
        if self.written:
            out["written"] = True
        if self.mutated:
            out["mutated"] = True
        if self.deleted:
            out["deleted"] = True
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VariableState:
        return cls(
            name=str(data["name"]),
            type_name=str(data.get("type", "")),
            digest=data.get("digest"),
            opaque=data.get("opaque"),
            written=bool(data.get("written", False)),
            mutated=bool(data.get("mutated", False)),
            deleted=bool(data.get("deleted", False)),
        )


@dataclass(frozen=True, slots=True)
class FileAccess:
    """A file one execution opened, and its content right after that execution.

    Data lineage for files (what DVC users track by hand): ``path`` is absolute with
    symlinks resolved, so two spellings of one file are one file.  ``digest`` uses the
    variable digests' format; it is ``None`` when the content could not be read honestly
    (deleted before the execution ended, not a regular file, unreadable, larger than the
    byte budget, changed before it could be read), and ``opaque`` then says why.  A read
    records the content the file had after the execution, which is the content read
    unless something rewrote it in the same execution (then the mode is ``update``).
    """

    path: str
    mode: FileMode
    size: int | None
    digest: str | None
    opaque: str | None = None

    def to_json(self, seq: int, cell_id: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "mode": self.mode,
            "size": self.size,
            "digest": self.digest,
            "seq": seq,
            "cell_id": cell_id,
        }
        if self.opaque is not None:
            out["opaque"] = self.opaque
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileAccess:
        mode = data.get("mode")
        size = data.get("size")
        return cls(
            path=str(data["path"]),
            mode=mode if mode in ("read", "write", "update") else "update",
            size=size if isinstance(size, int) else None,
            digest=data.get("digest"),
            opaque=data.get("opaque"),
        )


@dataclass(frozen=True, slots=True)
class Pending:
    """What a stored execution does not know yet, and a crash may leave unknown.

    The record of an execution is committed before the kernel replies, but a large value
    is digested afterwards, off the cell's path, and whether a name was mutated in place
    needs the digests of every earlier execution.  Until the worker has caught up, the
    row lists here what is still open, so that a reader after a crash sees "not known"
    instead of a wrong "unchanged".
    """

    digests: tuple[str, ...] = ()
    """Names whose digest is still being computed (their variable rows have none)."""
    mutated: tuple[str, ...] = ()
    """Names for which "mutated in place" is not yet decided (absent from ``mutated``)."""
    files: tuple[str, ...] = ()
    """Paths of opened files whose content digest is still being computed."""

    def __bool__(self) -> bool:
        return bool(self.digests or self.mutated or self.files)

    def to_json(self) -> dict[str, list[str]]:
        return {
            "digests": list(self.digests),
            "mutated": list(self.mutated),
            "files": list(self.files),
        }

    @classmethod
    def from_json(cls, data: Any) -> Pending | None:
        if not isinstance(data, dict):
            return None
        found = cls(
            digests=tuple(str(n) for n in data.get("digests") or ()),
            mutated=tuple(str(n) for n in data.get("mutated") or ()),
            files=tuple(str(p) for p in data.get("files") or ()),
        )
        return found or None


@dataclass(frozen=True, slots=True)
class ExecutionStart:
    """An execution that began: written before the cell runs, so that after a crash the
    store names the cell that was running when the kernel died."""

    run_id: str
    seq: int
    cell_id: str | None
    execution_count: int | None
    started_at: float

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "cell_id": self.cell_id,
            "execution_count": self.execution_count,
            "start": self.started_at,
        }


@dataclass(frozen=True, slots=True)
class ExecutionRecord:
    """One execution of one piece of code in a kernel, as the recorder saw it."""

    run_id: str
    seq: int
    """1-based order of this execution within its run."""
    cell_id: str | None
    execution_count: int | None
    source_hash: str
    source: str
    """Raw source as the user typed it; kept in the local store, not in exports."""
    started_at: float
    """Wall-clock start, seconds since the epoch."""
    duration: float
    """Seconds, measured with a monotonic clock."""
    status: Status
    error_type: str | None = None
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    mutated: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    variables: tuple[VariableState, ...] = ()
    notes: tuple[str, ...] = ()
    """Why parts of this execution could not be judged (star import, ``%run``, ...)."""
    files: tuple[FileAccess, ...] = ()
    """Files the execution opened, sorted by path.  In the run record they are listed
    once for the whole run (``files``, each with its ``seq``), not per execution."""
    pending: Pending | None = None
    """Set on a record stored before its large digests were known; None when complete."""

    def to_json(self, *, include_source: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "seq": self.seq,
            "cell_id": self.cell_id,
            "execution_count": self.execution_count,
            "source_hash": self.source_hash,
            "start": self.started_at,
            "duration": self.duration,
            "status": self.status,
            "error_type": self.error_type,
            "reads": list(self.reads),
            "writes": list(self.writes),
            "mutated": list(self.mutated),
            "deleted": list(self.deleted),
            "variables": [v.to_json() for v in self.variables],
        }
        if self.notes:
            out["notes"] = list(self.notes)
        if self.pending:
            out["pending"] = self.pending.to_json()
        if include_source:
            out["source"] = self.source
        return out

    @classmethod
    def from_json(cls, run_id: str, data: dict[str, Any]) -> ExecutionRecord:
        return cls(
            run_id=run_id,
            seq=int(data["seq"]),
            cell_id=data.get("cell_id"),
            execution_count=data.get("execution_count"),
            source_hash=str(data.get("source_hash", "")),
            source=str(data.get("source", "")),
            started_at=float(data.get("start", 0.0)),
            duration=float(data.get("duration", 0.0)),
            status="error" if data.get("status") == "error" else "ok",
            error_type=data.get("error_type"),
            reads=tuple(data.get("reads", ())),
            writes=tuple(data.get("writes", ())),
            mutated=tuple(data.get("mutated", ())),
            deleted=tuple(data.get("deleted", ())),
            variables=tuple(VariableState.from_json(v) for v in data.get("variables", ())),
            notes=tuple(data.get("notes", ())),
            pending=Pending.from_json(data.get("pending")),
        )


@dataclass(frozen=True, slots=True)
class RunInfo:
    """One kernel session (or one headless run): the unit that executions belong to."""

    run_id: str
    started_at: float
    notebook_path: str | None = None
    notebook_hash: str | None = None
    kernel: str | None = None
    """Kernel or client description, e.g. ``"ipykernel 7.4.0"``."""
    pid: int | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    host: str | None = None
    """Host name of the recording process: liveness can only be judged on that host."""
    process: str | None = None
    """Identity of the recording process beyond its pid (which the system reuses), so a
    reader can tell a run still being recorded from one whose kernel died."""


RunStatus = Literal["running", "ended", "killed", "unknown"]


@dataclass(frozen=True, slots=True)
class RunState:
    """Whether a run ended, is still being recorded, or lost its kernel.

    ``killed`` is a run with no end whose recording process is gone; ``unknown`` one
    recorded on another host (or by a version that did not say which process it was).
    ``running`` holds the execution that began and never finished, if any: the cell the
    kernel was running when it died, for a killed run.
    """

    status: RunStatus
    running: ExecutionStart | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "running": self.running.to_json() if self.running is not None else None,
        }


def run_record(
    run: RunInfo,
    executions: list[ExecutionRecord],
    environment: dict[str, Any] | None,
    *,
    ended_at: float | None = None,
    include_source: bool = False,
    state: RunState | None = None,
) -> dict[str, Any]:
    """Build the public ``jupyter_ext.run/1`` JSON document for one run.

    Sources are left out unless asked for: exports carry source hashes so that a run
    record committed in a notebook does not duplicate (or leak) code.
    """
    record: dict[str, Any] = {
        "schema": RUN_SCHEMA,
        "run_id": run.run_id,
        "started_at": run.started_at,
        "ended_at": ended_at,
        "notebook": {"path": run.notebook_path, "content_hash": run.notebook_hash},
        "kernel": run.kernel,
        "parameters": dict(run.parameters),
        "environment": environment or {},
        "executions": [e.to_json(include_source=include_source) for e in executions],
        "files": [f.to_json(e.seq, e.cell_id) for e in executions for f in e.files],
    }
    if state is not None:
        record["state"] = state.to_json()
    return record


def files_by_seq(record: dict[str, Any]) -> dict[int, tuple[FileAccess, ...]]:
    """The ``files`` of a run record grouped by execution (readers of saved records)."""
    grouped: dict[int, list[FileAccess]] = {}
    for entry in record.get("files") or ():
        if isinstance(entry, dict) and isinstance(entry.get("seq"), int):
            grouped.setdefault(entry["seq"], []).append(FileAccess.from_json(entry))
    return {seq: tuple(items) for seq, items in grouped.items()}
