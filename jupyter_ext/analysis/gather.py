"""``%gather NAME``: the smallest ordered code that recreates one variable.

A messy notebook leaves the value of ``result`` depending on a handful of the hundreds of
executions that ran, some of them in cells since edited or deleted.  :func:`gather` walks
the recorded executions of one run backwards from ``result`` and keeps only those its
current value depends on, in the order they ran; :meth:`GatherResult.as_script` and
:meth:`GatherResult.as_notebook` turn them into code a fresh kernel can run.

The slice
---------
The target is the value ``NAME`` holds after the last recorded execution.  A worklist of
"name N as it stood just before execution S" is resolved against the records:

* the latest execution before S that *wrote* (bound) N, or *mutated* it (its digest
  changed without a binding), is kept;
* everything that execution read is then needed as it stood just before it (reads
  include user functions called and, transitively, the globals their bodies load, so a
  ``def`` joins the slice when its function is called, with the values of its globals
  at the time of the call);
* if the execution only mutated N, N is still needed before it: the earlier binding,
  and every in-place change between the two, are kept too (``xs = [1]`` then
  ``xs.append(2)`` needs both).

Executions that only read are left out: replaying a ``print(df.head())`` does not change
``df``.  The one exception is a value the recorder could not digest (``opaque``): a
change to it in place cannot be seen, so an execution that used it is kept in case it
changed it, and a note says so.  Stored reads, writes and mutations are taken as given:
a rebinding to an equal value is still the binding that recreates the value.

Records are the recorder's, so the slice is as good as they are; where the recorder
could not see everything (``exec``, ``globals()``, ``%run``, star imports), where an
execution in the slice failed, or where a name was defined before recording started,
:attr:`GatherResult.notes` says so instead of pretending.

Recorded sources have their secrets redacted (``api_key = '<redacted>'``), which would
recreate the wrong value.  Where the caller knows the source that really ran (in a
kernel: IPython's input history, by execution count) and it hashes to the record's
``source_hash``, that source is used; otherwise the step keeps the redacted source and
says which of its lines were redacted (:attr:`GatherStep.redacted_lines`, a note, a
comment above the step in a script) so nobody runs it unawares.  Everything here is pure
except :func:`write_gathered`; ``nbformat`` and IPython are imported only when a
notebook or a script is produced, so importing this module in a kernel stays cheap.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..core.ids import source_hash
from ..core.records import ExecutionRecord, Status
from ..core.source_redaction import REDACTED, redacted_lines
from .horizon import Horizon

if TYPE_CHECKING:
    import nbformat

__all__ = ["GatherError", "GatherResult", "GatherStep", "LiveSource", "gather", "write_gathered"]

_Event = Literal["write", "mutate", "maybe", "delete"]

LiveSource = Callable[[ExecutionRecord], str | None]
"""The source that really ran for a record (None when unknown); used only when its
``source_hash`` matches the record's."""


class GatherError(ValueError):
    """The name cannot be gathered from this run (never recorded, deleted, ...)."""


@dataclass(frozen=True, slots=True)
class GatherStep:
    """One execution of the slice, replayed verbatim."""

    seq: int
    cell_id: str | None
    execution_count: int | None
    source: str
    """The raw source that ran, IPython syntax included."""
    produces: tuple[str, ...]
    """Names of the slice this step contributes (binds or changes in place), sorted."""
    status: Status = "ok"
    """``"error"`` when this execution raised in the original run: it stays in the slice
    because what it did before the error is part of the value."""
    error_type: str | None = None
    redacted_lines: tuple[int, ...] = ()
    """1-based lines of :attr:`source` where a secret was replaced by ``<redacted>``:
    the step does not recreate the value until the secret is put back."""

    @property
    def label(self) -> str:
        """How people saw this execution: ``[7]`` (its prompt number), else ``#seq``."""
        return _label(self.execution_count, self.seq)


@dataclass(frozen=True, slots=True)
class GatherResult:
    """The backward slice of one name, ready to be written as a script or a notebook."""

    name: str
    steps: tuple[GatherStep, ...]
    """In execution order."""
    notes: tuple[str, ...]
    """Caveats a reader must know before trusting the gathered code."""
    run_id: str | None = None
    """The run the records came from (provenance in the outputs)."""

    def as_script(self) -> str:
        """The steps as one Python file.

        A ``.py`` cannot hold IPython syntax, so magics and shell commands are rewritten
        by IPython's own input transformer into the ``get_ipython()`` calls IPython runs
        for them (``%time x = 1`` becomes ``get_ipython().run_line_magic('time',
        'x = 1')``), and the header says to run the file with ``ipython``.  Plain Python
        is kept byte for byte.  A step that raised in the original run is wrapped so the
        script reports the error and goes on, as the original run did.
        """
        needs_ipython = False
        body: list[str] = []
        for step in self.steps:
            code, translated = _python_code(step.source)
            needs_ipython = needs_ipython or translated
            where = f" cell {step.cell_id}" if step.cell_id else ""
            if step.redacted_lines:
                where += (
                    f"\n# jupyter-ext: {_lines_phrase(step.redacted_lines)} below had a secret "
                    f"replaced by {REDACTED}: put it back before running"
                )
            if step.status == "error":
                # Run through exec() so that the error is reported and the script goes
                # on; at module level exec() runs in the script's own globals.
                error = step.error_type or "an error"
                filename = f"<gathered {step.label}>"
                body.append(
                    f"# {step.label}{where}: raised {error} in the original run; kept for "
                    "what it did before the error\n"
                    "try:\n"
                    f"    exec(compile({code!r}, {filename!r}, 'exec'))\n"
                    "except Exception:\n"
                    "    __import__('traceback').print_exc()\n\n"
                )
            else:
                body.append(f"# {step.label}{where}\n{code.rstrip()}\n\n")
        header = [f"# Gathered by jupyter-ext: recreates `{self.name}`{self._origin()}."]
        header.append(f"# {_steps_phrase(len(self.steps))}, in the order they ran.")
        header.extend(f"# Note: {note}" for note in self.notes)
        if needs_ipython:
            header.append(
                "# IPython magics and shell commands are written as get_ipython() calls: "
                "run this file with `ipython`, not `python`."
            )
        return "\n".join(header) + "\n\n" + "".join(body).rstrip("\n") + "\n"

    def as_notebook(self) -> nbformat.NotebookNode:
        """The steps as a new notebook: one code cell each, sources as they ran.

        Cells get new ids (they are new cells, not the original ones) and carry where
        they came from in ``metadata.jupyter_ext``; a step that raised in the original
        run is tagged ``raises-exception`` so that run-all goes on past it, as the
        original run did.
        """
        from nbformat import v4

        lines = [
            f"# Gathered: `{self.name}`",
            "",
            f"This notebook recreates `{self.name}` as it stood at the end of "
            + (f"run `{self.run_id}`" if self.run_id else "the recorded run")
            + f": {_steps_phrase(len(self.steps))} of its backward slice, in the order "
            f"they ran ({', '.join(step.label for step in self.steps)}). "
            "Generated by jupyter-ext `%gather`.",
        ]
        if self.notes:
            lines += ["", "**Caveats**", ""] + [f"- {note}" for note in self.notes]
        cells = [v4.new_markdown_cell("\n".join(lines))]
        for step in self.steps:
            cell = v4.new_code_cell(step.source.rstrip("\n"))
            cell.metadata["jupyter_ext"] = {
                "gathered_from": {
                    "seq": step.seq,
                    "cell_id": step.cell_id,
                    "execution_count": step.execution_count,
                    "produces": list(step.produces),
                }
            }
            if step.redacted_lines:
                cell.metadata["jupyter_ext"]["redacted_lines"] = list(step.redacted_lines)
            if step.status == "error":
                cell.metadata["tags"] = ["raises-exception"]
            cells.append(cell)
        notebook: nbformat.NotebookNode = v4.new_notebook(
            cells=cells,
            metadata={
                "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                "language_info": {"name": "python"},
                "jupyter_ext": {"gathered": self.name, "from_run": self.run_id},
            },
        )
        return notebook

    def _origin(self) -> str:
        return f" as it stood at the end of run {self.run_id}" if self.run_id else ""


def gather(
    records: Sequence[ExecutionRecord],
    name: str,
    horizon: Horizon | None = None,
    live_source: LiveSource | None = None,
) -> GatherResult:
    """The backward slice of ``name``'s current value over the records of one run.

    ``live_source``: the source that really ran for a record, if the caller has it; a
    step whose recorded source was redacted uses it when its hash matches the record's.

    ``horizon``: the records are a kernel's latest executions (every one from
    ``horizon.seq`` on) plus some older ones; a slice that needs anything before
    ``horizon.seq`` cannot be known complete, and a recipe that silently misses a step
    would recreate the wrong value, so that raises instead.

    Raises :class:`GatherError` when ``name`` is not a variable name, was never written
    in this run, no longer exists (its last event is a deletion), or its slice reaches
    before ``horizon``.
    """
    if not name.isidentifier():
        raise GatherError(f"`{name}` is not a variable name: gather works on global names")
    ordered = sorted(records, key=lambda r: r.seq)
    runs = {r.run_id for r in ordered}
    if len(runs) > 1:
        raise GatherError(f"the records come from {len(runs)} runs; gather works on one run")
    if len({r.seq for r in ordered}) != len(ordered):
        raise GatherError("the records hold two executions with the same seq")
    timeline = _Timeline(ordered)

    last = timeline.before(name, math.inf)
    if last is not None:  # else never written: its current version's producer is held
        _check_held(last, math.inf, ordered, horizon, name)
    if last is None:
        if any(name in r.reads for r in ordered):
            raise GatherError(
                f"`{name}` was never written in this run: it was defined before recording "
                "started, so there is no recorded code that creates it"
            )
        raise GatherError(f"`{name}` was never recorded in this run")
    if last[1] == "delete":
        raise GatherError(f"`{name}` was deleted by {_record_label(ordered[last[0]])}")

    produces: dict[int, set[str]] = {}  # index into ordered -> names it contributes
    maybe: dict[int, set[str]] = {}
    missing: dict[str, ExecutionRecord] = {}  # name -> first kept execution that read it
    gone: list[str] = []
    seen: set[tuple[str, float]] = set()
    worklist: list[tuple[str, float, int | None]] = [(name, math.inf, None)]
    while worklist:
        needed, before, reader = worklist.pop()
        if (needed, before) in seen:
            continue
        seen.add((needed, before))
        found = timeline.before(needed, before)
        _check_held(found, before, ordered, horizon, name)
        if found is None:
            if reader is not None:
                earliest = missing.get(needed)
                if earliest is None or ordered[reader].seq < earliest.seq:
                    missing[needed] = ordered[reader]
            continue
        index, event = found
        record = ordered[index]
        if event == "delete":
            user = _record_label(ordered[reader]) if reader is not None else "it"
            gone.append(f"`{needed}` was deleted by {_record_label(record)} before {user} used it")
            continue
        first_time = index not in produces
        produces.setdefault(index, set()).add(needed)
        if event == "maybe":
            maybe.setdefault(index, set()).add(needed)
        if first_time:
            worklist.extend((read, record.seq, index) for read in record.reads)
        if event != "write":
            worklist.append((needed, record.seq, index))

    kept = sorted(produces)
    notes = _step_notes(kept, maybe, ordered)
    notes += [
        f"`{n}` was defined before recording started (read by {_record_label(r)}, "
        "written by no earlier execution): the gathered code expects it to exist already"
        for n, r in sorted(missing.items())
    ]
    notes.extend(dict.fromkeys(gone))  # de-duplicated, first occurrence first
    steps = []
    for i in kept:
        source, redacted = _source_of(ordered[i], live_source)
        if redacted:
            notes.append(
                f"{_record_label(ordered[i])}: {_lines_phrase(redacted)} of the recorded "
                f"source had a secret replaced by {REDACTED} (the source that ran is not "
                "available): put it back, or read it from the environment, before running "
                "the gathered code"
            )
        steps.append(
            GatherStep(
                seq=ordered[i].seq,
                cell_id=ordered[i].cell_id,
                execution_count=ordered[i].execution_count,
                source=source,
                produces=tuple(sorted(produces[i])),
                status=ordered[i].status,
                error_type=ordered[i].error_type,
                redacted_lines=redacted,
            )
        )
    return GatherResult(
        name=name,
        steps=tuple(steps),
        notes=tuple(notes),
        run_id=ordered[0].run_id if ordered else None,
    )


def write_gathered(result: GatherResult, path: str | Path) -> Path:
    """Write ``result`` as a notebook (``.ipynb``) or a script (``.py``); return the path.

    The format follows the suffix so that ``%gather x -o x.py`` needs no extra flag;
    any other suffix is refused rather than guessed.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".ipynb":
        import nbformat

        nbformat.write(result.as_notebook(), str(target))
    elif suffix == ".py":
        target.write_text(result.as_script(), encoding="utf-8")
    else:
        raise GatherError(
            f"cannot write gathered code to {target.name!r}: use a .ipynb or .py file name"
        )
    return target


# -- internals -------------------------------------------------------------------------


class _Timeline:
    """Per name, the executions that changed it, in seq order, for "latest before S"."""

    def __init__(self, ordered: Sequence[ExecutionRecord]) -> None:
        self._seqs: dict[str, list[int]] = {}
        self._events: dict[str, list[tuple[int, _Event]]] = {}
        for index, record in enumerate(ordered):
            for n, event in _events(record).items():
                self._seqs.setdefault(n, []).append(record.seq)
                self._events.setdefault(n, []).append((index, event))

    def before(self, name: str, seq: float) -> tuple[int, _Event] | None:
        """The latest (index, event) for ``name`` in an execution with ``seq`` below."""
        seqs = self._seqs.get(name)
        if not seqs:
            return None
        position = bisect.bisect_left(seqs, seq)
        return self._events[name][position - 1] if position else None


def _events(record: ExecutionRecord) -> dict[str, _Event]:
    """What ``record`` did to each name it changed (or may have changed, unseen)."""
    events: dict[str, _Event] = {}
    for n in record.deleted:
        events[n] = "delete"
    reads = set(record.reads)
    for state in record.variables:
        # An opaque value's in-place changes are invisible: using it may have changed it.
        if state.digest is None and not state.deleted and state.name in reads:
            events[state.name] = "maybe"
    for n in record.mutated:
        events[n] = "mutate"
    for n in record.writes:
        events[n] = "write"
    return events


def _check_held(
    found: tuple[int, _Event] | None,
    before: float,
    ordered: Sequence[ExecutionRecord],
    horizon: Horizon | None,
    name: str,
) -> None:
    """Raise unless the latest event before ``before`` is surely among the records: one
    at or after the horizon (every execution from there on is held)."""
    if horizon is None:
        return
    if before > horizon.seq and found is not None and ordered[found[0]].seq >= horizon.seq:
        return
    raise GatherError(horizon.gather_message(name))


def _step_notes(
    kept: Sequence[int], maybe: dict[int, set[str]], ordered: Sequence[ExecutionRecord]
) -> list[str]:
    """Caveats about the kept executions themselves, in execution order."""
    notes: list[str] = []
    for index in kept:
        record = ordered[index]
        label = _record_label(record)
        if record.status == "error":
            error = f" ({record.error_type})" if record.error_type else ""
            notes.append(
                f"the slice includes a failed execution {label}{error}: what it did before "
                "the error is part of the value, and replaying it may raise again"
            )
        if record.notes:
            notes.append(
                f"execution {label} ran code the recorder could not fully follow "
                f"({'; '.join(record.notes)}): names it read or changed may be missing, "
                "so its effects may be incomplete"
            )
        if index in maybe:
            names = ", ".join(f"`{n}`" for n in sorted(maybe[index]))
            notes.append(
                f"{names} could not be digested, so {label}, which used it, is kept in "
                "case it changed it in place"
            )
    return notes


def _source_of(
    record: ExecutionRecord, live_source: LiveSource | None
) -> tuple[str, tuple[int, ...]]:
    """The source to replay for ``record`` and the lines of it still redacted."""
    if REDACTED not in record.source:
        return record.source, ()
    if live_source is not None:
        try:
            live = live_source(record)
        except Exception:  # a history lookup must not cost the recipe
            live = None
        if isinstance(live, str) and source_hash(live) == record.source_hash:
            return live, ()
    return record.source, redacted_lines(record.source)


def _lines_phrase(lines: Sequence[int]) -> str:
    if len(lines) == 1:
        return f"line {lines[0]}"
    return "lines " + ", ".join(map(str, lines[:-1])) + f" and {lines[-1]}"


def _label(execution_count: int | None, seq: int) -> str:
    return f"[{execution_count}]" if execution_count is not None else f"#{seq}"


def _record_label(record: ExecutionRecord) -> str:
    return _label(record.execution_count, record.seq)


def _steps_phrase(count: int) -> str:
    return "1 execution" if count == 1 else f"{count} executions"


def _python_code(source: str) -> tuple[str, bool]:
    """``source`` as plain Python, and whether IPython syntax had to be translated."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        manager: Any = TransformerManager  # untyped in IPython
        code = manager().transform_cell(source)
    except Exception:  # a transformer bug must not lose the gathered code
        return source, False
    if not isinstance(code, str) or code.rstrip() == source.rstrip():
        return source, False
    return code, True
