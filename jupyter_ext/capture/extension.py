"""Loading and unloading the extension into an IPython shell.

Idempotent by design: ``%load_ext`` twice, a ``c.InteractiveShellApp.extensions``
entry plus a manual ``%load_ext``, or a reload must never register the hooks twice
(every execution would be recorded twice).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from pathlib import Path
from typing import Any

from .config import JupyterExt, disabled_by_environment

_ATTR = "_jupyter_ext_recorder"
_REASON = "_jupyter_ext_reason"
_COMM = "_jupyter_ext_comm"


def _store_path(settings: JupyterExt) -> Path:
    # The environment variable wins so that headless runners can point a kernel at a
    # store without writing configuration files.
    if os.environ.get("JUPYTER_EXT_STORE"):
        from ..store.location import default_store_path

        return default_store_path()
    if settings.store_path:
        return Path(os.path.expanduser(settings.store_path))
    from ..store.location import default_store_path

    return default_store_path()


def load(shell: Any) -> None:
    from . import magics

    if getattr(shell, _ATTR, None) is not None:
        return
    magics.register(shell)
    settings = JupyterExt(parent=shell)
    if not settings.enabled or disabled_by_environment():
        setattr(shell, _REASON, "disabled (JUPYTER_EXT_DISABLE or JupyterExt.enabled=False)")
        return
    try:
        from .recorder import Recorder

        recorder = Recorder(shell, settings, _store_path(settings))
    except Exception as exc:  # the user's kernel must come up regardless
        setattr(shell, _REASON, f"could not start ({type(exc).__name__}: {exc})")
        print(f"jupyter-ext: recording is off: {type(exc).__name__}: {exc}", file=sys.stderr)
        return
    shell.events.register("pre_run_cell", recorder.pre_run_cell)
    shell.events.register("post_run_cell", recorder.post_run_cell)
    atexit.register(recorder.close)
    try:
        from .comm import CommChannel
        from .requests import request_handlers

        channel = CommChannel(shell, recorder.live, request_handlers(recorder))
        channel.register()
        setattr(shell, _COMM, channel)
    except Exception as exc:  # recording goes on without the panel
        print(f"jupyter-ext: the JupyterLab panel cannot connect: {exc}", file=sys.stderr)
    setattr(shell, _ATTR, recorder)
    setattr(shell, _REASON, None)


def unload(shell: Any) -> None:
    recorder = getattr(shell, _ATTR, None)
    if recorder is None:
        return
    for event, callback in (
        ("pre_run_cell", recorder.pre_run_cell),
        ("post_run_cell", recorder.post_run_cell),
    ):
        with contextlib.suppress(ValueError):
            shell.events.unregister(event, callback)
    atexit.unregister(recorder.close)
    channel = getattr(shell, _COMM, None)
    if channel is not None:
        channel.unregister()
        setattr(shell, _COMM, None)
    setattr(shell, _ATTR, None)
    setattr(shell, _REASON, "unloaded (%unload_ext jupyter_ext)")
    recorder.close()


def recorder_of(shell: Any) -> Any:
    return getattr(shell, _ATTR, None)


def status(shell: Any) -> dict[str, Any]:
    recorder = recorder_of(shell)
    if recorder is None:
        return {"recording": False, "reason": getattr(shell, _REASON, None) or "not loaded"}
    result: dict[str, Any] = recorder.status()
    return result


def flush(shell: Any, timeout: float = 30.0) -> bool:
    """Write every execution recorded so far; used by headless runners before shutdown."""
    recorder = recorder_of(shell)
    if recorder is None:
        return True
    result: bool = recorder.flush(timeout)
    return result


def finish(shell: Any, timeout: float = 30.0) -> str:
    """Flush, then the hygiene state as JSON: what a headless runner reports at the end."""
    import json

    recorder = recorder_of(shell)
    if recorder is None:
        return json.dumps(None)
    recorder.flush(timeout)
    return json.dumps(recorder.live.state(), default=str)
