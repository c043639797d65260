"""The ``jupyter_ext`` comm: how the JupyterLab panel talks to the kernel.

The frontend opens the comm with ``{"protocol": 1}``; we answer ``hello`` and the
current state, then push ``state`` after every execution and every applied notebook
snapshot, and answer ``request`` messages. Everything that arrives is untrusted: a
malformed, outdated or oversized message is dropped with one log line and never raises
into the user's cell (comm handlers run on the kernel's main thread between cells).
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from .. import __version__
from ..analysis.snapshot import SnapshotError, parse_notebook_message
from .live import PROTOCOL, LiveHygiene

TARGET = "jupyter_ext"
_MAX_REQUEST_CHARS = 10_000

RequestHandler = Callable[[dict[str, Any]], dict[str, Any]]


def _comm_manager(shell: Any) -> Any:
    kernel = getattr(shell, "kernel", None)
    manager = getattr(kernel, "comm_manager", None)
    if manager is not None:
        return manager
    try:
        import comm

        return comm.get_comm_manager()
    except Exception:
        return None


class CommChannel:
    """Registers the comm target and keeps the open comms up to date."""

    def __init__(self, shell: Any, live: LiveHygiene, requests: dict[str, RequestHandler]) -> None:
        self._shell = shell
        self._live = live
        self._requests = requests
        self._comms: list[Any] = []
        self._lock = threading.Lock()
        kernel = getattr(shell, "kernel", None)
        self.log: logging.Logger = getattr(kernel, "log", None) or logging.getLogger("jupyter_ext")
        self.rejected = 0
        self._manager = _comm_manager(shell)

    @property
    def available(self) -> bool:
        """False outside a kernel (plain IPython): no frontend can open a comm there."""
        return self._manager is not None and getattr(self._shell, "kernel", None) is not None

    def register(self) -> None:
        if not self.available:
            return
        self._manager.register_target(TARGET, self._on_open)
        self._live.add_listener(self._push)

    def unregister(self) -> None:
        self._live.remove_listener(self._push)
        if self._manager is not None:
            with contextlib.suppress(Exception):
                self._manager.unregister_target(TARGET, self._on_open)
        with self._lock:
            comms, self._comms = self._comms, []
        for comm in comms:
            with contextlib.suppress(Exception):
                comm.close()

    # -- comm lifecycle --------------------------------------------------------------

    def _on_open(self, comm: Any, open_msg: dict[str, Any]) -> None:
        try:
            data = open_msg.get("content", {}).get("data") or {}
            wanted = data.get("protocol") if isinstance(data, dict) else None
            comm.send({"type": "hello", "protocol": PROTOCOL, "version": __version__})
            if wanted != PROTOCOL:
                self._reject(f"frontend speaks protocol {wanted!r}, this kernel {PROTOCOL}")
            comm.on_msg(lambda msg: self._on_msg(comm, msg))
            comm.on_close(lambda msg: self._forget(comm))
            with self._lock:
                self._comms.append(comm)
            # A (re)connecting frontend numbers its snapshots from the start again.
            self._live.reset_notebook()
        except Exception as exc:
            self._reject(f"could not open the comm: {type(exc).__name__}: {exc}")

    def _forget(self, comm: Any) -> None:
        with self._lock:
            if comm not in self._comms:
                return
            self._comms.remove(comm)
            last = not self._comms
        if last:  # without a frontend, execution order stands in for the document again
            self._live.reset_notebook()

    def _push(self, state: dict[str, Any]) -> None:
        with self._lock:
            comms = list(self._comms)
        for comm in comms:
            try:
                comm.send(state)
            except Exception as exc:
                self._reject(f"could not send state: {type(exc).__name__}: {exc}")
                self._forget(comm)

    # -- incoming --------------------------------------------------------------------

    def _reject(self, reason: str) -> None:
        self.rejected += 1
        with contextlib.suppress(Exception):
            self.log.warning("jupyter-ext: ignored a comm message: %s", reason)

    def _on_msg(self, comm: Any, msg: dict[str, Any]) -> None:
        try:
            data = msg.get("content", {}).get("data")
            if not isinstance(data, dict):
                self._reject("message data is not an object")
                return
            kind = data.get("type")
            if kind == "notebook":
                try:
                    snapshot = parse_notebook_message(data)
                except SnapshotError as exc:
                    self._reject(f"bad notebook snapshot: {exc}")
                    return
                if not self._live.on_notebook(snapshot):
                    self._reject(f"outdated notebook snapshot (seq {snapshot.seq})")
            elif kind == "request":
                comm.send(self.answer(data))
            else:
                self._reject(f"unknown message type {str(kind)[:40]!r}")
        except Exception as exc:  # never into the user's cell
            self._reject(f"{type(exc).__name__}: {exc}")

    def answer(self, data: dict[str, Any]) -> dict[str, Any]:
        """The ``response`` to one ``request`` (always answered, errors included)."""
        request_id = data.get("request_id")
        if not isinstance(request_id, str) or not request_id or len(request_id) > 200:
            request_id = ""
        response: dict[str, Any] = {"type": "response", "request_id": request_id}
        try:
            size = len(json.dumps(data, default=str))
        except (TypeError, ValueError):
            size = _MAX_REQUEST_CHARS + 1
        what = data.get("what")
        handler = self._requests.get(what) if isinstance(what, str) else None
        if not request_id:
            response["error"] = "request_id must be a non-empty string"
        elif size > _MAX_REQUEST_CHARS:
            response["error"] = "request too large"
        elif handler is None:
            known = ", ".join(sorted(self._requests))
            response["error"] = f"unknown request {str(what)[:40]!r}; this kernel answers: {known}"
        else:
            try:
                response.update(handler(data))
                response["error"] = None
            except (KeyError, ValueError) as exc:
                response["error"] = str(exc)
            except Exception as exc:
                response["error"] = f"{type(exc).__name__}: {exc}"
        if response.get("error"):
            self._reject(f"request failed: {response['error']}")
        return response
