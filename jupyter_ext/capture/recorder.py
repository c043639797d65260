"""The kernel-side recorder: IPython's ``pre_run_cell``/``post_run_cell`` hooks.

Per cell it does only what cannot be deferred: note the start (committed, so that a
crash names the cell that was running), analyse the code IPython actually runs (cached
by source), update the identity index of the names the cell can have bound, digest the
small values the cell touched, and commit the record before the kernel replies, so that
no death of the process loses a cell that finished. Big digests, the rules, the
environment capture and every other write happen on background threads. Every hook is
guarded: whatever goes wrong here, the user's cell runs and prints exactly what it would
without us, plus at most one short notice.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..analysis.names import CellNames, analyse
from ..core.ids import new_run_id, source_hash
from ..core.records import ExecutionRecord, ExecutionStart, RunInfo
from ..core.redaction import looks_secret_binding
from ..store import ops
from ..store.liveness import host_name, process_identity
from ..store.writer import BackgroundWriter
from .config import JupyterExt, history_window
from .file_state import FileBatch, collect, default_excludes
from .files import FileWatch, Opened, quiet_thread
from .finalizer import FinalizeJob, Finalizer, provisional_record
from .functions import called_global_refs
from .hashing import Digest, digest, is_large
from .live import LiveHygiene
from .namespace import NamespaceTracker

_WAIT_FOR_DIGESTS_S = 30.0
_INLINE_FILE_BYTES = 4 * 2**20
"""Bytes of files a cell opened that are digested on the reply path; more waits for the
finalizer (cheaper for the reply, but a file rewritten meanwhile loses its digest)."""
SECRET_NOT_DIGESTED = "secret-looking name: not digested"
_PER_CELL_MACHINERY = ("_", "__", "___", "_i", "_ii", "_iii", "_ih", "_oh", "_dh", "In", "Out")


@dataclass(slots=True)
class _Pending:
    """What ``pre_run_cell`` learnt about the execution that is starting."""

    raw: str
    cell_id: str | None
    execution_count: int | None
    names: CellNames | None
    """Analysed early only when a pending digest forces it; else in ``post_run_cell``."""
    started_at: float
    t0: float
    raw_count: int | None = None
    """``shell.execution_count`` as ``pre_run_cell`` saw it (see ``_calibrate_count``)."""


def _notebook_path(user_ns: dict[str, Any]) -> str | None:
    # jupyter_server tells the kernel which document it serves through JPY_SESSION_NAME;
    # ipykernel mirrors it as ``__session__``. Headless runners set the same variable.
    value = os.environ.get("JPY_SESSION_NAME") or user_ns.get("__session__")
    return value if isinstance(value, str) and value else None


def _ipython_major() -> int:
    try:
        import IPython

        return int(IPython.version_info[0])
    except Exception:
        return 0


def _kernel_description() -> str:
    ipykernel = sys.modules.get("ipykernel")
    version = getattr(ipykernel, "__version__", None) if ipykernel else None
    if isinstance(version, str):
        return f"ipykernel {version}"
    import IPython

    return f"IPython {IPython.__version__}"


class Recorder:
    """Records every execution of one IPython shell into the run store."""

    def __init__(self, shell: Any, settings: JupyterExt, store_path: Path) -> None:
        self.shell = shell
        self.settings = settings
        self.store_path = store_path
        self.run = RunInfo(
            run_id=os.environ.get("JUPYTER_EXT_RUN_ID") or new_run_id(),
            started_at=time.time(),
            notebook_path=_notebook_path(shell.user_ns),
            kernel=_kernel_description(),
            pid=os.getpid(),
            host=host_name(),
            process=process_identity(),
        )
        self.seq = 0
        self._count_ahead = 1 if _ipython_major() >= 9 else 0
        self.recorded = 0
        self.failures = 0
        self._messages: deque[str] = deque(maxlen=20)
        self._told: set[str] = set()
        self._pending: _Pending | None = None
        self._digested: set[str] = set()
        self.last_record: ExecutionRecord | None = None
        self.live = LiveHygiene(shell, history_window(settings))
        self.writer = BackgroundWriter(store_path, on_problem=self._messages.append)
        self.writer.submit(ops.BeginRun(self.run))
        self.finalizer = Finalizer(
            self._record_done, self._internal_error, max(0.0, settings.finalize_delay)
        )
        self.tracker = NamespaceTracker(shell.user_ns, shell.user_ns_hidden)
        self.files: FileWatch | None = None
        self.files_recorded = 0
        if settings.track_files:
            history = getattr(getattr(shell, "history_manager", None), "hist_file", None)
            self._file_excludes = default_excludes(
                store_path, str(history) if history else None, settings.file_exclude
            )
            self.files = FileWatch()
        self._environment: dict[str, Any] | None = None
        self._imported: dict[str, str] = {}
        self._kernel_imported: dict[str, str] = {}
        # Modules already loaded when recording starts belong to the kernel (IPython,
        # ipykernel, ...); those imported later are the notebook's own dependencies.
        self._baseline_modules = {name.partition(".")[0] for name in list(sys.modules)}
        self._env_lock = threading.Lock()
        self._imports: Any = None
        self._env_thread: threading.Thread | None = None
        if settings.capture_environment:
            self._env_thread = threading.Thread(
                target=self._capture_environment, name="jupyter-ext-environment", daemon=True
            )
            self._env_thread.start()

    # -- hooks -----------------------------------------------------------------------

    def pre_run_cell(self, info: Any) -> None:
        try:
            self._pre_run_cell(info)
            if self.files is not None:
                self.files.start()  # last: nothing of ours runs inside the window
        except Exception as exc:
            self._pending = None
            self._internal_error(exc)

    def post_run_cell(self, result: Any) -> None:
        try:
            opened = self.files.stop() if self.files is not None else set()
            self._post_run_cell(result, opened)
        except Exception as exc:
            self._internal_error(exc)
        finally:
            self._pending = None
            self._flush_messages()

    # -- internals -------------------------------------------------------------------

    def _pre_run_cell(self, info: Any) -> None:
        raw = info.raw_cell if isinstance(info.raw_cell, str) else ""
        cell_id = getattr(info, "cell_id", None)
        names: CellNames | None = None
        if self.finalizer.busy:
            names = analyse(self._transform(raw))
            if self._may_touch_pending(names):
                self.finalizer.wait_idle(_WAIT_FOR_DIGESTS_S)
        found = getattr(self.shell, "execution_count", None)
        raw_count = found if isinstance(found, int) else None
        count = raw_count
        counted = raw_count is not None and bool(getattr(info, "store_history", False))
        if counted and raw_count is not None:
            # IPython 9 counts the cell before pre_run_cell, IPython 8 after the cell;
            # the first post_run_cell tells which (see _calibrate_count).
            count = raw_count - self._count_ahead
        cell = cell_id if isinstance(cell_id, str) and cell_id else None
        started_at = time.time()
        self.writer.commit_now(
            ops.StartExecution(
                ExecutionStart(
                    self.run.run_id,
                    self.seq + 1,
                    cell,
                    count if isinstance(count, int) else None,
                    started_at,
                )
            )
        )
        self._pending = _Pending(
            raw=raw,
            cell_id=cell,
            execution_count=count if isinstance(count, int) else None,
            names=names,
            started_at=started_at,
            t0=time.perf_counter(),
            raw_count=raw_count if counted else None,
        )

    def _transform(self, raw: str) -> str:
        """The Python code IPython runs for ``raw`` (magics and ``!`` rewritten).

        After the cell, IPython's history already holds it (transforming again costs
        about as much as a trivial cell), so that is used when it matches.
        """
        try:
            history = self.shell.history_manager
            if history.input_hist_raw and history.input_hist_raw[-1] == raw:
                parsed = history.input_hist_parsed[-1]
                if isinstance(parsed, str):
                    return parsed
        except Exception:
            pass
        try:
            code = self.shell.transform_cell(raw)
        except Exception:
            return raw
        return code if isinstance(code, str) else raw

    def _may_touch_pending(self, names: CellNames) -> bool:
        """Whether the coming cell could mutate a value the worker is still hashing."""
        if names.dynamic or names.star_import:
            return True
        pending = self.finalizer.pending_names()
        if not pending:
            return False
        pending |= self.tracker.aliases(pending)
        touched = names.mutation_candidates | names.calls | names.deletes
        if touched & pending:
            return True
        refs = called_global_refs(names.calls, self.shell.user_ns)
        return bool(refs.loads & pending) or refs.dynamic

    def _collect_files(self, opened: set[Opened]) -> FileBatch | None:
        """Stat the files the cell opened; a failure here costs the files, not the record."""
        if not opened:
            return None
        try:
            return collect(
                opened,
                self._file_excludes,
                budget=self.settings.file_digest_bytes,
                inline_bytes=_INLINE_FILE_BYTES,
                max_files=self.settings.file_max_per_execution,
            )
        except Exception as exc:
            self._internal_error(exc)
            return None

    def _post_run_cell(self, result: Any, opened: set[Opened]) -> None:
        pending = self._pending
        if pending is None:  # e.g. the cell that ran %load_ext itself
            return
        duration = time.perf_counter() - pending.t0
        error = result.error_before_exec or result.error_in_exec
        status: Any = "ok" if error is None else "error"
        error_type = type(error).__name__ if error is not None else None
        count = result.execution_count if isinstance(result.execution_count, int) else None
        if count is not None and pending.raw_count is not None:
            self._calibrate_count(pending.raw_count - count)
        names = pending.names or analyse(self._transform(pending.raw))
        ns = self.shell.user_ns
        refs = called_global_refs(names.calls, ns)

        notes: list[str] = []
        if names.syntax_error is not None:
            notes.append(f"syntax error: {names.syntax_error}")
        if names.star_import:
            notes.append("star import: bindings not known statically")
        notes.extend(names.dynamic)
        if refs.dynamic:
            notes.append("calls a function that uses globals()/exec")

        invisible = bool(names.dynamic or names.star_import or refs.stores or refs.dynamic)
        tracker = self.tracker
        if invisible or len(ns) <= self.settings.full_sweep_max_names:
            change = tracker.sweep()
        else:
            machinery = list(_PER_CELL_MACHINERY)
            if count is not None:
                machinery += [f"_i{count}", f"_{count}"]
            candidates = names.writes | names.deletes | names.function_globals_written
            change = tracker.update(candidates | refs.stores, machinery)
            if not tracker.consistent:
                more = tracker.sweep()
                change.bound |= more.bound
                change.deleted |= more.deleted

        live_writes = {n for n in names.writes if n in ns and tracker.is_user_name(n)}
        written = change.bound | live_writes if status == "ok" else set(change.bound)
        deleted = change.deleted | {n for n in names.deletes if n not in ns and n in self._digested}
        written -= deleted
        reads = {
            n
            for n in names.reads | refs.loads
            if tracker.is_user_name(n) and (n in ns or n in deleted)
        }
        candidates = (names.mutation_candidates | refs.loads) & ns.keys()
        to_digest = {n for n in written | candidates if tracker.is_user_name(n)}
        to_digest |= tracker.aliases(to_digest)
        to_digest |= {n for n in reads if n not in self._digested and n in ns}

        computed: dict[str, Digest] = {}
        large: dict[str, object] = {}
        threshold = self.settings.background_digest_bytes
        redact = self.settings.redact_sources
        for name in to_digest:
            value = ns.get(name)
            kind = type(value)  # compared by identity: a metaclass may define __eq__
            if redact and (kind is str or kind is bytes) and looks_secret_binding(name):
                # A digest of a short secret can be recovered by guessing; a string
                # cannot change in place, so nothing the rules need is lost.
                computed[name] = Digest(None, type(value).__name__, SECRET_NOT_DIGESTED)
            elif is_large(value, threshold):
                large[name] = value
            else:
                computed[name] = digest(value)
        self._digested |= to_digest
        self._digested -= deleted

        files = self._collect_files(opened)
        if files is not None:
            self.files_recorded += len(files.done) + len(files.pending)
            if files.left_out and "files-left-out" not in self._told:
                self._told.add("files-left-out")
                kept = self.settings.file_max_per_execution
                self._messages.append(
                    f"jupyter-ext: a cell opened {kept + files.left_out} files; only the "
                    f"first {kept} (by path) are recorded. Set "
                    "c.JupyterExt.file_max_per_execution to record more."
                )
        self.seq += 1
        job = FinalizeJob(
            run_id=self.run.run_id,
            seq=self.seq,
            cell_id=pending.cell_id,
            execution_count=count if count is not None else pending.execution_count,
            source=self.settings.stored_source(pending.raw),
            source_hash=source_hash(pending.raw),
            started_at=pending.started_at,
            duration=duration,
            status=status,
            error_type=error_type,
            reads=frozenset(reads),
            written=frozenset(written),
            deleted=frozenset(deleted),
            notes=tuple(notes),
            computed=computed,
            large=large,
            files=files,
        )
        # Stored before the reply: complete when nothing is big or queued ahead of it,
        # else provisional (the worker's complete record replaces it).
        record = self.finalizer.finish_inline(job)
        self.writer.commit_now(ops.AddExecution(record or provisional_record(job), fresh=True))
        self.finalizer.submit(job)
        self._note_imports()

    def _calibrate_count(self, ahead: int) -> None:
        """Learn whether this IPython has counted a cell when ``pre_run_cell`` runs."""
        if ahead in (0, 1):
            self._count_ahead = ahead

    def _record_done(self, record: ExecutionRecord, stored: bool) -> None:
        self.last_record = record
        self.recorded += 1
        if not stored:
            self.writer.submit(ops.AddExecution(record))
        try:
            self.live.on_record(record)
        except Exception as exc:  # the rules must never cost the record
            self._internal_error(exc)

    def _internal_error(self, exc: BaseException) -> None:
        self.failures += 1
        key = type(exc).__name__
        if key not in self._told:
            self._told.add(key)
            self._messages.append(
                f"jupyter-ext: recording skipped part of this execution ({key}: {exc}); "
                "your code ran normally. Please report this."
            )

    def _flush_messages(self) -> None:
        while self._messages:
            try:
                print(self._messages.popleft(), file=sys.stderr)
            except Exception:
                return

    # -- environment -----------------------------------------------------------------

    def _capture_environment(self) -> None:
        with quiet_thread():  # git and package metadata are not the notebook's data
            self._capture_environment_quietly()

    def _capture_environment_quietly(self) -> None:
        try:
            from .environment import capture_environment

            where = self.run.notebook_path
            directory = Path(where).parent if where else Path.cwd()
            if not directory.is_dir():
                directory = Path.cwd()
            env = capture_environment(directory)
            with self._env_lock:
                self._environment = env
                self._merge_imports(env)
                self.writer.submit(ops.SetEnvironment(self.run.run_id, dict(env)))
        except Exception as exc:
            self._internal_error(exc)

    def _note_imports(self) -> None:
        """Record versions of modules imported since the last cell (cheap when none)."""
        if self._imports is None:
            from .environment import ImportedVersions

            self._imports = ImportedVersions()
        new = self._imports.update()
        if not new:
            return
        with self._env_lock:
            for name, version in new.items():
                target = self._kernel_imported if name in self._baseline_modules else self._imported
                target[name] = version
            if self._environment is not None:
                self._merge_imports(self._environment)
                self.writer.submit(ops.SetEnvironment(self.run.run_id, dict(self._environment)))

    def environment(self) -> dict[str, Any] | None:
        """The run's environment as captured so far (None until capture finishes)."""
        with self._env_lock:
            return dict(self._environment) if self._environment is not None else None

    def _merge_imports(self, env: dict[str, Any]) -> None:
        env["imported"] = dict(sorted(self._imported.items()))
        env["kernel_imported"] = dict(sorted(self._kernel_imported.items()))

    # -- lifecycle -------------------------------------------------------------------

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every execution so far (and the environment) is written."""
        if self._env_thread is not None:
            self._env_thread.join(timeout)
        try:
            self._note_imports()
        except Exception as exc:
            self._internal_error(exc)
        done = self.finalizer.wait_idle(timeout)
        return self.writer.flush(timeout) and done

    def close(self, timeout: float = 10.0) -> None:
        if self.files is not None:
            self.files.stop()  # e.g. %unload_ext: the cell running now is not recorded
        self.finalizer.close(timeout)
        self.writer.submit(ops.EndRun(self.run.run_id, time.time()))
        self.writer.close(timeout)

    def status(self) -> dict[str, Any]:
        writer = self.writer.status()
        return {
            "recording": True,
            "run_id": self.run.run_id,
            "notebook": self.run.notebook_path,
            "store": str(self.store_path),
            "executions": self.seq,
            "recorded": self.recorded,
            "store_status": writer,
            "tracked_names": len(self.tracker),
            "files_recorded": self.files_recorded if self.files is not None else None,
            "internal_errors": self.failures,
            "warnings": len(self.live.warnings()),
        }
