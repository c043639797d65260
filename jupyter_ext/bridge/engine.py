"""A papermill engine that records every cell: ``papermill --engine jupyter_ext in out``.

papermill's own client sends bare execute requests, so the kernel could not tell which
cell ran. This engine keeps papermill's execution (parameter injection, per-cell
metadata, autosave, error cells, progress bar) and changes only what the kernel sees:
the extension is loaded at kernel start (``--ext=jupyter_ext``), each execute request
carries the cell's nbformat id in ``metadata.cellId`` as JupyterLab sends it, the
notebook's document order arrives over the ``jupyter_ext`` comm, and the run id, store
and notebook path travel in the kernel's environment. At the end the recorder is
flushed and the run record (sources left out) goes into ``metadata.jupyter_ext`` of the
output notebook, failed runs included, together with papermill's parameters.

Engine keyword arguments (through ``papermill.execute_notebook(..., **kwargs)``):
``store`` (run store path; default ``$JUPYTER_EXT_STORE`` or the standard location),
``run_id`` (default: a new one) and ``on_finish`` (called with the executed notebook,
the run id and the kernel's final hygiene state).
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        # papermill scans its ``papermill.engine`` entry points while papermill itself is
        # being imported. If this module is imported first, that scan meets it half
        # initialised: a placeholder keeps the scan going, and the real class is
        # registered at the bottom of this module, before anyone can ask for it.
        if name == "RecordingEngine":
            return None
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

from ..core.ids import new_run_id
from .client import CellIdNotebookClient, KernelStderr
from .headless import ensure_cell_ids, finish_kernel, send_notebook_snapshot

ENGINE_NAME = "jupyter_ext"
EXTENSION_ARGUMENT = "--ext=jupyter_ext"
INJECTED_TAG = "injected-parameters"
ERROR_MARKER_TAG = "papermill-error-cell-tag"

OnFinish = Callable[[Any, str, "dict[str, Any] | None"], None]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RecordingSettings:
    """Where and under which id one run is recorded; becomes the kernel's environment."""

    run_id: str
    store: Path
    notebook_path: str

    def kernel_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("JUPYTER_EXT_DISABLE", None)
        env.update(
            {
                "JUPYTER_EXT_RUN_ID": self.run_id,
                "JUPYTER_EXT_STORE": str(self.store),
                "JPY_SESSION_NAME": self.notebook_path,
            }
        )
        return env


def _notebook_path(input_path: Any) -> str:
    """The notebook path the record names: absolute for local files, else as given (URLs)."""
    if not isinstance(input_path, str | os.PathLike):
        return "<notebook>"
    text = os.fspath(input_path)
    return str(Path(text).resolve()) if "://" not in text else text


def _papermill_cell(cell: Any) -> bool:
    """A cell papermill adds (and removes again on the next run)."""
    tags = cell.get("metadata", {}).get("tags") or ()
    return INJECTED_TAG in tags or ERROR_MARKER_TAG in tags


def restore_cell_ids(nb: Any, input_path: Any) -> None:
    """Give the cells of a notebook saved without ids the ids every command derives.

    papermill upgrades notebooks older than nbformat 4.5 as it reads them, and the upgrade
    invents a random id for every cell: a cell would be another cell in every run. The
    ids are derived from the file as saved (:mod:`jupyter_ext.core.cell_ids`), as
    ``check`` derives them; papermill's own cells (injected parameters, error markers)
    keep theirs.
    """
    import nbformat

    from ..core.cell_ids import notebook_cell_ids

    mine = [cell for cell in nb.cells if not _papermill_cell(cell)]
    saved: Any = None
    if isinstance(input_path, str | os.PathLike) and "://" not in os.fspath(input_path):
        try:
            text = Path(input_path).read_text(encoding="utf-8")
            saved = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
        except Exception:  # papermill read it; a second read failing changes nothing
            saved = None
    if saved is not None and saved.get("nbformat") == 4:
        ids = notebook_cell_ids(saved.cells)
        pairs = [(i, c) for i, c in zip(ids, saved.cells, strict=True) if not _papermill_cell(c)]
        if [c.get("source") for _, c in pairs] == [c.get("source") for c in mine]:
            for (cell_id, _), cell in zip(pairs, mine, strict=True):
                cell["id"] = cell_id
            return
    if nb.metadata.get("orig_nbformat_minor", 5) < 5:  # upgraded, and no file to read
        derived = notebook_cell_ids([{"source": c.get("source", "")} for c in mine])
        for cell_id, cell in zip(derived, mine, strict=True):
            cell["id"] = cell_id


def settings_from(kwargs: dict[str, Any]) -> RecordingSettings:
    """Take this engine's own keyword arguments out of ``kwargs`` (the rest go to nbclient)."""
    from ..store.location import default_store_path

    store = kwargs.pop("store", None)
    run_id = kwargs.pop("run_id", None)
    return RecordingSettings(
        run_id=run_id or new_run_id(),
        store=Path(store).expanduser().absolute() if store else default_store_path(),
        notebook_path=_notebook_path(kwargs.get("input_path")),
    )


class RecordingNotebookClient(PapermillNotebookClient, CellIdNotebookClient):  # type: ignore[misc]
    """papermill's client with JupyterLab's cell ids, the snapshot and a final flush.

    papermill's client and ``CellIdNotebookClient`` override different methods of
    nbclient's client, so the method order makes each do its part: papermill drives
    the cells and the notebook metadata, ``CellIdNotebookClient`` builds the requests.
    """

    def __init__(self, nb_man: Any, *, recording: RecordingSettings, **kw: Any) -> None:
        super().__init__(nb_man, **kw)
        self.recording = recording
        self.final_state: dict[str, Any] | None = None
        self.kernel_started = False

    def papermill_execute_cells(self) -> None:
        self.kernel_started = True
        stderr = KernelStderr(self.km)
        send_notebook_snapshot(self.kc, self.nb, Path(self.recording.notebook_path))
        try:
            super().papermill_execute_cells()
        finally:
            # Also after a failing cell: the record must hold everything that ran.
            self.final_state = finish_kernel(self)
            stderr.shutting_down = True


def attach_record(nb: Any, recording: RecordingSettings) -> dict[str, Any] | None:
    """Store papermill's parameters with the run and put the run record into ``nb``.

    Never raises: a run whose record cannot be read still leaves its output notebook.
    """
    from ..store.sqlite import RunLookupError, RunStore

    parameters = nb.metadata.get("papermill", {}).get("parameters") or {}
    try:
        if not recording.store.exists():
            raise FileNotFoundError(recording.store)
        with RunStore(recording.store, create=False) as store:
            if parameters:
                store.set_parameters(recording.run_id, parameters)
            record = store.run_record(recording.run_id)
    except (OSError, RunLookupError, ValueError) as exc:
        _log.warning("jupyter-ext: no run record for %s: %s", recording.run_id, exc)
        nb.metadata["jupyter_ext"] = {"run_id": recording.run_id}
        return None
    nb.metadata["jupyter_ext"] = record
    return record


class RecordingEngine(NBClientEngine):  # type: ignore[misc]
    """papermill's nbclient engine, recording every cell with its id into the run store."""

    client_class: type[RecordingNotebookClient] = RecordingNotebookClient
    """Subclasses swap the client to do more while the kernel is alive (sweeps collect
    final values this way); unknown engine keyword arguments reach it as traitlets."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: int = 60,
        execution_timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        recording = settings_from(kwargs)
        on_finish: OnFinish | None = kwargs.pop("on_finish", None)
        nb = nb_man.nb
        restore_cell_ids(nb, kwargs.get("input_path"))
        ensure_cell_ids(nb)
        # The same argument handling as papermill's own engine, plus the extension.
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout", "extra_arguments"], **kwargs)
        extra = [*kwargs.get("extra_arguments", []), EXTENSION_ARGUMENT]
        final_kwargs = merge_kwargs(
            safe_kwargs,
            timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
            extra_arguments=extra,
        )
        client = cls.client_class(nb_man, recording=recording, **final_kwargs)
        try:
            return client.execute(env=recording.kernel_env(), stderr=subprocess.PIPE)
        finally:
            if client.kernel_started:  # else nothing ran: the error says why
                attach_record(nb, recording)
            if on_finish is not None:
                on_finish(nb, recording.run_id, client.final_state)


@dataclass(frozen=True, slots=True)
class RecordedRun:
    """What :func:`execute_recorded` returns; ``error`` is ``None`` when every cell ran."""

    run_id: str
    store: Path
    notebook: Any
    """The executed notebook (with papermill's error cells when a cell failed), or None."""
    error: str | None
    """papermill's report of the failure (cell, exception, traceback) or what stopped the run."""
    state: dict[str, Any] | None
    """The kernel's last hygiene state, as the panel would see it."""


def execute_recorded(
    path: str | Path,
    output: str | Path | None = None,
    parameters: dict[str, Any] | None = None,
    *,
    kernel_name: str | None = None,
    timeout: float | None = None,
    store: str | Path | None = None,
    cwd: str | Path | None = None,
    progress_bar: bool | dict[str, Any] = False,
    allow_errors: bool = False,
    engine_name: str = ENGINE_NAME,
    **engine_kwargs: Any,
) -> RecordedRun:
    """Run ``path`` through papermill with this engine; failures are returned, not raised.

    The kernel works in ``cwd`` (default: the notebook's directory, as in JupyterLab).
    Only papermill's own input errors (unreadable notebook, unknown kernel) raise.
    ``engine_name`` picks a registered subclass of :class:`RecordingEngine`, which gets
    ``engine_kwargs``.
    """
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError
    from papermill.execute import execute_notebook

    from ..store.location import default_store_path

    path = Path(path)
    run_id = new_run_id()
    store_path = Path(store).expanduser().absolute() if store else default_store_path()
    finished: dict[str, Any] = {}

    def on_finish(nb: Any, _run_id: str, state: dict[str, Any] | None) -> None:
        finished.update(notebook=nb, state=state)

    error: str | None = None
    try:
        execute_notebook(
            language=_language(path, kernel_name),
            input_path=str(path),
            output_path=str(output) if output is not None else None,
            parameters=parameters or None,
            engine_name=engine_name,
            kernel_name=kernel_name,
            progress_bar=progress_bar,
            cwd=str(cwd if cwd is not None else path.resolve().parent),
            execution_timeout=timeout,
            allow_errors=allow_errors,
            store=store_path,
            run_id=run_id,
            on_finish=on_finish,
            **engine_kwargs,
        )
    except PapermillExecutionError as exc:
        error = str(exc).strip() or "a cell raised an exception"
    except CellTimeoutError:
        error = f"a cell did not finish within {timeout} s"
    except DeadKernelError:
        error = "the kernel died"
    return RecordedRun(run_id, store_path, finished.get("notebook"), error, finished.get("state"))


def _language(path: Path, kernel_name: str | None) -> str | None:
    """The notebook's language, from its kernel's spec when its metadata lacks one.

    papermill needs it to write the parameters cell and gives up without it; notebooks
    written by tools other than Jupyter often carry only the kernel's name.
    """
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    metadata = nbformat.read(path, as_version=4).metadata
    found = metadata.get("kernelspec", {}).get("language") or metadata.get("language_info", {}).get(
        "name"
    )
    if found:
        return str(found)
    name = kernel_name or metadata.get("kernelspec", {}).get("name") or "python3"
    try:
        return str(KernelSpecManager().get_kernel_spec(name).language)
    except NoSuchKernel:
        return None


papermill_engines.register(ENGINE_NAME, RecordingEngine)
if not TYPE_CHECKING:
    del __getattr__
